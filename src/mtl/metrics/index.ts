// Per-task evaluation metrics on the host: accuracy, top-k, precision/recall/F1, ROC AUC,
// MSE/MAE/RMSE/R², as streaming accumulators (evaluation runs batch by batch) with
// one-shot functions over them, a registry by name with `higherIsBetter` for early
// stopping, and the multi-task improvement Δm% over single-task baselines.
import type { MetricOptions, Metric } from "./base.js";
import { AccuracyAccumulator, PRFMetricAccumulator, type PRF, type PRFPick } from "./classification.js";
import { AucAccumulator } from "./auc.js";
import { RegressionAccumulator } from "./regression.js";
export type { MetricInput, MetricOptions, MetricAccumulator, Metric } from "./base.js";
export { accuracy, topKAccuracy, precisionRecallF1, type PRF, type PRFReport } from "./classification.js";
export { rocAuc } from "./auc.js";
export { meanSquaredError, meanAbsoluteError, rootMeanSquaredError, r2Score } from "./regression.js";

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
 * for (const b of val.batches(256)) scope(() => acc.update(model.forward(b.x).outputs.topic, b.labels.topic, b.masks.topic));
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
