// MultiTaskDataset: inputs plus per-task labels, where any example may lack labels for
// some tasks (a 0/1 mask per task). Host-side typed arrays; tensors are made only when a
// batch is read, so a training step's scope frees them. Subsets and splits are views
// (row indices into shared arrays), so splitting a large data set copies no inputs.
import type { DType } from "../tensor.js";
import { defaultRng, Rng } from "../random.js";
import { splitIndices, type SplitParts } from "./split.js";
import { buildStore, type Store, type TaskStore } from "./store.js";
import { gather, makeBatch, type Batch } from "./batch.js";

export type { Batch } from "./batch.js";

/** Input or label storage: float32 values, or int32 class / token indices. */
export type InputArray = Float32Array | Int32Array;

/**
 * One task's labels for every example, row-major.
 * Missing labels: `mask[i] = 0`; or NaN (float labels; a whole row of NaN for vector
 * labels); or -1 (int class labels; a whole row of -1 for int vector labels). Inside an
 * int vector row that is otherwise labelled, -1 stays as a per-position "ignore" index
 * (e.g. unlabelled pixels in segmentation) for the loss and metrics to skip.
 */
export interface TaskLabels {
  values: Float32Array | Int32Array;
  /** Per-example label shape: [] for a class index or scalar, [k] for a vector. Default: inferred ([] or [values/rows]). */
  shape?: number[];
  /** 1 = labelled, 0 = not; default all labelled. */
  mask?: Uint8Array;
  /** For int class labels: checks every labelled value is < numClasses. */
  numClasses?: number;
  /**
   * Per-example weights (finite, >= 0; default all 1), e.g. a survey's instance weights:
   * the task's loss is the weighted mean sum(w l) / sum(w) over its labelled examples.
   */
  weight?: Float32Array;
}

/** Plain JS numbers: a flat list or one list per example (nested rows). */
export type PlainArray = number[] | number[][];

/** What a MultiTaskDataset is built from: inputs, their shape, labels by task. */
export interface DatasetSpec {
  /**
   * Inputs, row-major: examples × xShape. Int32Array for token or index inputs. Plain arrays
   * (one row per example, or flat) become float32.
   */
  x: InputArray | PlainArray;
  /** Per-example input shape, e.g. [784] or [1, 28, 28] (may be left out for rows of plain arrays). */
  xShape?: number[];
  /**
   * Labels by task name; a bare array is `{ values }`. Plain arrays become int32 when every
   * value is an integer (class indices; null or -1 = missing), else float32 (null or NaN = missing).
   */
  labels: Record<string, TaskLabels | Float32Array | Int32Array | PlainArray | (number | null)[]>;
}

/** One pass over a dataset: iterable any number of times, always in the same order. */
export interface EpochBatches extends Iterable<Batch> {
  /** Number of batches. */
  readonly length: number;
  /** The order of dataset positions for this pass. */
  readonly order: Int32Array;
}

/** Options of MultiTaskDataset.batches: shuffling, its stream, dropping the last short batch. */
export interface BatchOptions {
  /** Shuffle with a seeded permutation (default false). */
  shuffle?: boolean;
  /** The stream for shuffling (default: the global seeded stream). */
  rng?: Rng;
  /** Drop the last batch if it is smaller than batchSize (default false). */
  dropLast?: boolean;
}

function checkBatchSize(batchSize: number, who: string): void {
  if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new Error(`${who}: batchSize must be a positive integer, got ${batchSize}`);
}

/**
 * Inputs and per-task labels for multi-task training; partially labelled data is
 * first-class.
 * @example
 * const ds = new MultiTaskDataset({
 *   x: images, xShape: [784],
 *   labels: { digit: new Int32Array(digits), parity: { values: parity, mask: hasParity } },
 * });
 * const { train, validation } = ds.split({ train: 0.9, validation: 0.1 }, new Rng(0));
 * for (const b of train.batches(64, { shuffle: true, rng })) scope(() => step(b));
 */
export class MultiTaskDataset {
  private store!: Store;
  /** Rows of the store in this view, or null for all of them in order. */
  private rows!: Int32Array | null;
  private names!: readonly string[];
  private counts?: Record<string, number>;

