// FORUM: a first-order multi-gradient method for multi-objective bilevel optimisation.
// The lower level f(α, θ) = Σ softmax(α)_t L_t^train(θ) becomes the constraint
// q(α, θ) = f(α, θ) - f(α, θ^K) <= 0, θ^K after K gradient steps on f from θ; the upper
// level is the tasks' validation losses F_t(θ). One direction serves all: the weights
// w of the unit validation gradients ĝ_t and of ∇q solve a small QP (solvers.ts,
// forumWeights), λ is a running average of w (rate (epoch + 1)^-3/4), ν = max(λ·π, 0)
// with π_t = φ - ĝ_t·∇q / |∇q|², and (α, θ) descend Σ λ_t ĝ_t + ν ∇q: θ through the
// optimiser, α by Adam.
// Ye, Lin, Cao, Zhang, Tsang and Zhang, "A First-Order Multi-Gradient Algorithm for
// Multi-Objective Bi-Level Optimization", ECAI 2024. As the authors' code in LibMTL:
// φ = 0.1, K = 5 inner steps of size 0.1 (stopped early when f exceeds 1e5), α starts
// at 1/T with Adam lr 1e-3, λ starts at 0.
import type { Tensor } from "../../tensor.js";
import type { Weighting } from "./base.js";
import type { WeightingContext } from "./context.js";
import { vaxpy, vcombine, vdot, vflatten, vnorm2, vscatter } from "../../ops/vector.js";
import { pow, softmax } from "./fmath.js";
import { forumWeights } from "./solvers.js";
import { adamActive, bilevelOf, BilevelWeighting, flatGrad, softmaxJT, weightedLoss, withValues } from "./bilevel.js";
import { checkOptions, lossValues, taskIndex } from "./plugin.js";
import { registerWeighting } from "./registry.js";

/** Options of FORUM. */
export interface ForumOptions {
  /** φ, how much the constraint must decrease relative to |∇q|² (default 0.1). */
  phi?: number;
  /** Inner gradient steps K for θ^K (default 5) and their size (default 0.1). */
  innerSteps?: number;
  innerLr?: number;
  /** Adam's learning rate for α (default 1e-3). */
  lr?: number;
}

/** FORUM. @example new Trainer(model, { tasks, weighting: new FORUM(names) }) */
export class FORUM extends BilevelWeighting implements Weighting {
  readonly name = "FORUM";
  protected readonly saved = ["alpha", "lambda"];
  readonly phi: number; readonly innerSteps: number; readonly innerLr: number;
  alpha: number[];
  /** The running average of the validation gradients' weights. */
  lambda: number[];
  constructor(taskNames: string[], opts: ForumOptions = {}) {
    checkOptions("FORUM", opts, ["phi", "innerSteps", "innerLr", "lr"]);
    super("FORUM", taskNames, opts.lr ?? 1e-3);
    this.phi = opts.phi ?? 0.1; this.innerSteps = opts.innerSteps ?? 5; this.innerLr = opts.innerLr ?? 0.1;
    if (!(this.phi > 0)) throw new Error(`FORUM: phi must be > 0, got ${this.phi}`);
    if (!(Number.isInteger(this.innerSteps) && this.innerSteps >= 1)) throw new Error(`FORUM: innerSteps must be an integer >= 1, got ${this.innerSteps}`);
    if (!(this.innerLr > 0)) throw new Error(`FORUM: innerLr must be > 0, got ${this.innerLr}`);
    if (taskNames.length > 10) throw new Error(`FORUM: at most 10 tasks (its QP is solved exactly), got ${taskNames.length}`);
    this.alpha = taskNames.map(() => 1 / taskNames.length);
    this.lambda = taskNames.map(() => 0);
  }

  backward(ctx: WeightingContext): number[] {
    const b = bilevelOf(this.name, ctx);
    const idx = taskIndex(this.name, this.taskNames, ctx.tasks);
    const ps = b.parameters;
    const s = softmax(idx.map((i) => this.alpha[i]));
    // ∇q: θ part ∇θ f(α, θ); α part J_s'(L(θ) - L(θ^K))
    const gqTheta = flatGrad(weightedLoss(ctx.losses, s), ps);
    const cur = vflatten(ps);
    const LK = withValues(ps, cur, () => {
      for (let k = 0; k < this.innerSteps; k++) {
        const f = weightedLoss(b.trainLosses(), s);
        if (f.item() > 1e5) break; // a too large inner step diverged: keep the last iterate
        const g = flatGrad(f, ps);
        vaxpy(cur, g, -this.innerLr);
        g.dispose();
        vscatter(ps, cur);
      }
      return b.trainLosses().map((l) => l.item());
    });
    cur.dispose();
    const L = lossValues(ctx);
    const fa = softmaxJT(s, L), fk = softmaxJT(s, LK);
    const gqAlpha = fa.map((x, k) => x - fk[k]);
    let qq = vnorm2(gqTheta);
    for (const x of gqAlpha) qq += x * x;
    // the upper level at θ: unit validation gradients of the tasks labelled there
    const val = b.validationLosses();
    const live: number[] = [], units: Tensor[] = [];
    for (let k = 0; k < val.length; k++) {
      const l = val[k];
      if (!l) continue;
      const g = flatGrad(l, ps);
      const n2 = vnorm2(g);
      if (!(n2 > 0)) { g.dispose(); continue; }
      live.push(k); units.push(vcombine([g], [1 / Math.sqrt(n2)]));
      g.dispose();
    }
    let nu = 0;
    const w = new Array<number>(idx.length).fill(0);
    if (live.length) {
      const denom = qq + 1e-8;
      const gq = units.map((g) => vdot(g, gqTheta));
      const pi = gq.map((x) => this.phi - x / denom);
      const M = units.map((g, a) => [...units.map((h) => vdot(g, h)), gq[a]]);
      M.push([...gq, qq]);
      const x = forumWeights(M, pi, this.phi * denom);
      const rate = 1 / pow(ctx.epoch + 1, 0.75);
      live.forEach((k, a) => { const i = idx[k]; this.lambda[i] += rate * (x[a] - this.lambda[i]); });
      let lp = 0;
      live.forEach((k, a) => { lp += this.lambda[idx[k]] * pi[a]; });
      nu = Math.max(lp, 0);
      const update = vcombine([...units, gqTheta], [...live.map((k) => this.lambda[idx[k]]), nu]);
      b.addGrad(update);
      adamActive(this.alpha, gqAlpha.map((v) => nu * v), idx, this.adam, this.lr);
    } else {
      b.addGrad(gqTheta); // no validation label this step: descend the lower level alone
      nu = 1;
    }
    // the training losses' effective weights: ν softmax(α)
    for (let k = 0; k < idx.length; k++) w[k] = nu * s[k];
    return w;
  }
}

registerWeighting("FORUM", (names) => new FORUM(names));
