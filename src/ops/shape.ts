// Shape ops: reshape (shares storage), transpose/permute, concat, stack, slice, and
// row indexing (take, and embedding lookup on it). Copies run in Wasm (copy2d / gather_rows).
import { I32, K } from "../engine/engine.js";
import { Tensor, type Shape, checkTensor, sizeOf } from "../tensor.js";
import { needsGrad, record } from "../autograd/tape.js";
import { normAxis, split3 } from "./reduce.js";
import { show } from "../validate.js";

/**
 * Same data, new shape (one dimension may be -1). Shares storage with `x`.
 * @example reshape(x, [-1, 784])
 */
export function reshape(x: Tensor, shape: Shape): Tensor {
  checkTensor("reshape", "x", x);
  const s = [...shape];
  const neg = s.indexOf(-1);
  if (neg >= 0) {
    const rest = sizeOf(s.filter((_, i) => i !== neg));
    if (rest === 0 || x.size % rest !== 0) throw new Error(`reshape: cannot infer -1 for ${x.describe()} into [${shape.join(", ")}]`);
    s[neg] = x.size / rest;
  }
  if (sizeOf(s) !== x.size) throw new Error(`reshape: ${x.describe()} (${x.size} elements) cannot become [${shape.join(", ")}]`);
  const out = new Tensor(s, x.dtype, x.storage);
  if (needsGrad(x)) record(out, "reshape", [x]);
  return out;
}

/** Merge the axes from `startAxis` on (default 1: keep the batch axis); shares storage. */
export function flatten(x: Tensor, startAxis = 1): Tensor {
  checkTensor("flatten", "x", x);
  const a = normAxis(startAxis, x.rank, "flatten");
  return reshape(x, [...x.shape.slice(0, a), sizeOf(x.shape.slice(a))]);
}

function swapAdjacent(x: Tensor, i: number): Tensor {
  const [d0, , d3] = split3(x.shape, i, i + 1);
  const shape = [...x.shape];
  [shape[i], shape[i + 1]] = [shape[i + 1], shape[i]];
  const out = new Tensor(shape, x.dtype);
  K().transpose4(out.ptr, x.ptr, d0, x.shape[i], x.shape[i + 1], d3);
  return out;
}

/**
 * Permute axes (default: swap the last two).
 * @example transpose(w) // (in, out) -> (out, in)
 */
export function transpose(x: Tensor, perm?: number[]): Tensor {
  checkTensor("transpose", "x", x);
  const r = x.rank;
  const p = perm ? perm.map((a) => normAxis(a, r, "transpose")) : [...Array(r).keys()].map((i) => (i < r - 2 ? i : i === r - 2 ? r - 1 : r - 2));
  if (r < 2 && !perm) return reshape(x, x.shape);
  if (p.length !== r || new Set(p).size !== r) throw new Error(`transpose: perm [${perm}] is not a permutation of ${r} axes`);
  // bubble the axes into place with adjacent swaps (each one Wasm transpose)
  const cur = [...Array(r).keys()];
  let t = x;
  for (let i = 0; i < r; i++) {
    for (let j = r - 1; j > i; j--) {
      if (p.indexOf(cur[j]) < p.indexOf(cur[j - 1])) {
        t = swapAdjacent(t, j - 1);
        [cur[j], cur[j - 1]] = [cur[j - 1], cur[j]];
      }
    }
  }
  const out = t === x ? reshape(x, x.shape) : t;
  if (t !== x && needsGrad(x)) record(out, "transpose", [x], { perm: p });
  return out;
}

// concat's and stack's list: a non-empty array of this engine's tensors
function checkList(op: string, xs: unknown): asserts xs is Tensor[] {
  if (!Array.isArray(xs) || xs.length === 0) throw new Error(`${op}: expected a non-empty array of tensors, got ${show(xs)}`);
  xs.forEach((t, i) => checkTensor(op, `tensor ${i}`, t));
}

/** Join tensors along an existing axis. */
export function concat(xs: Tensor[], axis = 0): Tensor {
  checkList("concat", xs);
  const r = xs[0].rank;
  const a = normAxis(axis, r, "concat");
  xs.forEach((t, i) => {
    if (t.rank !== r || t.dtype !== xs[0].dtype || t.shape.some((d, k) => k !== a && d !== xs[0].shape[k])) {
      throw new Error(`concat: tensor ${i} ${t.describe()} does not match ${xs[0].describe()} outside axis ${a}`);
    }
  });
  const shape = [...xs[0].shape];
  shape[a] = xs.reduce((s, t) => s + t.shape[a], 0);
  const out = new Tensor(shape, xs[0].dtype);
  const outer = sizeOf(shape.slice(0, a));
  const inner = sizeOf(shape.slice(a + 1));
  const outRow = shape[a] * inner;
  let off = 0;
  for (const t of xs) {
    const cols = t.shape[a] * inner;
    if (cols > 0 && outer > 0) K().copy2d(out.ptr + off * 4, t.ptr, outer, cols, outRow, cols);
    off += cols;
  }
  if (needsGrad(...xs)) record(out, "concat", xs, { axis: a, sizes: xs.map((t) => t.shape[a]) });
  return out;
}

