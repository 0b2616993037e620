// Uncertainty weighting (UW): each task's loss is scaled by a learned homoscedastic
// uncertainty, L = sum_i L_i / (2 exp(s_i)) + s_i / 2 with s_i = log sigma_i^2 learned.
// Kendall, Gal and Cipolla, "Multi-Task Learning Using Uncertainty to Weigh Losses for
// Scene Geometry and Semantics", CVPR 2018 (in the form LibMTL uses).
import { Tensor } from "../../tensor.js";
import { full } from "../../ops/creation.js";
import { add, affine, exp, mul, neg } from "../../ops/elementwise.js";
import { sum } from "../../ops/reduce.js";
import { stack, take } from "../../ops/shape.js";
import type { Weighting, WeightingContext } from "./base.js";
import { registerWeighting } from "./registry.js";

/** Learned homoscedastic uncertainty per task. @example new Trainer(model, { tasks, weighting: new UncertaintyWeighting(tasks.map((t) => t.name)) }) */
export class UncertaintyWeighting implements Weighting {
  readonly name = "UW";
  /** log sigma^2 per task, in the order of `taskNames`. */
  readonly logVars: Tensor;
  constructor(readonly taskNames: string[], init = 0) {
    if (taskNames.length === 0) throw new Error("UncertaintyWeighting: needs the task names");
    this.logVars = full([taskNames.length], init).keep();
    this.logVars.requiresGrad = true;
    this.logVars.name = "UW.logVars";
  }
  parameters(): Tensor[] { return [this.logVars]; }
  backward(ctx: WeightingContext): number[] {
    const idx = ctx.tasks.map((t) => {
      const i = this.taskNames.indexOf(t);
      if (i < 0) throw new Error(`UncertaintyWeighting: task "${t}" was not declared (${this.taskNames.join(", ")})`);
      return i;
    });
    const s = this.logVars;
    const L = stack(ctx.losses.map((l) => (l.rank === 0 ? l : sum(l))));
    // the active tasks' s_i (alternating schedules pass a subset)
    const sAct = idx.length === this.taskNames.length && idx.every((v, i) => v === i) ? s : take(s, idx);
    const scaled = mul(L, affine(exp(neg(sAct)), 0.5));
    const total = add(sum(scaled), affine(sum(sAct), 0.5));
    ctx.backwardLoss(total);
    const e = exp(neg(sAct)).data();
    return Array.from(e, (v) => v * 0.5);
  }
  stateDict(): Record<string, unknown> { return { taskNames: [...this.taskNames], logVars: Array.from(this.logVars.data()) }; }
  loadStateDict(state: Record<string, unknown>): void {
    const v = state.logVars as number[];
    if (!Array.isArray(v) || v.length !== this.taskNames.length) throw new Error(`UncertaintyWeighting.loadStateDict: logVars must have ${this.taskNames.length} values`);
    this.logVars.write(v);
  }
}

registerWeighting("UW", (taskNames) => new UncertaintyWeighting(taskNames));
