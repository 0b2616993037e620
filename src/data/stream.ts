// Batches from a stream of examples (an async generator reading a file, a socket, a
// database cursor): examples are collected into batches of a fixed size, and a missing
// label (null, absent, NaN, or -1 for class labels) becomes mask 0 for that task.
import type { DType } from "../tensor.js";
import type { TaskLabels } from "./dataset.js";
import { buildStore } from "./store.js";
import { makeBatch, type Batch } from "./batch.js";

/** One example of a stream: inputs and, per task, a label or nothing. */
export interface StreamExample {
  x: ArrayLike<number>;
  /** Per task: a number, a vector, or null / undefined when this example has no label for it. */
  labels: Record<string, number | ArrayLike<number> | null | undefined>;
}

/** How a task's labels look in the stream. */
export interface StreamTask {
  /** Per-example label shape (default [] : one number). */
  shape?: number[];
  /** int32 for class indices, float32 otherwise (default). */
  dtype?: DType;
  numClasses?: number;
}

/** How fromAsyncIterable batches a stream: batch size, input shape and dtype, the tasks' label shapes. */
export interface StreamOptions {
  batchSize: number;
  /** Per-example input shape. */
  xShape: number[];
  /** int32 for token or index inputs (default float32). */
  xDtype?: DType;
  tasks: Record<string, StreamTask>;
  /** Drop the last batch if it is short (default false). */
  dropLast?: boolean;
}

/**
 * Batch an (async) iterable of examples. `Batch.indices` are positions in the stream.
 * @example
 * for await (const b of fromAsyncIterable(readRows(), { batchSize: 64, xShape: [20],
 *     tasks: { churn: { dtype: "int32", numClasses: 2 }, spend: {} } })) {
 *   scope(() => step(b));
 * }
 */
export async function* fromAsyncIterable(source: AsyncIterable<StreamExample> | Iterable<StreamExample>,
  opts: StreamOptions): AsyncGenerator<Batch, void, undefined> {
  const { batchSize } = opts;
  if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new Error(`fromAsyncIterable: batchSize must be a positive integer, got ${batchSize}`);
  if (!Array.isArray(opts.xShape) || !opts.xShape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`fromAsyncIterable: xShape must be an array of positive integers, got ${JSON.stringify(opts.xShape)}`);
  }
  const names = Object.keys(opts.tasks ?? {});
  const xWidth = opts.xShape.reduce((p, d) => p * d, 1);
  const XArr = opts.xDtype === "int32" ? Int32Array : Float32Array;
  const tasks = names.map((t) => {
    const s = opts.tasks[t];
    const shape = s.shape ?? [];
    const int = s.dtype === "int32";
    return { name: t, shape, width: shape.reduce((p, d) => p * d, 1), int, numClasses: s.numClasses };
  });

  let x = new XArr(batchSize * xWidth);
  let vals = tasks.map((t) => (t.int ? new Int32Array(batchSize * t.width) : new Float32Array(batchSize * t.width)));
  let masks = tasks.map(() => new Uint8Array(batchSize));
  let fill = 0, seen = 0;

  const flush = (): Batch => {
    const labels: Record<string, TaskLabels> = {};
    tasks.forEach((t, k) => {
      labels[t.name] = { values: vals[k].subarray(0, fill * t.width), shape: t.shape, mask: masks[k].subarray(0, fill), numClasses: t.numClasses };
    });
    let store;
    try {
      store = buildStore({ x: x.subarray(0, fill * xWidth), xShape: opts.xShape, labels }, "fromAsyncIterable");
    } catch (e) {
      // rows are counted within the batch; say where it starts in the stream
      throw new Error(`${(e as Error).message} (row 0 is example ${seen - fill})`);
    }
    const rows = Int32Array.from({ length: fill }, (_, i) => i);
    const indices = Int32Array.from({ length: fill }, (_, i) => seen - fill + i);
    // the batch reads these arrays lazily, so the next batch gets fresh ones
    x = new XArr(batchSize * xWidth);
    vals = tasks.map((t) => (t.int ? new Int32Array(batchSize * t.width) : new Float32Array(batchSize * t.width)));
    masks = tasks.map(() => new Uint8Array(batchSize));
    fill = 0;
    return makeBatch(store, rows, indices, names);
  };

  for await (const ex of source as AsyncIterable<StreamExample>) {
    const at = `fromAsyncIterable: example ${seen}`;
    if (ex === null || typeof ex !== "object" || ex.x === undefined || ex.x === null) throw new Error(`${at}: expected { x, labels }`);
    const xv = ex.x;
    if (typeof xv.length !== "number" || xv.length !== xWidth) {
      throw new Error(`${at}: x has ${xv.length} values, expected ${xWidth} (xShape [${opts.xShape.join(", ")}])`);
    }
    for (let j = 0; j < xWidth; j++) {
      if (XArr === Int32Array && !Number.isInteger(xv[j])) throw new Error(`${at}: x[${j}] is ${xv[j]}, expected an integer (xDtype int32)`);
      x[fill * xWidth + j] = xv[j];
    }
    const lab = ex.labels ?? {};
    for (const key of Object.keys(lab)) {
      if (!names.includes(key)) throw new Error(`${at}: label for unknown task "${key}" (tasks: ${names.map((t) => `"${t}"`).join(", ")})`);
    }
    tasks.forEach((t, k) => {
      const v = lab[t.name];
      if (v === null || v === undefined) return; // mask stays 0
      const arr = typeof v === "number" ? [v] : v;
      if (typeof arr.length !== "number" || arr.length !== t.width) {
        throw new Error(`${at}: label "${t.name}" has ${arr.length ?? typeof v} values, expected ${t.width} (shape [${t.shape.join(", ")}])`);
      }
      for (let j = 0; j < t.width; j++) {
        const a = arr[j];
        if (t.int && !Number.isInteger(a)) throw new Error(`${at}: label "${t.name}" is ${a}, expected an integer class index`);
        vals[k][fill * t.width + j] = a;
      }
      masks[k][fill] = 1;
    });
    fill++; seen++;
    if (fill === batchSize) yield flush();
  }
  if (fill > 0 && !opts.dropLast) yield flush();
}
