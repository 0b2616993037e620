// Adagrad (Duchi, Hazan & Singer, 2011), as torch.optim.Adagrad: lr decay, initial
// accumulator value, eps. One fused kernel per parameter: assembly/kernels/optim.ts
// `adagrad_step`.
import { K } from "../engine/engine.js";
import type { Tensor } from "../tensor.js";
import { check, isNum, Optimizer, type BaseOptions, type ParamGroup, type Params, type ParamState } from "./optimizer.js";

export interface AdagradOptions extends BaseOptions {
  /** The step's lr is lr / (1 + (t - 1) * lrDecay). */
  lrDecay: number;
  /** L2 penalty added to the gradient. */
  weightDecay: number;
  /** Starting value of the sum of squared gradients. */
  initialAccumulatorValue: number;
  eps: number;
}

/** @example const opt = new Adagrad(model.parameters(), { lr: 0.1 }); */
export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(params: Params<AdagradOptions>, options: Partial<AdagradOptions> = {}) { super(params, options); }
  override get type(): string { return "Adagrad"; }
  protected defaults(): AdagradOptions { return { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, l1: 0 }; }
  protected bufferNames(): string[] { return ["sum"]; }
  protected validate(o: AdagradOptions, where: string): void {
    check(isNum(o.lr) && o.lr >= 0, where, "lr", "a number >= 0", o.lr);
    check(isNum(o.lrDecay) && o.lrDecay >= 0, where, "lrDecay", "a number >= 0", o.lrDecay);
    check(isNum(o.weightDecay) && o.weightDecay >= 0, where, "weightDecay", "a number >= 0", o.weightDecay);
    check(isNum(o.initialAccumulatorValue) && o.initialAccumulatorValue >= 0, where, "initialAccumulatorValue", "a number >= 0", o.initialAccumulatorValue);
    check(isNum(o.eps) && o.eps >= 0, where, "eps", "a number >= 0", o.eps);
    check(isNum(o.l1) && o.l1 >= 0, where, "l1", "a number >= 0", o.l1);
  }
  protected update(p: Tensor, g: Tensor, s: ParamState, o: ParamGroup<AdagradOptions>): void {
    const sum = this.buffer(s, p, "sum", o.initialAccumulatorValue);
    K().adagrad_step(p.ptr, g.ptr, sum.ptr, p.size, o.lr / (1 + (s.step - 1) * o.lrDecay), o.eps, o.weightDecay, o.l1);
  }
}
