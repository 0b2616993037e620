// Adam (Kingma & Ba, 2015) and AdamW (Loshchilov & Hutter, 2019: decay decoupled from
// the gradient), as torch.optim.Adam / AdamW, amsgrad included. Bias corrections beta^t
// are repeated multiplication (powInt), the same bits in every runtime; the update is
// one fused kernel per parameter: assembly/kernels/optim.ts `adam_step`.
import { K } from "../engine/engine.js";
import type { Tensor } from "../tensor.js";
import { check, isNum, powInt, Optimizer, type BaseOptions, type ParamGroup, type Params, type ParamState } from "./optimizer.js";

export interface AdamOptions extends BaseOptions {
  betas: [number, number];
  eps: number;
  /** Adam: L2 penalty added to the gradient. AdamW: decoupled decay, p *= 1 - lr * weightDecay. */
  weightDecay: number;
  amsgrad: boolean;
}

/**
 * @example
 * const opt = new Adam([{ params: trunk.parameters() }, { params: head.parameters(), lr: 1e-4 }], { lr: 1e-3 });
 */
export class Adam extends Optimizer<AdamOptions> {
  constructor(params: Params<AdamOptions>, options: Partial<AdamOptions> = {}) { super(params, options); }
  override get type(): string { return "Adam"; }
  /** True for AdamW. */
  protected get decoupled(): boolean { return false; }
  protected defaults(): AdamOptions { return { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, l1: 0 }; }
  protected bufferNames(): string[] { return ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"]; }
  protected validate(o: AdamOptions, where: string): void {
    check(isNum(o.lr) && o.lr >= 0, where, "lr", "a number >= 0", o.lr);
    const b = o.betas;
    check(Array.isArray(b) && b.length === 2 && b.every((x) => isNum(x) && x >= 0 && x < 1), where, "betas", "two numbers in [0, 1)", b);
    check(isNum(o.eps) && o.eps >= 0, where, "eps", "a number >= 0", o.eps);
    check(isNum(o.weightDecay) && o.weightDecay >= 0, where, "weightDecay", "a number >= 0", o.weightDecay);
    check(isNum(o.l1) && o.l1 >= 0, where, "l1", "a number >= 0", o.l1);
    check(typeof o.amsgrad === "boolean", where, "amsgrad", "a boolean", o.amsgrad);
  }
  protected update(p: Tensor, g: Tensor, s: ParamState, o: ParamGroup<AdamOptions>): void {
    const k = K();
    const [b1, b2] = o.betas;
    const m = this.buffer(s, p, "exp_avg"), v = this.buffer(s, p, "exp_avg_sq");
    const vmax = o.amsgrad ? this.buffer(s, p, "max_exp_avg_sq").ptr : 0;
    const bc1 = 1 - powInt(b1, s.step), bc2 = 1 - powInt(b2, s.step);
    const dec = this.decoupled;
    k.adam_step(p.ptr, g.ptr, m.ptr, v.ptr, vmax, p.size, o.lr / bc1, Math.sqrt(bc2), 1 - b1, 1 - b2, b2, o.eps,
      dec ? 0 : o.weightDecay, dec ? 1 - o.lr * o.weightDecay : 1, o.l1, o.amsgrad ? 1 : 0);
  }
}

/**
 * Adam with decoupled weight decay (default 1e-2, as torch).
 * @example const opt = new AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.1 });
 */
export class AdamW extends Adam {
  override get type(): string { return "AdamW"; }
  protected override get decoupled(): boolean { return true; }
  protected override defaults(): AdamOptions { return { ...super.defaults(), weightDecay: 1e-2 }; }
}
