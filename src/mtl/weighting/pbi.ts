// PBI: penalty-based boundary intersection. With p-hat = p / |p| and r = L - z (z the ideal
// point), d1 = r.p-hat is the progress along the preference and d2 = |r - d1 p-hat| the
// distance from it; the scalarisation is d1 + theta d2. Its gradient weights (which can
// be negative: moving back towards the preference ray) are p-hat + theta (r - d1 p-hat) / d2.
// Zhang and Li, "MOEA/D: A Multiobjective Evolutionary Algorithm Based on
// Decomposition", IEEE TEC 2007 (eq. 8-9).
import { checkOptions, PreferenceScalarisation } from "./plugin.js";
import type { Weighting } from "./base.js";
import { registerWeighting } from "./registry.js";

/** Penalty-boundary-intersection scalarisation of the losses for a preference vector: its value and weights. */
export function pbiWeights(losses: number[], pref: number[], theta = 5, ideal?: number[]): { total: number; weights: number[] } {
  const T = losses.length;
  if (pref.length !== T) throw new Error(`PBI: ${T} losses need ${T} preference values`);
  let pn = 0;
  for (const x of pref) pn += x * x;
  pn = Math.sqrt(pn);
  if (!(pn > 0)) throw new Error("PBI: the preference vector is zero");
  const ph = pref.map((x) => x / pn);
  const r = losses.map((l, i) => l - (ideal ? ideal[i] : 0));
  let d1 = 0;
  for (let i = 0; i < T; i++) d1 += r[i] * ph[i];
  const perp = r.map((x, i) => x - d1 * ph[i]);
  let d2 = 0;
  for (const x of perp) d2 += x * x;
  d2 = Math.sqrt(d2);
  // at d2 = 0 the penalty is not differentiable; its subgradient 0 is used
  return { total: d1 + theta * d2, weights: ph.map((x, i) => x + (d2 > 0 ? (theta * perp[i]) / d2 : 0)) };
}

/** PBI over the task losses. @example new PBI(["a", "b"], { theta: 5 }) */
export class PBI extends PreferenceScalarisation implements Weighting {
  readonly name = "PBI";
  readonly theta: number;
  constructor(taskNames: string[], opts: { theta?: number; pref?: number[]; ideal?: number[] } = {}) {
    checkOptions("PBI", opts, ["theta", "pref", "ideal"]);
    super("PBI", taskNames, opts.pref, opts.ideal);
    this.theta = opts.theta ?? 5;
    if (!(this.theta >= 0)) throw new Error(`PBI: theta must be >= 0, got ${this.theta}`);
  }
  protected weightsAt(losses: number[], pref: number[], ideal: number[]): number[] { return pbiWeights(losses, pref, this.theta, ideal).weights; }
}

registerWeighting("PBI", (names) => new PBI(names));
