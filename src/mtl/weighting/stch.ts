// STCH: smooth Tchebycheff scalarisation, mu log sum_i exp(p_i (L_i - z_i) / mu), a smooth
// version of the worst weighted excess over the ideal point z; its gradient weights
// task i by p_i softmax_i(p (L - z) / mu).
// Lin, Zhang, Li, Yang, Zhang and Zhang, "Smooth Tchebycheff Scalarization for
// Multi-Objective Optimization", ICML 2024 (eq. 6).
// polyhead follows the paper (ideal point given, default 0); LibMTL additionally
// normalises by a nadir point fixed after a warm-up epoch (METHODS.md).
import { logSumExp, softmax } from "./fmath.js";
import { checkOptions, lossValues, taskIndex } from "./plugin.js";
import type { WeightingContext } from "./context.js";
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
export class STCH implements Weighting {
  readonly name = "STCH";
  readonly mu: number; readonly pref: number[]; readonly ideal: number[];
  constructor(readonly taskNames: string[], opts: { mu?: number; pref?: number[]; ideal?: number[] } = {}) {
    checkOptions("STCH", opts, ["mu", "pref", "ideal"]);
    this.mu = opts.mu ?? 1;
    if (!(this.mu > 0)) throw new Error(`STCH: mu must be > 0, got ${this.mu}`);
    this.pref = opts.pref ?? taskNames.map(() => 1);
    this.ideal = opts.ideal ?? taskNames.map(() => 0);
    if (this.pref.length !== taskNames.length || this.pref.some((x) => !(x >= 0))) throw new Error(`STCH: pref must have ${taskNames.length} values >= 0`);
    if (this.ideal.length !== taskNames.length) throw new Error(`STCH: ideal must have ${taskNames.length} values`);
  }
  backward(ctx: WeightingContext): number[] {
    const idx = taskIndex(this.name, this.taskNames, ctx.tasks);
    const { weights } = stchWeights(lossValues(ctx), idx.map((i) => this.pref[i]), this.mu, idx.map((i) => this.ideal[i]));
    ctx.backwardWeighted(weights);
    return weights;
  }
}

registerWeighting("STCH", (names) => new STCH(names));
