// Training schedules decide, step by step, which tasks train on which batch. A step is
// one or more parts; each part is one forward pass (one batch) for some tasks. Joint
// training on one dataset is a single part with all tasks; tasks with their own
// datasets give one part per task. Schedules are plug-ins; the trainer only iterates.
import type { Batch, MultiTaskDataset } from "../../data/dataset.js";
import { taskCycles, type BatchCycle } from "../../data/cycle.js";
import type { Rng } from "../../random.js";

/** One dataset with several labels per example, or one dataset per task. */
export type TrainData = MultiTaskDataset | Record<string, MultiTaskDataset>;

/** Part of a step: a batch and the tasks trained on it. */
export interface StepPart { tasks: string[]; batch: Batch }
/** One training step: its parts (one for joint training). */
export interface StepPlan { parts: StepPart[] }

/** What a schedule sees when it plans an epoch: the data, batch size, epoch and its stream. */
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

/** A task schedule: which tasks and batches each step trains (joint, alternating, sampled, curriculum). */
export interface Schedule {
  readonly name: string;
  /** The epoch's plans: a function of `ctx` alone (randomness from ctx.rng), so a resume mid-epoch replays it to where it stopped. */
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

/**
 * One endless batch stream per task (data/cycle.ts), for one-dataset-per-task data: each
 * task's shuffles come from the epoch's stream split by the task's name, so a task's
 * batches do not depend on which other tasks there are or their order.
 */
export function taskBatches(data: Record<string, MultiTaskDataset>, tasks: string[], ctx: ScheduleContext): Record<string, BatchCycle> {
  const picked: Record<string, MultiTaskDataset> = {};
  for (const t of tasks) {
    if (!data[t]) throw new Error(`schedule: no dataset for task "${t}" (have: ${Object.keys(data).join(", ")})`);
    picked[t] = data[t];
  }
  return taskCycles(picked, ctx.batchSize, { rng: ctx.rng, dropLast: ctx.dropLast });
}
