// The Gram-only path (TorchJD's "autogram" idea) for methods that need only inner products
// of the per-task gradients: the shared Gram matrix accumulated over blocks of shared
// parameters (each at most max(largest parameter, P / T) values), the T gradients of one
// block at a time, and the weighted update from one backward pass of sum_i w_i L_i. The T
// gradient vectors are never held at once; equal to the materialised path up to rounding.
// In polyhead/methods, not the core: the universal bundle has a size budget.
import { scope } from "../../engine/scope.js";
import { gradients } from "../../autograd/index.js";
import { vflatten, vgram } from "../../ops/vector.js";
import type { WeightingContext } from "./context.js";
import { weightedLoss } from "./bilevel.js";

/** gram("shared") without holding the T gradient vectors. */
export function layerwiseGram(ctx: WeightingContext): number[][] {
  const ps = ctx.sharedParameters(), losses = ctx.losses, T = losses.length;
  const G = Array.from({ length: T }, () => new Array<number>(T).fill(0));
  const P = ps.reduce((n, p) => n + p.size, 0);
  const cap = Math.max(Math.ceil(P / T), ...ps.map((p) => p.size));
  for (let start = 0; start < ps.length;) {
    let end = start, n = 0;
    while (end < ps.length && (end === start || n + ps[end].size <= cap)) n += ps[end++].size;
    const block = ps.slice(start, end);
    // in a scope of its own: the backward rules' temporaries (some parameter-sized) go with it
    const flats = losses.map((l) => scope(() => vflatten(gradients(l, block))));
    const Gb = vgram(flats);
    for (const f of flats) f.dispose();
    for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) G[i][j] += Gb[i][j];
    start = end;
  }
  return G;
}

/** sum_i w_i g_i on the shared parameters from one backward pass; the heads get sum_i h_i L_i. */
export function applyWeightsOnePass(ctx: WeightingContext, w: number[], heads: number[]): void {
  const ps = ctx.sharedParameters();
  const update = scope(() => vflatten(gradients(weightedLoss(ctx.losses, w), ps)));
  ctx.applySharedUpdate(update, heads);
}
