// STCH: smooth Tchebycheff scalarisation, mu log sum_i exp(p_i (L_i - z_i) / mu), a smooth
// version of the worst weighted excess over the ideal point z; its gradient weights
// task i by p_i softmax_i(p (L - z) / mu).
// Lin, Zhang, Li, Yang, Zhang and Zhang, "Smooth Tchebycheff Scalarization for
// Multi-Objective Optimization", ICML 2024 (eq. 6).
// polyhead follows the paper (ideal point given, default 0); LibMTL additionally
// normalises by a nadir point fixed after a warm-up epoch (METHODS.md).
import { logSumExp, softmax } from "./fmath.js";

export function stchWeights(losses: number[], pref: number[], mu: number, ideal?: number[]): { total: number; weights: number[] } {
  if (!(mu > 0)) throw new Error(`STCH: mu must be > 0, got ${mu}`);
  const z = ideal ?? losses.map(() => 0);
  const a = losses.map((l, i) => (pref[i] * (l - z[i])) / mu);
  const s = softmax(a);
  return { total: mu * logSumExp(a), weights: s.map((x, i) => x * pref[i]) };
}
