// MoCo: multi-objective gradient correction. A tracking estimate y_i of each task's
// gradient, y_i <- y_i - beta (y_i - g_i), removes the bias of stochastic MGDA; the
// weights follow projected gradient steps lambda <- P_simplex(lambda - gamma (Y'Y + rho I) lambda)
// and the update is Y lambda.
// Fernando, Shen, Liu, Chaudhury, Murugesan and Chen, "Mitigating Gradient Bias in
// Multi-objective Learning: A Provably Convergent Approach", ICLR 2023 (Algorithm 1).
// polyhead follows the paper (simplex projection; constant beta, gamma, rho); LibMTL
// replaces the projection by a softmax and scales unit gradients by the loss (METHODS.md).
import type { Matrix } from "./solvers.js";
import { tensor } from "../../ops/creation.js";
import { checkNumbers, checkOptions, checkSimplexStep, checkSpace, simplexStep, stepActiveShare, taskIndex } from "./plugin.js";
import { saveBuffers, loadBuffers } from "./buffers.js";
import type { WeightingContext } from "./context.js";
import type { Weighting } from "./base.js";
import { registerWeighting } from "./registry.js";

/** MoCo's weight update from the Gram of the tracked gradients Y. */
export function mocoLambda(Gy: Matrix, lambda: number[], gamma: number, rho = 0): number[] { return simplexStep("MoCo", Gy, lambda, gamma, rho); }

/**
 * MoCo on the shared parameters (its tracked gradients persist across steps). A task's
 * tracking estimate starts at its first gradient. @example new MoCo(["a", "b"], { beta: 0.5, gamma: 0.1 })
 */
export class MoCo implements Weighting {
  readonly name = "MoCo";
  readonly beta: number; readonly gamma: number; readonly rho: number;
  tracked: (Float64Array | null)[];
  lambda: number[];
  constructor(readonly taskNames: string[], opts: { beta?: number; gamma?: number; rho?: number; on?: "shared" } = {}) {
    checkOptions("MoCo", opts, ["beta", "gamma", "rho", "on"]);
    checkSpace("MoCo", opts.on, ["shared"]);
    this.beta = opts.beta ?? 0.5; this.gamma = opts.gamma ?? 0.1; this.rho = opts.rho ?? 0;
    if (!(this.beta > 0 && this.beta <= 1)) throw new Error(`MoCo: beta must be in (0, 1], got ${this.beta}`);
    checkSimplexStep("MoCo", this.gamma, this.rho);
    this.tracked = taskNames.map(() => null);
    this.lambda = taskNames.map(() => 1 / taskNames.length);
  }
  backward(ctx: WeightingContext): number[] {
    const idx = taskIndex(this.name, this.taskNames, ctx.tasks);
    const g = ctx.sharedGrads(), P = g[0].size;
    const Y = idx.map((i, k) => {
      const gk = g[k].data();
      let y = this.tracked[i];
      if (!y) { y = this.tracked[i] = Float64Array.from(gk); return y; }
      if (y.length !== P) throw new Error(`MoCo: the shared parameters have ${P} values, the saved estimate of "${this.taskNames[i]}" ${y.length}`);
      for (let p = 0; p < P; p++) y[p] -= this.beta * (y[p] - gk[p]);
      return y;
    });
    const Gy = Y.map((a) => Y.map((b) => { let s = 0; for (let p = 0; p < P; p++) s += a[p] * b[p]; return s; }));
    const lam = stepActiveShare(this.lambda, idx, (l0) => mocoLambda(Gy, l0, this.gamma, this.rho));
    const d = new Float32Array(P);
    for (let p = 0; p < P; p++) { let v = 0; for (let k = 0; k < Y.length; k++) v += lam[k] * Y[k][p]; d[p] = v; }
    ctx.applySharedUpdate(tensor(d), ctx.tasks.map(() => 1));
    return lam;
  }
  stateDict(): Record<string, unknown> { return { tracked: saveBuffers(this.tracked), lambda: [...this.lambda] }; }
  loadStateDict(state: Record<string, unknown>): void {
    const lam = checkNumbers("MoCo", "lambda", state.lambda, this.taskNames.length);
    this.tracked = loadBuffers("MoCo", state.tracked, this.taskNames.length);
    this.lambda = [...lam];
  }
}

registerWeighting("MoCo", (names) => new MoCo(names));
