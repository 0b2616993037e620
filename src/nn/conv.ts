// Convolution and pooling layers over NCHW input: Conv2d (weight [out, in, kh, kw] and
// bias, PyTorch's layout and default initialisation), MaxPool2d, AvgPool2d.
import { Tensor, checkTensor } from "../tensor.js";
import { Module } from "./module.js";
import { initializers, resolveRng, type Initializer } from "./init.js";
import { Rng } from "../random.js";
import { avgPool2d, conv2d, maxPool2d, type Size2 } from "../ops/conv.js";

/** Options of the Conv2d layer: stride, padding, bias, initialiser. */
export interface Conv2dLayerOptions {
  stride?: Size2;
  padding?: Size2;
  dilation?: Size2;
  bias?: boolean;
  /** Weight initialiser (default: PyTorch's, U(+-1/sqrt(in * kh * kw))). */
  weightInit?: Initializer;
  biasInit?: Initializer;
  rng?: Rng;
}

/**
 * 2-d convolution layer: [N, in, H, W] -> [N, out, oh, ow].
 * @example const conv = new Conv2d(1, 8, 3, { padding: 1 });
 */
export class Conv2d extends Module {
  weight: Tensor;
  bias: Tensor | null;
  readonly kernelSize: [number, number];
  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: Size2, readonly opts: Conv2dLayerOptions = {}) {
    super();
    this.kernelSize = typeof kernelSize === "number" ? [kernelSize, kernelSize] : [kernelSize[0], kernelSize[1]];
    const [kh, kw] = this.kernelSize;
    if (![inChannels, outChannels, kh, kw].every((d) => Number.isInteger(d) && d > 0)) {
      throw new Error(`Conv2d: channels and kernel size must be positive integers, got in=${inChannels}, out=${outChannels}, kernel=${kh}x${kw}`);
    }
    const rng = resolveRng(opts.rng);
    const fanIn = inChannels * kh * kw;
    this.weight = this.param((opts.weightInit ?? initializers.torchDefault(fanIn))([outChannels, inChannels, kh, kw], rng));
    this.bias = opts.bias === false ? null : this.param((opts.biasInit ?? initializers.torchDefault(fanIn))([outChannels], rng));
  }
  forward(x: Tensor): Tensor {
    checkTensor("Conv2d", "input", x);
    if (x.rank !== 4 || x.shape[1] !== this.inChannels) {
      throw new Error(`${this.label("Conv2d")}: input ${x.describe()} must be [batch, ${this.inChannels}, height, width]`);
    }
    return conv2d(x, this.weight, this.bias, this.opts);
  }
}

/** Options of the pooling layers: stride and padding. */
export interface Pool2dLayerOptions { stride?: Size2; padding?: Size2 }

/** Max pooling; stride defaults to the kernel size. @example new MaxPool2d(2) */
export class MaxPool2d extends Module {
  constructor(readonly kernelSize: Size2, readonly opts: Pool2dLayerOptions = {}) { super(); }
  forward(x: Tensor): Tensor { return maxPool2d(x, this.kernelSize, this.opts); }
}

/** Average pooling; padding counts in the divisor unless countIncludePad is false. */
export class AvgPool2d extends Module {
  constructor(readonly kernelSize: Size2, readonly opts: Pool2dLayerOptions & { countIncludePad?: boolean } = {}) { super(); }
  forward(x: Tensor): Tensor { return avgPool2d(x, this.kernelSize, this.opts); }
}
