// FAMO: fast adaptive multitask optimisation. Loss weights from logits xi, z = softmax(xi):
// the update descends sum_i z_i log(L_i - min_i + eps), i.e. task weights
// z_i / (c D_i), D = L - min + eps, c = sum_j z_j / D_j; after the step the logits move
// by Adam on J_softmax' delta, delta_i = log D_i(before) - log D_i(after), with L2 decay.
// Liu, Liu, Stone and Liu, "FAMO: Fast Adaptive Multitask Optimization", NeurIPS 2023
// (Algorithm 1). As the authors' code: eps = 1e-8, Adam (lr 0.025, weight decay 1e-3).
// polyhead takes "after" from the next step's losses (one forward pass per step, not two).
import { log, softmax } from "./fmath.js";
import { checkNumbers, checkOptions, lossValues, taskIndex } from "./plugin.js";
import type { WeightingContext } from "./context.js";
import type { Weighting } from "./base.js";
import { registerWeighting } from "./registry.js";

/** The task weights z_i / (c D_i). */
export function famoWeights(logits: number[], losses: number[], minLosses?: number[]): number[] {
  const z = softmax(logits);
  const D = losses.map((l, i) => l - (minLosses ? minLosses[i] : 0) + 1e-8);
  let c = 0;
  for (let i = 0; i < z.length; i++) c += z[i] / D[i];
  return z.map((x, i) => x / (c * D[i]));
}

/** The logits' gradient J_softmax(xi)' delta from the losses before and after a step. */
export function famoLogitGrad(logits: number[], before: number[], after: number[], minLosses?: number[]): number[] {
  const z = softmax(logits);
  const m = (i: number) => (minLosses ? minLosses[i] : 0);
  const delta = before.map((b, i) => log(b - m(i) + 1e-8) - log(after[i] - m(i) + 1e-8));
  let zd = 0;
  for (let i = 0; i < z.length; i++) zd += z[i] * delta[i];
  return z.map((x, i) => x * (delta[i] - zd));
}

/** One torch.optim.Adam step (L2 weight decay added to the gradient), in place on x, m, v; t counts from 1. */
export function adamStep(x: number[], g: number[], m: number[], v: number[], t: number, lr: number, weightDecay = 0, b1 = 0.9, b2 = 0.999, eps = 1e-8): void {
  let bc1 = 1, bc2 = 1;
  for (let k = 0; k < t; k++) { bc1 *= b1; bc2 *= b2; }
  bc1 = 1 - bc1; bc2 = 1 - bc2;
  for (let i = 0; i < x.length; i++) {
    const gi = g[i] + weightDecay * x[i];
    m[i] = b1 * m[i] + (1 - b1) * gi;
    v[i] = b2 * v[i] + (1 - b2) * gi * gi;
    x[i] -= (lr / bc1) * (m[i] / (Math.sqrt(v[i]) / Math.sqrt(bc2) + eps));
  }
}

/**
 * FAMO. The logits move once per step from the change of each task's loss since the
 * step before in which it took part (tasks absent from a step keep their logits).
 * @example new FAMO(["a", "b"], { lr: 0.025 })
 */
export class FAMO implements Weighting {
  readonly name = "FAMO";
  readonly lr: number; readonly weightDecay: number;
  logits: number[]; m: number[]; v: number[]; t: number[];
  /** Each declared task's loss at its last step (-1: none yet). */
  prev: number[];
  constructor(readonly taskNames: string[], opts: { lr?: number; weightDecay?: number } = {}) {
    checkOptions("FAMO", opts, ["lr", "weightDecay"]);
    this.lr = opts.lr ?? 0.025; this.weightDecay = opts.weightDecay ?? 1e-3;
    if (!(this.lr > 0)) throw new Error(`FAMO: lr must be > 0, got ${this.lr}`);
    if (!(this.weightDecay >= 0)) throw new Error(`FAMO: weightDecay must be >= 0, got ${this.weightDecay}`);
    const z = () => taskNames.map(() => 0);
    this.logits = z(); this.m = z(); this.v = z(); this.t = z(); this.prev = taskNames.map(() => -1);
  }
  backward(ctx: WeightingContext): number[] {
    const idx = taskIndex(this.name, this.taskNames, ctx.tasks);
    const L = lossValues(ctx);
    // the logit update from the previous step (over the tasks seen then and now)
    const seen = idx.map((i, k) => [i, k]).filter(([i]) => this.prev[i] >= 0);
    if (seen.length >= 2) {
      const xi = seen.map(([i]) => this.logits[i]);
      const d = famoLogitGrad(xi, seen.map(([i]) => this.prev[i]), seen.map(([, k]) => L[k]));
      // one Adam step per task's own counter (torch's Adam over the tasks updated together)
      seen.forEach(([i], j) => {
        this.t[i]++;
        const x = [this.logits[i]], m = [this.m[i]], v = [this.v[i]];
        adamStep(x, [d[j]], m, v, this.t[i], this.lr, this.weightDecay);
        this.logits[i] = x[0]; this.m[i] = m[0]; this.v[i] = v[0];
      });
    }
    const w = famoWeights(idx.map((i) => this.logits[i]), L);
    ctx.backwardWeighted(w);
    idx.forEach((i, k) => { this.prev[i] = L[k]; });
    return w;
  }
  stateDict(): Record<string, unknown> {
    return { logits: [...this.logits], m: [...this.m], v: [...this.v], t: [...this.t], prev: [...this.prev] };
  }
  loadStateDict(state: Record<string, unknown>): void {
    const n = this.taskNames.length;
    const s = ["logits", "m", "v", "t", "prev"].map((k) => [...checkNumbers("FAMO", k, state[k], n)]);
    [this.logits, this.m, this.v, this.t, this.prev] = s;
  }
}

registerWeighting("FAMO", (names) => new FAMO(names));
