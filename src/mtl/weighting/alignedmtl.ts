// Aligned-MTL: align the task gradients into an orthogonal system of equal magnitude
// (the condition number of the gradient matrix becomes 1), scaled by the smallest
// singular value: with G = V diag(l) V', the aligned gradients are sqrt(l_min) J' B,
// B = V diag(l)^{-1/2} V' on the non-null eigenspace.
// Senushkin, Patakin, Kuznetsov and Konushin, "Independent Component Alignment for
// Multi-Task Learning", CVPR 2023 (Algorithm 1).
// Eigenvalues <= l_max * T * 2^-52 count as zero (as the references). Default preference
// 1 per task (the sum of the aligned gradients, as LibMTL; TorchJD uses the mean).
import { checkGram, symEig, type Matrix } from "./solvers.js";
import { GramMethod, checkOptions, type GradientSpace } from "./plugin.js";
import { registerWeighting } from "./registry.js";

/** Weights w with sum_i w_i g_i = Aligned-MTL's update, w = sqrt(l_min) B pref. */
export function alignedMtlWeights(G: Matrix, pref?: number[]): number[] {
  checkGram(G, "Aligned-MTL");
  const T = G.length;
  const p = pref ?? G.map(() => 1);
  if (p.length !== T) throw new Error(`Aligned-MTL: pref must have ${T} values`);
  const { values, vectors: V } = symEig(G);
  const lmax = values[T - 1];
  if (!(lmax > 0)) return G.map(() => 0);
  const tol = lmax * T * 2.220446049250313e-16;
  const keep = values.map((v, k) => (v > tol ? k : -1)).filter((k) => k >= 0);
  const lmin = values[keep[0]];
  const w = new Array<number>(T).fill(0);
  for (const k of keep) {
    let vp = 0;
    for (let j = 0; j < T; j++) vp += V[j][k] * p[j];
    const s = (Math.sqrt(lmin) / Math.sqrt(values[k])) * vp;
    for (let i = 0; i < T; i++) w[i] += V[i][k] * s;
  }
  return w;
}

/** Aligned-MTL. @example new AlignedMTL() */
export class AlignedMTL extends GramMethod {
  constructor(opts: { on?: GradientSpace; autogram?: boolean } = {}) {
    checkOptions("Aligned-MTL", opts, ["on", "autogram"]);
    super("Aligned-MTL", opts.on, opts.autogram);
  }
  /** Aligned-MTL's weights for the Gram matrix G. */
  protected weights(G: Matrix): number[] { return alignedMtlWeights(G); }
}

registerWeighting("Aligned-MTL", () => new AlignedMTL());
