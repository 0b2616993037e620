// MGDA and MGDA-UB: the update is the min-norm point of the convex hull of the task
// gradients (the common descent direction of the Multiple-Gradient Descent Algorithm);
// MGDA-UB takes the gradients at the shared representation, an upper bound that costs
// one backward pass per task through the heads only.
// Sener and Koltun, "Multi-Task Learning as Multi-Objective Optimization", NeurIPS 2018.
// polyhead follows the paper: the exact min-norm point (Wolfe's algorithm) by default;
// `solver: "frank-wolfe"` gives the paper's Algorithm 2 (the reference implementations'
// solver, which can stop far from the optimum for T >= 3, METHODS.md). Unlike LibMTL no
// clamp of the T = 2 weights to [0.001, 0.999].
import { checkGram, minNormFrankWolfe, minNormPoint, type Matrix } from "./solvers.js";
import { GramMethod, checkOptions, lossValues, type GradientSpace } from "./plugin.js";
import type { WeightingContext } from "./context.js";
import { registerWeighting } from "./registry.js";

/** MGDA's gradient normalisation: none, L2 norm, loss, or loss times norm. */
export type MgdaNormalization = "none" | "l2" | "loss" | "loss+";

/** Per-task scale n_i of Sener & Koltun's gradient normalisation (g_i / n_i): 1, |g_i|, L_i or L_i |g_i|. */
export function mgdaScales(G: Matrix, mode: MgdaNormalization, losses?: number[]): number[] {
  return G.map((row, i) => {
    const n = Math.sqrt(row[i]);
    if (mode === "none") return 1;
    if (mode === "l2") return n > 0 ? n : 1;
    if (!losses) throw new Error(`MGDA: normalization "${mode}" needs the losses`);
    const v = mode === "loss" ? losses[i] : losses[i] * n;
    return v > 0 ? v : 1;
  });
}

/**
 * MGDA's task weights w (the update is sum_i w_i g_i): the min-norm point of the hull of
 * the normalised gradients g_i / n_i, mapped back to weights on the raw g_i.
 */
export function mgdaWeights(G: Matrix, opts: { solver?: "exact" | "frank-wolfe"; normalization?: MgdaNormalization; losses?: number[] } = {}): number[] {
  checkGram(G, "MGDA");
  const n = mgdaScales(G, opts.normalization ?? "none", opts.losses);
  const Gn = G.map((row, i) => row.map((x, j) => x / (n[i] * n[j])));
  const a = (opts.solver ?? "exact") === "exact" ? minNormPoint(Gn) : minNormFrankWolfe(Gn);
  return a.map((x, i) => x / n[i]);
}

/** Options of MGDA: the solver, the gradient normalisation, the gradient space and the Gram-only path. */
export interface MgdaOptions { solver?: "exact" | "frank-wolfe"; normalization?: MgdaNormalization; on?: GradientSpace; autogram?: boolean }

/** MGDA (on the shared parameters) or MGDA-UB (`on: "representation"`). @example new Trainer(model, { tasks, weighting: new MGDA({ on: "representation" }) }) */
export class MGDA extends GramMethod {
  private readonly opts: MgdaOptions;
  constructor(opts: MgdaOptions = {}) {
    checkOptions("MGDA", opts, ["solver", "normalization", "on", "autogram"]);
    super(opts.on === "representation" ? "MGDA-UB" : "MGDA", opts.on, opts.autogram);
    if (opts.solver !== undefined && opts.solver !== "exact" && opts.solver !== "frank-wolfe") throw new Error(`MGDA: solver must be "exact" or "frank-wolfe", got ${String(opts.solver)}`);
    if (opts.normalization !== undefined && !["none", "l2", "loss", "loss+"].includes(opts.normalization)) throw new Error(`MGDA: normalization must be none, l2, loss or loss+, got ${String(opts.normalization)}`);
    this.opts = { ...opts };
  }
  /** MGDA's weights for the Gram matrix G (the min-norm point). */
  protected weights(G: Matrix, ctx: WeightingContext): number[] {
    const n = this.opts.normalization ?? "none";
    return mgdaWeights(G, { solver: this.opts.solver, normalization: n, losses: n === "loss" || n === "loss+" ? lossValues(ctx) : undefined });
  }
}

registerWeighting("MGDA", () => new MGDA());
registerWeighting("MGDA-UB", () => new MGDA({ on: "representation" }));
