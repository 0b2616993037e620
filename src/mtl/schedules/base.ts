// Training schedules decide, step by step, which tasks train on which batch. A step is
// one or more parts; each part is one forward pass (one batch) for some tasks. Joint
// training on one dataset is a single part with all tasks; tasks with their own
// datasets give one part per task. Schedules are plug-ins; the trainer only iterates.
import type { Batch, MultiTaskDataset } from "../../data/index.js";
import type { Rng } from "../../random.js";

/** One dataset with several labels per example, or one dataset per task. */
export type TrainData = MultiTaskDataset | Record<string, MultiTaskDataset>;

export interface StepPart { tasks: string[]; batch: Batch }
export interface StepPlan { parts: StepPart[] }

export interface ScheduleContext {
  data: TrainData;
  batchSize: number;
  epoch: number;
  rng: Rng;
  /** Every task the model has, in declaration order. */
  taskNames: string[];
  /** Tasks allowed this epoch (curriculum narrows it); defaults to taskNames. */
  active?: string[];
  /** Drop each pass's last, smaller batch (a one-example batch breaks batch norm). */
  dropLast?: boolean;
}

export interface Schedule {
  readonly name: string;
  epoch(ctx: ScheduleContext): Iterable<StepPlan>;
  /** Number of steps the epoch will have (for progress bars), if known. */
  stepsPerEpoch?(ctx: ScheduleContext): number;
}

/** True for one-dataset-per-task data. */
export function isPerTask(data: TrainData): data is Record<string, MultiTaskDataset> {
  return !(typeof (data as MultiTaskDataset).batches === "function");
}

/** The tasks a schedule may train this epoch. */
export function activeTasks(ctx: ScheduleContext): string[] {
  return ctx.active ?? ctx.taskNames;
}

/** Per-task batch streams that restart (reshuffled by their own stream) when exhausted. */
export function cyclers(data: Record<string, MultiTaskDataset>, tasks: string[], batchSize: number, rng: Rng, epoch: number, dropLast = false): Map<string, () => Batch> {
  const m = new Map<string, () => Batch>();
  tasks.forEach((t) => {
    const ds = data[t];
    if (!ds) throw new Error(`schedule: no dataset for task "${t}" (have: ${Object.keys(data).join(", ")})`);
    const r = rng.split(epoch * 1009 + tasks.indexOf(t) + 1);
    let it: Iterator<Batch> = ds.batches(batchSize, { shuffle: true, rng: r, dropLast })[Symbol.iterator]();
    m.set(t, () => {
      let n = it.next();
      if (n.done) { it = ds.batches(batchSize, { shuffle: true, rng: r, dropLast })[Symbol.iterator](); n = it.next(); }
      if (n.done) throw new Error(`schedule: dataset of task "${t}" is empty`);
      return n.value;
    });
  });
  return m;
}
