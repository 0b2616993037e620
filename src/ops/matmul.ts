// Matrix multiply over the Wasm `matmul` kernel: C = op(A) op(B), 2-d, with transposes
// passed to the kernel instead of materialised (the backward pass needs A^T B and A B^T);
// and `bmm`, the same over leading batch axes (attention's heads) in one `bmm` call.
import { K } from "../engine/engine.js";
import { Tensor, checkFloat } from "../tensor.js";
import { needsGrad, record } from "../autograd/tape.js";

/** Options of matmul: transpose either operand. */
export interface MatmulOptions { transA?: boolean; transB?: boolean }

/**
 * op(A) (m,k) times op(B) (k,n).
 * @example matmul(x, w, { transB: true }) // x (batch, in) . w(out, in)^T
 */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  checkFloat("matmul", "a", a); checkFloat("matmul", "b", b);
  const tA = !!opts.transA, tB = !!opts.transB;
  if (a.rank !== 2 || b.rank !== 2) throw new Error(`matmul: expects 2-d tensors, got a ${a.describe()} and b ${b.describe()}`);
  const m = tA ? a.shape[1] : a.shape[0], k = tA ? a.shape[0] : a.shape[1];
  const kb = tB ? b.shape[1] : b.shape[0], n = tB ? b.shape[0] : b.shape[1];
  if (k !== kb) {
    throw new Error(`matmul: inner dimensions differ: a ${a.describe()}${tA ? "^T" : ""} has ${k} columns, b ${b.describe()}${tB ? "^T" : ""} has ${kb} rows`);
  }
  const out = new Tensor([m, n]);
  K().matmul(out.ptr, a.ptr, b.ptr, m, n, k, tA ? 1 : 0, tB ? 1 : 0, 1, 0);
  if (needsGrad(a, b)) record(out, "matmul", [a, b], { tA, tB });
  return out;
}

/**
 * op(A) (..., m, k) times op(B) (..., k, n) for every index of the leading axes, which
 * must be equal (no broadcasting): attention's scores (Q K^T) and mixing (P V) per head.
 * @example bmm(q, k, { transB: true }) // [B, H, Lq, d] x [B, H, Lk, d]^T -> [B, H, Lq, Lk]
 */
export function bmm(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  checkFloat("bmm", "a", a); checkFloat("bmm", "b", b);
  const tA = !!opts.transA, tB = !!opts.transB, r = a.rank;
  const lead = a.shape.slice(0, -2);
  if (r < 3 || b.rank !== r || lead.some((d, i) => d !== b.shape[i])) {
    throw new Error(`bmm: expects two tensors of one rank >= 3 with equal leading axes, got a ${a.describe()} and b ${b.describe()}`);
  }
  const [a0, a1] = a.shape.slice(-2), [b0, b1] = b.shape.slice(-2);
  const m = tA ? a1 : a0, k = tA ? a0 : a1, kb = tB ? b1 : b0, n = tB ? b0 : b1;
  if (k !== kb) {
    throw new Error(`bmm: inner dimensions differ: a ${a.describe()}${tA ? "^T" : ""} has ${k} columns, b ${b.describe()}${tB ? "^T" : ""} has ${kb} rows`);
  }
  const out = new Tensor([...lead, m, n]);
  if (out.size > 0) K().bmm(out.ptr, a.ptr, b.ptr, out.size / (m * n), m, n, k, tA ? 1 : 0, tB ? 1 : 0);
  if (needsGrad(a, b)) record(out, "bmm", [a, b], { tA, tB });
  return out;
}
