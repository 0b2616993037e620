// MoDo: multi-objective gradient with double sampling. One projected gradient step on
// the MGDA weights per training step, lambda <- P_simplex(lambda - gamma (G1'G2 + rho I) lambda),
// with G1, G2 the task gradients of two independent batches (unbiased), then the update
// G3 lambda on a third.
// Chen, Fernando, Ying and Chen, "Three-Way Trade-Off in Multi-Objective Learning:
// Optimization, Generalization and Conflict-Avoidance", NeurIPS 2023 (Algorithm 1).
// With one batch per step polyhead uses the same gradients for all three (the
// deterministic version the paper analyses first); `cross` may pass G1'G2 when the
// caller has two batches.
import type { Matrix } from "./solvers.js";
import { applyWeights, checkNumbers, checkOptions, checkSimplexStep, checkSpace, simplexStep, stepActiveShare, taskIndex, type GradientSpace } from "./plugin.js";
import type { WeightingContext } from "./context.js";
import type { Weighting } from "./base.js";
import { registerWeighting } from "./registry.js";

/** One MoDo step on the task weights: a projected gradient step on the cross Gram matrix. */
export function modoLambda(cross: Matrix, lambda: number[], gamma: number, rho = 0): number[] { return simplexStep("MoDo", cross, lambda, gamma, rho); }

/** MoDo (one batch per step). @example new MoDo(["a", "b"], { gamma: 0.1 }) */
export class MoDo implements Weighting {
  readonly name = "MoDo";
  readonly on: GradientSpace;
  readonly gamma: number; readonly rho: number;
  lambda: number[];
  constructor(readonly taskNames: string[], opts: { gamma?: number; rho?: number; on?: GradientSpace } = {}) {
    checkOptions("MoDo", opts, ["gamma", "rho", "on"]);
    this.on = checkSpace("MoDo", opts.on);
    this.gamma = opts.gamma ?? 0.1; this.rho = opts.rho ?? 0;
    checkSimplexStep("MoDo", this.gamma, this.rho);
    this.lambda = taskNames.map(() => 1 / taskNames.length);
  }
  backward(ctx: WeightingContext): number[] {
    const idx = taskIndex(this.name, this.taskNames, ctx.tasks);
    const lam = stepActiveShare(this.lambda, idx, (l0) => modoLambda(ctx.gram(this.on), l0, this.gamma, this.rho));
    applyWeights(ctx, this.on, lam);
    return lam;
  }
  stateDict(): Record<string, unknown> { return { lambda: [...this.lambda] }; }
  loadStateDict(state: Record<string, unknown>): void { this.lambda = [...checkNumbers("MoDo", "lambda", state.lambda, this.taskNames.length)]; }
}

registerWeighting("MoDo", (names) => new MoDo(names));
