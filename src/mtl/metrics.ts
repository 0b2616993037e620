// Per-task evaluation metrics on the host: accuracy, top-k, precision/recall/F1, ROC AUC,
// MSE/MAE/RMSE/R², as streaming accumulators (evaluation runs batch by batch) with
// one-shot functions over them, a registry by name with `higherIsBetter` for early
// stopping, and the multi-task improvement Δm% over single-task baselines.
// Float64 sums in a fixed order; + - * / and sqrt only, so results match everywhere.
import { Tensor } from "../tensor.js";

/** A Tensor or a host array of numbers. */
export type MetricInput = Tensor | ArrayLike<number>;

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
  update(pred: MetricInput, target: MetricInput, mask?: MetricInput | null): void;
  compute(): number;
  reset(): void;
  /** Labelled targets counted so far. */
  readonly count: number;
}

export interface Metric {
  readonly name: string;
  /** True when larger is better (accuracy, F1, AUC, R²); false for errors (MSE, MAE). */
  readonly higherIsBetter: boolean;
  create(opts?: MetricOptions): MetricAccumulator;
}

// ---------------------------------------------------------------- shared plumbing

function host(v: MetricInput): ArrayLike<number> { return v instanceof Tensor ? v.data() : v; }

interface Prepared {
  p: ArrayLike<number>;
  t: ArrayLike<number>;
  m: ArrayLike<number> | null;
  /** Target values per mask entry. */
  mw: number;
  /** Target values per example. */
  width: number;
}

