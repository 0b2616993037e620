// Metrics' shared parts: the types (a metric, its streaming accumulator, options) and the
// host-side plumbing every accumulator uses (reading tensors, masks, class targets).
// Float64 sums in a fixed order; + - * / and sqrt only, so results match everywhere.
import { Tensor } from "../../tensor.js";

/** A Tensor or a host array of numbers. */
export type MetricInput = Tensor | ArrayLike<number>;

/** Options of a metric accumulator: a mask of labelled examples and per-output handling. */
export interface MetricOptions {
  /** 0 = unlabelled (excluded). One entry per example (broadcast over its values) or per target value. */
  mask?: MetricInput | null;
  /**
   * MetricInput per example for per-output averages (R², multi-label macro, AUC macro).
   * Default: from the target Tensor's shape, else target.length / mask.length, else 1.
   */
  width?: number;
  /** Decision threshold on single-score predictions (default 0, for logits; use 0.5 for probabilities). */
  threshold?: number;
  /** Precision/recall/F1 where the denominator is 0 (default 0, as scikit-learn). */
  zeroDivision?: number;
}

/** Batch-by-batch evaluation: `update` per batch, `compute` at the end. */
export interface MetricAccumulator {
  /** Add a batch: predictions, targets and an optional mask of labelled examples. */
  update(pred: MetricInput, target: MetricInput, mask?: MetricInput | null): void;
  /** The metric over everything added since the last reset. */
  compute(): number;
  /** Forget everything added. */
  reset(): void;
  /** Labelled targets counted so far. */
  readonly count: number;
}

/** A registered metric: its name, direction and an accumulator factory. */
export interface Metric {
  readonly name: string;
  /** True when larger is better (accuracy, F1, AUC, R²); false for errors (MSE, MAE). */
  readonly higherIsBetter: boolean;
  /** A fresh accumulator for this metric. */
  create(opts?: MetricOptions): MetricAccumulator;
}

// ---------------------------------------------------------------- shared plumbing

export function host(v: MetricInput): ArrayLike<number> { return v instanceof Tensor ? v.data() : v; }

export interface Prepared {
  p: ArrayLike<number>;
  t: ArrayLike<number>;
  m: ArrayLike<number> | null;
  /** Target values per mask entry. */
  mw: number;
  /** Target values per example. */
  width: number;
}

export function prepare(who: string, pred: MetricInput, target: MetricInput, mask: MetricInput | null | undefined, width?: number): Prepared {
  const p = host(pred), t = host(target), m = mask == null ? null : host(mask);
  let mw = 1;
  if (m) {
    if (m.length === 0 ? t.length !== 0 : t.length % m.length !== 0) {
      throw new Error(`${who}: mask has ${m.length} entries for ${t.length} target values; expected one per example or one per value`);
    }
    mw = m.length === 0 ? 1 : t.length / m.length;
  }
  const w = width ?? (target instanceof Tensor && target.rank > 0 ? (target.shape[0] === 0 ? 1 : target.size / target.shape[0]) : mw);
  if (!(Number.isInteger(w) && w > 0) || t.length % w !== 0) throw new Error(`${who}: width ${w} does not divide the ${t.length} target values`);
  return { p, t, m, mw, width: w };
}

export const on = (d: Prepared, i: number): boolean => !d.m || d.m[(i / d.mw) | 0] !== 0;

/** Scores per target: 1 (one score per target) or the number of classes ([..., c] against [...]). */
export function classesOf(who: string, d: Prepared): number {
  const { p, t } = d;
  const c = t.length === 0 ? 1 : p.length / t.length;
  if (!Number.isInteger(c) || (t.length === 0 && p.length !== 0)) {
    throw new Error(`${who}: pred has ${p.length} values for ${t.length} targets; expected one score per target, or [n, classes] scores for n class indices`);
  }
  return c;
}

export function classTarget(who: string, v: number, c: number, i: number): number {
  if (!(Number.isInteger(v) && v < c)) throw new Error(`${who}: target ${v} at ${i} is not a class index in [0, ${c}) (-1 is ignored)`);
  return v;
}

export function binaryTarget(who: string, v: number, i: number): boolean {
  if (v !== 0 && v !== 1) throw new Error(`${who}: target ${v} at ${i}, expected 0 or 1 (with one score per target)`);
  return v === 1;
}

/** Index of the first maximum, a NaN winning (as the argmax op): a diverged model scores as wrong. */
export function argmaxRow(p: ArrayLike<number>, off: number, c: number): number {
  let best = 0;
  for (let k = 1; k < c; k++) {
    const v = p[off + k], b = p[off + best];
    if (v > b || (v !== v && b === b)) best = k;
  }
  return best;
}
