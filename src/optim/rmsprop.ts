// RMSprop (Hinton's lecture notes; centred form from Graves, 2013), as
// torch.optim.RMSprop: alpha, eps, momentum, centred. One fused kernel per parameter:
// assembly/kernels/optim.ts `rmsprop_step`.
import { K } from "../engine/engine.js";
import type { Tensor } from "../tensor.js";
import { check, isNum, Optimizer, type BaseOptions, type ParamGroup, type Params, type ParamState } from "./optimizer.js";

export interface RMSpropOptions extends BaseOptions {
  /** Smoothing constant of the squared-gradient average. */
  alpha: number;
  eps: number;
  /** L2 penalty added to the gradient. */
  weightDecay: number;
  momentum: number;
  /** Normalise by the variance (sq avg minus squared mean) instead of the raw second moment. */
  centered: boolean;
}

/** @example const opt = new RMSprop(model.parameters(), { lr: 1e-2, momentum: 0.9 }); */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: Params<RMSpropOptions>, options: Partial<RMSpropOptions> = {}) { super(params, options); }
  override get type(): string { return "RMSprop"; }
  protected defaults(): RMSpropOptions { return { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, l1: 0 }; }
  protected bufferNames(): string[] { return ["square_avg", "grad_avg", "momentum_buffer"]; }
  protected validate(o: RMSpropOptions, where: string): void {
    check(isNum(o.lr) && o.lr >= 0, where, "lr", "a number >= 0", o.lr);
    check(isNum(o.alpha) && o.alpha >= 0, where, "alpha", "a number >= 0", o.alpha);
    check(isNum(o.eps) && o.eps >= 0, where, "eps", "a number >= 0", o.eps);
    check(isNum(o.weightDecay) && o.weightDecay >= 0, where, "weightDecay", "a number >= 0", o.weightDecay);
    check(isNum(o.momentum) && o.momentum >= 0, where, "momentum", "a number >= 0", o.momentum);
    check(isNum(o.l1) && o.l1 >= 0, where, "l1", "a number >= 0", o.l1);
    check(typeof o.centered === "boolean", where, "centered", "a boolean", o.centered);
  }
  protected update(p: Tensor, g: Tensor, s: ParamState, o: ParamGroup<RMSpropOptions>): void {
    const sq = this.buffer(s, p, "square_avg");
    const gavg = o.centered ? this.buffer(s, p, "grad_avg").ptr : 0;
    const buf = o.momentum > 0 ? this.buffer(s, p, "momentum_buffer").ptr : 0;
    K().rmsprop_step(p.ptr, g.ptr, sq.ptr, gavg, buf, p.size, o.lr, o.alpha, 1 - o.alpha, o.eps, o.weightDecay,
      o.momentum, o.l1, o.centered ? 1 : 0);
  }
}
