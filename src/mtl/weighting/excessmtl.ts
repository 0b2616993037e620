// ExcessMTL: robust weighting by excess risk. Each task's excess risk is estimated as
// g_i' H_i^{-1} g_i with H_i the AdaGrad diagonal sqrt(sum over steps of g_i^2); the loss
// weights are updated multiplicatively, w_i <- w_i exp(eta e_i / e_i(0)), renormalised to
// sum to T; the first step only records e(0) (METHODS.md).
// He, Zhou, Wang, Yu, Zhang and Zhang, "Robust Multi-Task Learning with Excess Risks",
// ICML 2024 (Algorithm 1).
import { exp } from "./fmath.js";

/** g' diag(1/sqrt(acc + 1e-7)) g after acc += g^2, in place on acc (double precision). */
export function excessRisk(g: ArrayLike<number>, acc: Float64Array): number {
  let s = 0;
  for (let k = 0; k < acc.length; k++) {
    acc[k] += g[k] * g[k];
    s += (g[k] * g[k]) / Math.sqrt(acc[k] + 1e-7);
  }
  return s;
}

/** The multiplicative weight update, renormalised to sum to the number of weights. */
export function excessMtlWeights(w: number[], risks: number[], initial: number[], eta: number): number[] {
  const n = w.map((x, i) => x * exp((eta * risks[i]) / (initial[i] > 0 ? initial[i] : 1)));
  let s = 0;
  for (const x of n) s += x;
  return n.map((x) => (x * n.length) / s);
}
