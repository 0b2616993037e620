// Creation ops: tensors from arrays, typed arrays, constants and seeded random draws.
import { F32, I32, K } from "../engine/engine.js";
import { Tensor, type DType, type Shape, checkDType, checkInt32, checkShape, checkTensor, checkValues, sizeOf } from "../tensor.js";
import { defaultRng, Rng } from "../random.js";

/** Numbers nested in arrays, one level per axis (tensor([[1, 2], [3, 4]])). */
export type Nested = number | Nested[];

function inferShape(v: Nested): number[] {
  const s: number[] = [];
  let c: Nested = v;
  while (Array.isArray(c)) { s.push(c.length); c = c[0]; }
  return s;
}

function flatten(v: Nested, shape: number[], depth: number, out: number[], path: string): void {
  if (depth === shape.length) {
    if (typeof v !== "number") throw new Error(`tensor: expected a number at ${path || "top"}, got ${Array.isArray(v) ? "an array" : typeof v}`);
    out.push(v);
    return;
  }
  if (!Array.isArray(v) || v.length !== shape[depth]) {
    throw new Error(`tensor: ragged nested array at ${path || "top"}: expected length ${shape[depth]}, got ${Array.isArray(v) ? v.length : typeof v}`);
  }
  for (let i = 0; i < v.length; i++) flatten(v[i], shape, depth + 1, out, `${path}[${i}]`);
}

/**
 * A tensor from nested arrays, or from a flat array / typed array with a shape.
 * @example
 * const x = tensor([[1, 2], [3, 4]]);            // float32 [2, 2]
 * const y = tensor(new Int32Array([0, 2]), [2], "int32");
 */
export function tensor(values: Nested | ArrayLike<number>, shape?: Shape, dtype?: DType): Tensor {
  if (shape !== undefined) checkShape(shape, "tensor");
  let flat: ArrayLike<number>;
  let shp: number[];
  if (ArrayBuffer.isView(values) || (Array.isArray(values) && shape)) {
    flat = values as ArrayLike<number>;
    shp = shape ? [...shape] : [flat.length];
  } else {
    shp = inferShape(values as Nested);
    const out: number[] = [];
    flatten(values as Nested, shp, 0, out, "");
    flat = out;
    if (shape) {
      if (sizeOf(shape) !== out.length) throw new Error(`tensor: ${out.length} values do not fit shape [${shape.join(", ")}]`);
      shp = [...shape];
    }
  }
  checkShape(shp, "tensor");
  if (sizeOf(shp) !== flat.length) throw new Error(`tensor: ${flat.length} values do not fit shape [${shp.join(", ")}]`);
  const dt: DType = dtype ?? (values instanceof Int32Array ? "int32" : "float32");
  checkDType(dt, "tensor");
  checkValues(flat, dt, "tensor");
  const t = new Tensor(shp, dt);
  if (dt === "int32") I32().set(flat, t.ptr >>> 2); else F32().set(flat, t.ptr >>> 2);
  return t;
}

/** A scalar (rank-0) float32 tensor. */
export function scalar(v: number): Tensor { return tensor([v], []); }

/** A tensor filled with `value`. @example full([2, 3], 0.5) */
export function full(shape: Shape, value: number, dtype: DType = "float32"): Tensor {
  checkDType(dtype, "full");
  if (dtype === "int32") checkInt32(value, "full: value");
  else if (typeof value !== "number") throw new Error(`full: value is ${JSON.stringify(value)} (${typeof value}), not a number`);
  const t = new Tensor(shape, dtype);
  if (dtype === "int32") K().fill_i32(t.ptr, t.size, value); else K().fill(t.ptr, t.size, value);
  return t;
}
/** A tensor of zeros. */
export function zeros(shape: Shape, dtype: DType = "float32"): Tensor { return full(shape, 0, dtype); }
/** A tensor of ones. */
export function ones(shape: Shape, dtype: DType = "float32"): Tensor { return full(shape, 1, dtype); }
/** Zeros with the shape and dtype of t. */
export function zerosLike(t: Tensor): Tensor { checkTensor("zerosLike", "t", t); return zeros(t.shape, t.dtype); }
/** Ones with the shape and dtype of t. */
export function onesLike(t: Tensor): Tensor { checkTensor("onesLike", "t", t); return ones(t.shape, t.dtype); }

/** Uniform [low, high) from a seeded stream (the default stream if none is given). */
export function rand(shape: Shape, low = 0, high = 1, rng: Rng = defaultRng()): Tensor {
  const t = new Tensor(shape);
  K().rng_uniform(t.ptr, t.size, rng.key[0] | 0, rng.key[1] | 0, rng.take(t.size), low, high);
  return t;
}

/** Normal(mean, std) from a seeded stream. */
export function randn(shape: Shape, mean = 0, std = 1, rng: Rng = defaultRng()): Tensor {
  const t = new Tensor(shape);
  K().rng_normal(t.ptr, t.size, rng.key[0] | 0, rng.key[1] | 0, rng.take(t.size), mean, std);
  return t;
}

/** Normal(mean, std) truncated to mean +- limit*std (by resampling). */
export function truncatedNormal(shape: Shape, mean = 0, std = 1, limit = 2, rng: Rng = defaultRng()): Tensor {
  if (!(limit > 0)) throw new Error(`truncatedNormal: limit must be > 0, got ${limit}`);
  const t = new Tensor(shape);
  K().rng_truncnormal(t.ptr, t.size, rng.key[0] | 0, rng.key[1] | 0, rng.take(t.size * 4), mean, std, limit);
  return t;
}

/** {0, scale} with P(scale) = p: a dropout mask. */
export function bernoulli(shape: Shape, p: number, scale = 1, rng: Rng = defaultRng()): Tensor {
  const t = new Tensor(shape);
  K().rng_bernoulli(t.ptr, t.size, rng.key[0] | 0, rng.key[1] | 0, rng.take(t.size), p, scale);
  return t;
}

/** 0, 1, ..., n-1 as int32 (or float32). */
export function arange(n: number, dtype: DType = "int32"): Tensor {
  if (!(typeof n === "number" && Number.isInteger(n) && n >= 0)) throw new Error(`arange: n must be a non-negative integer, got ${typeof n === "number" ? n : `${JSON.stringify(n)} (${typeof n})`}`);
  checkDType(dtype, "arange");
  if (dtype === "int32") checkInt32(Math.max(n - 1, 0), "arange: n - 1");
  // the tensor first: its allocation checks the size against the memory limit before any work
  const t = new Tensor([n], dtype);
  const v = dtype === "int32" ? I32() : F32(), p = t.ptr >>> 2;
  for (let i = 0; i < n; i++) v[p + i] = i;
  return t;
}

/** A copy of t with storage of its own (no gradient recorded). */
export function clone(t: Tensor): Tensor {
  checkTensor("clone", "t", t);
  const c = new Tensor(t.shape, t.dtype);
  K().copy(c.ptr, t.ptr, t.size);
  return c;
}

