// Alternating (round-robin) training: one task per step, in turn. On one dataset each
// batch goes to the next task; with one dataset per task, each task takes its next
// batch, until every task has made one pass (tasks that finish early sit out).
import { activeTasks, isPerTask, taskBatches, type Schedule, type ScheduleContext, type StepPlan } from "./base.js";

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
      // one pass of each task's stream: a task sits out once its pass is done
      const cycles = taskBatches(ctx.data, tasks, ctx);
      const left = (t: string) => cycles[t].epoch === 0 && cycles[t].position < cycles[t].batchesPerEpoch;
      while (tasks.some(left)) {
        for (const t of tasks) if (left(t)) yield { parts: [{ tasks: [t], batch: cycles[t].nextBatch() }] };
      }
    },
  };
}
