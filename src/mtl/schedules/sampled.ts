// Sampled training: each step trains one task drawn at random with probability
// proportional to (dataset size)^(1/temperature): temperature 1 is proportional to
// size, large temperatures approach uniform (as in multilingual/multi-task sampling,
// e.g. Arivazhagan et al. 2019). The weights are computed in Wasm (pow via exp/log).
import { activeTasks, taskBatches, isPerTask, type Schedule, type ScheduleContext, type StepPlan } from "./base.js";
import { tensor } from "../../ops/creation.js";
import { affine, exp, log } from "../../ops/elementwise.js";
import { scope } from "../../engine/scope.js";

/** Options of the sampled schedule: temperature over task sizes, steps per epoch. */
export interface SampledOptions {
  /** 1 = proportional to size (default); larger = flatter. */
  temperature?: number;
  /** Steps per epoch (default: total batches over all tasks). */
  steps?: number;
}

/** Task sampling probabilities for the given sizes and temperature. */
export function samplingProbabilities(sizes: number[], temperature = 1): number[] {
  if (!(temperature > 0)) throw new Error(`sampled: temperature must be > 0, got ${temperature}`);
  if (sizes.some((s) => !(s > 0))) throw new Error(`sampled: every task needs at least one labelled example (sizes ${sizes.join(", ")})`);
  const w = scope(() => Array.from(exp(affine(log(tensor(sizes)), 1 / temperature)).data()));
  const z = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / z);
}

/**
 * One task per step, drawn with probability proportional to size^(1/temperature).
 * @example new Trainer(model, { tasks, schedule: sampled({ temperature: 2 }) })
 */
export function sampled(opts: SampledOptions = {}): Schedule {
  const sizesOf = (ctx: ScheduleContext) => {
    const tasks = activeTasks(ctx);
    const d = ctx.data;
    return tasks.map((t) => (isPerTask(d) ? d[t].size : d.labelledCount(t)));
  };
  return {
    name: "sampled",
    stepsPerEpoch(ctx) {
      if (opts.steps) return opts.steps;
      if (!isPerTask(ctx.data)) return ctx.data.numBatches(ctx.batchSize, ctx.dropLast);
      const d = ctx.data;
      return activeTasks(ctx).reduce((s, t) => s + d[t].numBatches(ctx.batchSize, ctx.dropLast), 0);
    },
    *epoch(ctx: ScheduleContext): Iterable<StepPlan> {
      const tasks = activeTasks(ctx);
      const p = samplingProbabilities(sizesOf(ctx), opts.temperature ?? 1);
      const cum: number[] = [];
      p.reduce((a, v, i) => (cum[i] = a + v), 0);
      const steps = this.stepsPerEpoch!(ctx);
      const draws = ctx.rng.split(ctx.epoch + 77).u32(steps);
      const pick = (s: number) => {
        const u = draws[s] / 4294967296;
        const i = cum.findIndex((c) => u < c);
        return i < 0 ? tasks.length - 1 : i;
      };
      if (!isPerTask(ctx.data)) {
        let s = 0;
        for (const batch of ctx.data.batches(ctx.batchSize, { shuffle: true, rng: ctx.rng, dropLast: ctx.dropLast })) {
          if (s >= steps) return;
          yield { parts: [{ tasks: [tasks[pick(s++)]], batch }] };
        }
        return;
      }
      const cycles = taskBatches(ctx.data, tasks, ctx);
      for (let s = 0; s < steps; s++) {
        const t = tasks[pick(s)];
        yield { parts: [{ tasks: [t], batch: cycles[t].nextBatch() }] };
      }
    },
  };
}
