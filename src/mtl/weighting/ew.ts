// Equal weighting (EW): the plain sum of task losses, and static weighting, a fixed
// weight per task (from the task declarations or given here). The baseline every
// loss-weighting paper compares with.
import type { Weighting, WeightingContext } from "./base.js";
import { registerWeighting } from "./registry.js";
import { show, suggest } from "../../validate.js";

/** The plain sum of the task losses (the default). @example new Trainer(model, { tasks, weighting: new EqualWeighting() }) */
export class EqualWeighting implements Weighting {
  readonly name: string = "EW";
  backward(ctx: WeightingContext): number[] {
    const w = ctx.tasks.map(() => 1);
    ctx.backwardWeighted(w);
    return w;
  }
}

function checkWeights(owner: string, weights: unknown): Record<string, number> {
  if (!weights || typeof weights !== "object" || Array.isArray(weights)) throw new Error(`${owner}: weights must be an object of task name -> weight, got ${show(weights)}`);
  for (const [k, v] of Object.entries(weights)) {
    if (!(typeof v === "number" && Number.isFinite(v) && v >= 0)) throw new Error(`${owner}: weight of "${k}" must be finite and >= 0, got ${show(v)}`);
  }
  return { ...(weights as Record<string, number>) };
}

/** Fixed weights: by task name here, else each task's declared `weight` (default 1). */
export class StaticWeighting implements Weighting {
  readonly name = "static";
  private weights: Record<string, number>;
  constructor(weights: Record<string, number> = {}) { this.weights = checkWeights("StaticWeighting", weights); }
  checkTasks(taskNames: string[]): void {
    // the keys are task names: one that names no task would silently weigh that task 1
    for (const k of Object.keys(this.weights)) {
      if (!taskNames.includes(k)) throw new Error(`StaticWeighting: a weight for "${k}", which names no task${suggest(k, taskNames)}`);
    }
  }
  backward(ctx: WeightingContext): number[] {
    const w = ctx.tasks.map((t, i) => this.weights[t] ?? ctx.staticWeights[i]);
    ctx.backwardWeighted(w);
    return w;
  }
  stateDict(): Record<string, unknown> { return { weights: { ...this.weights } }; }
  /** The saved weights replace the constructor's (a resumed run keeps the weights it trained with). */
  loadStateDict(state: Record<string, unknown>): void {
    this.weights = checkWeights("StaticWeighting.loadStateDict", state?.weights ?? {});
  }
}

registerWeighting("EW", () => new EqualWeighting());
registerWeighting("static", () => new StaticWeighting());
