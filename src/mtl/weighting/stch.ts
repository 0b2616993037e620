// STCH: smooth Tchebycheff scalarisation, mu log sum_i exp(p_i (L_i - z_i) / mu), a smooth
// version of the worst weighted excess over the ideal point z; its gradient weights
// task i by p_i softmax_i(p (L - z) / mu).
// Lin, Zhang, Li, Yang, Zhang and Zhang, "Smooth Tchebycheff Scalarization for
// Multi-Objective Optimization", ICML 2024 (eq. 6).
// polyhead follows the paper (ideal point given, default 0); LibMTL additionally
// normalises by a nadir point fixed after a warm-up epoch (METHODS.md).
import { logSumExp, softmax } from "./fmath.js";
import { checkOptions, PreferenceScalarisation } from "./plugin.js";
import type { Weighting } from "./base.js";
import { registerWeighting } from "./registry.js";

/** Smooth Tchebycheff scalarisation of the losses (temperature mu): its value and weights. */
export function stchWeights(losses: number[], pref: number[], mu: number, ideal?: number[]): { total: number; weights: number[] } {
  if (!(mu > 0)) throw new Error(`STCH: mu must be > 0, got ${mu}`);
  const z = ideal ?? losses.map(() => 0);
  const a = losses.map((l, i) => (pref[i] * (l - z[i])) / mu);
  const s = softmax(a);
  return { total: mu * logSumExp(a), weights: s.map((x, i) => x * pref[i]) };
}

/** STCH over the task losses. @example new STCH(["a", "b"], { mu: 0.5 }) */
export class STCH extends PreferenceScalarisation implements Weighting {
  readonly name = "STCH";
  readonly mu: number;
  constructor(taskNames: string[], opts: { mu?: number; pref?: number[]; ideal?: number[] } = {}) {
    checkOptions("STCH", opts, ["mu", "pref", "ideal"]);
    super("STCH", taskNames, opts.pref, opts.ideal);
    this.mu = opts.mu ?? 1;
    if (!(this.mu > 0)) throw new Error(`STCH: mu must be > 0, got ${this.mu}`);
  }
  protected weightsAt(losses: number[], pref: number[], ideal: number[]): number[] { return stchWeights(losses, pref, this.mu, ideal).weights; }
}

registerWeighting("STCH", (names) => new STCH(names));
