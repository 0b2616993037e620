// Trainer callbacks: early stopping on any task's validation metric, checkpoints
// through a user-supplied writer, and learning-rate schedules stepped per epoch.
import type { Callback, EpochLogs, Trainer } from "./trainer.js";
import { getMetric } from "./metrics/index.js";

/** Options of earlyStopping: the task and metric watched, patience, direction. */
export interface EarlyStoppingOptions {
  /** Task whose validation metric is watched. */
  task: string;
  /** Metric name (one of the task's metrics, or "loss"). */
  metric?: string;
  /** Epochs without improvement before stopping (default 3). */
  patience?: number;
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** Put back the best epoch's parameters when training stops (default true). */
  restoreBest?: boolean;
}

/**
 * Stop when a task's validation metric has not improved for `patience` epochs.
 * @example trainer.fit(train, { epochs: 50, validation: val, callbacks: [earlyStopping({ task: "digit", metric: "accuracy" })] })
 */
export function earlyStopping(opts: EarlyStoppingOptions): Callback & { bestEpoch: number; best: number } {
  const metric = opts.metric ?? "loss";
  const patience = opts.patience ?? 3;
  const minDelta = opts.minDelta ?? 0;
  const higher = metric === "loss" ? false : getMetric(metric).higherIsBetter;
  let wait = 0;
  let bestState: Map<string, Float32Array | Int32Array> | null = null;
  const cb = {
    bestEpoch: -1,
    best: higher ? -Infinity : Infinity,
    onEpochEnd(logs: EpochLogs, trainer: Trainer): void | "stop" {
      const v = logs.validation?.[opts.task]?.[metric];
      if (v === undefined) {
        throw new Error(`earlyStopping: no validation "${metric}" for task "${opts.task}" (pass validation data to fit; task metrics: ${trainer.tasks.get(opts.task)?.metrics.join(", ") ?? "unknown task"})`);
      }
      const better = higher ? v > cb.best + minDelta : v < cb.best - minDelta;
      if (better) {
        cb.best = v; cb.bestEpoch = logs.epoch; wait = 0;
        if (opts.restoreBest ?? true) {
          bestState = new Map(Object.entries(trainer.model.stateDict()).map(([k, t]) => [k, t.data()]));
        }
        return;
      }
      if (++wait >= patience) return "stop";
    },
    onTrainEnd(_h: EpochLogs[], trainer: Trainer): void {
      if (bestState && (opts.restoreBest ?? true)) {
        for (const [k, t] of Object.entries(trainer.model.stateDict())) t.write(bestState.get(k)!);
      }
    },
  };
  return cb;
}

/** Options of the checkpoint callback: where and how often to save. */
export interface CheckpointOptions {
  /** Receives the whole trainer state; should write it atomically (see `polyhead/node`'s writeCheckpoint). */
  save: (state: Record<string, unknown>, epoch: number) => void | Promise<void>;
  /** Save every n epochs (default 1). */
  every?: number;
}

/** Save the trainer's state (model, optimiser, weighting, counters, random stream) every n epochs. */
export function checkpoint(opts: CheckpointOptions): Callback {
  const every = opts.every ?? 1;
  if (!(Number.isInteger(every) && every > 0)) throw new Error(`checkpoint: every must be a positive integer, got ${every}`);
  return {
    async onEpochEnd(logs: EpochLogs, trainer: Trainer) {
      if ((logs.epoch + 1) % every === 0) await opts.save(trainer.stateDict(), logs.epoch);
    },
  };
}

/** What lrSchedule steps: an LR schedule (ReduceLROnPlateau takes the watched value). */
export interface SteppableSchedule {
  /** Advance one epoch (with the watched value, for reduce-on-plateau). */
  step(value?: number): void;
}

/** Step a learning-rate schedule at the end of every epoch (with a validation value if `task` is given). */
export function lrSchedule(schedule: SteppableSchedule, watch?: { task: string; metric?: string }): Callback {
  return {
    onEpochEnd(logs: EpochLogs) {
      if (!watch) { schedule.step(); return; }
      const v = logs.validation?.[watch.task]?.[watch.metric ?? "loss"] ?? logs.loss[watch.task];
      if (v === undefined) throw new Error(`lrSchedule: no value for task "${watch.task}" ${watch.metric ?? "loss"}`);
      schedule.step(v);
    },
  };
}
