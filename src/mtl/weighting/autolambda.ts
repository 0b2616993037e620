// Auto-λ: task weights λ learned so that one training step helps the primary tasks'
// validation loss. The hypergradient of L_val(θ - α ∇θ Σ λ_i L_i(θ)) w.r.t. λ is
// -α ∇θ'L_val · ∇θ L_i(θ), taken by a central finite difference along d = ∇θ'L_val:
// ∂/∂λ_i ≈ -α (L_i(θ + εd) - L_i(θ - εd)) / 2ε, ε = 0.01 / |d|; λ moves by Adam, then
// the model trains on Σ λ_i L_i with the new λ.
// Liu, Liu, Johns and Davison, "Auto-Lambda: Disentangling Dynamic Task Relationships",
// TMLR 2022 (eq. 3 and the authors' code): λ unconstrained, initial 0.1, Adam lr 1e-4,
// the look-ahead at the optimiser's learning rate. As LibMTL, the look-ahead is a plain
// gradient step (the authors add SGD's momentum and weight decay when present).
import type { Weighting } from "./base.js";
import type { WeightingContext } from "./context.js";
import { vaxpy, vclone, vflatten, vnorm2 } from "../../ops/vector.js";
import { adamActive, bilevelOf, BilevelWeighting, flatGrad, weightedLoss, withValues } from "./bilevel.js";
import { checkOptions, taskIndex } from "./plugin.js";
import { registerWeighting } from "./registry.js";

/** Options of AutoLambda. */
export interface AutoLambdaOptions {
  /** Tasks whose validation loss λ is tuned for (default: every task). */
  primary?: string[];
  /** Initial λ (default 0.1). */
  init?: number;
  /** Adam's learning rate for λ (default 1e-4). */
  lr?: number;
}

/** Auto-λ. @example new Trainer(model, { tasks, weighting: new AutoLambda(names, { primary: ["digit"] }) }) */
export class AutoLambda extends BilevelWeighting implements Weighting {
  readonly name = "Auto-Lambda";
  protected readonly saved = ["lambda"];
  readonly primary: string[];
  lambda: number[];
  constructor(taskNames: string[], opts: AutoLambdaOptions = {}) {
    checkOptions("AutoLambda", opts, ["primary", "init", "lr"]);
    super("AutoLambda", taskNames, opts.lr ?? 1e-4);
    this.primary = opts.primary ?? [...taskNames];
    for (const t of this.primary) if (!taskNames.includes(t)) throw new Error(`AutoLambda: primary task "${t}" is not one of ${taskNames.join(", ")}`);
    const init = opts.init ?? 0.1;
    if (!Number.isFinite(init)) throw new Error(`AutoLambda: init must be a finite number, got ${init}`);
    this.lambda = taskNames.map(() => init);
  }

  backward(ctx: WeightingContext): number[] {
    const b = bilevelOf(this.name, ctx);
    const idx = taskIndex(this.name, this.taskNames, ctx.tasks);
    const ps = b.parameters, alpha = b.lr;
    const theta = vflatten(ps);
    const g = flatGrad(weightedLoss(ctx.losses, idx.map((i) => this.lambda[i])), ps);
    const ahead = vclone(theta);
    vaxpy(ahead, g, -alpha);
    // d = ∇θ' of the primary tasks' validation loss at the look-ahead θ'
    const d = withValues(ps, ahead, () => {
      const val = b.validationLosses();
      const prim = val.map((l, k) => (l && this.primary.includes(ctx.tasks[k]) ? 1 : 0));
      return prim.some((x) => x) ? flatGrad(weightedLoss(val.map((l) => l ?? ctx.losses[0]), prim), ps) : null;
    });
    const dn = d ? vnorm2(d) : 0;
    if (d && dn > 0) {
      const eps = 0.01 / Math.sqrt(dn);
      const at = (sign: number): number[] => {
        const p = vclone(theta);
        vaxpy(p, d, sign * eps);
        return withValues(ps, p, () => b.trainLosses().map((l) => l.item()));
      };
      const plus = at(1), minus = at(-1);
      const grad = plus.map((lp, k) => -alpha * ((lp - minus[k]) / (2 * eps)));
      adamActive(this.lambda, grad, idx, this.adam, this.lr);
    }
    const w = idx.map((i) => this.lambda[i]);
    ctx.backwardWeighted(w);
    return w;
  }
}

registerWeighting("Auto-Lambda", (names) => new AutoLambda(names));
