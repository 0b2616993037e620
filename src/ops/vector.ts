// Flat float32 vectors (per-task gradients, parameter averages): dot products, norms,
// in-place axpy, copies, weighted sums and the Gram matrix, on the blas kernels (fixed
// summation order, so every runtime gets the same bits). Methods above ops/ use these
// instead of pointers.
import { K } from "../engine/engine.js";
import { Tensor } from "../tensor.js";

function sameSize(op: string, a: Tensor, b: Tensor): void {
  if (a.size !== b.size) throw new Error(`${op}: sizes ${a.size} and ${b.size} differ (${a.describe()}, ${b.describe()})`);
}

/** Dot product of two flat vectors (Wasm, fixed order). */
export function vdot(a: Tensor, b: Tensor): number {
  sameSize("vdot", a, b);
  return K().dot(a.ptr, b.ptr, a.size);
}

/** Squared Euclidean norm of a flat vector. */
export function vnorm2(a: Tensor): number { return K().sumsq(a.ptr, a.size); }

/** y += alpha * x, in place. */
export function vaxpy(y: Tensor, x: Tensor, alpha: number): void {
  sameSize("vaxpy", y, x);
  K().axpy(y.ptr, x.ptr, y.size, alpha);
}

/** Overwrite y with x's values, in place. */
export function vcopy(y: Tensor, x: Tensor): void {
  sameSize("vcopy", y, x);
  K().copy(y.ptr, x.ptr, y.size);
}

/** Set every value of y to v, in place. */
export function vfill(y: Tensor, v: number): void { K().fill(y.ptr, y.size, v); }

/** A fresh copy of a flat vector. */
export function vclone(a: Tensor): Tensor {
  const t = new Tensor(a.shape);
  K().copy(t.ptr, a.ptr, a.size);
  return t;
}

/** sum_i w_i v_i as a fresh vector (zero weights skipped; accumulated in list order). */
export function vcombine(vs: Tensor[], w: number[]): Tensor {
  if (vs.length === 0 || vs.length !== w.length) throw new Error(`vcombine: ${vs.length} vectors and ${w.length} weights (need the same, at least one)`);
  const t = new Tensor(vs[0].shape);
  K().fill(t.ptr, t.size, 0);
  vs.forEach((v, i) => { if (w[i] !== 0) vaxpy(t, v, w[i]); });
  return t;
}

/**
 * The Gram matrix G[i][j] = v_i . v_j of equally long vectors: each pair once (i <= j),
 * mirrored, so G is exactly symmetric.
 */
export function vgram(vs: Tensor[]): number[][] {
  const n = vs.length;
  const g = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) g[i][j] = g[j][i] = vdot(vs[i], vs[j]);
  }
  return g;
}

/**
 * targets[k] += alpha * flat[offset_k : offset_k + size_k], the targets laid end to end
 * (a flat gradient vector scattered back into the parameters' gradients).
 */
export function vscatterAdd(targets: Tensor[], flat: Tensor, alpha = 1): void {
  const total = targets.reduce((s, t) => s + t.size, 0);
  if (total !== flat.size) throw new Error(`vscatterAdd: vector has ${flat.size} values, the targets have ${total}`);
  let off = 0;
  for (const t of targets) {
    K().axpy(t.ptr, flat.ptr + off * 4, t.size, alpha);
    off += t.size;
  }
}

/** The tensors' values laid end to end in one fresh flat vector (off the tape). */
export function vflatten(ts: Tensor[]): Tensor {
  const t = new Tensor([ts.reduce((s, x) => s + x.size, 0)]);
  let off = 0;
  for (const x of ts) { K().copy(t.ptr + off * 4, x.ptr, x.size); off += x.size; }
  return t;
}

/** Overwrite the targets with consecutive slices of `flat` (vflatten's inverse), in place. */
export function vscatter(targets: Tensor[], flat: Tensor): void {
  const total = targets.reduce((s, t) => s + t.size, 0);
  if (total !== flat.size) throw new Error(`vscatter: vector has ${flat.size} values, the targets have ${total}`);
  let off = 0;
  for (const t of targets) { K().copy(t.ptr, flat.ptr + off * 4, t.size); off += t.size; }
}
