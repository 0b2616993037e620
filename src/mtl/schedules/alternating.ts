// Alternating (round-robin) training: one task per step, in turn. On one dataset each
// batch goes to the next task; with one dataset per task, each task takes its next
// batch, until every task has made one pass (tasks that finish early sit out).
import { activeTasks, isPerTask, type Schedule, type ScheduleContext, type StepPlan } from "./base.js";
import type { Batch } from "../../data/index.js";

/**
 * Round-robin: one task per step, in turn.
 * @example new Trainer(model, { tasks, schedule: alternating() })
 */
export function alternating(): Schedule {
  return {
    name: "alternating",
    stepsPerEpoch(ctx) {
      if (!isPerTask(ctx.data)) return ctx.data.numBatches(ctx.batchSize, ctx.dropLast);
      const d = ctx.data;
      return activeTasks(ctx).reduce((s, t) => s + d[t].numBatches(ctx.batchSize, ctx.dropLast), 0);
    },
    *epoch(ctx: ScheduleContext): Iterable<StepPlan> {
      const tasks = activeTasks(ctx);
      if (!isPerTask(ctx.data)) {
        let k = 0;
        for (const batch of ctx.data.batches(ctx.batchSize, { shuffle: true, rng: ctx.rng, dropLast: ctx.dropLast })) {
          yield { parts: [{ tasks: [tasks[k++ % tasks.length]], batch }] };
        }
        return;
      }
      const d = ctx.data;
      const its = tasks.map((t, i) => d[t].batches(ctx.batchSize, { shuffle: true, rng: ctx.rng.split(ctx.epoch * 1009 + i + 1), dropLast: ctx.dropLast })[Symbol.iterator]());
      const live = tasks.map(() => true);
      while (live.some((v) => v)) {
        for (let i = 0; i < tasks.length; i++) {
          if (!live[i]) continue;
          const n = its[i].next();
          if (n.done) { live[i] = false; continue; }
          yield { parts: [{ tasks: [tasks[i]], batch: n.value as Batch }] };
        }
      }
    },
  };
}
