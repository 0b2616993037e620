// Tensor: a shape, a dtype and a region of Wasm memory (Storage), plus the autograd
// record. Contiguous row-major always; reshape shares storage, everything else copies.
import { F32, I32, isReady } from "./engine/engine.js";
import { allocStorage, keepStorage, release, Storage } from "./engine/scope.js";
import type { Node } from "./autograd/ops.js";
import { show } from "./validate.js";

/** A tensor's element type. */
export type DType = "float32" | "int32";
/** A tensor's shape: its sizes, outermost first. */
export type Shape = readonly number[];

/** Number of elements of a shape. */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

// Every copy of polyhead marks its tensors with this registry symbol, so a tensor of another
// copy (a second bundle or version in the process, with its own Wasm memory, whose offsets
// mean nothing here) is told apart from a value that is no tensor at all.
const BRAND = Symbol.for("polyhead.tensor");

/**
 * Throw unless `x` (argument `name` of `op`) is a Tensor of this engine. `instanceof` is the
 * engine identity check (each copy of the library has its own Tensor class over its own
 * memory) and costs a prototype lookup on the hot path; the error is built only on failure.
 */
export function checkTensor(op: string, name: string, x: unknown): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw notTensor(op, name, x);
}

/** The error for `x`, no Tensor of this engine, given as argument `name` of `op` (which takes `want`). */
export function notTensor(op: string, name: string, x: unknown, want = "a Tensor"): Error {
  if (x !== null && typeof x === "object" && BRAND in x) {
    return new Error(`${op}: ${name} is a tensor of another copy of polyhead (its own Wasm memory); import polyhead once`);
  }
  return new Error(`${op}: ${name} must be ${want}, got ${show(x)}`);
}

/** Throw unless `t` (argument `name` of `op`) is a float32 Tensor of this engine. */
export function checkFloat(op: string, name: string, t: unknown): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw notTensor(op, name, t);
  if (t.dtype !== "float32") throw new Error(`${op}: ${name} ${t.describe()} must be float32`);
}

/** Throw unless every dimension is a non-negative integer. */
export function checkShape(shape: Shape, what: string): void {
  if (!Array.isArray(shape)) throw new Error(`${what}: a shape is an array of dimensions, got ${shape === null ? "null" : typeof shape}`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`${what}: invalid shape [${shape.join(", ")}] (dimensions must be non-negative integers)`);
  }
}

/** Throw unless `dtype` is one polyhead has ("float32" or "int32"). */
export function checkDType(dtype: unknown, what: string): asserts dtype is DType {
  if (dtype !== "float32" && dtype !== "int32") {
    throw new Error(`${what}: unknown dtype ${typeof dtype === "string" ? JSON.stringify(dtype) : `${String(dtype)} (${typeof dtype})`} (expected "float32" or "int32")`);
  }
}

/** Throw unless `x` is an integer an int32 tensor holds exactly (no wrapping, no truncation). */
export function checkInt32(x: unknown, what: string): void {
  if (typeof x !== "number" || !Number.isInteger(x) || x < -2147483648 || x > 2147483647) {
    throw new Error(`${what}: ${typeof x === "number" ? x : `${JSON.stringify(x)} (${typeof x})`} is not an int32 (an integer in [-2^31, 2^31 - 1])`);
  }
}

const EXACT_INT32 = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array];

const nameOf = (what: string | (() => string)): string => (typeof what === "string" ? what : what());

/**
 * Throw unless every value fits `dtype` exactly: a number for float32, an int32 integer for
 * int32. `what` names the target in the message; a function is called only to throw (a
 * write of one batch row calls this, so no message is built on the way).
 */
export function checkValues(values: ArrayLike<number>, dtype: DType, what: string | (() => string)): void {
  if (ArrayBuffer.isView(values)) {
    if (values instanceof BigInt64Array || values instanceof BigUint64Array || values instanceof DataView) {
      throw new Error(`${nameOf(what)}: a ${values.constructor.name} cannot fill a ${dtype} tensor (pass numbers)`);
    }
    if (dtype === "float32" || EXACT_INT32.some((c) => values instanceof c)) return;
  }
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (dtype === "int32") {
      if (!(typeof x === "number" && Number.isInteger(x) && x >= -2147483648 && x <= 2147483647)) checkInt32(x, `${nameOf(what)}: value ${i}`);
    } else if (typeof x !== "number") throw new Error(`${nameOf(what)}: value ${i} is ${JSON.stringify(x)} (${typeof x}), not a number`);
  }
}

/**
 * @internal Rows `rows` of `src` (rows of `width` values) into `t`, in order, without
 * Tensor.write's checks: for a dataset's batches, whose arrays were checked when the dataset
 * was made (one checked write per row was 2% of a batch-256 training step). `t` is float32
 * for a Float32Array, int32 for an Int32Array, and holds rows.length * width values.
 */
