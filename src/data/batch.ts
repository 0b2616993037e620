// Batches: rows of a store, gathered into tensors only when first read (so a training
// step's scope frees them with the step).
import { tensor } from "../ops/creation.js";
import { Tensor, writeRows } from "../tensor.js";
import type { InputArray } from "./dataset.js";
import type { Store } from "./store.js";
/** A batch: tensors are made on first access (so inside a step's scope they are freed with it). */
export interface Batch {
  /** Inputs [size, ...xShape], float32 (or int32 for index inputs). */
  readonly x: Tensor;
  /** Per task: int32 [size, ...shape] for int labels (class indices), float32 [size, ...shape] otherwise. Missing rows hold 0. */
  readonly labels: Readonly<Record<string, Tensor>>;
  /** Per task: float32 [size], 1 where the example is labelled for that task. */
  readonly masks: Readonly<Record<string, Tensor>>;
  /** Per task that has per-example weights: float32 [size] (tasks without weights are absent). */
  readonly weights?: Readonly<Record<string, Tensor>>;
  readonly size: number;
  /** Positions of these examples in the dataset they came from (stream position for streams). */
  readonly indices: Int32Array;
  /** The tasks this batch carries labels (and masks) for; reading it makes no tensors. */
  readonly tasks: readonly string[];
  /** How many examples of this batch are labelled for `task` (0 if it has no such task); makes no tensors. */
  labelledCount(task: string): number;
}

export function gather<T extends InputArray | Uint8Array>(src: T, width: number, rows: ArrayLike<number>): T {
  const out = new (src.constructor as new (n: number) => T)(rows.length * width);
  if (width === 1) {
    for (let i = 0; i < rows.length; i++) out[i] = src[rows[i]];
  } else {
    for (let i = 0; i < rows.length; i++) out.set(src.subarray(rows[i] * width, rows[i] * width + width), i * width);
  }
  return out;
}

/** Rows of `src` gathered straight into a new tensor's Wasm memory (one copy, not two). */
function gatherTensor(src: InputArray, width: number, rows: ArrayLike<number>, shape: number[]): Tensor {
  const t = new Tensor(shape, src instanceof Int32Array ? "int32" : "float32");
  writeRows(t, src, width, rows);
  return t;
}

class LazyBatch implements Batch {
  readonly size: number;
  #x?: Tensor;
  #labels?: Record<string, Tensor>;
  #masks?: Record<string, Tensor>;
  #weights?: Record<string, Tensor>;

  constructor(private readonly store: Store, private readonly rows: Int32Array,
    readonly indices: Int32Array, private readonly names: readonly string[]) {
    this.size = rows.length;
  }

  get tasks(): readonly string[] { return this.names; }

  labelledCount(task: string): number {
    const ts = this.names.includes(task) ? this.store.tasks[task] : undefined;
    if (!ts) return 0;
    let n = 0;
    for (let i = 0; i < this.rows.length; i++) n += ts.mask[this.rows[i]] ? 1 : 0;
    return n;
  }

  // Tensors are made on first access and again after the scope that owned them freed
  // them, so one Batch object can be used in several steps.
  get x(): Tensor {
    const s = this.store;
    if (!this.#x || this.#x.isDisposed) this.#x = gatherTensor(s.x, s.xWidth, this.rows, [this.size, ...s.xShape]);
    return this.#x;
  }

  get labels(): Readonly<Record<string, Tensor>> {
    if (!this.#labels || Object.values(this.#labels).some((t) => t.isDisposed)) {
      const out: Record<string, Tensor> = {};
      for (const t of this.names) {
        const ts = this.store.tasks[t];
        out[t] = gatherTensor(ts.values, ts.width, this.rows, [this.size, ...ts.shape]);
      }
      this.#labels = out;
    }
    return this.#labels;
  }

  get masks(): Readonly<Record<string, Tensor>> {
    if (!this.#masks || Object.values(this.#masks).some((t) => t.isDisposed)) {
      const out: Record<string, Tensor> = {};
      for (const t of this.names) out[t] = tensor(Float32Array.from(gather(this.store.tasks[t].mask, 1, this.rows)), [this.size]);
      this.#masks = out;
    }
    return this.#masks;
  }

  get weights(): Readonly<Record<string, Tensor>> {
    if (!this.#weights || Object.values(this.#weights).some((t) => t.isDisposed)) {
      const out: Record<string, Tensor> = {};
      for (const t of this.names) {
        const w = this.store.tasks[t].weight;
        if (w) out[t] = tensor(gather(w, 1, this.rows), [this.size]);
      }
      this.#weights = out;
    }
    return this.#weights;
  }
}

/** @internal A batch over rows of a store. */
export function makeBatch(store: Store, rows: Int32Array, indices: Int32Array, tasks: readonly string[]): Batch {
  return new LazyBatch(store, rows, indices, tasks);
}
