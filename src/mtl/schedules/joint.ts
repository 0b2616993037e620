// Joint training: every active task every step. On one dataset each batch trains all
// tasks; with one dataset per task, a step draws one batch from each task (smaller
// datasets cycle) and an epoch is as long as the largest task's pass.
import { activeTasks, taskBatches, isPerTask, type Schedule, type ScheduleContext, type StepPlan } from "./base.js";

/**
 * Every active task every step (the default schedule).
 * @example new Trainer(model, { tasks, schedule: joint() })
 */
export function joint(): Schedule {
  return {
    name: "joint",
    stepsPerEpoch(ctx) {
      if (!isPerTask(ctx.data)) return ctx.data.numBatches(ctx.batchSize, ctx.dropLast);
      const d = ctx.data;
      return Math.max(...activeTasks(ctx).map((t) => d[t].numBatches(ctx.batchSize, ctx.dropLast)));
    },
    *epoch(ctx: ScheduleContext): Iterable<StepPlan> {
      const tasks = activeTasks(ctx);
      if (!isPerTask(ctx.data)) {
        for (const batch of ctx.data.batches(ctx.batchSize, { shuffle: true, rng: ctx.rng, dropLast: ctx.dropLast })) yield { parts: [{ tasks, batch }] };
        return;
      }
      const cycles = taskBatches(ctx.data, tasks, ctx);
      const steps = this.stepsPerEpoch!(ctx);
      for (let s = 0; s < steps; s++) yield { parts: tasks.map((t) => ({ tasks: [t], batch: cycles[t].nextBatch() })) };
    },
  };
}