/** Join tensors along a new axis. */
export function stack(xs: Tensor[], axis = 0): Tensor {
  checkList("stack", xs);
  const a = normAxis(axis, xs[0].rank + 1, "stack");
  return concat(xs.map((t) => reshape(t, [...t.shape.slice(0, a), 1, ...t.shape.slice(a)])), a);
}

/** Elements start..end-1 along `axis` (a copy). */
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  checkTensor("slice", "x", x);
  const a = normAxis(axis, x.rank, "slice");
  const n = x.shape[a];
  if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= n)) {
    throw new Error(`slice: range [${start}, ${end}) out of bounds for axis ${a} of ${x.describe()}`);
  }
  const shape = [...x.shape];
  shape[a] = end - start;
  const out = new Tensor(shape, x.dtype);
  const outer = sizeOf(x.shape.slice(0, a));
  const inner = sizeOf(x.shape.slice(a + 1));
  const cols = (end - start) * inner;
  if (cols > 0 && outer > 0) K().copy2d(out.ptr, x.ptr + start * inner * 4, outer, cols, cols, n * inner);
  if (needsGrad(x)) record(out, "slice", [x], { axis: a, start, end });
  return out;
}

/** Split into pieces of the given sizes along `axis`. */
export function split(x: Tensor, sizes: number[], axis = 0): Tensor[] {
  checkTensor("split", "x", x);
  const a = normAxis(axis, x.rank, "split");
  const total = sizes.reduce((s, v) => s + v, 0);
  if (total !== x.shape[a]) throw new Error(`split: sizes [${sizes}] sum to ${total}, axis ${a} of ${x.describe()} has ${x.shape[a]}`);
  let off = 0;
  return sizes.map((s) => { const t = slice(x, a, off, off + s); off += s; return t; });
}

/** Rows of `x` (axis 0) at the given indices, as a new tensor: x[indices]. */
export function take(x: Tensor, indices: Tensor | ArrayLike<number>): Tensor {
  checkTensor("take", "x", x);
  const idx = indexTensor(indices, x.shape[0], "take");
  const row = sizeOf(x.shape.slice(1));
  const out = new Tensor([idx.size, ...x.shape.slice(1)], x.dtype);
  K().gather_rows(out.ptr, x.ptr, idx.ptr, idx.size, row);
  if (needsGrad(x)) record(out, "take", [x], { idx });
  return out;
}

/**
 * Rows of `weight` [num, dim] at integer `indices` (any shape): the result is
 * [...indices.shape, dim]. The gradient adds into the rows looked up (repeats accumulate).
 * @example embedding(tensor([[1, 4], [4, 0]], undefined, "int32"), table) // [2, 2, dim]
 */
export function embedding(indices: Tensor | ArrayLike<number>, weight: Tensor): Tensor {
  checkTensor("embedding", "weight", weight);
  if (weight.rank !== 2) throw new Error(`embedding: weight ${weight.describe()} must be [num_embeddings, dim]`);
  const idx = indexTensor(indices, weight.shape[0], "embedding");
  const shape = indices instanceof Tensor ? [...indices.shape, weight.shape[1]] : [idx.size, weight.shape[1]];
  return reshape(take(weight, idx), shape);
}

/** Validate indices into [0, n) and return them as an int32 tensor. */
export function indexTensor(indices: Tensor | ArrayLike<number>, n: number, op: string): Tensor {
  let t: Tensor;
  if (!Array.isArray(indices) && !ArrayBuffer.isView(indices)) checkTensor(op, "indices", indices);
  if (indices instanceof Tensor) {
    if (indices.dtype !== "int32") throw new Error(`${op}: indices ${indices.describe()} must be int32`);
    t = indices;
  } else {
    // check the raw values: an Int32Array would truncate 1.7 to 1 and NaN to 0 silently
    for (let i = 0; i < indices.length; i++) {
      const k = indices[i];
      if (!Number.isInteger(k)) throw new Error(`${op}: index ${k} at position ${i} is not an integer`);
    }
    t = new Tensor([indices.length], "int32");
    I32().set(indices, t.ptr >>> 2);
  }
  const v = I32(), p = t.ptr >>> 2;
  for (let i = 0; i < t.size; i++) {
    const k = v[p + i];
    if (!(k >= 0 && k < n)) throw new Error(`${op}: index ${k} at position ${i} is out of range [0, ${n})`);
  }
  return t;
}
