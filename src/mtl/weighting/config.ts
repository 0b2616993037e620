// ConFIG: conflict-free inverse gradients. The direction is the one with equal positive
// cosine to every task gradient, g_v = U^+ 1 over the unit gradients U, normalised; its
// length is the sum of the task gradients' projections on it.
// Liu, Chu, Thuerey, "ConFIG: Towards Conflict-free Training of Physics Informed
// Neural Networks", ICLR 2025 (arXiv 2024; eq. 2).
// On the Gram: U U' = C (the cosine matrix), g_v = sum_i b_i u_i with b = C^+ 1.
import { checkGram, matVec, pinvSym, type Matrix } from "./solvers.js";
import { GramMethod, checkOptions, type GradientSpace } from "./plugin.js";
import { registerWeighting } from "./registry.js";

/** Weights w with sum_i w_i g_i = ConFIG's update. */
export function configWeights(G: Matrix): number[] {
  checkGram(G, "ConFIG");
  const n = G.map((row, i) => Math.sqrt(row[i]));
  const live = n.map((x) => x > 0);
  if (!live.some(Boolean)) return G.map(() => 0);
  const C = G.map((row, i) => row.map((x, j) => (live[i] && live[j] ? x / (n[i] * n[j]) : i === j ? 1 : 0)));
  const b = matVec(pinvSym(C), G.map((_, i) => (live[i] ? 1 : 0)));
  // v = sum b_i u_i; |v|^2 = b'Cb; projections sum_j g_j.v = sum_j n_j (C b)_j
  const Cb = matVec(C, b);
  let vv = 0, proj = 0;
  for (let i = 0; i < G.length; i++) { vv += b[i] * Cb[i]; if (live[i]) proj += n[i] * Cb[i]; }
  if (!(vv > 0)) return G.map(() => 0);
  const s = proj / vv; // update = (proj / |v|) v/|v|
  return b.map((x, i) => (live[i] ? (s * x) / n[i] : 0));
}

/** ConFIG. @example new ConFIG() */
export class ConFIG extends GramMethod {
  constructor(opts: { on?: GradientSpace; autogram?: boolean } = {}) {
    checkOptions("ConFIG", opts, ["on", "autogram"]);
    super("ConFIG", opts.on, opts.autogram);
  }
  /** ConFIG's weights for the Gram matrix G. */
  protected weights(G: Matrix): number[] { return configWeights(G); }
}

registerWeighting("ConFIG", () => new ConFIG());
