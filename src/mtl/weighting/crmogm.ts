// CR-MOGM: correlation-reduced multi-objective gradient manipulation. The weights of a
// base method (MGDA's by default) are smoothed over steps, lambda_t = alpha lambda_{t-1}
// + (1 - alpha) lambda-hat_t, which removes the bias stochastic gradients give MGDA-type
// methods.
// Zhou, Zhang, Fan and Wang, "On the Convergence of Stochastic Multi-Objective Gradient
// Manipulation and Beyond", NeurIPS 2022 (Algorithm 2).
import { mgdaWeights } from "./mgda.js";
import { applyWeights, checkNumbers, checkOptions, checkSpace, taskIndex, type GradientSpace } from "./plugin.js";
import type { WeightingContext } from "./context.js";
import type { Weighting } from "./base.js";
import { registerWeighting } from "./registry.js";

/** CR-MOGM's smoothing: alpha * previous weights + (1 - alpha) * the new ones. */
export function crMogmWeights(prev: number[] | null, current: number[], alpha: number): number[] {
  if (!(alpha >= 0 && alpha < 1)) throw new Error(`CR-MOGM: alpha must be in [0, 1), got ${alpha}`);
  if (!prev) return [...current];
  if (prev.length !== current.length) throw new Error(`CR-MOGM: ${prev.length} previous weights, ${current.length} new`);
  return current.map((c, i) => alpha * prev[i] + (1 - alpha) * c);
}

/** CR-MOGM over MGDA's weights. @example new CRMOGM(["a", "b"], { alpha: 0.9 }) */
export class CRMOGM implements Weighting {
  readonly name = "CR-MOGM";
  readonly on: GradientSpace;
  readonly alpha: number;
  /** The smoothed weight of each declared task (NaN until it first takes part). */
  lambda: number[];
  constructor(readonly taskNames: string[], opts: { alpha?: number; on?: GradientSpace } = {}) {
    checkOptions("CR-MOGM", opts, ["alpha", "on"]);
    this.on = checkSpace("CR-MOGM", opts.on);
    this.alpha = opts.alpha ?? 0.9;
    if (!(this.alpha >= 0 && this.alpha < 1)) throw new Error(`CR-MOGM: alpha must be in [0, 1), got ${this.alpha}`);
    this.lambda = taskNames.map(() => -1);
  }
  backward(ctx: WeightingContext): number[] {
    const idx = taskIndex(this.name, this.taskNames, ctx.tasks);
    const cur = mgdaWeights(ctx.gram(this.on));
    const w = idx.map((i, k) => (this.lambda[i] < 0 ? cur[k] : crMogmWeights([this.lambda[i]], [cur[k]], this.alpha)[0]));
    idx.forEach((i, k) => { this.lambda[i] = w[k]; });
    applyWeights(ctx, this.on, w);
    return w;
  }
  stateDict(): Record<string, unknown> { return { lambda: [...this.lambda] }; }
  loadStateDict(state: Record<string, unknown>): void { this.lambda = [...checkNumbers("CR-MOGM", "lambda", state.lambda, this.taskNames.length)]; }
}

registerWeighting("CR-MOGM", (names) => new CRMOGM(names));
