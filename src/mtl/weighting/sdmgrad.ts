// SDMGrad: stochastic direction-oriented MGDA. The weights minimise |g_w + lambda g0|^2
// over the simplex (MGDA regularised towards the mean gradient g0); the update is
// (g_w + lambda g0) / (1 + lambda).
// Xiao, Ban and Ji, "Direction-oriented Multi-objective Learning: Simple and Provable
// Stochastic Algorithms", NeurIPS 2023 (eq. 7, Algorithm 1).
// Since the weights sum to one, g_w + lambda g0 = sum_i w_i (g_i + lambda g0): the
// min-norm point of shifted gradients, which polyhead solves exactly; the authors' code
// takes 20 SGD steps (lr 5) on it, which need not converge (METHODS.md).
import { checkGram, minNormPoint, type Matrix } from "./solvers.js";
import { GramMethod, checkOptions, type GradientSpace } from "./plugin.js";
import { registerWeighting } from "./registry.js";

/** Weights on the task gradients with sum_i w_i g_i = SDMGrad's update. */
export function sdmGradWeights(G: Matrix, lambda = 0.3): number[] {
  checkGram(G, "SDMGrad");
  if (!(lambda >= 0)) throw new Error(`SDMGrad: lambda must be >= 0, got ${lambda}`);
  const T = G.length;
  const rs = G.map((row) => row.reduce((a, b) => a + b, 0) / T); // g_i . g0
  const g00 = rs.reduce((a, b) => a + b, 0) / T;
  const Gs = G.map((row, i) => row.map((x, j) => x + lambda * (rs[i] + rs[j]) + lambda * lambda * g00));
  const w = minNormPoint(Gs);
  return w.map((x) => (x + lambda / T) / (1 + lambda));
}

/** SDMGrad (deterministic inner problem, solved exactly). @example new SDMGrad({ lambda: 0.3 }) */
export class SDMGrad extends GramMethod {
  readonly lambda: number;
  constructor(opts: { lambda?: number; on?: GradientSpace; autogram?: boolean } = {}) {
    checkOptions("SDMGrad", opts, ["lambda", "on", "autogram"]);
    super("SDMGrad", opts.on, opts.autogram);
    this.lambda = opts.lambda ?? 0.3;
    if (!(this.lambda >= 0)) throw new Error(`SDMGrad: lambda must be >= 0, got ${this.lambda}`);
  }
  /** SDMGrad's weights for the Gram matrix G. */
  protected weights(G: Matrix): number[] { return sdmGradWeights(G, this.lambda); }
}

registerWeighting("SDMGrad", () => new SDMGrad());
