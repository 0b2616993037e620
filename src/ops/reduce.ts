// Reductions: sum, mean, max, argmax over one axis, several axes or everything.
import { K } from "../engine/engine.js";
import { Tensor, type Shape, checkFloat, checkTensor } from "../tensor.js";
import { needsGrad, record } from "../autograd/tape.js";
import { affine } from "./elementwise.js";

/** @internal An axis in [0, rank), negative ones counted from the end. */
function normAxis(axis: number, rank: number, op: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new Error(`${op}: axis ${axis} out of range for rank ${rank}`);
  return a;
}

function reducedShape(shape: Shape, axes: number[], keepDims: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => { if (!axes.includes(i)) out.push(d); else if (keepDims) out.push(1); });
  return out;
}

/** Split shape around a contiguous run of axes [lo, hi]: (before, run, after). */
function split3(shape: Shape, lo: number, hi: number): [number, number, number] {
  let a = 1, b = 1, c = 1;
  shape.forEach((d, i) => { if (i < lo) a *= d; else if (i <= hi) b *= d; else c *= d; });
  return [a, b, c];
}

function axesOf(x: Tensor, axis: number | number[] | undefined, op: string): number[] {
  if (axis === undefined) return x.shape.map((_, i) => i);
  const list = (Array.isArray(axis) ? axis : [axis]).map((a) => normAxis(a, x.rank, op));
  return [...new Set(list)].sort((p, q) => p - q);
}

/**
 * Sum over `axis` (one, several, or all when omitted).
 * @example sum(x, 1) // row sums of a matrix
 */
export function sum(x: Tensor, axis?: number | number[], keepDims = false): Tensor {
  checkFloat("sum", "x", x);
  const axes = axesOf(x, axis, "sum");
  const shape = reducedShape(x.shape, axes, keepDims);
  let cur = x;
  // reduce contiguous runs of axes from the last run to the first (a fixed order)
  let runs: [number, number][] = [];
  for (const a of axes) {
    const last = runs[runs.length - 1];
    if (last && last[1] === a - 1) last[1] = a; else runs.push([a, a]);
  }
  runs = runs.reverse();
  let curShape = [...x.shape];
  for (const [lo, hi] of runs) {
    const [d0, d1, d2] = split3(curShape, lo, hi);
    const next = new Tensor([d0 * d2]);
    K().sum3(next.ptr, cur.ptr, d0, d1, d2);
    curShape = [...curShape.slice(0, lo), 1, ...curShape.slice(hi + 1)];
    cur = next;
  }
  const out = axes.length === 0 ? copyOf(x, shape) : new Tensor(shape, "float32", cur.storage);
  if (needsGrad(x)) record(out, "sum", [x], { axes });
  return out;
}

function copyOf(x: Tensor, shape: Shape): Tensor {
  const t = new Tensor(shape);
  K().copy(t.ptr, x.ptr, x.size);
  return t;
}

/** Mean over `axis` (one, several, or all when omitted). */
export function mean(x: Tensor, axis?: number | number[], keepDims = false): Tensor {
  checkTensor("mean", "x", x);
  const axes = axesOf(x, axis, "mean");
  let n = 1;
  for (const a of axes) n *= x.shape[a];
  return affine(sum(x, axis, keepDims), 1 / n);
}

/** Max over one axis (all axes when omitted); the gradient goes to the first maximum. */
export function max(x: Tensor, axis?: number, keepDims = false): Tensor {
  checkFloat("max", "x", x);
  if (x.size === 0) throw new Error(`max: ${x.describe()} is empty`);
  const src = axis === undefined ? new Tensor([x.size], "float32", x.storage) : x;
  const ax = axis === undefined ? 0 : normAxis(axis, x.rank, "max");
  const [d0, d1, d2] = split3(src.shape, ax, ax);
  const shape = axis === undefined ? (keepDims ? x.shape.map(() => 1) : []) : reducedShape(x.shape, [ax], keepDims);
  const out = new Tensor(shape);
  const idx = new Tensor(shape, "int32");
  K().max3(out.ptr, idx.ptr, x.ptr, d0, d1, d2);
  if (needsGrad(x)) record(out, "max", [x], { idx, d: [d0, d1, d2] });
  return out;
}

/** Index of the (first) maximum along `axis` (default: last), as int32. */
export function argmax(x: Tensor, axis = -1): Tensor {
  checkFloat("argmax", "x", x);
  const ax = normAxis(axis, x.rank, "argmax");
  if (x.shape[ax] === 0) throw new Error(`argmax: axis ${ax} of ${x.describe()} is empty`);
  const [d0, d1, d2] = split3(x.shape, ax, ax);
  const shape = reducedShape(x.shape, [ax], false);
  const out = new Tensor(shape);
  const idx = new Tensor(shape, "int32");
  K().max3(out.ptr, idx.ptr, x.ptr, d0, d1, d2);
  out.dispose();
  return idx;
}

export { normAxis, split3 };

/** The number of NaN and ±Infinity values in x (one SIMD pass in Wasm). */
export function countNonFinite(x: Tensor): number {
  checkTensor("countNonFinite", "x", x);
  if (x.dtype !== "float32") return 0;
  return K().count_nonfinite(x.ptr, x.size);
}

/**
 * Throw a clear error if x holds NaN or ±Infinity; returns x otherwise (for chaining).
 * @example const loss = assertFinite(crossEntropy(logits, y), "loss");
 */
export function assertFinite(x: Tensor, what?: string): Tensor {
  const n = countNonFinite(x);
  if (n > 0) throw new Error(`${what ?? x.describe()} has ${n} NaN/Infinity value${n === 1 ? "" : "s"} (of ${x.size})`);
  return x;
}
