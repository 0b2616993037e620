// MultiTaskDataset: inputs plus per-task labels, where any example may lack labels for
// some tasks (a 0/1 mask per task). Host-side typed arrays; tensors are made only when a
// batch is read, so a training step's scope frees them. Subsets and splits are views
// (row indices into shared arrays), so splitting a large data set copies no inputs.
import { tensor } from "../ops/creation.js";
import { Tensor, type DType } from "../tensor.js";
import { defaultRng, Rng } from "../random.js";
import { splitIndices, type SplitParts } from "./split.js";

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
}

/** Plain JS numbers: a flat list or one list per example (nested rows). */
export type PlainArray = number[] | number[][];

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

/** Plain (possibly nested) numbers to a typed array: float32 for inputs, int32 or float32 for labels. */
function fromPlain(v: unknown[], what: string, labels: boolean): { data: Float32Array | Int32Array; row: number | null } {
  const nested = v.length > 0 && Array.isArray(v[0]);
  const row = nested ? (v[0] as unknown[]).length : null;
  const flat: (number | null)[] = [];
  v.forEach((r, i) => {
    if (nested) {
      if (!Array.isArray(r) || r.length !== row) throw new Error(`${what}: row ${i} has ${Array.isArray(r) ? r.length : "no"} values, row 0 has ${row}`);
      for (const x of r) flat.push(x as number | null);
    } else flat.push(r as number | null);
  });
  flat.forEach((x, i) => {
    if (x !== null && typeof x !== "number") throw new Error(`${what}: value ${i} is ${typeof x}, expected a number`);
  });
  if (labels && flat.every((x) => x === null || Number.isInteger(x))) return { data: Int32Array.from(flat, (x) => (x === null ? -1 : x)), row };
  return { data: Float32Array.from(flat, (x) => (x === null ? NaN : x)), row };
}

/** A batch: tensors are made on first access (so inside a step's scope they are freed with it). */
export interface Batch {
  /** Inputs [size, ...xShape], float32 (or int32 for index inputs). */
  readonly x: Tensor;
  /** Per task: int32 [size, ...shape] for int labels (class indices), float32 [size, ...shape] otherwise. Missing rows hold 0. */
  readonly labels: Readonly<Record<string, Tensor>>;
  /** Per task: float32 [size], 1 where the example is labelled for that task. */
  readonly masks: Readonly<Record<string, Tensor>>;
  readonly size: number;
  /** Positions of these examples in the dataset they came from (stream position for streams). */
  readonly indices: Int32Array;
  /** The tasks this batch carries labels (and masks) for; reading it makes no tensors. */
  readonly tasks: readonly string[];
  /** How many examples of this batch are labelled for `task` (0 if it has no such task); makes no tensors. */
  labelledCount(task: string): number;
}

/** One pass over a dataset: iterable any number of times, always in the same order. */
export interface EpochBatches extends Iterable<Batch> {
  /** Number of batches. */
  readonly length: number;
  /** The order of dataset positions for this pass. */
  readonly order: Int32Array;
}

export interface BatchOptions {
  /** Shuffle with a seeded permutation (default false). */
  shuffle?: boolean;
  /** The stream for shuffling (default: the global seeded stream). */
  rng?: Rng;
  /** Drop the last batch if it is smaller than batchSize (default false). */
  dropLast?: boolean;
}

/** @internal */
export interface TaskStore {
  readonly values: Float32Array | Int32Array;
  readonly shape: readonly number[];
  readonly width: number;
  readonly mask: Uint8Array;
  readonly numClasses?: number;
}

/** @internal The arrays a dataset's views share. */
export interface Store {
  readonly x: InputArray;
  readonly xShape: readonly number[];
  readonly xWidth: number;
  readonly n: number;
  readonly tasks: Readonly<Record<string, TaskStore>>;
}

function typeName(v: unknown): string {
  return v === null ? "null" : typeof v === "object" ? (v as object).constructor?.name ?? "object" : typeof v;
}

