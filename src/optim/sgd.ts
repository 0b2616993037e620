// Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight
// decay, as torch.optim.SGD (the first step copies the gradient into the momentum
// buffer). One fused kernel per parameter: assembly/kernels/optim.ts `sgd_step`.
import { K } from "../engine/engine.js";
import type { Tensor } from "../tensor.js";
import { check, isNum, Optimizer, type BaseOptions, type ParamGroup, type Params, type ParamState } from "./optimizer.js";

export interface SGDOptions extends BaseOptions {
  momentum: number;
  dampening: number;
  /** L2 penalty: weightDecay * p is added to the gradient. */
  weightDecay: number;
  nesterov: boolean;
}

/**
 * @example
 * const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true });
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: Params<SGDOptions>, options: Partial<SGDOptions> = {}) { super(params, options); }
  override get type(): string { return "SGD"; }
  protected defaults(): SGDOptions { return { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, l1: 0 }; }
  protected bufferNames(): string[] { return ["momentum_buffer"]; }
  protected validate(o: SGDOptions, where: string): void {
    check(isNum(o.lr) && o.lr >= 0, where, "lr", "a number >= 0", o.lr);
    check(isNum(o.momentum) && o.momentum >= 0, where, "momentum", "a number >= 0", o.momentum);
    check(isNum(o.dampening), where, "dampening", "a number", o.dampening);
    check(isNum(o.weightDecay) && o.weightDecay >= 0, where, "weightDecay", "a number >= 0", o.weightDecay);
    check(isNum(o.l1) && o.l1 >= 0, where, "l1", "a number >= 0", o.l1);
    check(typeof o.nesterov === "boolean", where, "nesterov", "a boolean", o.nesterov);
    if (o.nesterov && !(o.momentum > 0 && o.dampening === 0)) {
      throw new Error(`${where}: nesterov needs momentum > 0 and dampening 0, got momentum ${o.momentum}, dampening ${o.dampening}`);
    }
  }
  protected update(p: Tensor, g: Tensor, s: ParamState, o: ParamGroup<SGDOptions>): void {
    let buf = 0, flags = o.nesterov ? 1 : 0;
    if (o.momentum !== 0) {
      if (!s.buffers.momentum_buffer) flags |= 2;
      buf = this.buffer(s, p, "momentum_buffer").ptr;
    }
    K().sgd_step(p.ptr, g.ptr, buf, p.size, o.lr, o.momentum, 1 - o.dampening, o.weightDecay, o.l1, flags);
  }
}
