// FAMO: fast adaptive multitask optimisation. Loss weights from logits xi, z = softmax(xi):
// the update descends sum_i z_i log(L_i - min_i + eps), i.e. task weights
// z_i / (c D_i), D = L - min + eps, c = sum_j z_j / D_j; after the step the logits move
// by Adam on J_softmax' delta, delta_i = log D_i(before) - log D_i(after), with L2 decay.
// Liu, Liu, Stone and Liu, "FAMO: Fast Adaptive Multitask Optimization", NeurIPS 2023
// (Algorithm 1). As the authors' code: eps = 1e-8, Adam (lr 0.025, weight decay 1e-3).
// polyhead takes "after" from the next step's losses (one forward pass per step, not two).
import { log, softmax } from "./fmath.js";

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
