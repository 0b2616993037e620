// What the trainer checks before it trains: its options, fit/evaluate/predict options,
// and the data against the tasks (label keys name tasks, labels fit each task's kind), so
// a typo or a wrong type fails at the call that made it instead of training without it.
import { MultiTaskDataset } from "../data/dataset.js";
import { checkOptions, closest, show } from "../validate.js";
import type { Task } from "./tasks.js";

const has = (v: unknown, fn: string): boolean => typeof (v as Record<string, unknown> | null)?.[fn] === "function";

/** The Trainer's options, before it builds anything. */
export function checkTrainerOptions(o: Record<string, unknown>): void {
  // an optimiser where its factory goes: the trainer builds it over the weighting's parameters too
  if (has(o?.optimizer, "step")) throw new Error("Trainer: optimizer must be a function (params) => new Adam(params, ...), not an optimiser");
  checkOptions("Trainer", o, ["tasks", "optimizer", "weighting", "schedule", "seed", "clipGradNorm", "nanCheck"]);
  if (!Array.isArray(o.tasks)) throw new Error(`Trainer: tasks must be a list, got ${show(o.tasks)}`);
}

/** fit's options. */
export function checkFitOptions(opts: unknown): void {
  const o = checkOptions("fit", (opts ?? null) as Record<string, unknown>, ["epochs", "batchSize", "validation", "callbacks", "onProgress", "yieldEveryMs", "dropLast"]);
  for (const k of ["epochs", "batchSize"]) {
    const v = o[k];
    if ((k === "epochs" || v !== undefined) && !(Number.isInteger(v) && (v as number) > 0)) throw new Error(`fit: ${k} must be a positive integer, got ${show(v)}`);
  }
  if (o.validation !== undefined) checkDataset("fit: validation", o.validation, new Map(), false);
}

/** evaluate's and predict's options (predict's with task names). */
export function checkBatchOptions(who: string, opts: unknown, taskNames?: string[]): void {
  checkOptions(who, opts as Record<string, unknown> | undefined, taskNames ? ["batchSize", "tasks"] : ["batchSize"]);
}

/** fit's data: one dataset, one dataset per task, or a stream (checked batch by batch); returned read as checkDataset reads it. */
export function checkTrainData<D>(data: D, tasks: Map<string, Task>): D {
  if (typeof data === "function") return data;
  if (data instanceof MultiTaskDataset || !data || typeof data !== "object") return checkDataset("fit", data, tasks, true) as D;
  const names = [...tasks.keys()];
  const per = data as Record<string, unknown>;
  const missing = names.filter((t) => !per[t]), extra = Object.keys(per).filter((t) => !tasks.has(t));
  if (missing.length || extra.length) {
    throw new Error(`fit: one dataset per task needs exactly the tasks ${names.join(", ")}` +
      `${missing.length ? `; missing: ${missing.join(", ")}` : ""}${extra.length ? `; not a task: ${extra.join(", ")}` : ""}`);
  }
  return Object.fromEntries(names.map((t) => [t, checkDataset(`fit: data "${t}"`, per[t], tasks, false, t)])) as D;
}

/**
 * One dataset against the trainer's tasks: no label key is a near miss of a task the data
 * lacks ("Parity" for "parity" would train without that task), every task (`needAll`) or
 * `only` has labels, and binary labels are in [0, 1]. Returns the data as the tasks read
 * it: -1 is a value for a regression or binary task, a missing label only for classes.
 */
export function checkDataset(who: string, ds: unknown, tasks: Map<string, Task>, needAll: boolean, only?: string): MultiTaskDataset {
  if (!(ds instanceof MultiTaskDataset)) throw new Error(`${who}: expected a MultiTaskDataset, got ${show(ds)}`);
  // labels of other tasks may ride along (a single-task baseline on multi-task data)
  const lacking = [...tasks.keys()].filter((t) => !ds.tasks.includes(t));
  for (const k of ds.tasks) {
    const near = tasks.has(k) ? undefined : closest(k, lacking);
    if (near) throw new Error(`${who}: the data has labels "${k}", which names no task; did you mean "${near}"?`);
  }
  for (const t of only ? [only] : needAll ? lacking : []) {
    if (!ds.tasks.includes(t)) throw new Error(`${who}: the data has no labels for task "${t}" (its labels: ${ds.tasks.join(", ")})`);
  }
  let out = ds;
  for (const [t, task] of tasks) {
    if (!ds.tasks.includes(t) || (task.kind !== "regression" && task.kind !== "binary" && task.kind !== "reconstruction")) continue;
    out = out.valuesOf(t);
    if (task.kind !== "binary") continue;
    const { values, mask } = out.taskLabels(t);
    for (let i = 0; i < values.length; i++) {
      if (mask[i] && !(values[i] >= 0 && values[i] <= 1)) {
        throw new Error(`${who}: binary task "${t}" has label ${values[i]} (example ${i}); binary labels are in [0, 1]${values[i] === -1 ? " (map -1 to 0)" : ""}`);
      }
    }
  }
  return out;
}
