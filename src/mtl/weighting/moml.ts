// MOML: multi-objective meta learning. Task weights softmax(α) train the model (lower
// level); each task's validation loss after one look-ahead step is an upper-level
// objective, L_t^val(θ - η Σ_k s_k ∇L_k(θ)), whose gradient w.r.t. α is
// -η J_s' (∇L_k(θ) · ∇θ'L_t^val)_k; the T hypergradients, each scaled to unit length,
// combine by MGDA's min-norm point (exact here), and α moves by Adam along it.
// Ye, Lin, Yue, Guo, Xiao and Zhang, "Multi-Objective Meta Learning", NeurIPS 2021 (AIJ
// 2024). As LibMTL's one-step version: α starts at 1/T, inner step η = 0.1, Adam lr 1e-3,
// then the model trains on Σ softmax(α)_t L_t with the new α.
import type { Weighting } from "./base.js";
import type { WeightingContext } from "./context.js";
import { vcombine, vdot, vflatten, vaxpy } from "../../ops/vector.js";
import { softmax } from "./fmath.js";
import { minNormPoint } from "./solvers.js";
import { adamActive, bilevelOf, BilevelWeighting, flatGrad, softmaxJT, withValues } from "./bilevel.js";
import { checkOptions, taskIndex } from "./plugin.js";
import { registerWeighting } from "./registry.js";

/** Options of MOML. */
export interface MomlOptions {
  /** The look-ahead step size η (default 0.1). */
  innerLr?: number;
  /** Adam's learning rate for α (default 1e-3). */
  lr?: number;
}

/**
 * α's update direction from the hypergradient rows (one per upper-level objective, over
 * the active tasks' α): rows scaled to unit norm (zero rows left out), then their min-norm
 * combination. Zeros when every row is zero.
 */
export function momlDirection(rows: number[][]): number[] {
  const T = rows[0]?.length ?? 0;
  const U = rows.flatMap((r) => {
    let s = 0;
    for (const x of r) s += x * x;
    const n = Math.sqrt(s);
    return n > 0 ? [r.map((x) => x / n)] : [];
  });
  if (U.length === 0) return new Array<number>(T).fill(0);
  const G = U.map((a) => U.map((c) => { let s = 0; for (let i = 0; i < T; i++) s += a[i] * c[i]; return s; }));
  const w = minNormPoint(G);
  const out = new Array<number>(T).fill(0);
  U.forEach((r, k) => { for (let i = 0; i < T; i++) out[i] += w[k] * r[i]; });
  return out;
}

/** MOML. @example new Trainer(model, { tasks, weighting: new MOML(names) }) */
export class MOML extends BilevelWeighting implements Weighting {
  readonly name = "MOML";
  protected readonly saved = ["alpha"];
  readonly innerLr: number;
  alpha: number[];
  constructor(taskNames: string[], opts: MomlOptions = {}) {
    checkOptions("MOML", opts, ["innerLr", "lr"]);
    super("MOML", taskNames, opts.lr ?? 1e-3);
    this.innerLr = opts.innerLr ?? 0.1;
    if (!(this.innerLr > 0)) throw new Error(`MOML: innerLr must be > 0, got ${this.innerLr}`);
    this.alpha = taskNames.map(() => 1 / taskNames.length);
  }

  backward(ctx: WeightingContext): number[] {
    const b = bilevelOf(this.name, ctx);
    const idx = taskIndex(this.name, this.taskNames, ctx.tasks);
    const ps = b.parameters, eta = this.innerLr;
    const s = softmax(idx.map((i) => this.alpha[i]));
    const gf = ctx.losses.map((l) => flatGrad(l, ps)); // T x P: the lower level's per-task gradients
    const ahead = vflatten(ps);
    const step = vcombine(gf, s);
    vaxpy(ahead, step, -eta);
    step.dispose();
    const rows = withValues(ps, ahead, () => b.validationLosses().flatMap((l) => {
      if (!l) return [];
      const gF = flatGrad(l, ps);
      const c = gf.map((g) => vdot(g, gF));
      gF.dispose();
      return [softmaxJT(s, c).map((x) => -eta * x)];
    }));
    ahead.dispose();
    for (const g of gf) g.dispose();
    if (rows.length) adamActive(this.alpha, momlDirection(rows), idx, this.adam, this.lr);
    const w = softmax(idx.map((i) => this.alpha[i]));
    ctx.backwardWeighted(w);
    return w;
  }
}

registerWeighting("MOML", (names) => new MOML(names));
