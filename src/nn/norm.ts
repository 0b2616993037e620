// Normalisation layers: LayerNorm, BatchNorm1d and BatchNorm2d. Parameter and buffer
// fields carry PyTorch's state_dict names (weight, bias, running_mean, running_var,
// num_batches_tracked), so state dicts interchange.
import { Tensor, checkTensor } from "../tensor.js";
import { Module } from "./module.js";
import { full, zeros } from "../ops/creation.js";
import { batchNorm, layerNorm } from "../ops/norm.js";

/** Options of the LayerNorm layer. */
export interface LayerNormOptions {
  eps?: number;
  /** Learn a weight (ones) and bias (zeros) of the normalized shape (default true). */
  elementwiseAffine?: boolean;
  /** With elementwiseAffine, also learn the bias (default true). */
  bias?: boolean;
}

/**
 * Normalise over the trailing `normalizedShape` axes, then scale and shift.
 * @example const norm = new LayerNorm(64); norm.forward(h)
 */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;
  weight: Tensor | null;
  bias: Tensor | null;
  constructor(normalizedShape: number | readonly number[], opts: LayerNormOptions = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === "number" ? [normalizedShape] : [...normalizedShape];
    if (!this.normalizedShape.every((d) => Number.isInteger(d) && d > 0)) {
      throw new Error(`LayerNorm: normalizedShape must be positive integers, got ${JSON.stringify(normalizedShape)}`);
    }
    this.eps = opts.eps ?? 1e-5;
    const affine = opts.elementwiseAffine ?? true;
    this.weight = affine ? this.param(full(this.normalizedShape, 1)) : null;
    this.bias = affine && opts.bias !== false ? this.param(zeros(this.normalizedShape)) : null;
  }
  forward(x: Tensor): Tensor {
    checkTensor("LayerNorm", "input", x);
    const ns = this.normalizedShape, lead = x.rank - ns.length;
    if (lead < 0 || ns.some((d, i) => d !== x.shape[lead + i])) {
      throw new Error(`${this.label("LayerNorm")}: input ${x.describe()} does not end in [${ns.join(", ")}]`);
    }
    return layerNorm(x, ns, this.weight, this.bias, this.eps);
  }
}

/** Options of BatchNorm1d / BatchNorm2d: eps, momentum, affine, running statistics. */
export interface BatchNormLayerOptions {
  eps?: number;
  /** Weight of each batch in the running stats (default 0.1); null: a cumulative average. */
  momentum?: number | null;
  /** Learn a per-channel weight (ones) and bias (zeros) (default true). */
  affine?: boolean;
  /** Keep running stats for eval (default true); without them eval uses batch statistics. */
  trackRunningStats?: boolean;
}

/** Batch norm over channel axis 1, shared by BatchNorm1d and BatchNorm2d. */
abstract class BatchNormBase extends Module {
  readonly eps: number;
  readonly momentum: number | null;
  weight: Tensor | null;
  bias: Tensor | null;
  // snake_case: field names are the state_dict names
  running_mean: Tensor | null;
  running_var: Tensor | null;
  /** Train-mode forward passes so far (int32, as torch's). */
  num_batches_tracked: Tensor | null;
  protected abstract readonly ranks: readonly number[];

  constructor(readonly numFeatures: number, opts: BatchNormLayerOptions = {}) {
    super();
    if (!(Number.isInteger(numFeatures) && numFeatures > 0)) throw new Error(`${new.target.name}: numFeatures must be a positive integer, got ${numFeatures}`);
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    const affine = opts.affine ?? true;
    this.weight = affine ? this.param(full([numFeatures], 1)) : null;
    this.bias = affine ? this.param(zeros([numFeatures])) : null;
    const track = opts.trackRunningStats ?? true;
    this.running_mean = track ? this.buffer(zeros([numFeatures])) : null;
    this.running_var = track ? this.buffer(full([numFeatures], 1)) : null;
    this.num_batches_tracked = track ? this.buffer(zeros([], "int32")) : null;
  }

  forward(x: Tensor): Tensor {
    checkTensor("BatchNorm", "input", x);
    if (!this.ranks.includes(x.rank) || x.shape[1] !== this.numFeatures) {
      throw new Error(`${this.label(this.ranks.includes(4) ? "BatchNorm2d" : "BatchNorm1d")}: input ${x.describe()} must be ${this.ranks.map((r) => `${r}-d`).join(" or ")} ` +
        `with ${this.numFeatures} channels on axis 1`);
    }
    const tracking = this.training && this.num_batches_tracked !== null;
    const count = tracking ? this.num_batches_tracked!.item() + 1 : 0;
    const y = batchNorm(x, {
      runningMean: this.running_mean, runningVar: this.running_var, weight: this.weight, bias: this.bias,
      training: this.training, momentum: this.momentum ?? 1 / Math.max(count, 1), eps: this.eps,
    });
    if (tracking) this.num_batches_tracked!.write([count]); // only once the update happened
    return y;
  }
}

/**
 * Batch norm of [N, C] or [N, C, L] inputs: batch statistics in training (updating the
 * running stats), running stats in eval.
 * @example const bn = new BatchNorm1d(64); bn.forward(h); bn.eval();
 */
export class BatchNorm1d extends BatchNormBase { protected readonly ranks = [2, 3]; }

/** Batch norm of [N, C, H, W] inputs, per channel over batch and space. */
export class BatchNorm2d extends BatchNormBase { protected readonly ranks = [4]; }
