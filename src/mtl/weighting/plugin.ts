// What the gradient-combination plug-ins share: option checks, the choice of gradient
// space (the shared parameters, or the shared representation: cheaper, one backward
// through the heads per task), applying weights w as the update sum_i w_i g_i, and
// per-task state kept by task name (a task without labels in a step sits it out and its
// state stays as it was).
import type { Tensor } from "../../tensor.js";
import { vcombine } from "../../ops/vector.js";
import type { WeightingContext } from "./context.js";
import { checkGram, matVec, projectSimplex, type Matrix } from "./solvers.js";
import { applyWeightsOnePass, layerwiseGram } from "./autogram.js";

/** Where per-task gradients are taken: the shared parameters or the shared representation. */
export type GradientSpace = "shared" | "representation";

/** Unknown options are rejected naming the closest known one (the one checker of src/validate.ts). */
export { checkOptions } from "../../validate.js";

/** Validates `on`; a method limited to one space names the one it needs. */
export function checkSpace(who: string, on: unknown, allowed: GradientSpace[] = ["shared", "representation"]): GradientSpace {
  const s = (on ?? allowed[0]) as GradientSpace;
  if (s !== "shared" && s !== "representation") throw new Error(`${who}: on must be "shared" or "representation", got ${String(on)}`);
  if (!allowed.includes(s)) {
    throw new Error(`${who}: needs the per-task gradients w.r.t. the ${allowed[0] === "shared" ? "shared parameters (on: \"shared\")" : "shared representation (on: \"representation\")"}; ` +
      `on: "${s}" is not supported (${allowed[0] === "shared" ? "its state persists across steps, and the representation changes with the batch" : "the rule is defined per activation"})`);
  }
  return s;
}

/** The per-task gradients in the chosen space. */
export function gradsIn(ctx: WeightingContext, on: GradientSpace): Tensor[] {
  return on === "shared" ? ctx.sharedGrads() : ctx.representationGrads();
}

/** Apply `update` in the chosen space and backprop sum_i head_i L_i into the heads. */
export function applyIn(ctx: WeightingContext, on: GradientSpace, update: Tensor, heads: number[]): void {
  if (on === "shared") ctx.applySharedUpdate(update, heads);
  else ctx.applyRepresentationUpdate(update, heads);
}

/** Apply sum_i w_i g_i (the heads get their own loss, weight 1, unless `heads` says otherwise). */
export function applyWeights(ctx: WeightingContext, on: GradientSpace, w: number[], heads?: number[]): void {
  if (w.some((x) => !Number.isFinite(x))) throw new Error(`weights are not finite: ${w.join(", ")}`);
  applyIn(ctx, on, vcombine(gradsIn(ctx, on), w), heads ?? ctx.tasks.map(() => 1));
}

/** Index of each active task among the declared names (throws for a task the method was not built for). */
export function taskIndex(who: string, names: string[], active: string[]): number[] {
  return active.map((t) => {
    const i = names.indexOf(t);
    if (i < 0) throw new Error(`${who}: task "${t}" was not declared (${names.join(", ")})`);
    return i;
  });
}

/**
 * A scalarisation of the losses with a preference vector and an ideal point (STCH, PBI):
 * the update is sum_i w_i L_i with w its gradient weights at the active tasks' losses.
 */
export abstract class PreferenceScalarisation {
  abstract readonly name: string;
  readonly pref: number[]; readonly ideal: number[];
  constructor(who: string, readonly taskNames: string[], pref: number[] | undefined, ideal: number[] | undefined) {
    this.pref = pref ?? taskNames.map(() => 1);
    this.ideal = ideal ?? taskNames.map(() => 0);
    if (this.pref.length !== taskNames.length || this.pref.some((x) => !(x >= 0))) throw new Error(`${who}: pref must have ${taskNames.length} values >= 0`);
    if (this.ideal.length !== taskNames.length || this.ideal.some((x) => !Number.isFinite(x))) throw new Error(`${who}: ideal must have ${taskNames.length} finite values`);
  }
  /** The weights at the active tasks' losses, preferences and ideal point. */
  protected abstract weightsAt(losses: number[], pref: number[], ideal: number[]): number[];
  /** Backprop sum_i w_i L_i over the active tasks; returns w. */
  backward(ctx: WeightingContext): number[] {
    const idx = taskIndex(this.name, this.taskNames, ctx.tasks);
    const w = this.weightsAt(lossValues(ctx), idx.map((i) => this.pref[i]), idx.map((i) => this.ideal[i]));
    ctx.backwardWeighted(w);
    return w;
  }
}