  constructor(spec: DatasetSpec) {
    this.store = buildStore(spec, "MultiTaskDataset");
    this.rows = null;
    this.names = Object.keys(this.store.tasks);
  }

  private static view(store: Store, rows: Int32Array | null, names: readonly string[]): MultiTaskDataset {
    const d = Object.create(MultiTaskDataset.prototype) as MultiTaskDataset;
    d.store = store; d.rows = rows; d.names = names;
    return d;
  }

  /** Number of examples. */
  get size(): number { return this.rows ? this.rows.length : this.store.n; }
  /** Task names, in the order given. */
  get tasks(): readonly string[] { return this.names; }
  /** Per-example input shape. */
  get xShape(): readonly number[] { return this.store.xShape; }
  get xDtype(): DType { return this.store.x instanceof Int32Array ? "int32" : "float32"; }

  private task(name: string, who: string): TaskStore {
    if (!this.names.includes(name)) throw new Error(`MultiTaskDataset.${who}: no task "${name}" (tasks: ${this.names.map((t) => `"${t}"`).join(", ") || "none"})`);
    return this.store.tasks[name];
  }

  /** Per-example label shape of a task ([] for class indices and scalars). */
  labelShape(task: string): readonly number[] { return this.task(task, "labelShape").shape; }
  /** Label dtype of a task: int32 for class indices, float32 otherwise. */
  labelDtype(task: string): DType { return this.task(task, "labelDtype").values instanceof Int32Array ? "int32" : "float32"; }

  /**
   * @internal This data with the rows of `task` that hold -1 throughout read as labelled
   * -1 values: -1 marks a missing label only among class indices, and the trainer, which
   * knows the task's kind, asks for this for a regression or binary task.
   */
  valuesOf(task: string): MultiTaskDataset {
    const ts = this.store.tasks[task];
    if (!ts?.minusOne?.length) return this;
    const values = ts.values.slice(), mask = ts.mask.slice();
    for (const r of ts.minusOne) { values.fill(-1, r * ts.width, (r + 1) * ts.width); mask[r] = 1; }
    const tasks = { ...this.store.tasks, [task]: { ...ts, values, mask, minusOne: [] } };
    return MultiTaskDataset.view({ ...this.store, tasks }, this.rows, this.names);
  }

  /** How many examples carry a label for `task`. */
  labelledCount(task: string): number {
    const ts = this.task(task, "labelledCount");
    this.counts ??= {};
    if (this.counts[task] === undefined) {
      let c = 0;
      for (let i = 0; i < this.size; i++) c += ts.mask[this.row(i)];
      this.counts[task] = c;
    }
    return this.counts[task];
  }

  private row(i: number): number { return this.rows ? this.rows[i] : i; }

  private baseRows(positions: ArrayLike<number>): Int32Array {
    const out = new Int32Array(positions.length);
    for (let i = 0; i < out.length; i++) out[i] = this.row(positions[i]);
    return out;
  }

  /** The examples at the given positions (repeats allowed), as a view sharing this one's arrays. */
  subset(indices: ArrayLike<number>): MultiTaskDataset {
    const n = this.size;
    for (let i = 0; i < indices.length; i++) {
      const k = indices[i];
      if (!(Number.isInteger(k) && k >= 0 && k < n)) throw new Error(`MultiTaskDataset.subset: index ${k} at position ${i} is out of range [0, ${n})`);
    }
    return MultiTaskDataset.view(this.store, this.baseRows(indices), this.names);
  }

  /** The same examples with only the named tasks. */
  withTasks(tasks: readonly string[]): MultiTaskDataset {
    for (const t of tasks) this.task(t, "withTasks");
    return MultiTaskDataset.view(this.store, this.rows, [...tasks]);
  }

  /** The examples labelled for `task` (all tasks kept). */
  labelled(task: string): MultiTaskDataset {
    const m = this.task(task, "labelled").mask;
    const keep: number[] = [];
    for (let i = 0; i < this.size; i++) if (m[this.row(i)]) keep.push(i);
    return MultiTaskDataset.view(this.store, this.baseRows(keep), this.names);
  }

