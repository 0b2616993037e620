// FairGrad: alpha-fair gradient aggregation. The update d = sum_i w_i g_i satisfies
// g_i.d = w_i^(-1/alpha): alpha -> 0 is utilitarian, alpha = 1 the Nash bargaining
// (proportional fair) solution, alpha -> infinity max-min fair.
// Ban and Ji, "Fair Resource Allocation in Multi-Task Learning", ICML 2024 (eq. 6).
// polyhead solves the system exactly as the stationary point of a strictly convex
// function (solvers.alphaFair); the reference solves it by nonnegative least squares.
import { alphaFair, checkGram, type Matrix } from "./solvers.js";
import { pow } from "./fmath.js";
import { GramMethod, checkOptions, type GradientSpace } from "./plugin.js";
import { registerWeighting } from "./registry.js";

/** FairGrad's weights for fairness alpha > 0. */
export function fairGradWeights(G: Matrix, alpha = 1): number[] {
  checkGram(G, "FairGrad");
  let f = 0;
  for (const row of G) for (const x of row) f += x * x;
  f = Math.sqrt(f);
  if (!(f > 0)) throw new Error("FairGrad: every task gradient is zero");
  // G w = w^(-1/alpha) scales as w(sG) = s^(-alpha/(alpha+1)) w(G): solve on G/|G|_F
  const w = alphaFair(G.map((row) => row.map((x) => x / f)), alpha);
  const k = alpha / (alpha + 1);
  const s = pow(f, -k);
  return w.map((x) => x * s);
}

/** FairGrad. @example new FairGrad({ alpha: 2 }) */
export class FairGrad extends GramMethod {
  readonly alpha: number;
  constructor(opts: { alpha?: number; on?: GradientSpace; autogram?: boolean } = {}) {
    checkOptions("FairGrad", opts, ["alpha", "on", "autogram"]);
    super("FairGrad", opts.on, opts.autogram);
    this.alpha = opts.alpha ?? 1;
    if (!(this.alpha > 0)) throw new Error(`FairGrad: alpha must be > 0, got ${this.alpha}`);
  }
  /** FairGrad's weights for the Gram matrix G. */
  protected weights(G: Matrix): number[] { return fairGradWeights(G, this.alpha); }
}

registerWeighting("FairGrad", () => new FairGrad());
