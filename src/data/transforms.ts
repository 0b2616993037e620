// Input transforms fitted on one set and applied to others (standardize, min-max), and
// one-hot encoding. Host math is + - * / and sqrt only, in float64 with a fixed order,
// so a fitted transform is bit-identical in every runtime.
import { MultiTaskDataset, type InputArray } from "./dataset.js";

/** Per-feature affine map y = (x - center) / scale + offset, fitted by standardize or minMaxScale. */
export class FeatureScaler {
  constructor(readonly center: Float64Array, readonly scale: Float64Array, readonly offset = 0) {
    if (center.length !== scale.length) throw new Error(`FeatureScaler: center has ${center.length} features, scale has ${scale.length}`);
  }

  get features(): number { return this.center.length; }

  private check(x: ArrayLike<number>, who: string): void {
    if (x.length % this.features !== 0) throw new Error(`FeatureScaler.${who}: ${x.length} values are not whole rows of ${this.features} features`);
  }

  /** Transform rows (a new Float32Array), or a dataset's inputs (a new dataset). */
  apply(x: Float32Array): Float32Array;
  apply(x: MultiTaskDataset): MultiTaskDataset;
  apply(x: Float32Array | MultiTaskDataset): Float32Array | MultiTaskDataset {
    if (x instanceof MultiTaskDataset) return x.mapInputs((v) => this.apply(asFloat(v, "FeatureScaler.apply")));
    this.check(x, "apply");
    const f = this.features, out = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) { const j = i % f; out[i] = (x[i] - this.center[j]) / this.scale[j] + this.offset; }
    return out;
  }

  /** Undo `apply` on rows. */
  invert(y: Float32Array): Float32Array {
    this.check(y, "invert");
    const f = this.features, out = new Float32Array(y.length);
    for (let i = 0; i < y.length; i++) { const j = i % f; out[i] = (y[i] - this.offset) * this.scale[j] + this.center[j]; }
    return out;
  }
}

function asFloat(x: InputArray, who: string): Float32Array {
  if (!(x instanceof Float32Array)) throw new Error(`${who}: inputs are Int32Array; scaling needs float32 features (index inputs cannot be scaled)`);
  return x;
}

function rowsOf(data: MultiTaskDataset | Float32Array, features: number | undefined, who: string): { x: Float32Array; f: number } {
  if (data instanceof MultiTaskDataset) {
    const f = data.xShape.reduce((p, d) => p * d, 1);
    return { x: asFloat(data.inputs(), who), f };
  }
  if (!(data instanceof Float32Array)) throw new Error(`${who}: expected a MultiTaskDataset or Float32Array rows, got ${(data as object)?.constructor?.name ?? typeof data}`);
  const f = features;
  if (f === undefined) throw new Error(`${who}: pass numFeatures with Float32Array rows (values per row)`);
  if (!(Number.isInteger(f) && f > 0) || data.length % f !== 0) {
    throw new Error(`${who}: ${data.length} values are not whole rows of ${f} features`);
  }
  if (data.length === 0) throw new Error(`${who}: no rows to fit on`);
  return { x: data, f };
}

/**
 * Fit per-feature mean and (population) standard deviation; the returned scaler maps to
 * zero mean, unit variance. Constant features get scale 1 (centred, not divided by 0).
 * @example
 * const s = standardize(train);            // fit on the training split only
 * const [tr, va] = [s.apply(train), s.apply(validation)];
 */
export function standardize(data: MultiTaskDataset | Float32Array, numFeatures?: number): FeatureScaler {
  const { x, f } = rowsOf(data, numFeatures, "standardize");
  const n = x.length / f;
  if (n === 0) throw new Error("standardize: no rows to fit on");
  const mean = new Float64Array(f), m2 = new Float64Array(f);
  for (let i = 0; i < x.length; i++) mean[i % f] += x[i];
  for (let j = 0; j < f; j++) mean[j] /= n;
  // two passes: sum of squared deviations, not E[x^2] - E[x]^2, which cancels badly
  for (let i = 0; i < x.length; i++) { const d = x[i] - mean[i % f]; m2[i % f] += d * d; }
  const std = new Float64Array(f);
  for (let j = 0; j < f; j++) { const s = Math.sqrt(m2[j] / n); std[j] = s > 0 ? s : 1; }
  return new FeatureScaler(mean, std);
}

/**
 * Fit per-feature min and max; the scaler maps [min, max] to `range` (default [0, 1]).
 * Constant features map to range[0].
 */
export function minMaxScale(data: MultiTaskDataset | Float32Array, numFeatures?: number, range: [number, number] = [0, 1]): FeatureScaler {
  const { x, f } = rowsOf(data, numFeatures, "minMaxScale");
  const [lo, hi] = range;
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) throw new Error(`minMaxScale: range [${lo}, ${hi}] must be finite with low < high`);
  if (x.length === 0) throw new Error("minMaxScale: no rows to fit on");
  const min = new Float64Array(f).fill(Infinity), max = new Float64Array(f).fill(-Infinity);
  for (let i = 0; i < x.length; i++) {
    const j = i % f;
    if (x[i] < min[j]) min[j] = x[i];
    if (x[i] > max[j]) max[j] = x[i];
  }
  const scale = new Float64Array(f);
  for (let j = 0; j < f; j++) scale[j] = max[j] > min[j] ? (max[j] - min[j]) / (hi - lo) : 1;
  return new FeatureScaler(min, scale, lo);
}

/**
 * Class indices to one-hot rows (n × numClasses). -1 (a missing label) gives a row of zeros.
 * @example oneHot([2, 0, -1], 3) // [0,0,1, 1,0,0, 0,0,0]
 */
export function oneHot(labels: ArrayLike<number>, numClasses: number): Float32Array {
  if (!(Number.isInteger(numClasses) && numClasses > 0)) throw new Error(`oneHot: numClasses must be a positive integer, got ${numClasses}`);
  const out = new Float32Array(labels.length * numClasses);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (c === -1) continue;
    if (!(Number.isInteger(c) && c >= 0 && c < numClasses)) throw new Error(`oneHot: label ${c} at index ${i} is outside [0, ${numClasses}) (-1 marks a missing label)`);
    out[i * numClasses + c] = 1;
  }
  return out;
}