export function writeRows(t: Tensor, src: Float32Array | Int32Array, width: number, rows: ArrayLike<number>): void {
  const mem = src instanceof Int32Array ? I32() : F32(), at = t.ptr >>> 2;
  if (width === 1) for (let i = 0; i < rows.length; i++) mem[at + i] = src[rows[i]];
  else for (let i = 0; i < rows.length; i++) mem.set(src.subarray(rows[i] * width, rows[i] * width + width), at + i * width);
}

let nextId = 1;

/**
 * A float32 or int32 array in Wasm memory with a shape. Made by the creation ops and
 * every other op; freed by the scope it was made in, or when garbage collected.
 * @example const x = tensor([[1, 2], [3, 4]]); x.shape; // [2, 2]
 */
export class Tensor {
  readonly id = nextId++;
  readonly size: number;
  /** True when gradients flow to this tensor (parameters, and results of ops on them). */
  requiresGrad = false;
  /** Accumulated gradient of a leaf after `backward()`. */
  grad: Tensor | null = null;
  /** The op that produced this tensor, for autograd (null for leaves). */
  node: Node | null = null;
  /** Optional name used in error messages (parameters get their dotted path). */
  name?: string;

  /** @internal Use the creation ops (`tensor`, `zeros`, ...) instead. */
  constructor(readonly shape: Shape, readonly dtype: DType = "float32", storage?: Storage) {
    if (!isReady()) throw new Error("polyhead: call `await init()` before creating tensors");
    checkDType(dtype, "Tensor");
    checkShape(shape, "Tensor");
    this.size = sizeOf(shape);
    this.storage = storage ?? allocStorage(this.size * 4);
  }
  /** @internal The Wasm memory region this tensor views (shared by reshapes). */
  readonly storage: Storage;

  /** Byte offset of the data in Wasm memory. Throws if the storage was freed. */
  get ptr(): number {
    if (this.storage.freed) {
      throw new Error(`${this.describe()} was freed when its scope ended; return it from the scope or call .keep()`);
    }
    return this.storage.ptr;
  }

  get rank(): number { return this.shape.length; }

  /** A short description for error messages: name (if any), shape and dtype. */
  describe(): string {
    return `Tensor${this.name ? ` "${this.name}"` : ""} [${this.shape.join(", ")}] ${this.dtype}`;
  }

  /** A copy of the values as a typed array. */
  data(): Float32Array | Int32Array {
    const p = this.ptr >>> 2;
    return this.dtype === "int32" ? I32().slice(p, p + this.size) : F32().slice(p, p + this.size);
  }

  /** A copy of the values as a Float32Array (int32 values are converted). */
  f32(): Float32Array {
    const d = this.data();
    return d instanceof Float32Array ? d : Float32Array.from(d);
  }

  /**
   * Overwrite the values in place: all of them, or from element `offset` on (a run of
   * rows) when an offset is given.
   */
  write(values: ArrayLike<number>, offset?: number): this {
    if (offset === undefined ? values.length !== this.size : !(Number.isInteger(offset) && offset >= 0 && offset + values.length <= this.size)) {
      throw new Error(`write: ${values.length} values${offset === undefined ? "" : ` at offset ${offset}`} for ${this.describe()} (${this.size} elements)`);
    }
    checkValues(values, this.dtype, () => `write to ${this.describe()}`);
    const p = (this.ptr >>> 2) + (offset ?? 0);
    if (this.dtype === "int32") I32().set(values, p); else F32().set(values, p);
    return this;
  }

  /** The values as nested arrays. */
  toArray(): unknown {
    const d = Array.from(this.data());
    if (this.rank === 0) return d[0];
    const build = (dim: number, off: number): unknown => {
      const n = this.shape[dim];
      if (dim === this.rank - 1) return d.slice(off, off + n);
      const stride = sizeOf(this.shape.slice(dim + 1));
      return Array.from({ length: n }, (_, i) => build(dim + 1, off + i * stride));
    };
    return build(0, 0);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new Error(`item(): ${this.describe()} has ${this.size} elements, expected 1`);
    const p = this.ptr >>> 2;
    return this.dtype === "int32" ? I32()[p] : F32()[p];
  }

  /** Keep this tensor out of scopes: it lives until garbage collected or disposed. */
  keep(): this { keepStorage(this.storage); return this; }

  /** Free the storage now (optional: scopes and garbage collection do it otherwise). */
  dispose(): void { release(this.storage); }

  get isDisposed(): boolean { return this.storage.freed; }

  /** The description and the values, for logging. */
  toString(): string { return `${this.describe()} ${JSON.stringify(this.toArray())}`; }

  /** @internal The mark every copy of polyhead puts on its tensors (see checkTensor). */
  declare readonly [BRAND]: true;
}
Object.defineProperty(Tensor.prototype, BRAND, { value: true });