  /** One single-task dataset per task, of the examples labelled for it (per-task training mode). */
  toTaskDatasets(): Record<string, MultiTaskDataset> {
    const out: Record<string, MultiTaskDataset> = {};
    for (const t of this.names) out[t] = this.labelled(t).withTasks([t]);
    return out;
  }

  /**
   * Seeded split into named parts, by fractions or counts (see `splitIndices`).
   * @example const { train, validation, test } = ds.split({ train: 0.8, validation: 0.1, test: 0.1 }, new Rng(7));
   */
  split<K extends string>(parts: SplitParts<K>, rng: Rng = defaultRng()): Record<K, MultiTaskDataset> {
    const idx = splitIndices(this.size, parts, rng);
    const out = {} as Record<K, MultiTaskDataset>;
    for (const k of Object.keys(idx) as K[]) out[k] = MultiTaskDataset.view(this.store, this.baseRows(idx[k]), this.names);
    return out;
  }

  /** Batches in one pass: ceil(size / batchSize), or floor with dropLast. */
  numBatches(batchSize: number, dropLast = false): number {
    checkBatchSize(batchSize, "MultiTaskDataset.numBatches");
    return dropLast ? Math.floor(this.size / batchSize) : Math.ceil(this.size / batchSize);
  }

  /**
   * One pass in batches. The order (a seeded permutation when shuffling) is drawn when
   * this is called; tensors are made as batches are read.
   */
  batches(batchSize: number, opts: BatchOptions = {}): EpochBatches {
    checkBatchSize(batchSize, "MultiTaskDataset.batches");
    const n = this.size;
    const order = opts.shuffle ? (opts.rng ?? defaultRng()).permutation(n) : Int32Array.from({ length: n }, (_, i) => i);
    const length = this.numBatches(batchSize, opts.dropLast);
    const self = this;
    return {
      length, order,
      *[Symbol.iterator]() {
        for (let b = 0; b < length; b++) {
          const pos = order.slice(b * batchSize, Math.min(n, (b + 1) * batchSize));
          yield makeBatch(self.store, self.baseRows(pos), pos, self.names);
        }
      },
    };
  }

  /** The examples at the given positions as one batch. */
  batch(indices: ArrayLike<number>): Batch {
    const n = this.size;
    const pos = Int32Array.from(indices);
    pos.forEach((k, i) => {
      if (!(k >= 0 && k < n) || k !== indices[i]) throw new Error(`MultiTaskDataset.batch: index ${indices[i]} at position ${i} is out of range [0, ${n})`);
    });
    return makeBatch(this.store, this.baseRows(pos), pos, this.names);
  }

  /** A copy of this view's inputs, row-major. */
  inputs(): InputArray {
    return gather(this.store.x, this.store.xWidth, this.baseRows(Int32Array.from({ length: this.size }, (_, i) => i)));
  }

  /** A copy of one task's labels, mask (and weights, when it has them) for this view. */
  taskLabels(task: string): { values: Float32Array | Int32Array; mask: Uint8Array; shape: readonly number[]; weight?: Float32Array } {
    const ts = this.task(task, "taskLabels");
    const rows = this.baseRows(Int32Array.from({ length: this.size }, (_, i) => i));
    const out = { values: gather(ts.values, ts.width, rows), mask: gather(ts.mask, 1, rows), shape: ts.shape };
    return ts.weight ? { ...out, weight: gather(ts.weight, 1, rows) } : out;
  }

  /**
   * A new dataset (its own arrays) with the same labels and transformed inputs.
   * @example const scaled = ds.mapInputs((x) => scaler.apply(x));
   */
  mapInputs(fn: (x: InputArray, xShape: readonly number[]) => InputArray, xShape: readonly number[] = this.store.xShape): MultiTaskDataset {
    const labels: Record<string, TaskLabels> = {};
    for (const t of this.names) {
      const { shape, ...rest } = this.taskLabels(t);
      labels[t] = { ...rest, shape: [...shape], numClasses: this.store.tasks[t].numClasses };
    }
    return new MultiTaskDataset({ x: fn(this.inputs(), this.store.xShape), xShape: [...xShape], labels });
  }
}