function prepare(who: string, pred: MetricInput, target: MetricInput, mask: MetricInput | null | undefined, width?: number): Prepared {
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

const on = (d: Prepared, i: number): boolean => !d.m || d.m[(i / d.mw) | 0] !== 0;

/** Scores per target: 1 (one score per target) or the number of classes ([..., c] against [...]). */
function classesOf(who: string, d: Prepared): number {
  const { p, t } = d;
  const c = t.length === 0 ? 1 : p.length / t.length;
  if (!Number.isInteger(c) || (t.length === 0 && p.length !== 0)) {
    throw new Error(`${who}: pred has ${p.length} values for ${t.length} targets; expected one score per target, or [n, classes] scores for n class indices`);
  }
  return c;
}

function classTarget(who: string, v: number, c: number, i: number): number {
  if (!(Number.isInteger(v) && v < c)) throw new Error(`${who}: target ${v} at ${i} is not a class index in [0, ${c}) (-1 is ignored)`);
  return v;
}

function binaryTarget(who: string, v: number, i: number): boolean {
  if (v !== 0 && v !== 1) throw new Error(`${who}: target ${v} at ${i}, expected 0 or 1 (with one score per target)`);
  return v === 1;
}

/** Index of the first maximum, a NaN winning (as the argmax op): a diverged model scores as wrong. */
function argmaxRow(p: ArrayLike<number>, off: number, c: number): number {
  let best = 0;
  for (let k = 1; k < c; k++) {
    const v = p[off + k], b = p[off + best];
    if (v > b || (v !== v && b === b)) best = k;
  }
  return best;
}

// ---------------------------------------------------------------- accuracy, top-k

/** Accuracy (class mode: argmax of [n, c] scores; binary: score > threshold) or top-k. */
class AccuracyAccumulator implements MetricAccumulator {
  count = 0;
  private correct = 0;
  constructor(private readonly k: number, private readonly threshold = 0, private readonly who = "accuracy") {
    if (!(Number.isInteger(k) && k > 0)) throw new Error(`${who}: k must be a positive integer, got ${k}`);
  }
  update(pred: MetricInput, target: MetricInput, mask?: MetricInput | null): void {
    const d = prepare(this.who, pred, target, mask);
    const c = classesOf(this.who, d);
    const { p, t } = d;
    for (let i = 0; i < t.length; i++) {
      if (!on(d, i)) continue;
      if (c === 1) {
        if (this.k !== 1) throw new Error(`${this.who}: top-${this.k} needs [n, classes] scores, got one score per target`);
        const yes = binaryTarget(this.who, t[i], i);
        // a NaN score is wrong whatever the target: a diverged model must not look accurate
        this.correct += p[i] === p[i] && (p[i] > this.threshold) === yes ? 1 : 0;
      } else {
        if (t[i] < 0) continue; // ignore index (e.g. unlabelled pixels)
        const y = classTarget(this.who, t[i], c, i), s = p[i * c + y];
        // rank of the true class, ties broken toward the lower index (as argmax)
        // (a NaN anywhere in the row wins argmax, as in the op, so the row counts as wrong)
        let rank = 0, nan = false;
        for (let j = 0; j < c; j++) {
          const v = p[i * c + j];
          if (v !== v) { nan = true; break; }
          if (v > s || (j < y && v === s)) rank++;
        }
        this.correct += !nan && rank < this.k ? 1 : 0;
      }
      this.count++;
    }
  }
  compute(): number { return this.count === 0 ? NaN : this.correct / this.count; }
  reset(): void { this.count = 0; this.correct = 0; }
}

/**
 * Fraction correct. `pred` is [n, c] scores (logits or probabilities; argmax) for n
 * class-index targets (-1 ignored), or one score per 0/1 target (score > threshold,
 * default 0 on logits). NaN when nothing is labelled.
 * @example accuracy(logits, labels, { mask }) // logits [n, 10], labels int32 [n]
 */
export function accuracy(pred: MetricInput, target: MetricInput, opts: MetricOptions = {}): number {
  const a = new AccuracyAccumulator(1, opts.threshold);
  a.update(pred, target, opts.mask);
  return a.compute();
}

/** Fraction of examples whose class is among the k highest scores (ties toward the lower index). */
export function topKAccuracy(pred: MetricInput, target: MetricInput, k: number, opts: MetricOptions = {}): number {
  const a = new AccuracyAccumulator(k, 0, "topKAccuracy");
  a.update(pred, target, opts.mask);
  return a.compute();
}

// ---------------------------------------------------------------- precision, recall, F1

export interface PRF { precision: number; recall: number; f1: number }

export interface PRFReport {
  /** binary: one score per 0/1 target, width 1; multilabel: width > 1; multiclass: [n, c] scores for class indices. */
  mode: "binary" | "multilabel" | "multiclass";
  /** Per class (multiclass), per label (multilabel), or the positive class alone (binary). */
  perClass: { precision: number[]; recall: number[]; f1: number[]; support: number[] };
  /** Pooled counts (multiclass: equals accuracy). */
  micro: PRF;
  /** Mean of per-class scores: over classes seen in targets or predictions (multiclass), over all labels (multilabel). */
  macro: PRF;
  /** Per-class scores weighted by support. */
  weighted: PRF;
}

class ConfusionAccumulator {
  count = 0;
  private mode: PRFReport["mode"] | null = null;
  private n = 0;
  private tp = new Float64Array(0);
  private fp = new Float64Array(0);
  private fn = new Float64Array(0);
  /** Predicted at least once (multiclass macro averages over classes seen anywhere). */
  private predicted = new Float64Array(0);

  constructor(private readonly threshold = 0, private readonly zeroDivision = 0, private readonly width?: number, private readonly who = "precisionRecallF1") {}

  update(pred: MetricInput, target: MetricInput, mask?: MetricInput | null): void {
    const d = prepare(this.who, pred, target, mask, this.width);
    const c = classesOf(this.who, d);
    const mode = c > 1 ? "multiclass" : d.width > 1 ? "multilabel" : "binary";
    const n = c > 1 ? c : d.width;
    if (this.mode === null) {
      this.mode = mode; this.n = n;
      this.tp = new Float64Array(n); this.fp = new Float64Array(n); this.fn = new Float64Array(n); this.predicted = new Float64Array(n);
    } else if (mode !== this.mode || n !== this.n) {
      throw new Error(`${this.who}: this batch is ${mode} with ${n} ${c > 1 ? "classes" : "labels"}, earlier ones were ${this.mode} with ${this.n}`);
    }
    const { p, t } = d;
    for (let i = 0; i < t.length; i++) {
      if (!on(d, i)) continue;
      if (c > 1) {
        if (t[i] < 0) continue;
        const y = classTarget(this.who, t[i], c, i), k = argmaxRow(p, i * c, c);
        this.predicted[k]++;
        if (k === y) this.tp[y]++; else { this.fp[k]++; this.fn[y]++; }
      } else {
        const j = i % d.width, pos = p[i] > this.threshold, y = binaryTarget(this.who, t[i], i);
        if (pos) this.predicted[j]++;
        if (pos && y) this.tp[j]++; else if (pos) this.fp[j]++; else if (y) this.fn[j]++;
      }
      this.count++;
    }
  }

  private scores(tp: number, fp: number, fn: number): PRF {
    const z = this.zeroDivision;
    return {
      precision: tp + fp > 0 ? tp / (tp + fp) : z,
      recall: tp + fn > 0 ? tp / (tp + fn) : z,
      // 2tp / (2tp + fp + fn), not 2PR / (P + R): defined whenever anything was seen
      f1: 2 * tp + fp + fn > 0 ? (2 * tp) / (2 * tp + fp + fn) : z,
    };
  }

  report(): PRFReport {
    const mode = this.mode ?? "binary", n = this.n;
    const per = { precision: [] as number[], recall: [] as number[], f1: [] as number[], support: [] as number[] };
    let TP = 0, FP = 0, FN = 0, S = 0, used = 0;
    const macro = { precision: 0, recall: 0, f1: 0 }, weighted = { precision: 0, recall: 0, f1: 0 };
    for (let k = 0; k < n; k++) {
      const s = this.scores(this.tp[k], this.fp[k], this.fn[k]), support = this.tp[k] + this.fn[k];
      per.precision.push(s.precision); per.recall.push(s.recall); per.f1.push(s.f1); per.support.push(support);
      TP += this.tp[k]; FP += this.fp[k]; FN += this.fn[k]; S += support;
      if (mode !== "multiclass" || support > 0 || this.predicted[k] > 0) {
        used++;
        macro.precision += s.precision; macro.recall += s.recall; macro.f1 += s.f1;
      }
      weighted.precision += support * s.precision; weighted.recall += support * s.recall; weighted.f1 += support * s.f1;
    }
    const div = (o: PRF, by: number): PRF => (by > 0 ? { precision: o.precision / by, recall: o.recall / by, f1: o.f1 / by } : { precision: NaN, recall: NaN, f1: NaN });
    return { mode, perClass: per, micro: n > 0 ? this.scores(TP, FP, FN) : div(macro, 0), macro: div(macro, used), weighted: div(weighted, S) };
  }

  reset(): void {
    this.mode = null; this.n = 0; this.count = 0;
  }
}

/**
 * Precision, recall and F1 per class with micro, macro and weighted averages.
 * Binary: one score per 0/1 target (positive when score > threshold). Multi-label: the
 * same with `width` labels per example. Multiclass: [n, c] scores (argmax) for class
 * indices. Empty denominators give `zeroDivision` (default 0), as scikit-learn.
 * @example precisionRecallF1(logits, labels).macro.f1
 */
export function precisionRecallF1(pred: MetricInput, target: MetricInput, opts: MetricOptions = {}): PRFReport {
  const a = new ConfusionAccumulator(opts.threshold, opts.zeroDivision, opts.width);
  a.update(pred, target, opts.mask);
  return a.report();
}

type PRFPick = (r: PRFReport) => number;

class PRFMetricAccumulator implements MetricAccumulator {
  private acc: ConfusionAccumulator;
  constructor(private readonly pick: PRFPick, opts: MetricOptions, who: string) {
    this.acc = new ConfusionAccumulator(opts.threshold, opts.zeroDivision, opts.width, who);
  }
  get count(): number { return this.acc.count; }
  update(pred: MetricInput, target: MetricInput, mask?: MetricInput | null): void { this.acc.update(pred, target, mask); }
  compute(): number { return this.acc.count === 0 ? NaN : this.pick(this.acc.report()); }
  reset(): void { this.acc.reset(); }
}

// ---------------------------------------------------------------- ROC AUC

/** Exact ROC AUC by the Mann–Whitney U statistic; tied scores share their average rank. NaN without both classes. */
function aucOf(s: number[], y: Uint8Array | number[]): number {
  const n = s.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => (s[a] < s[b] ? -1 : s[a] > s[b] ? 1 : 0));
  let pos = 0, rankSum = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && s[idx[j + 1]] === s[idx[i]]) j++;
    const r = (i + j) / 2 + 1; // 1-based ranks i+1..j+1, averaged
    for (let k = i; k <= j; k++) if (y[idx[k]]) { pos++; rankSum += r; }
    i = j + 1;
  }
  const neg = n - pos;
  return pos === 0 || neg === 0 ? NaN : (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

class AucAccumulator implements MetricAccumulator {
  count = 0;
  private scores: number[][] = [];
  private labels: number[][] = [];
  constructor(private readonly width?: number, private readonly who = "rocAuc") {}

  update(pred: MetricInput, target: MetricInput, mask?: MetricInput | null): void {
    const d = prepare(this.who, pred, target, mask, this.width);
    const c = classesOf(this.who, d);
    const n = c > 1 ? c : d.width;
    if (this.scores.length === 0) for (let k = 0; k < n; k++) { this.scores.push([]); this.labels.push([]); }
    else if (this.scores.length !== n) throw new Error(`${this.who}: this batch has ${n} ${c > 1 ? "classes" : "labels"}, earlier ones had ${this.scores.length}`);
    const { p, t } = d;
    for (let i = 0; i < t.length; i++) {
      if (!on(d, i)) continue;
      if (c > 1) {
        if (t[i] < 0) continue;
        const y = classTarget(this.who, t[i], c, i);
        for (let k = 0; k < c; k++) { this.scores[k].push(checkScore(this.who, p[i * c + k], i)); this.labels[k].push(k === y ? 1 : 0); }
      } else {
        const j = i % d.width;
        this.scores[j].push(checkScore(this.who, p[i], i)); this.labels[j].push(binaryTarget(this.who, t[i], i) ? 1 : 0);
      }
      this.count++;
    }
  }

  compute(): number {
    let sum = 0, used = 0;
    for (let k = 0; k < this.scores.length; k++) {
      const a = aucOf(this.scores[k], this.labels[k]);
      if (a === a) { sum += a; used++; }
    }
    return used === 0 ? NaN : sum / used;
  }

  reset(): void { this.count = 0; this.scores = []; this.labels = []; }
}

function checkScore(who: string, v: number, i: number): number {
  if (v !== v) throw new Error(`${who}: score at ${i} is NaN`);
  return v;
}

/**
 * ROC AUC, exact (Mann–Whitney with average ranks for ties). Binary: one score per 0/1
 * target. Multi-label (`width` > 1): the mean over labels that have both classes.
 * Multiclass ([n, c] scores, class indices): one-vs-rest macro over the scores as given
 * (pass probabilities to match scikit-learn). NaN when no label has both classes.
 */
export function rocAuc(pred: MetricInput, target: MetricInput, opts: MetricOptions = {}): number {
  const a = new AucAccumulator(opts.width);
  a.update(pred, target, opts.mask);
  return a.compute();
}

// ---------------------------------------------------------------- regression

class RegressionAccumulator implements MetricAccumulator {
  count = 0;
  private n = new Float64Array(0);
  private mean = new Float64Array(0);
  private m2 = new Float64Array(0);
  private sse = new Float64Array(0);
  private sae = new Float64Array(0);
  /** Per-output target range: a constant target is lo == hi (m2 may round to ~1e-33, not 0). */
  private lo = new Float64Array(0);
  private hi = new Float64Array(0);
  constructor(private readonly kind: "mse" | "mae" | "rmse" | "r2", private readonly width?: number, private readonly who: string = kind) {}

  update(pred: MetricInput, target: MetricInput, mask?: MetricInput | null): void {
    const d = prepare(this.who, pred, target, mask, this.width);
    const { p, t, width: w } = d;
    if (p.length !== t.length) throw new Error(`${this.who}: pred has ${p.length} values, target ${t.length}; expected the same`);
    if (this.n.length === 0) {
      this.n = new Float64Array(w); this.mean = new Float64Array(w); this.m2 = new Float64Array(w);
      this.sse = new Float64Array(w); this.sae = new Float64Array(w);
      this.lo = new Float64Array(w).fill(Infinity); this.hi = new Float64Array(w).fill(-Infinity);
    } else if (this.n.length !== w) throw new Error(`${this.who}: this batch has ${w} outputs per example, earlier ones had ${this.n.length}`);
    // this batch's per-output count and mean, then merged (Chan et al.) so batches of any size combine exactly as one pass would, up to rounding
    const bn = new Float64Array(w), bmean = new Float64Array(w), bm2 = new Float64Array(w);
    for (let i = 0; i < t.length; i++) {
      if (!on(d, i)) continue;
      const j = i % w, e = t[i] - p[i];
      bn[j]++; bmean[j] += t[i];
      if (t[i] < this.lo[j]) this.lo[j] = t[i];
      if (t[i] > this.hi[j]) this.hi[j] = t[i];
      this.sse[j] += e * e; this.sae[j] += e < 0 ? -e : e;
    }
    for (let j = 0; j < w; j++) if (bn[j] > 0) bmean[j] /= bn[j];
    for (let i = 0; i < t.length; i++) {
      if (!on(d, i)) continue;
      const j = i % w, e = t[i] - bmean[j];
      bm2[j] += e * e;
    }
    for (let j = 0; j < w; j++) {
      if (bn[j] === 0) continue;
      const n = this.n[j], total = n + bn[j], delta = bmean[j] - this.mean[j];
      this.mean[j] += (delta * bn[j]) / total;
      this.m2[j] += bm2[j] + (delta * delta * n * bn[j]) / total;
      this.n[j] = total;
      this.count += bn[j];
    }
  }

  compute(): number {
    if (this.count === 0) return NaN;
    let sse = 0, sae = 0;
    for (let j = 0; j < this.n.length; j++) { sse += this.sse[j]; sae += this.sae[j]; }
    if (this.kind === "mse") return sse / this.count;
    if (this.kind === "rmse") return Math.sqrt(sse / this.count);
    if (this.kind === "mae") return sae / this.count;
    // R² per output, averaged (scikit-learn's uniform_average); a constant target scores
    // 1 if predicted exactly, else 0 (scikit-learn's force_finite)
    let sum = 0, used = 0;
    for (let j = 0; j < this.n.length; j++) {
      if (this.n[j] === 0) continue;
      const constant = this.lo[j] === this.hi[j];
      sum += constant ? (this.sse[j] === 0 ? 1 : 0) : 1 - this.sse[j] / this.m2[j];
      used++;
    }
    return sum / used;
  }

  reset(): void { this.count = 0; this.n = new Float64Array(0); }
}

function regression(kind: "mse" | "mae" | "rmse" | "r2", who: string) {
  return (pred: MetricInput, target: MetricInput, opts: MetricOptions = {}): number => {
    const a = new RegressionAccumulator(kind, opts.width, who);
    a.update(pred, target, opts.mask);
    return a.compute();
  };
}

/** Mean squared error over labelled values (pred and target the same size). */
export const meanSquaredError = regression("mse", "meanSquaredError");
/** Mean absolute error over labelled values. */
export const meanAbsoluteError = regression("mae", "meanAbsoluteError");
/** Square root of the mean squared error. */
export const rootMeanSquaredError = regression("rmse", "rootMeanSquaredError");
/** Coefficient of determination, per output then averaged: 1 is perfect, 0 is the mean predictor. */
export const r2Score = regression("r2", "r2Score");

// ---------------------------------------------------------------- registry

const registry = new Map<string, Metric>();

/** Add a metric under its name (names are unique). */
export function registerMetric(m: Metric): void {
  if (registry.has(m.name)) throw new Error(`registerMetric: "${m.name}" is already registered`);
  registry.set(m.name, m);
}

/**
 * A metric by name: accuracy, top<k> (e.g. top5), precision, recall, f1 (binary: the
 * positive class; otherwise macro), f1_macro, f1_micro, auc, mse, mae, rmse, r2, or one
 * added with registerMetric.
 * @example
 * const m = getMetric("f1"); const acc = m.create();
 * for (const b of val.batches(256)) scope(() => acc.update(model.forward(b.x), b.labels.topic, b.masks.topic));
 * const score = acc.compute(); // compare with m.higherIsBetter
 */
export function getMetric(name: string): Metric {
  const m = registry.get(name);
  if (m) return m;
  const top = /^top([1-9][0-9]*)$/.exec(name);
  if (top) {
    const k = Number(top[1]);
    return { name, higherIsBetter: true, create: () => new AccuracyAccumulator(k, 0, name) };
  }
  throw new Error(`getMetric: no metric "${name}" (known: ${metricNames().join(", ")}, top<k>)`);
}

/** Names of the registered metrics. */
export function metricNames(): string[] { return [...registry.keys()]; }

const prf = (name: string, pick: PRFPick): Metric => ({
  name, higherIsBetter: true, create: (o = {}) => new PRFMetricAccumulator(pick, o, name),
});
const averaged = (key: keyof PRF): PRFPick => (r) => (r.mode === "binary" ? r.micro[key] : r.macro[key]);

for (const m of [
  { name: "accuracy", higherIsBetter: true, create: (o: MetricOptions = {}) => new AccuracyAccumulator(1, o.threshold, "accuracy") },
  prf("precision", averaged("precision")),
  prf("recall", averaged("recall")),
  prf("f1", averaged("f1")),
  prf("f1_macro", (r) => r.macro.f1),
  prf("f1_micro", (r) => r.micro.f1),
  { name: "auc", higherIsBetter: true, create: (o: MetricOptions = {}) => new AucAccumulator(o.width, "auc") },
  { name: "mse", higherIsBetter: false, create: (o: MetricOptions = {}) => new RegressionAccumulator("mse", o.width) },
  { name: "mae", higherIsBetter: false, create: (o: MetricOptions = {}) => new RegressionAccumulator("mae", o.width) },
  { name: "rmse", higherIsBetter: false, create: (o: MetricOptions = {}) => new RegressionAccumulator("rmse", o.width) },
  { name: "r2", higherIsBetter: true, create: (o: MetricOptions = {}) => new RegressionAccumulator("r2", o.width) },
] as Metric[]) registerMetric(m);

// ---------------------------------------------------------------- Δm

/**
 * Multi-task improvement over single-task baselines, in percent (Maninis et al., CVPR
 * 2019; as LibMTL reports it):
 *   Δm = (1/T) Σ_t (−1)^{l_t} (M_mt,t − M_st,t) / M_st,t × 100,  l_t = 1 when lower is better.
 * Positive means the multi-task model is better on average.
 * @example deltaM({ seg: 0.52, depth: 0.41 }, { seg: 0.50, depth: 0.45 }, { seg: true, depth: false }) // ≈ 6.44
 */
export function deltaM(mt: Record<string, number>, st: Record<string, number>, higherIsBetter: Record<string, boolean>): number {
  const tasks = Object.keys(st);
  if (tasks.length === 0) throw new Error("deltaM: no single-task baselines given");
  for (const t of Object.keys(mt)) if (!(t in st)) throw new Error(`deltaM: task "${t}" has a multi-task score but no single-task baseline`);
  let sum = 0;
  for (const t of tasks) {
    const a = mt[t], b = st[t], hib = higherIsBetter[t];
    if (a === undefined) throw new Error(`deltaM: task "${t}" has a single-task baseline but no multi-task score`);
    if (typeof hib !== "boolean") throw new Error(`deltaM: higherIsBetter["${t}"] is ${hib}, expected true or false`);
    if (!Number.isFinite(a) || !Number.isFinite(b)) throw new Error(`deltaM: task "${t}" scores must be finite, got multi-task ${a}, single-task ${b}`);
    if (b === 0) throw new Error(`deltaM: task "${t}" single-task baseline is 0; Δm divides by it`);
    sum += ((hib ? 1 : -1) * (a - b)) / b;
  }
  return (sum / tasks.length) * 100;
}
