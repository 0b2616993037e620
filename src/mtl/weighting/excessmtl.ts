// ExcessMTL: robust weighting by excess risk. Each task's excess risk is estimated as
// g_i' H_i^{-1} g_i with H_i the AdaGrad diagonal sqrt(sum over steps of g_i^2); the loss
// weights are updated multiplicatively, w_i <- w_i exp(eta e_i / e_i(0)), renormalised to
// sum to T; the first step only records e(0) (METHODS.md). The step size eta defaults to
// 1e-2, the authors' code's robust_step_size (and LibMTL's): the update compounds every
// step, and 0.1 moved nearly all weight onto one task within two MNIST epochs.
// He, Zhou, Wang, Yu, Zhang and Zhang, "Robust Multi-Task Learning with Excess Risks",
// ICML 2024 (Algorithm 1).
import { exp } from "./fmath.js";
import { scaleToCount } from "./solvers.js";
import { vcombine } from "../../ops/vector.js";
import { checkNumbers, checkOptions, checkSpace, taskIndex } from "./plugin.js";
import { saveBuffers, loadBuffers } from "./buffers.js";
import type { WeightingContext } from "./context.js";
import type { Weighting } from "./base.js";
import { registerWeighting } from "./registry.js";

/** g' diag(1/sqrt(acc + 1e-7)) g after acc += g^2, in place on acc (double precision). */
export function excessRisk(g: ArrayLike<number>, acc: Float64Array): number {
  let s = 0;
  for (let k = 0; k < acc.length; k++) {
    acc[k] += g[k] * g[k];
    s += (g[k] * g[k]) / Math.sqrt(acc[k] + 1e-7);
  }
  return s;
}

/** The multiplicative weight update, renormalised to sum to the number of weights. */
export function excessMtlWeights(w: number[], risks: number[], initial: number[], eta: number): number[] {
  return scaleToCount(w.map((x, i) => x * exp((eta * risks[i]) / (initial[i] > 0 ? initial[i] : 1))));
}

/** ExcessMTL on the shared parameters (its AdaGrad accumulators persist). @example new ExcessMTL(["a", "b"], { eta: 0.01 }) */
export class ExcessMTL implements Weighting {
  readonly name = "ExcessMTL";
  readonly eta: number;
  acc: (Float64Array | null)[];
  initial: number[];
  weights: number[];
  constructor(readonly taskNames: string[], opts: { eta?: number; on?: "shared" } = {}) {
    checkOptions("ExcessMTL", opts, ["eta", "on"]);
    checkSpace("ExcessMTL", opts.on, ["shared"]);
    this.eta = opts.eta ?? 0.01;
    if (!(this.eta > 0)) throw new Error(`ExcessMTL: eta must be > 0, got ${this.eta}`);
    this.acc = taskNames.map(() => null);
    this.initial = taskNames.map(() => 0); // 0: not yet recorded
    this.weights = taskNames.map(() => 1);
  }
  backward(ctx: WeightingContext): number[] {
    const idx = taskIndex(this.name, this.taskNames, ctx.tasks);
    const g = ctx.sharedGrads(), P = g[0].size;
    const risks = idx.map((i, k) => {
      const a = (this.acc[i] ??= new Float64Array(P));
      if (a.length !== P) throw new Error(`ExcessMTL: the shared parameters have ${P} values, the saved accumulator of "${this.taskNames[i]}" ${a.length}`);
      return excessRisk(g[k].data(), a);
    });
    // a task's first step records its initial risk; the others update multiplicatively
    const upd = idx.filter((i) => this.initial[i] > 0);
    if (upd.length > 0) {
      const k = upd.map((i) => idx.indexOf(i));
      const w = excessMtlWeights(upd.map((i) => this.weights[i]), k.map((j) => risks[j]), upd.map((i) => this.initial[i]), this.eta);
      let before = 0;
      for (const i of upd) before += this.weights[i];
      upd.forEach((i, j) => { this.weights[i] = (w[j] * before) / upd.length; }); // keep the updated tasks' total
    }
    idx.forEach((i, k) => { if (!(this.initial[i] > 0)) this.initial[i] = risks[k] > 0 ? risks[k] : 1e-30; });
    const w = idx.map((i) => this.weights[i]);
    ctx.applySharedUpdate(vcombine(g, w), w);
    return w;
  }
  stateDict(): Record<string, unknown> { return { acc: saveBuffers(this.acc), initial: [...this.initial], weights: [...this.weights] }; }
  loadStateDict(state: Record<string, unknown>): void {
    const n = this.taskNames.length;
    const initial = checkNumbers("ExcessMTL", "initial", state.initial, n), weights = checkNumbers("ExcessMTL", "weights", state.weights, n);
    this.acc = loadBuffers("ExcessMTL", state.acc, n);
    this.initial = [...initial]; this.weights = [...weights];
  }
}

registerWeighting("ExcessMTL", (names) => new ExcessMTL(names));