/** One projected gradient step of simplex weights, P_simplex(lambda - gamma (M lambda + rho lambda)) (MoCo, MoDo). */
export function simplexStep(who: string, M: Matrix, lambda: number[], gamma: number, rho = 0): number[] {
  checkGram(M, who);
  const Ml = matVec(M, lambda);
  return projectSimplex(lambda.map((l, i) => l - gamma * (Ml[i] + rho * l)));
}

/** Checks simplexStep's step size gamma (> 0) and ridge rho (>= 0). */
export function checkSimplexStep(who: string, gamma: number, rho: number): void {
  if (!(gamma > 0)) throw new Error(`${who}: gamma must be > 0, got ${gamma}`);
  if (!(rho >= 0)) throw new Error(`${who}: rho must be >= 0, got ${rho}`);
}

/**
 * Moves the active tasks' share of simplex weights kept over all declared tasks: their
 * weights renormalised to the simplex go through `step`, and come back at the total they
 * had (the absent tasks keep theirs). Returns the active tasks' new weights (on the simplex).
 */
export function stepActiveShare(lambda: number[], idx: number[], step: (share: number[]) => number[]): number[] {
  let sl = 0;
  for (const i of idx) sl += lambda[i];
  const lam = step(idx.map((i) => (sl > 0 ? lambda[i] / sl : 1 / idx.length)));
  idx.forEach((i, k) => { lambda[i] = lam[k] * (sl > 0 ? sl : 1); });
  return lam;
}

/** Loss values of the step (numbers). */
export const lossValues = (ctx: WeightingContext): number[] => ctx.losses.map((l) => l.item());

/** The sub-matrix of the active rows/columns. */
export const subMatrix = (M: Matrix, idx: number[]): Matrix => idx.map((i) => idx.map((j) => M[i][j]));

/** Throws unless v is an array of `n` finite numbers (for loadStateDict). */
export function checkNumbers(who: string, what: string, v: unknown, n: number): number[] {
  if (!Array.isArray(v) || v.length !== n || v.some((x) => typeof x !== "number" || !Number.isFinite(x))) {
    throw new Error(`${who}.loadStateDict: ${what} must be ${n} finite numbers`);
  }
  return v as number[];
}

/**
 * A stateless method whose update is sum_i w_i g_i with w a function of the Gram matrix
 * (MGDA, CAGrad, Nash-MTL, UPGrad ...): it needs only inner products of the gradients.
 * With `autogram` (shared parameters only) it never holds the T gradient vectors: the
 * Gram matrix is accumulated parameter block by parameter block (./autogram.ts) and
 * the update is one backward pass of sum_i w_i L_i; the same update up to rounding, for
 * T - 1 more partial backward passes per block (TorchJD's "autogram" idea).
 */
export abstract class GramMethod {
  readonly on: GradientSpace;
  readonly autogram: boolean;
  constructor(readonly name: string, on?: unknown, autogram?: unknown) {
    this.on = checkSpace(name, on);
    if (autogram !== undefined && typeof autogram !== "boolean") throw new Error(`${name}: autogram must be true or false, got ${String(autogram)}`);
    this.autogram = autogram === true;
    if (this.autogram && this.on !== "shared") throw new Error(`${name}: autogram applies to the shared parameters (on: "shared"); the representation's gradients are small already`);
  }
  /** The method's task weights for the Gram matrix G of the per-task gradients. */
  protected abstract weights(G: Matrix, ctx: WeightingContext): number[];
  /** Combine the per-task gradients by this method's weights into the parameters' .grad; returns the weights. */
  backward(ctx: WeightingContext): number[] {
    if (this.autogram) {
      const w = this.weights(layerwiseGram(ctx), ctx);
      if (w.some((x) => !Number.isFinite(x))) throw new Error(`${this.name}: weights are not finite: ${w.join(", ")}`);
      applyWeightsOnePass(ctx, w, ctx.tasks.map(() => 1));
      return w;
    }
    const w = this.weights(ctx.gram(this.on), ctx);
    applyWeights(ctx, this.on, w);
    return w;
  }
}
