// Single-task baselines with the same budget as the multi-task model, and the
// comparison a user needs to see whether sharing helped: per-task metrics side by side
// and the multi-task improvement Delta_m (Maninis et al., CVPR 2019).
import type { MultiTaskDataset } from "../data/index.js";
import type { MultiTaskModel } from "./architectures/base.js";
import type { Task } from "./tasks.js";
import { Trainer, type Callback, type FitOptions, type TaskMetrics, type TrainerOptions } from "./trainer.js";
import { checkOptions } from "../validate.js";
import type { TrainData } from "./schedules/base.js";
import { deltaM, getMetric } from "./metrics/index.js";

/** Options of singleTaskBaselines: how each single-task model is trained. */
export interface BaselineOptions {
  /** Trainer options other than the tasks (the optimiser, seed ...); the weighting is equal. */
  trainer?: Omit<TrainerOptions, "tasks" | "weighting" | "schedule">;
  /** Each baseline's fit options; its onProgress is called for every baseline (onTask says which). */
  fit: Omit<FitOptions, "callbacks">;
  /** Callbacks of each baseline, made for its task (early stopping on that task's metric): callbacks are stateful, so none is shared. */
  callbacks?: (task: string) => Callback[];
  /** Called as each baseline starts (for progress output). */
  onTask?: (task: string) => void;
}

/**
 * Train one model per task, each built by `build([task])`, with the same epochs and batch
 * size, and evaluate each on `test`. Returns the metrics per task.
 */
export async function singleTaskBaselines(build: (tasks: Task[]) => MultiTaskModel, tasks: Task[], train: TrainData,
  test: MultiTaskDataset, opts: BaselineOptions): Promise<TaskMetrics> {
  checkOptions("singleTaskBaselines", opts, ["trainer", "fit", "callbacks", "onTask"]);
  // callbacks keep state (early stopping's best loss): each baseline gets its own
  if ((opts.fit as FitOptions | undefined)?.callbacks || (opts.callbacks && typeof opts.callbacks !== "function")) {
    throw new Error("singleTaskBaselines: give callbacks: (task) => [...], not fit.callbacks (shared by every baseline)");
  }
  const res: TaskMetrics = {};
  for (const t of tasks) {
    opts.onTask?.(t.name);
    const model = build([t]);
    const trainer = new Trainer(model, { ...opts.trainer, tasks: [t] });
    const data = "batches" in train && typeof train.batches === "function" ? train : { [t.name]: (train as Record<string, MultiTaskDataset>)[t.name] };
    await trainer.fit(data as TrainData, { ...opts.fit, callbacks: opts.callbacks?.(t.name) });
    res[t.name] = trainer.evaluate(test, { batchSize: opts.fit.batchSize })[t.name];
  }
  return res;
}

/** compareWithBaselines' result: each task's metric alone and jointly, and Delta_m. */
export interface Comparison {
  rows: { task: string; metric: string; single: number; multi: number; higherIsBetter: boolean }[];
  /** Delta_m in percent over each task's headline (first) metric. */
  deltaM: number;
}

/** Line up multi-task and single-task metrics on each task's headline metric. */
export function compareWithBaselines(tasks: Task[], multi: TaskMetrics, single: TaskMetrics): Comparison {
  const rows = tasks.map((t) => {
    const metric = t.metrics[0];
    return { task: t.name, metric, single: single[t.name][metric], multi: multi[t.name][metric], higherIsBetter: getMetric(metric).higherIsBetter };
  });
  const mt: Record<string, number> = {}, st: Record<string, number> = {}, hib: Record<string, boolean> = {};
  for (const r of rows) { mt[r.task] = r.multi; st[r.task] = r.single; hib[r.task] = r.higherIsBetter; }
  return { rows, deltaM: deltaM(mt, st, hib) };
}
