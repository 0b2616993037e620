// IMTL: impartial multi-task learning. IMTL-G picks the update g = sum_i a_i g_i, sum a = 1,
// whose projections on every task's unit gradient u_i are equal (g.u_1 = g.u_i); IMTL-L
// scales each loss by a learned e^{s_i} with the regulariser -s_i, so the scaled losses
// stay near 1.
// Liu, Li, Kuang, Xue, Chen, Yang, Liao and Zhang, "Towards Impartial Multi-task
// Learning", ICLR 2021 (IMTL-G: eq. 7 and its closed form; IMTL-L: eq. 3).
// polyhead solves the T equations of the paper's conditions directly on the Gram
// matrix (the same solution as the paper's closed form a = g_1 U'(D U')^{-1}).
import { checkGram, solveLinear, type Matrix } from "./solvers.js";
import { Tensor } from "../../tensor.js";
import { full, tensor } from "../../ops/creation.js";
import { add, exp as texp, mul, neg } from "../../ops/elementwise.js";
import { sum } from "../../ops/reduce.js";
import { stack, take } from "../../ops/shape.js";
import { accumulateGrad } from "../../autograd/index.js";
import { vcombine } from "../../ops/vector.js";
import { applyIn, checkOptions, checkNumbers, checkSpace, gradsIn, lossValues, taskIndex, type GradientSpace } from "./plugin.js";
import type { WeightingContext } from "./context.js";
import type { Weighting } from "./base.js";
import { registerWeighting } from "./registry.js";
import { exp } from "./fmath.js";

/** IMTL-G's weights: sum a = 1 and (u_1 - u_i).g = 0 for i > 1, with u_i = g_i/|g_i|. */
export function imtlGWeights(G: Matrix): number[] {
  checkGram(G, "IMTL");
  const T = G.length;
  const n = G.map((row, i) => Math.sqrt(row[i]));
  if (n.some((x) => !(x > 0))) throw new Error("IMTL: a task gradient is zero (its unit vector is undefined)");
  if (T === 1) return [1];
  const A: Matrix = [G.map(() => 1)];
  for (let i = 1; i < T; i++) A.push(G.map((_, j) => G[0][j] / n[0] - G[i][j] / n[i]));
  const b = G.map((_, i) => (i === 0 ? 1 : 0));
  const a = solveLinear(A, b, 1e-14);
  if (!a) throw new Error("IMTL: the projection conditions are singular (two task gradients point the same way)");
  return a;
}

/**
 * IMTL: "gradient" (IMTL-G on the raw gradients), "loss" (IMTL-L alone: the loss
 * e^{s_i} L_i - s_i) or "hybrid" (the paper's IMTL: IMTL-G on the gradients of the
 * scaled losses e^{s_i} L_i, with s learned by IMTL-L's rule). Loss scales s start at 0.
 */
export class IMTL implements Weighting {
  readonly name: string;
  readonly on: GradientSpace;
  readonly mode: "gradient" | "loss" | "hybrid";
  /** s_i per declared task (IMTL-L's log scales). */
  readonly s: Tensor;
  constructor(readonly taskNames: string[], opts: { mode?: "gradient" | "loss" | "hybrid"; on?: GradientSpace } = {}) {
    checkOptions("IMTL", opts, ["mode", "on"]);
    this.mode = opts.mode ?? "hybrid";
    if (!["gradient", "loss", "hybrid"].includes(this.mode)) throw new Error(`IMTL: mode must be gradient, loss or hybrid, got ${String(this.mode)}`);
    this.name = this.mode === "gradient" ? "IMTL-G" : this.mode === "loss" ? "IMTL-L" : "IMTL";
    this.on = checkSpace(this.name, opts.on);
    if (taskNames.length === 0) throw new Error("IMTL: needs the task names");
    this.s = full([taskNames.length], 0).keep();
    this.s.requiresGrad = this.mode !== "gradient";
    this.s.name = "IMTL.s";
  }
  parameters(): Tensor[] { return this.mode === "gradient" ? [] : [this.s]; }
  backward(ctx: WeightingContext): number[] {
    const idx = taskIndex(this.name, this.taskNames, ctx.tasks);
    if (this.mode === "loss") {
      const sAct = take(this.s, idx);
      const L = stack(ctx.losses.map((l) => (l.rank === 0 ? l : sum(l))));
      ctx.backwardLoss(add(sum(mul(L, texp(sAct))), neg(sum(sAct))));
      return Array.from(texp(sAct).data());
    }
    const sv = Array.from(this.s.data());
    const e = idx.map((i) => (this.mode === "hybrid" ? exp(sv[i]) : 1));
    const G = ctx.gram(this.on).map((row, i) => row.map((x, j) => x * e[i] * e[j]));
    const a = imtlGWeights(G);
    const w = a.map((x, i) => x * e[i]); // on the raw gradients
    applyIn(ctx, this.on, vcombine(gradsIn(ctx, this.on), w), e);
    if (this.mode === "hybrid") {
      // d/ds_i (e^{s_i} L_i - s_i) = e^{s_i} L_i - 1, for the active tasks only
      const L = lossValues(ctx);
      const g = this.taskNames.map(() => 0);
      idx.forEach((i, k) => { g[i] = e[k] * L[k] - 1; });
      accumulateGrad(this.s, tensor(g));
    }
    return w;
  }
  stateDict(): Record<string, unknown> { return this.mode === "gradient" ? {} : { s: Array.from(this.s.data()) }; }
  loadStateDict(state: Record<string, unknown>): void {
    if (this.mode === "gradient") return;
    this.s.write(checkNumbers(this.name, "s", state.s, this.taskNames.length));
  }
}

registerWeighting("IMTL", (names) => new IMTL(names));
registerWeighting("IMTL-G", (names) => new IMTL(names, { mode: "gradient" }));
registerWeighting("IMTL-L", (names) => new IMTL(names, { mode: "loss" }));
