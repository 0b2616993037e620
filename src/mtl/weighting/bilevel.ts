// What the bilevel (validation-driven) methods share: flat gradients over every trainable
// parameter, a look-ahead that moves the parameters and always puts them back bit for
// bit, the softmax Jacobian of their task-weight logits, and Adam on the weights of the
// tasks active in a step (each weight counts its own steps, so a task that sits a step
// out keeps its state as it was), and the class they extend: the trainer's flags, the
// task names, the learned per-task vectors and their Adam state, saved and restored whole.
import { Tensor } from "../../tensor.js";
import { gradients } from "../../autograd/index.js";
import { add, affine } from "../../ops/elementwise.js";
import { vflatten, vscatter } from "../../ops/vector.js";
import type { BilevelAccess, WeightingContext } from "./context.js";
import { adamStep } from "./famo.js";
import { checkNumbers } from "./plugin.js";

/** ctx.bilevel, or an error saying how to get it. */
export function bilevelOf(who: string, ctx: WeightingContext): BilevelAccess {
  if (!ctx.bilevel) throw new Error(`${who}: is a bilevel method and needs the trainer's validation batches (fit(data, { validation }))`);
  return ctx.bilevel;
}

/** The gradient of `loss` w.r.t. `params` as one flat vector (the per-parameter pieces freed). */
export function flatGrad(loss: Tensor, params: Tensor[]): Tensor {
  const gs = gradients(loss, params);
  const flat = vflatten(gs);
  for (const g of gs) g.dispose();
  return flat;
}

/** sum_i w_i L_i on the tape (zero weights left out). */
export function weightedLoss(losses: Tensor[], w: number[]): Tensor {
  let total: Tensor | null = null;
  losses.forEach((l, i) => { if (w[i] !== 0) total = total ? add(total, affine(l, w[i])) : affine(l, w[i]); });
  return total ?? affine(losses[0], 0);
}

/**
 * Run `fn` with the parameters set to `values` (flat), then restore their values as they
 * were, exactly, even when `fn` throws (the step's tape still refers to them).
 */
export function withValues<R>(params: Tensor[], values: Tensor, fn: () => R): R {
  const saved = vflatten(params);
  try {
    vscatter(params, values);
    return fn();
  } finally {
    vscatter(params, saved);
    saved.dispose();
  }
}

/** J' v for the softmax s's Jacobian J = diag(s) - s s' (symmetric): s_i (v_i - s'v). */
export function softmaxJT(s: number[], v: number[]): number[] {
  let sv = 0;
  for (let i = 0; i < s.length; i++) sv += s[i] * v[i];
  return s.map((x, i) => x * (v[i] - sv));
}

/** Per-task Adam state of learned task weights, saved as plain numbers. */
export interface WeightAdam { m: number[]; v: number[]; t: number[] }

export const freshAdam = (n: number): WeightAdam => ({ m: new Array<number>(n).fill(0), v: new Array<number>(n).fill(0), t: new Array<number>(n).fill(0) });

/** One torch.optim.Adam step on x[idx[k]] with gradient g[k]; each entry keeps its own step count. */
export function adamActive(x: number[], g: number[], idx: number[], s: WeightAdam, lr: number): void {
  idx.forEach((i, k) => {
    const xi = [x[i]], mi = [s.m[i]], vi = [s.v[i]];
    s.t[i] += 1;
    adamStep(xi, [g[k]], mi, vi, s.t[i], lr);
    x[i] = xi[0]; s.m[i] = mi[0]; s.v[i] = vi[0];
  });
}

/** A copy of the Adam state for stateDict(). */
export const saveAdam = (s: WeightAdam): WeightAdam => ({ m: [...s.m], v: [...s.v], t: [...s.t] });

/** Throws unless `v` is {m, v, t} of n finite numbers each (for loadStateDict). */
export function loadAdam(who: string, v: unknown, n: number): WeightAdam {
  const o = v as Record<string, unknown> | null;
  const ok = (a: unknown) => Array.isArray(a) && a.length === n && a.every((x) => typeof x === "number" && Number.isFinite(x));
  if (!o || typeof o !== "object" || !ok(o.m) || !ok(o.v) || !ok(o.t) || !(o.t as number[]).every((x) => Number.isInteger(x) && x >= 0)) {
    throw new Error(`${who}.loadStateDict: adam must be {m, v, t} with ${n} finite numbers each (t counts steps)`);
  }
  return { m: [...(o.m as number[])], v: [...(o.v as number[])], t: [...(o.t as number[])] };
}

/**
 * The base of Auto-λ, MOML and FORUM: they need the validation batch and look-ahead
 * forwards, learn per-task vectors (named in `saved`, one value per declared task) with
 * Adam at rate `lr`, and save those vectors and the Adam state in stateDict.
 */
export abstract class BilevelWeighting {
  readonly needsValidation = true;
  readonly needsLookahead = true;
  adam: WeightAdam;
  /** The names of the learned per-task vectors (fields of the method) that stateDict saves. */
  protected abstract readonly saved: readonly string[];
  constructor(who: string, readonly taskNames: string[], readonly lr: number) {
    if (!(lr > 0)) throw new Error(`${who}: lr must be > 0, got ${lr}`);
    this.adam = freshAdam(taskNames.length);
  }
  private get vectors(): Record<string, number[]> { return this as unknown as Record<string, number[]>; }
  /** Copies of the learned vectors (by field name) and of the Adam state. */
  stateDict(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const k of this.saved) out[k] = [...this.vectors[k]];
    out.adam = saveAdam(this.adam);
    return out;
  }
  /** Everything is checked before anything changes. */
  loadStateDict(state: Record<string, unknown>): void {
    const n = this.taskNames.length, who = (this as unknown as { name: string }).name;
    const vals = this.saved.map((k) => [...checkNumbers(who, k, state[k], n)]);
    const adam = loadAdam(who, state.adam, n);
    this.saved.forEach((k, i) => { this.vectors[k] = vals[i]; });
    this.adam = adam;
  }
}
