// Basic layers: Linear, Sequential, activations, Dropout, Flatten, Identity.
// Weights use PyTorch's layouts (Linear weight [out, in]), so state dicts interchange.
import { Tensor, checkTensor } from "../tensor.js";
import { Module } from "./module.js";
import { initializers, resolveRng, type Initializer } from "./init.js";
import { Rng, type RngState } from "../random.js";
import { add, elu, gelu, leakyRelu, mul, relu, sigmoid, softplus, tanh } from "../ops/elementwise.js";
import { matmul } from "../ops/matmul.js";
import { reshape, flatten } from "../ops/shape.js";
import { bernoulli } from "../ops/creation.js";

/** Options of the Linear layer: bias and initialisers. */
export interface LinearOptions {
  bias?: boolean;
  /** Weight initialiser (default: PyTorch's, U(+-1/sqrt(in))). */
  weightInit?: Initializer;
  biasInit?: Initializer;
  rng?: Rng;
}

/**
 * y = x W^T + b, W [out, in]. Inputs of rank > 2 are treated as a batch of rows.
 * @example const fc = new Linear(784, 128); const h = fc.forward(x);
 */
export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;
  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: LinearOptions = {}) {
    super();
    if (!(Number.isInteger(inFeatures) && inFeatures > 0 && Number.isInteger(outFeatures) && outFeatures > 0)) {
      throw new Error(`Linear: features must be positive integers, got in=${inFeatures}, out=${outFeatures}`);
    }
    const rng = resolveRng(opts.rng);
    this.weight = this.param((opts.weightInit ?? initializers.torchDefault(inFeatures))([outFeatures, inFeatures], rng));
    this.bias = opts.bias === false ? null : this.param((opts.biasInit ?? initializers.torchDefault(inFeatures))([outFeatures], rng));
  }
  forward(x: Tensor): Tensor {
    checkTensor("Linear", "input", x);
    const f = x.shape[x.rank - 1];
    if (x.rank < 1 || f !== this.inFeatures) {
      throw new Error(`${this.label("Linear")}: input ${x.describe()} has ${f} features, expected ${this.inFeatures}`);
    }
    const x2 = x.rank === 2 ? x : reshape(x, [-1, this.inFeatures]);
    let y = matmul(x2, this.weight, { transB: true });
    if (this.bias) y = add(y, this.bias);
    return x.rank === 2 ? y : reshape(y, [...x.shape.slice(0, -1), this.outFeatures]);
  }
}

/** Modules applied in order; children are named "0", "1", ... */
export class Sequential extends Module {
  layers: Module[];
  constructor(...layers: Module[]) { super(); this.layers = layers; }
  override namedChildren(): [string, Module][] { return this.layers.map((m, i) => [String(i), m]); }
  forward(x: Tensor): Tensor {
    let h = x;
    for (const m of this.layers) h = (m as unknown as { forward(t: Tensor): Tensor }).forward(h);
    return h;
  }
}

/** Returns its input. */
export class Identity extends Module { forward(x: Tensor): Tensor { return x; } }
/** max(x, 0). */
export class ReLU extends Module { forward(x: Tensor): Tensor { return relu(x); } }
/** x for x > 0, else negativeSlope * x. */
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) { super(); }
  forward(x: Tensor): Tensor { return leakyRelu(x, this.negativeSlope); }
}
/** x for x > 0, else alpha * (e^x - 1). */
export class ELU extends Module {
  constructor(readonly alpha = 1) { super(); }
  forward(x: Tensor): Tensor { return elu(x, this.alpha); }
}
/** x * Phi(x) (exact erf form, or the tanh approximation). */
export class GELU extends Module {
  constructor(readonly approximate: "none" | "tanh" = "none") { super(); }
  forward(x: Tensor): Tensor { return gelu(x, this.approximate); }
}
/** 1 / (1 + e^-x). */
export class Sigmoid extends Module { forward(x: Tensor): Tensor { return sigmoid(x); } }
/** tanh(x). */
export class Tanh extends Module { forward(x: Tensor): Tensor { return tanh(x); } }
/** log(1 + e^(beta x)) / beta, linear above the threshold (as torch). */
export class Softplus extends Module {
  constructor(readonly beta = 1, readonly threshold = 20) { super(); }
  forward(x: Tensor): Tensor { return softplus(x, this.beta, this.threshold); }
}

/** Flatten all axes from `startAxis` (default 1: keep the batch axis). */
export class Flatten extends Module {
  constructor(readonly startAxis = 1) { super(); }
  forward(x: Tensor): Tensor { return flatten(x, this.startAxis); }
}

/** Zero each element with probability p in training (scaling the rest by 1/(1-p)); identity in eval. */
export class Dropout extends Module {
  private rng: Rng;
  constructor(readonly p = 0.5, rng?: Rng) {
    super();
    if (!(p >= 0 && p < 1)) throw new Error(`Dropout: p must be in [0, 1), got ${p}`);
    // fork: each Dropout gets its own stream, even when many are built from one Rng
    this.rng = (rng ?? resolveRng()).fork();
  }
  /** The mask stream's position, for checkpoints (the trainer saves it with its state). */
  override rngState(): RngState { return this.rng.state(); }
  override setRngState(s: RngState): void { this.rng = Rng.fromState(s); }

  forward(x: Tensor): Tensor {
    checkTensor("Dropout", "input", x);
    if (!this.training || this.p === 0) return x;
    return mul(x, bernoulli(x.shape, 1 - this.p, 1 / (1 - this.p), this.rng));
  }
}
