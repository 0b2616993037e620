// CAGrad: conflict-averse gradient descent. Maximise the worst task's improvement within
// a ball of radius c|g0| around the mean gradient g0; through its dual the update is
// d = g0 + (sqrt(phi) / |g_w|) g_w, w = argmin_{w in simplex} g_w.g0 + sqrt(phi) |g_w|,
// phi = c^2 |g0|^2.
// Liu, Liu, Jin, Stone and Liu, "Conflict-Averse Gradient Descent for Multi-task
// Learning", NeurIPS 2021 (Algorithm 1, eq. 4).
// polyhead solves the dual exactly (cagradDual), where LibMTL's SLSQP can return its
// starting point for large Gram entries (METHODS.md). `rescale` as the authors' code:
// 0 = d, 1 = d / (1 + c^2) (their multi-task default), 2 = d / (1 + c).
import { cagradDual, checkGram, quad, type Matrix } from "./solvers.js";
import { GramMethod, checkOptions, type GradientSpace } from "./plugin.js";
import { registerWeighting } from "./registry.js";

/** Weights on the task gradients with sum_i w_i g_i = CAGrad's update. */
export function cagradWeights(G: Matrix, c = 0.5, rescale: 0 | 1 | 2 = 1): number[] {
  checkGram(G, "CAGrad");
  if (!(c >= 0)) throw new Error(`CAGrad: c must be >= 0, got ${c}`);
  if (rescale !== 0 && rescale !== 1 && rescale !== 2) throw new Error(`CAGrad: rescale must be 0, 1 or 2, got ${String(rescale)}`);
  const T = G.length;
  const w = cagradDual(G, c);
  const mean = G.map(() => 1 / T);
  const g0 = Math.sqrt(Math.max(quad(G, mean), 0));
  const gw = Math.sqrt(Math.max(quad(G, w), 0));
  const lam = gw > 0 ? (c * g0) / gw : 0;
  const div = rescale === 1 ? 1 + c * c : rescale === 2 ? 1 + c : 1;
  return w.map((x) => (1 / T + lam * x) / div);
}

/** CAGrad. @example new CAGrad({ c: 0.4 }) */
export class CAGrad extends GramMethod {
  readonly c: number; readonly rescale: 0 | 1 | 2;
  constructor(opts: { c?: number; rescale?: 0 | 1 | 2; on?: GradientSpace; autogram?: boolean } = {}) {
    checkOptions("CAGrad", opts, ["c", "rescale", "on", "autogram"]);
    super("CAGrad", opts.on, opts.autogram);
    this.c = opts.c ?? 0.5; this.rescale = opts.rescale ?? 1;
    cagradWeights([[1]], this.c, this.rescale); // validates
  }
  /** CAGrad's weights for the Gram matrix G. */
  protected weights(G: Matrix): number[] { return cagradWeights(G, this.c, this.rescale); }
}

registerWeighting("CAGrad", () => new CAGrad());
