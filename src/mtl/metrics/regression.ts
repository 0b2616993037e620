// Regression metrics: MSE, MAE, RMSE and R², streamed per output column in float64.
import { type MetricInput, type MetricOptions, type MetricAccumulator, prepare, on } from "./base.js";

// ---------------------------------------------------------------- regression

export class RegressionAccumulator implements MetricAccumulator {
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

export function regression(kind: "mse" | "mae" | "rmse" | "r2", who: string) {
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