function product(shape: readonly number[]): number {
  let p = 1;
  for (const d of shape) p *= d;
  return p;
}

function checkDims(shape: unknown, what: string): number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`${what}: expected an array of positive integers, got ${JSON.stringify(shape)}`);
  }
  return [...shape];
}

/** @internal Validate a spec and normalise its labels (missing rows zeroed, masks filled in). */
export function buildStore(spec: DatasetSpec, who: string): Store {
  if (spec === null || typeof spec !== "object") throw new Error(`${who}: expected { x, xShape, labels }, got ${typeName(spec)}`);
  let x = spec.x as unknown;
  let shapeIn = spec.xShape;
  if (Array.isArray(x)) {
    const p = fromPlain(x, `${who}: x`, false);
    x = p.data;
    if (shapeIn === undefined && p.row !== null) shapeIn = [p.row];
  }
  if (!(x instanceof Float32Array || x instanceof Int32Array)) {
    throw new Error(`${who}: x must be a Float32Array, an Int32Array or an array of numbers, got ${typeName(x)}`);
  }
  const xShape = checkDims(shapeIn, `${who}: xShape`);
  const xWidth = product(xShape);
  if (x.length % xWidth !== 0) {
    throw new Error(`${who}: x has ${x.length} values, not a whole number of examples of shape [${xShape.join(", ")}] (${xWidth} values each)`);
  }
  const n = x.length / xWidth;
  const labels = spec.labels ?? {};
  if (typeof labels !== "object") throw new Error(`${who}: labels must be an object of task name -> labels, got ${typeName(labels)}`);
  const tasks: Record<string, TaskStore> = {};
  for (const name of Object.keys(labels)) tasks[name] = buildTask(name, labels[name], n, who);
  return { x, xShape, xWidth, n, tasks };
}

