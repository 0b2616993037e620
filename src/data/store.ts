// A dataset's columnar store: the spec (typed or plain arrays) checked and turned into
// one input array and, per task, a value array, its shape and a 0/1 label mask. The
// views a dataset's subsets and splits make share it.
import { checkOptions } from "../validate.js";
import type { DatasetSpec, InputArray, TaskLabels } from "./dataset.js";
/** Plain (possibly nested) numbers to a typed array: float32 for inputs, int32 or float32 for labels. */
function fromPlain(v: unknown[], what: string, labels: boolean): { data: Float32Array | Int32Array; row: number | null; nulls?: (number | null)[] } {
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
  // (nulls are kept apart: a null is missing whatever the task, a -1 only for class indices)
  if (labels && flat.every((x) => x === null || Number.isInteger(x))) return { data: Int32Array.from(flat, (x) => (x === null ? -1 : x)), row, nulls: flat };
  return { data: Float32Array.from(flat, (x) => (x === null ? NaN : x)), row };
}

/** @internal */
export interface TaskStore {
  readonly values: Float32Array | Int32Array;
  readonly shape: readonly number[];
  readonly width: number;
  readonly mask: Uint8Array;
  readonly numClasses?: number;
  /** Per-example weights, when the spec gives them. */
  readonly weight?: Float32Array;
  /** Rows made missing by holding -1 throughout: missing class labels, but values for a regression or binary task. */
  readonly minusOne?: readonly number[];
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
  checkOptions(who, spec, ["x", "xShape", "labels"]);
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
  let nulls: (number | null)[] | undefined;
  if (spec && Array.isArray(spec.values)) {
    const p = fromPlain(spec.values as unknown[], at, true);
    nulls = p.nulls;
    spec = { ...spec, values: p.data, shape: spec.shape ?? (p.row !== null ? [p.row] : undefined) };
  }
  if (spec === null || typeof spec !== "object") throw new Error(`${at}: expected a Float32Array, Int32Array or { values, shape?, mask? }, got ${typeName(raw)}`);
  if (!(ArrayBuffer.isView(raw) || Array.isArray(raw))) checkOptions(at, spec, ["values", "shape", "mask", "numClasses", "weight"]);
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
  const minusOne: number[] = [];
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
      if (isInt && !(nulls && nulls[i * width] === null)) minusOne.push(i);
      mask[i] = 0;
      if (!copied) { values = values.slice(); copied = true; }
      values.fill(0, i * width, (i + 1) * width);
    } else if (missing > 0 && !isInt) {
      throw new Error(`${at}: row ${i} has ${missing} of ${width} values NaN; a row is labelled or missing as a whole (set its mask to 0, or fill the gaps)`);
    }
  }
  const { weight } = spec;
  if (weight !== undefined && !(weight instanceof Float32Array && weight.length === n && weight.every((w) => w >= 0 && w < Infinity))) {
    throw new Error(`${at}: weight must be a Float32Array of ${n} finite numbers >= 0 (one per input), got ${typeName(weight)}`);
  }
  return { values, shape, width, mask, numClasses, weight: weight?.slice(), minusOne };
}
