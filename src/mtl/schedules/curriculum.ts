// Curriculum: start with some tasks and add others at given epochs, wrapping another
// schedule (joint by default), which then sees only the tasks active in each epoch.
import type { Schedule, ScheduleContext, StepPlan } from "./base.js";
import { joint } from "./joint.js";

/**
 * @example curriculum({ 0: ["digit"], 2: ["parity", "large"] }) // add two tasks at epoch 2
 */
export function curriculum(stages: Record<number, string[]>, inner: Schedule = joint()): Schedule {
  const starts = Object.keys(stages).map(Number).sort((a, b) => a - b);
  if (starts.length === 0 || starts.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new Error(`curriculum: stages must be keyed by non-negative epoch numbers, got ${Object.keys(stages).join(", ")}`);
  }
  const activeAt = (ctx: ScheduleContext): string[] => {
    const on = new Set<string>();
    for (const s of starts) if (s <= ctx.epoch) for (const t of stages[s]) {
      if (!ctx.taskNames.includes(t)) throw new Error(`curriculum: unknown task "${t}" (tasks: ${ctx.taskNames.join(", ")})`);
      on.add(t);
    }
    if (on.size === 0) throw new Error(`curriculum: no task is active at epoch ${ctx.epoch} (first stage starts at ${starts[0]})`);
    return ctx.taskNames.filter((t) => on.has(t));
  };
  return {
    name: `curriculum(${inner.name})`,
    stepsPerEpoch: inner.stepsPerEpoch ? (ctx) => inner.stepsPerEpoch!({ ...ctx, active: activeAt(ctx) }) : undefined,
    epoch(ctx: ScheduleContext): Iterable<StepPlan> { return inner.epoch({ ...ctx, active: activeAt(ctx) }); },
  };
}
