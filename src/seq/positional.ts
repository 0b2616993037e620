// Positional encodings added to a sequence of embeddings: learned (a [maxLen, dim] table
// trained with the model, `weight` as nn.Embedding's) and sinusoidal (Vaswani et al. 2017,
// the table computed once in Wasm, identical in every runtime, and not saved: it is a
// function of its sizes). Both take [B, L, dim] (batchFirst, default) or [L, B, dim].
import { Tensor } from "../tensor.js";
import { Module } from "../nn/module.js";
import { initializers, resolveRng, type Initializer } from "../nn/init.js";
import type { Rng } from "../random.js";
import { add } from "../ops/elementwise.js";
import { reshape, slice } from "../ops/shape.js";
import { sinusoidalPositions } from "../ops/attention.js";
import { checkOptions, show } from "../validate.js";

export interface PositionalOptions {
  /** Inputs are [B, L, dim] (default true); false: [L, B, dim], as torch's transformer default. */
  batchFirst?: boolean;
}

/** x + table[0:L], broadcast over the batch axis of x. */
function addPositions(x: Tensor, table: Tensor, maxLen: number, batchFirst: boolean, who: string): Tensor {
  const dim = table.shape[1];
  if (!(x instanceof Tensor) || x.rank !== 3 || x.shape[2] !== dim) {
    throw new Error(`${who}: input ${x instanceof Tensor ? x.describe() : show(x)} must be [${batchFirst ? "batch, seq" : "seq, batch"}, ${dim}]`);
  }
  const L = x.shape[batchFirst ? 1 : 0];
  if (L > maxLen) throw new Error(`${who}: input ${x.describe()} has ${L} positions, more than maxLen ${maxLen}`);
  const pe = L === maxLen ? table : slice(table, 0, 0, L);
  return add(x, batchFirst ? pe : reshape(pe, [L, 1, dim]));
}

export interface LearnedPositionalOptions extends PositionalOptions {
  /** Default N(0, 1), as nn.Embedding. */
  weightInit?: Initializer;
  rng?: Rng;
}

/**
 * A learned position table, `weight` [maxLen, dim]: `x + weight[0:L]`.
 * @example const pos = new LearnedPositionalEmbedding(512, 64); h = pos.forward(tokensEmbedded)
 */
export class LearnedPositionalEmbedding extends Module {
  weight: Tensor;
  readonly batchFirst: boolean;
  constructor(readonly maxLen: number, readonly dim: number, opts: LearnedPositionalOptions = {}) {
    super();
    const o = checkOptions("LearnedPositionalEmbedding", opts, ["batchFirst", "weightInit", "rng"]);
    if (!(Number.isInteger(maxLen) && maxLen > 0 && Number.isInteger(dim) && dim > 0)) {
      throw new Error(`LearnedPositionalEmbedding: sizes must be positive integers, got ${show(maxLen)} x ${show(dim)}`);
    }
    this.batchFirst = o.batchFirst !== false;
    this.weight = this.param((o.weightInit ?? initializers.normal(0, 1))([maxLen, dim], resolveRng(o.rng)));
  }
  forward(x: Tensor): Tensor { return addPositions(x, this.weight, this.maxLen, this.batchFirst, this.label("LearnedPositionalEmbedding")); }
}

export interface SinusoidalOptions extends PositionalOptions {
  /** The wavelengths' base (default 10000). */
  base?: number;
}

/**
 * The fixed sinusoidal encoding: x + pe[0:L], pe = sinusoidalPositions(maxLen, dim). No
 * parameters and nothing in the state dict (PyTorch's tutorial keeps `pe` as a buffer; it
 * is recomputed here, bit-identically).
 * @example const pos = new SinusoidalPositionalEncoding(512, 64); h = pos.forward(x)
 */
export class SinusoidalPositionalEncoding extends Module {
  readonly batchFirst: boolean;
  private table: Tensor;
  constructor(readonly maxLen: number, readonly dim: number, opts: SinusoidalOptions = {}) {
    super();
    const o = checkOptions("SinusoidalPositionalEncoding", opts, ["batchFirst", "base"]);
    this.batchFirst = o.batchFirst !== false;
    this.table = sinusoidalPositions(maxLen, dim, o.base).keep();
  }
  forward(x: Tensor): Tensor { return addPositions(x, this.table, this.maxLen, this.batchFirst, this.label("SinusoidalPositionalEncoding")); }
}
