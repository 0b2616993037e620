// Nash-MTL: the update is the Nash bargaining solution among the tasks, d = sum_i a_i g_i
// with a_i (G a)_i = 1, i.e. each task's improvement g_i.d equals 1/a_i.
// Navon, Shamsian, Achituve, Maron, Kawaguchi, Chechik and Fetaya, "Multi-Task Learning
// as a Bargaining Game", ICML 2022 (eq. 3; their Algorithm 2 approximates it by a
// sequence of convex programs).
// polyhead follows the paper: the exact solution of the bargaining system (a strictly
// convex problem solved by Newton's method, solvers.alphaFair with alpha = 1). The
// reference code iterates 20 convex-concave steps with ECOS and can stop elsewhere
// when some constraints are inactive (METHODS.md), and clips the update to norm 1:
// `maxNorm` does that clipping when set (default: none, as the paper).
import { alphaFair, checkGram, quad, type Matrix } from "./solvers.js";
import { GramMethod, checkOptions, type GradientSpace } from "./plugin.js";
import { registerWeighting } from "./registry.js";

/** Nash-MTL's weights a (the update is sum_i a_i g_i), scaled down so |d| <= maxNorm when given. */
export function nashMtlWeights(G: Matrix, maxNorm = Infinity): number[] {
  checkGram(G, "Nash-MTL");
  if (!(maxNorm > 0)) throw new Error(`Nash-MTL: maxNorm must be > 0, got ${maxNorm}`);
  // solve on G / |G|_F (well scaled), then undo: a(sG) = a(G) / sqrt(s)
  let f = 0;
  for (const row of G) for (const x of row) f += x * x;
  f = Math.sqrt(f);
  if (!(f > 0)) throw new Error("Nash-MTL: every task gradient is zero");
  const a = alphaFair(G.map((row) => row.map((x) => x / f))).map((x) => x / Math.sqrt(f));
  const norm = Math.sqrt(Math.max(quad(G, a), 0));
  return norm > maxNorm ? a.map((x) => (x * maxNorm) / norm) : a;
}

/** Nash-MTL (the exact bargaining solution). @example new NashMTL({ maxNorm: 1 }) */
export class NashMTL extends GramMethod {
  readonly maxNorm: number;
  constructor(opts: { maxNorm?: number; on?: GradientSpace; autogram?: boolean } = {}) {
    checkOptions("Nash-MTL", opts, ["maxNorm", "on", "autogram"]);
    super("Nash-MTL", opts.on, opts.autogram);
    this.maxNorm = opts.maxNorm ?? Infinity;
    if (!(this.maxNorm > 0)) throw new Error(`Nash-MTL: maxNorm must be > 0, got ${this.maxNorm}`);
  }
  /** Nash-MTL's weights for the Gram matrix G. */
  protected weights(G: Matrix): number[] { return nashMtlWeights(G, this.maxNorm); }
}

registerWeighting("Nash-MTL", () => new NashMTL());
