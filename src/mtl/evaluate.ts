// Evaluation and prediction over a dataset, batch by batch, in eval mode: each task's
// metrics plus its loss (batches weighted by their loss's denominator, so the result is
// the mean over the data set, weighted where the task has weights; metrics are
// unweighted), and the heads' outputs.
import { Tensor } from "../tensor.js";
import { scope } from "../engine/scope.js";
import { noGrad } from "../autograd/index.js";
import { concat, slice } from "../ops/shape.js";
import type { MultiTaskDataset } from "../data/index.js";
import type { MultiTaskModel } from "./architectures/base.js";
import type { Task } from "./tasks.js";
import { taskLoss, taskLossTotal } from "./losses.js";
import { getMetric, type MetricAccumulator } from "./metrics/index.js";

/** Metrics by task, then by metric name (each task's has "loss"). */
export type TaskMetrics = Record<string, Record<string, number>>;

/** Run `fn` with the model in eval mode, restoring its mode after. */
function inEval<T>(model: MultiTaskModel, fn: () => T): T {
  const wasTraining = model.training;
  model.eval();
  try { return fn(); } finally { model.train(wasTraining); }
}

/** Metrics per task (the task's metrics plus "loss") over a dataset (Trainer.evaluate). */
export function evaluateModel(model: MultiTaskModel, tasks: Map<string, Task>, data: MultiTaskDataset, batchSize: number): TaskMetrics {
  const names = [...tasks.keys()];
  const acc = new Map<string, MetricAccumulator[]>();
  const lossSum: Record<string, number> = {}, lossN: Record<string, number> = {};
  for (const t of tasks.values()) acc.set(t.name, t.metrics.map((m) => getMetric(m).create()));
  inEval(model, () => {
    for (const batch of data.batches(batchSize, { shuffle: false })) {
      scope(() => noGrad(() => {
        const active = names.filter((t) => batch.labelledCount(t) > 0);
        if (active.length === 0) return;
        const out = model.forward(batch.x, active);
        for (const t of active) {
          const mask = batch.masks[t], w = batch.weights?.[t];
          const n = taskLossTotal(tasks.get(t)!, batch.labels[t], mask, w);
          const l = taskLoss(tasks.get(t)!, out.outputs[t], batch.labels[t], mask, w).item();
          lossSum[t] = (lossSum[t] ?? 0) + l * n; lossN[t] = (lossN[t] ?? 0) + n;
          for (const m of acc.get(t)!) m.update(out.outputs[t], batch.labels[t], mask);
        }
      }));
    }
  });
  const res: TaskMetrics = {};
  for (const [t, ms] of acc) {
    res[t] = { loss: lossN[t] ? lossSum[t] / lossN[t] : NaN };
    tasks.get(t)!.metrics.forEach((name, i) => { res[t][name] = ms[i].compute(); });
  }
  return res;
}

/** Head outputs for inputs `x` (Trainer.predict). */
export function predictModel(model: MultiTaskModel, x: Tensor, tasks: string[], batchSize: number): Record<string, Tensor> {
  return inEval(model, () => scope(() => noGrad(() => {
    if (x.shape[0] === 0) return model.forward(x, tasks).outputs;
    const parts: Record<string, Tensor[]> = {};
    for (let i = 0; i < x.shape[0]; i += batchSize) {
      const b = Math.min(x.shape[0], i + batchSize);
      const out = model.forward(i === 0 && b === x.shape[0] ? x : slice(x, 0, i, b), tasks).outputs;
      for (const t of tasks) (parts[t] ??= []).push(out[t]);
    }
    const res: Record<string, Tensor> = {};
    for (const t of tasks) res[t] = parts[t].length === 1 ? parts[t][0] : concat(parts[t], 0);
    return res;
  })));
}
