// Equal weighting (EW): the plain sum of task losses, and static weighting, a fixed
// weight per task (from the task declarations or given here). The baseline every
// loss-weighting paper compares with.
import type { Tensor } from "../../tensor.js";
import type { Weighting, WeightingContext } from "./base.js";

/** The plain sum of the task losses (the default). @example new Trainer(model, { tasks, weighting: new EqualWeighting() }) */
export class EqualWeighting implements Weighting {
  readonly name: string = "EW";
  parameters(): Tensor[] { return []; }
  backward(ctx: WeightingContext): number[] {
    const w = ctx.tasks.map(() => 1);
    ctx.backwardWeighted(w);
    return w;
  }
  stateDict(): Record<string, unknown> { return {}; }
  loadStateDict(): void {}
}

/** Fixed weights: by task name here, else each task's declared `weight` (default 1). */
export class StaticWeighting implements Weighting {
  readonly name = "static";
  constructor(private readonly weights: Record<string, number> = {}) {
    for (const [k, v] of Object.entries(weights)) {
      if (!(Number.isFinite(v) && v >= 0)) throw new Error(`StaticWeighting: weight of "${k}" must be finite and >= 0, got ${v}`);
    }
  }
  parameters(): Tensor[] { return []; }
  backward(ctx: WeightingContext): number[] {
    const w = ctx.tasks.map((t, i) => this.weights[t] ?? ctx.staticWeights[i]);
    ctx.backwardWeighted(w);
    return w;
  }
  stateDict(): Record<string, unknown> { return { weights: { ...this.weights } }; }
  loadStateDict(): void {}
}
