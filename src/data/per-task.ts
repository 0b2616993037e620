// Per-task datasets: tasks with their own inputs and sizes that share a trunk (one
// single-task MultiTaskDataset per task, keyed by the task name).
import { MultiTaskDataset, type InputArray, type TaskLabels } from "./dataset.js";

/** One single-task dataset per task, keyed by the task name. */
export type TaskDatasets = Record<string, MultiTaskDataset>;

/** One task's own data (inputs and labels) for per-task datasets. */
export interface TaskDataSpec {
  x: InputArray;
  xShape: number[];
  /** This task's labels (the task name is the key this spec is under). */
  labels: TaskLabels | Float32Array | Int32Array;
}

/**
 * Build per-task datasets.
 * @example
 * const tds = taskDatasets({
 *   sentiment: { x: reviewsX, xShape: [128], labels: new Int32Array(stars) },
 *   topic:     { x: newsX,    xShape: [128], labels: { values: topics, numClasses: 20 } },
 * });
 */
export function taskDatasets(spec: Record<string, TaskDataSpec>): TaskDatasets {
  const names = Object.keys(spec ?? {});
  if (names.length === 0) throw new Error("taskDatasets: no tasks given; expected { taskName: { x, xShape, labels }, ... }");
  const out: TaskDatasets = {};
  for (const t of names) {
    const s = spec[t];
    if (s === null || typeof s !== "object" || !("labels" in s)) throw new Error(`taskDatasets: task "${t}" must be { x, xShape, labels }`);
    try {
      out[t] = new MultiTaskDataset({ x: s.x, xShape: s.xShape, labels: { [t]: s.labels } });
    } catch (e) {
      throw new Error(`taskDatasets: task "${t}": ${(e as Error).message}`);
    }
  }
  return out;
}
