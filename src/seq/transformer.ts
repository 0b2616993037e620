// Transformer encoders in torch.nn.TransformerEncoderLayer / TransformerEncoder's layout
// (self_attn.*, linear1, linear2, norm1, norm2; layers.N.*, norm), post- or pre-norm,
// ReLU or GELU, dropout from each module's own seeded stream. State dicts map one to one.
import { Tensor } from "../tensor.js";
import { Module } from "../nn/module.js";
import { Dropout, Linear } from "../nn/layers.js";
import { LayerNorm } from "../nn/norm.js";
import { resolveRng } from "../nn/init.js";
import type { Rng } from "../random.js";
import { add, gelu, relu } from "../ops/elementwise.js";
import { MultiheadAttention, type AttentionMasks } from "./attention.js";
import { checkOptions, show } from "../validate.js";

export interface TransformerEncoderLayerOptions {
  /** Width of the feed-forward block (default 2048, as torch). */
  dimFeedforward?: number;
  /** Dropout after attention, inside and after the feed-forward block, and on the attention weights (default 0.1). */
  dropout?: number;
  /** Feed-forward activation (default "relu"); "gelu" is the exact (erf) form, as torch's. */
  activation?: "relu" | "gelu";
  layerNormEps?: number;
  /** [batch, seq, feature] (default false: [seq, batch, feature], as torch). */
  batchFirst?: boolean;
  /** Pre-norm: x + f(norm(x)) (default false: post-norm, norm(x + f(x)), as the original paper). */
  normFirst?: boolean;
  /** Learn biases in the linear layers and norms (default true). */
  bias?: boolean;
  rng?: Rng;
}

const LAYER_KEYS = ["dimFeedforward", "dropout", "activation", "layerNormEps", "batchFirst", "normFirst", "bias", "rng"] as const;

/** The masks of an encoder call: torch's src_mask / src_key_padding_mask / is_causal. */
export interface EncoderMasks {
  /** [L, L] (or [B * H, L, L]): float additive or int32 (nonzero masks out). */
  mask?: Tensor | null;
  /** `[B, L]`: nonzero (int32) or -Infinity (float32) marks padding. */
  srcKeyPaddingMask?: Tensor | null;
  isCausal?: boolean;
  fullyMasked?: AttentionMasks["fullyMasked"];
}
const MASK_KEYS = ["mask", "srcKeyPaddingMask", "isCausal", "fullyMasked"] as const;

/**
 * One encoder layer: self-attention then a feed-forward block, each with a residual and a
 * LayerNorm (torch.nn.TransformerEncoderLayer, its defaults and parameter names).
 * @example const layer = new TransformerEncoderLayer(128, 4, { dimFeedforward: 512, batchFirst: true });
 */
export class TransformerEncoderLayer extends Module {
  self_attn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  norm1: LayerNorm;
  norm2: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;
  readonly normFirst: boolean;
  readonly activation: "relu" | "gelu";

  constructor(readonly dModel: number, readonly nhead: number, opts: TransformerEncoderLayerOptions = {}) {
    super();
    const o = checkOptions("TransformerEncoderLayer", opts, LAYER_KEYS);
    const ff = o.dimFeedforward ?? 2048, p = o.dropout ?? 0.1, act = o.activation ?? "relu";
    if (!(Number.isInteger(ff) && ff > 0)) throw new Error(`TransformerEncoderLayer: dimFeedforward must be a positive integer, got ${show(ff)}`);
    if (act !== "relu" && act !== "gelu") throw new Error(`TransformerEncoderLayer: activation must be "relu" or "gelu", got ${show(act)}`);
    if (!(typeof p === "number" && p >= 0 && p < 1)) throw new Error(`TransformerEncoderLayer: dropout must be in [0, 1), got ${show(p)}`);
    const rng = resolveRng(o.rng), bias = o.bias !== false, eps = o.layerNormEps ?? 1e-5;
    this.self_attn = new MultiheadAttention(dModel, nhead, { dropout: p, batchFirst: o.batchFirst, bias, rng });
    this.linear1 = new Linear(dModel, ff, { bias, rng });
    this.dropout = new Dropout(p, rng);
    this.linear2 = new Linear(ff, dModel, { bias, rng });
    this.norm1 = new LayerNorm(dModel, { eps, bias });
    this.norm2 = new LayerNorm(dModel, { eps, bias });
    this.dropout1 = new Dropout(p, rng);
    this.dropout2 = new Dropout(p, rng);
    this.normFirst = !!o.normFirst;
    this.activation = act;
  }

  private sa(x: Tensor, m: EncoderMasks): Tensor {
    const [y] = this.self_attn.forward(x, x, x, {
      attnMask: m.mask, keyPaddingMask: m.srcKeyPaddingMask, isCausal: m.isCausal, fullyMasked: m.fullyMasked, needWeights: false,
    });
    return this.dropout1.forward(y);
  }

  private ff(x: Tensor): Tensor {
    const h = this.linear1.forward(x);
    return this.dropout2.forward(this.linear2.forward(this.dropout.forward(this.activation === "gelu" ? gelu(h) : relu(h))));
  }

  /** src [L, B, E] ([B, L, E] with batchFirst, or unbatched [L, E]) -> the same shape. */
  forward(src: Tensor, masks: EncoderMasks = {}): Tensor {
    const m = checkOptions(this.label("TransformerEncoderLayer"), masks, MASK_KEYS);
    if (this.normFirst) {
      const x = add(src, this.sa(this.norm1.forward(src), m));
      return add(x, this.ff(this.norm2.forward(x)));
    }
    const x = this.norm1.forward(add(src, this.sa(src, m)));
    return this.norm2.forward(add(x, this.ff(x)));
  }
}

export interface TransformerEncoderOptions extends TransformerEncoderLayerOptions {
  /** A final LayerNorm over the output (torch's `norm`; default false). Usual with normFirst. */
  norm?: boolean;
}

/**
 * A stack of `numLayers` encoder layers (parameters `layers.N.*`, and `norm.*` with
 * `norm: true`), torch.nn.TransformerEncoder's layout. Each layer is initialised from the
 * stream in turn (torch deep-copies one layer, so its layers start equal; load a state
 * dict for identical weights).
 * @example
 * const enc = new TransformerEncoder(64, 4, 2, { dimFeedforward: 128, batchFirst: true });
 * const h = enc.forward(x, { srcKeyPaddingMask: pad }); // x [B, L, 64]
 */
export class TransformerEncoder extends Module {
  layers: TransformerEncoderLayer[];
  norm: LayerNorm | null;

  constructor(dModel: number, nhead: number, readonly numLayers: number, opts: TransformerEncoderOptions = {}) {
    super();
    const o = checkOptions("TransformerEncoder", opts, [...LAYER_KEYS, "norm"]);
    if (!(Number.isInteger(numLayers) && numLayers > 0)) throw new Error(`TransformerEncoder: numLayers must be a positive integer, got ${show(numLayers)}`);
    const { norm, ...layer } = o;
    const rng = resolveRng(o.rng);
    this.layers = Array.from({ length: numLayers }, () => new TransformerEncoderLayer(dModel, nhead, { ...layer, rng }));
    this.norm = norm ? new LayerNorm(dModel, { eps: o.layerNormEps ?? 1e-5, bias: o.bias }) : null;
  }

  forward(src: Tensor, masks: EncoderMasks = {}): Tensor {
    const m = checkOptions(this.label("TransformerEncoder"), masks, MASK_KEYS);
    let x = src;
    for (const l of this.layers) x = l.forward(x, m);
    return this.norm ? this.norm.forward(x) : x;
  }
}
