// Classification metrics: accuracy, top-k accuracy, and precision / recall / F1 (binary,
// macro and micro) from a streaming confusion count.
import { type MetricInput, type MetricOptions, type MetricAccumulator, prepare, on, classesOf, classTarget, binaryTarget, argmaxRow } from "./base.js";

// ---------------------------------------------------------------- accuracy, top-k

/** Accuracy (class mode: argmax of [n, c] scores; binary: score > threshold) or top-k. */
export class AccuracyAccumulator implements MetricAccumulator {
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

/** Precision, recall and F1. */
export interface PRF { precision: number; recall: number; f1: number }

/** A precision/recall/F1 report per class and averaged (micro, macro, weighted). */
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

export class ConfusionAccumulator {
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

export type PRFPick = (r: PRFReport) => number;

export class PRFMetricAccumulator implements MetricAccumulator {
  private acc: ConfusionAccumulator;
  constructor(private readonly pick: PRFPick, opts: MetricOptions, who: string) {
    this.acc = new ConfusionAccumulator(opts.threshold, opts.zeroDivision, opts.width, who);
  }
  get count(): number { return this.acc.count; }
  update(pred: MetricInput, target: MetricInput, mask?: MetricInput | null): void { this.acc.update(pred, target, mask); }
  compute(): number { return this.acc.count === 0 ? NaN : this.pick(this.acc.report()); }
  reset(): void { this.acc.reset(); }
}
