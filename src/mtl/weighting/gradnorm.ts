// GradNorm: learned task weights w that equalise the tasks' training rates. Each step the
// weights take a gradient step on L_grad = sum_i |w_i n_i - mean(w n) r_i^alpha|, n_i the
// norm of task i's shared gradient, r_i its relative inverse training rate
// (L_i / L_i(0)) / mean_j(L_j / L_j(0)); the target is held constant; afterwards the
// weights are renormalised to sum to T.
// Chen, Badrinarayanan, Lee and Rabinovich, "GradNorm: Gradient Normalization for
// Adaptive Loss Balancing in Deep Multitask Networks", ICML 2018 (eq. 1-2, Section 3.2).
import { pow } from "./fmath.js";

/** L_grad and its gradient with respect to the weights w. */
export function gradNormGrad(w: number[], norms: number[], losses: number[], initialLosses: number[], alpha: number): { loss: number; grad: number[] } {
  const T = w.length;
  if (norms.length !== T || losses.length !== T || initialLosses.length !== T) throw new Error(`GradNorm: ${T} weights need ${T} norms and losses`);
  const ratio = losses.map((l, i) => (initialLosses[i] > 0 ? l / initialLosses[i] : 1));
  let mr = 0, mg = 0;
  for (let i = 0; i < T; i++) { mr += ratio[i] / T; mg += (w[i] * norms[i]) / T; }
  let loss = 0;
  const grad = w.map((wi, i) => {
    const d = wi * norms[i] - mg * pow(ratio[i] / mr, alpha);
    loss += Math.abs(d);
    return d > 0 ? norms[i] : d < 0 ? -norms[i] : 0;
  });
  return { loss, grad };
}

/** Renormalise positive weights to sum to T (negative ones are clipped to a small floor first). */
export function gradNormRenormalize(w: number[]): number[] {
  const c = w.map((x) => Math.max(x, 1e-8));
  let s = 0;
  for (const x of c) s += x;
  return c.map((x) => (x * c.length) / s);
}