function buildTask(name: string, raw: DatasetSpec["labels"][string], n: number, who: string): TaskStore {
  const at = `${who}: labels "${name}"`;
  // any bare array is the values (a typed array's own .values is a method, not labels)
  let spec: TaskLabels = ArrayBuffer.isView(raw) || Array.isArray(raw) ? { values: raw as Float32Array } : raw as TaskLabels;
  if (spec && Array.isArray(spec.values)) {
    const p = fromPlain(spec.values as unknown[], at, true);
    spec = { ...spec, values: p.data, shape: spec.shape ?? (p.row !== null ? [p.row] : undefined) };
  }
  if (spec === null || typeof spec !== "object") throw new Error(`${at}: expected a Float32Array, Int32Array or { values, shape?, mask? }, got ${typeName(raw)}`);
  let values = spec.values;
  const isInt = values instanceof Int32Array;
  if (!(values instanceof Float32Array || isInt)) throw new Error(`${at}: values must be a Float32Array or Int32Array, got ${typeName(values)}`);
  let shape: number[];
  if (spec.shape !== undefined) {
    shape = Array.isArray(spec.shape) && spec.shape.length === 0 ? [] : checkDims(spec.shape, `${at}: shape`);
  } else {
    shape = n > 0 && values.length % n === 0 && values.length > n ? [values.length / n] : [];
  }
  const width = product(shape);
  if (values.length !== n * width) {
    const rows = values.length / width;
    throw new Error(Number.isInteger(rows)
      ? `${at} have ${rows} rows, inputs have ${n}`
      : `${at} have ${values.length} values, not a whole number of rows of shape [${shape.join(", ")}] for ${n} inputs`);
  }
  const { numClasses } = spec;
  if (numClasses !== undefined && !(Number.isInteger(numClasses) && numClasses > 0)) {
    throw new Error(`${at}: numClasses must be a positive integer, got ${numClasses}`);
  }
  if (numClasses !== undefined && !isInt) throw new Error(`${at}: numClasses is for Int32Array class labels, values are a Float32Array`);
  let mask: Uint8Array;
  if (spec.mask !== undefined) {
    if (!(spec.mask instanceof Uint8Array)) throw new Error(`${at}: mask must be a Uint8Array, got ${typeName(spec.mask)}`);
    if (spec.mask.length !== n) throw new Error(`${at}: mask has ${spec.mask.length} rows, inputs have ${n}`);
    mask = Uint8Array.from(spec.mask, (m) => (m ? 1 : 0));
  } else {
    mask = new Uint8Array(n).fill(1);
  }
  let copied = false;
  for (let i = 0; i < n; i++) {
    if (!mask[i]) {
      // unlabelled rows hold 0 so their values can never reach a loss as garbage
      let dirty = false;
      for (let j = i * width; j < (i + 1) * width; j++) if (values[j] !== 0) dirty = true;
      if (dirty) {
        if (!copied) { values = values.slice(); copied = true; }
        values.fill(0, i * width, (i + 1) * width);
      }
      continue;
    }
    let missing = 0;
    for (let j = i * width; j < (i + 1) * width; j++) {
      const v = values[j];
      if (isInt) {
        if (v === -1) missing++;
        else if (v < -1) throw new Error(`${at}: row ${i} has ${v}; class indices must be >= 0 (-1 marks a missing label)`);
        else if (numClasses !== undefined && v >= numClasses) throw new Error(`${at}: row ${i} has class ${v}, expected < numClasses ${numClasses}`);
      } else if (v !== v) missing++;
      else if (v === Infinity || v === -Infinity) throw new Error(`${at}: row ${i} has ${v}; labels must be finite (NaN marks a missing label)`);
    }
    if (missing === width) {
      mask[i] = 0;
      if (!copied) { values = values.slice(); copied = true; }
      values.fill(0, i * width, (i + 1) * width);
    } else if (missing > 0 && !isInt) {
      throw new Error(`${at}: row ${i} has ${missing} of ${width} values NaN; a row is labelled or missing as a whole (set its mask to 0, or fill the gaps)`);
    }
  }
  return { values, shape, width, mask, numClasses };
}

function gather<T extends InputArray | Uint8Array>(src: T, width: number, rows: ArrayLike<number>): T {
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
  for (let i = 0; i < rows.length; i++) t.write(src.subarray(rows[i] * width, rows[i] * width + width), i * width);
  return t;
}

class LazyBatch implements Batch {
  readonly size: number;
  #x?: Tensor;
  #labels?: Record<string, Tensor>;
  #masks?: Record<string, Tensor>;

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
}

/** @internal A batch over rows of a store. */
export function makeBatch(store: Store, rows: Int32Array, indices: Int32Array, tasks: readonly string[]): Batch {
  return new LazyBatch(store, rows, indices, tasks);
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

  /** A copy of one task's labels and mask for this view. */
  taskLabels(task: string): { values: Float32Array | Int32Array; mask: Uint8Array; shape: readonly number[] } {
    const ts = this.task(task, "taskLabels");
    const rows = this.baseRows(Int32Array.from({ length: this.size }, (_, i) => i));
    return { values: gather(ts.values, ts.width, rows), mask: gather(ts.mask, 1, rows), shape: ts.shape };
  }

  /**
   * A new dataset (its own arrays) with the same labels and transformed inputs.
   * @example const scaled = ds.mapInputs((x) => scaler.apply(x));
   */
  mapInputs(fn: (x: InputArray, xShape: readonly number[]) => InputArray, xShape: readonly number[] = this.store.xShape): MultiTaskDataset {
    const labels: Record<string, TaskLabels> = {};
    for (const t of this.names) {
      const { values, mask, shape } = this.taskLabels(t);
      labels[t] = { values, mask, shape: [...shape], numClasses: this.store.tasks[t].numClasses };
    }
    return new MultiTaskDataset({ x: fn(this.inputs(), this.store.xShape), xShape: [...xShape], labels });
  }
}
