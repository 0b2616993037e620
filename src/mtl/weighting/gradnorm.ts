// GradNorm: learned task weights w that equalise the tasks' training rates. Each step the
// weights take a gradient step on L_grad = sum_i |w_i n_i - mean(w n) r_i^alpha|, n_i the
// norm of task i's shared gradient, r_i its relative inverse training rate
// (L_i / L_i(0)) / mean_j(L_j / L_j(0)); the target is held constant; afterwards the
// weights are renormalised to sum to T.
// Chen, Badrinarayanan, Lee and Rabinovich, "GradNorm: Gradient Normalization for
// Adaptive Loss Balancing in Deep Multitask Networks", ICML 2018 (eq. 1-2, Section 3.2).
import { pow } from "./fmath.js";
import { scaleToCount } from "./solvers.js";
import { vcombine } from "../../ops/vector.js";
import { adamStep } from "./famo.js";
import { checkNumbers, checkOptions, checkSpace, lossValues, taskIndex, type GradientSpace } from "./plugin.js";
import type { WeightingContext } from "./context.js";
import type { Weighting } from "./base.js";
import { registerWeighting } from "./registry.js";

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
  return scaleToCount(w.map((x) => Math.max(x, 1e-8)));
}

/**
 * GradNorm. The weights are learned by their own Adam (lr `lr`), as plain numbers, and
 * renormalised after each step; the norms n_i are those of the gradients in `on` (the
 * shared parameters, as LibMTL; `"representation"` is cheaper).
 * @example new GradNorm(["a", "b"], { alpha: 1.5 })
 */
export class GradNorm implements Weighting {
  readonly name = "GradNorm";
  readonly on: GradientSpace;
  readonly alpha: number; readonly lr: number;
  weights: number[]; initial: number[]; m: number[]; v: number[]; t = 0;
  constructor(readonly taskNames: string[], opts: { alpha?: number; lr?: number; on?: GradientSpace } = {}) {
    checkOptions("GradNorm", opts, ["alpha", "lr", "on"]);
    this.on = checkSpace("GradNorm", opts.on);
    this.alpha = opts.alpha ?? 1.5; this.lr = opts.lr ?? 0.025;
    if (!(this.alpha >= 0)) throw new Error(`GradNorm: alpha must be >= 0, got ${this.alpha}`);
    if (!(this.lr > 0)) throw new Error(`GradNorm: lr must be > 0, got ${this.lr}`);
    const n = taskNames.length;
    this.weights = taskNames.map(() => 1); this.initial = taskNames.map(() => 0);
    this.m = new Array<number>(n).fill(0); this.v = new Array<number>(n).fill(0);
  }
  backward(ctx: WeightingContext): number[] {
    const idx = taskIndex(this.name, this.taskNames, ctx.tasks);
    const L = lossValues(ctx);
    idx.forEach((i, k) => { if (!(this.initial[i] > 0)) this.initial[i] = L[k] > 0 ? L[k] : 1; });
    const w = idx.map((i) => this.weights[i]);
    const G = ctx.gram(this.on);
    if (this.on === "shared") ctx.applySharedUpdate(vcombine(ctx.sharedGrads(), w), w);
    else ctx.backwardWeighted(w);
    const { grad } = gradNormGrad(w, G.map((r, i) => Math.sqrt(r[i])), L, idx.map((i) => this.initial[i]), this.alpha);
    // Adam on the active tasks' weights (the others keep theirs), then renormalise them to their count
    this.t++;
    const x = [...w], m = idx.map((i) => this.m[i]), v = idx.map((i) => this.v[i]);
    adamStep(x, grad, m, v, this.t, this.lr);
    const r = gradNormRenormalize(x);
    idx.forEach((i, k) => { this.weights[i] = r[k]; this.m[i] = m[k]; this.v[i] = v[k]; });
    return w;
  }
  stateDict(): Record<string, unknown> { return { weights: [...this.weights], initial: [...this.initial], m: [...this.m], v: [...this.v], t: this.t }; }
  loadStateDict(state: Record<string, unknown>): void {
    const n = this.taskNames.length;
    const w = checkNumbers("GradNorm", "weights", state.weights, n), i0 = checkNumbers("GradNorm", "initial", state.initial, n);
    const m = checkNumbers("GradNorm", "m", state.m, n), v = checkNumbers("GradNorm", "v", state.v, n);
    if (!(Number.isInteger(state.t) && (state.t as number) >= 0)) throw new Error("GradNorm.loadStateDict: t must be an integer >= 0");
    this.weights = [...w]; this.initial = [...i0]; this.m = [...m]; this.v = [...v]; this.t = state.t as number;
  }
}

registerWeighting("GradNorm", (names) => new GradNorm(names));
