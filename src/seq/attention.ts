// Attention: scaled dot-product attention with padding and causal masks, and multi-head
// attention in torch.nn.MultiheadAttention's parameter layout (in_proj_weight [3E, E],
// in_proj_bias, out_proj.weight, out_proj.bias), so state dicts map one to one.
// Masks follow nn.MultiheadAttention: an int32 mask's nonzero entries are masked OUT (torch's
// bool True), a float32 mask is added to the scores (-Infinity masks out). (torch 2's
// F.scaled_dot_product_attention reads bool masks the other way round.)
import { Tensor } from "../tensor.js";
import { Module } from "../nn/module.js";
import { Linear } from "../nn/layers.js";
import { initializers, resolveRng } from "../nn/init.js";
import { Rng, type RngState } from "../random.js";
import { add, div, mul } from "../ops/elementwise.js";
import { bmm, matmul } from "../ops/matmul.js";
import { reshape, slice, transpose } from "../ops/shape.js";
import { softmax } from "../ops/softmax.js";
import { mean } from "../ops/reduce.js";
import { bernoulli, zeros } from "../ops/creation.js";
import { additiveMask, maskedSoftmax } from "../ops/attention.js";
import { checkOptions, show } from "../validate.js";

export interface AttentionMasks {
  /** [Lq, Lk], or one per batch item and head ([...q's leading axes, Lq, Lk]). */
  attnMask?: Tensor | null;
  /** `[B, Lk]`: the keys of batch item b that are padding (B is q's first axis). */
  keyPaddingMask?: Tensor | null;
  /** Mask every key after its query (key j > query i), as torch's is_causal / a square subsequent mask. */
  isCausal?: boolean;
  /** A query with every key masked: "error" (default) or "zero" weights (see maskedSoftmax). */
  fullyMasked?: "error" | "zero";
}

export interface AttentionOptions extends AttentionMasks {
  /** Dropout probability on the attention weights (default 0); drawn from `rng`. */
  dropout?: number;
  rng?: Rng;
  /** Multiplies the scores (default: divide by sqrt(d), as torch). */
  scale?: number;
}

const MASK_KEYS = ["attnMask", "keyPaddingMask", "isCausal", "fullyMasked"] as const;

/**
 * An additive causal mask [lq, lk]: 0 where key j <= query i, -Infinity after (torch's
 * nn.Transformer.generate_square_subsequent_mask for lq = lk).
 */
export function causalMask(lq: number, lk = lq): Tensor {
  if (!(Number.isInteger(lq) && lq > 0 && Number.isInteger(lk) && lk > 0)) {
    throw new Error(`causalMask: sizes must be positive integers, got ${show(lq)} x ${show(lk)}`);
  }
  const d = new Float32Array(lq * lk);
  for (let i = 0; i < lq; i++) for (let j = i + 1; j < lk; j++) d[i * lk + j] = -Infinity;
  return new Tensor([lq, lk]).write(d);
}

/**
 * The masks of one attention call combined into one additive float32 mask that broadcasts
 * against the scores [...lead, Lq, Lk] (null: none): [Lq, Lk], [B, 1.., Lq, Lk] with a
 * padding mask, or [...lead, Lq, Lk] for a per-item attnMask.
 */
export function combineMasks(lead: readonly number[], lq: number, lk: number, m: AttentionMasks, op: string): Tensor | null {
  const { attnMask, keyPaddingMask: kpm, isCausal } = m;
  if (!attnMask && !kpm && !isCausal) return null;
  const nLead = lead.reduce((p, d) => p * d, 1), batch = lead[0] ?? 1;
  let full = false;
  if (attnMask) {
    const s = attnMask.shape, tail = s.length >= 2 && s[s.length - 2] === lq && s[s.length - 1] === lk;
    full = tail && s.length === lead.length + 2 && lead.every((d, i) => d === s[i]);
    if (!(tail && (s.length === 2 || full))) {
      throw new Error(`${op}: attnMask ${attnMask.describe()} must be [${lq}, ${lk}] or [${[...lead, lq, lk].join(", ")}]`);
    }
  }
  if (kpm && !(kpm.rank === 2 && kpm.shape[0] === batch && kpm.shape[1] === lk && lead.length > 0)) {
    throw new Error(`${op}: keyPaddingMask ${kpm.describe()} must be [${batch}, ${lk}] (batch, keys)`);
  }
  const a = attnMask ? additiveMask(attnMask, op, "attnMask") : null;
  const p = kpm ? additiveMask(kpm, op, "keyPaddingMask") : null;
  const groups = full ? nLead : p ? batch : 1, per = nLead / batch;
  const shape = full ? [...lead, lq, lk] : p ? [batch, ...lead.slice(1).map(() => 1), lq, lk] : [lq, lk];
  const o = new Float32Array(groups * lq * lk);
  const av = a?.data(), pv = p?.data(), block = lq * lk;
  for (let g = 0; g < groups; g++) {
    const b = full ? Math.floor(g / per) : g;
    for (let i = 0; i < lq; i++) {
      for (let j = 0; j < lk; j++) {
        let v = av ? av[(full ? g * block : 0) + i * lk + j] : 0;
        if (isCausal && j > i) v += -Infinity;
        if (pv) v += pv[b * lk + j];
        o[g * block + i * lk + j] = v;
      }
    }
  }
  if (a && a !== attnMask) a.dispose();
  if (p && p !== kpm) p.dispose();
  return new Tensor(shape).write(o);
}

/**
 * softmax(q k^T / sqrt(d) + mask) v over the last two axes, for q [..., Lq, d], k
 * [..., Lk, d], v [..., Lk, dv] with equal leading axes (batch, heads). Returns the output
 * [..., Lq, dv] and the weights [..., Lq, Lk] (after dropout, as torch 1.13 returns them).
 * @example scaledDotProductAttention(q, k, v, { keyPaddingMask: pad, isCausal: true })
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): { output: Tensor; weights: Tensor } {
  const o = checkOptions("scaledDotProductAttention", opts, [...MASK_KEYS, "dropout", "rng", "scale"]);
  const op = "scaledDotProductAttention";
  for (const [n, t] of [["q", q], ["k", k], ["v", v]] as const) {
    if (!(t instanceof Tensor) || t.rank < 2) throw new Error(`${op}: ${n} must be a tensor of rank >= 2, got ${t instanceof Tensor ? t.describe() : show(t)}`);
  }
  const r = q.rank, lead = q.shape.slice(0, -2), [lq, d] = q.shape.slice(-2), lk = k.shape[r - 2];
  const same = (t: Tensor) => t.rank === r && lead.every((x, i) => x === t.shape[i]);
  if (!same(k) || !same(v) || k.shape[r - 1] !== d || v.shape[r - 2] !== lk) {
    throw new Error(`${op}: q ${q.describe()}, k ${k.describe()}, v ${v.describe()} must be [..., Lq, d], [..., Lk, d], [..., Lk, dv] with equal leading axes`);
  }
  const p = o.dropout ?? 0;
  if (!(typeof p === "number" && p >= 0 && p < 1)) throw new Error(`${op}: dropout must be in [0, 1), got ${show(p)}`);
  const lift = (t: Tensor) => (r === 2 ? reshape(t, [1, ...t.shape]) : t);
  const qs = o.scale === undefined ? div(q, Math.sqrt(d)) : mul(q, o.scale);
  const scores = reshape(bmm(lift(qs), lift(k), { transB: true }), [...lead, lq, lk]);
  const mask = combineMasks(lead, lq, lk, o, op);
  let w = mask ? maskedSoftmax(scores, mask, { fullyMasked: o.fullyMasked }) : softmax(scores);
  if (mask) mask.dispose();
  if (p > 0) w = mul(w, bernoulli(w.shape, 1 - p, 1 / (1 - p), resolveRng(o.rng)));
  const output = reshape(bmm(lift(w), lift(v)), [...lead, lq, v.shape[r - 1]]);
  return { output, weights: w };
}

export interface MultiheadAttentionOptions {
  /** Learn in_proj_bias and out_proj.bias (default true). */
  bias?: boolean;
  /** Inputs and outputs are [batch, seq, embed] (default false: [seq, batch, embed], as torch). */
  batchFirst?: boolean;
  /** Dropout on the attention weights in training (default 0). */
  dropout?: number;
  rng?: Rng;
}

export interface MultiheadAttentionCall extends AttentionMasks {
  /** Return the attention weights (default true, as torch). */
  needWeights?: boolean;
  /** Average the returned weights over heads (default true): [B, Lq, Lk], else [B, H, Lq, Lk]. */
  averageAttnWeights?: boolean;
}

/**
 * Multi-head attention, torch.nn.MultiheadAttention's layout and defaults: in_proj_weight
 * Xavier-uniform, biases zero, out_proj a Linear. Key and value have the query's width
 * (torch's kdim = vdim = embed_dim). forward returns [output, weights | null].
 * @example
 * const mha = new MultiheadAttention(64, 4, { batchFirst: true });
 * const [y] = mha.forward(x, x, x, { keyPaddingMask: pad, needWeights: false });
 */
export class MultiheadAttention extends Module {
  in_proj_weight: Tensor;
  in_proj_bias: Tensor | null;
  out_proj: Linear;
  readonly headDim: number;
  readonly batchFirst: boolean;
  readonly dropout: number;
  private rng: Rng;

  constructor(readonly embedDim: number, readonly numHeads: number, opts: MultiheadAttentionOptions = {}) {
    super();
    const o = checkOptions("MultiheadAttention", opts, ["bias", "batchFirst", "dropout", "rng"]);
    if (!(Number.isInteger(embedDim) && embedDim > 0 && Number.isInteger(numHeads) && numHeads > 0 && embedDim % numHeads === 0)) {
      throw new Error(`MultiheadAttention: embedDim (${show(embedDim)}) must be a positive multiple of numHeads (${show(numHeads)})`);
    }
    const p = o.dropout ?? 0;
    if (!(typeof p === "number" && p >= 0 && p < 1)) throw new Error(`MultiheadAttention: dropout must be in [0, 1), got ${show(p)}`);
    this.headDim = embedDim / numHeads;
    this.batchFirst = !!o.batchFirst;
    this.dropout = p;
    const rng = resolveRng(o.rng);
    const bias = o.bias !== false;
    this.in_proj_weight = this.param(initializers.glorotUniform()([3 * embedDim, embedDim], rng));
    this.in_proj_bias = bias ? this.param(zeros([3 * embedDim])) : null;
    this.out_proj = new Linear(embedDim, embedDim, { bias, biasInit: initializers.zeros(), rng });
    this.rng = rng.fork();
  }

  /** The attention dropout stream's position, for checkpoints. */
  override rngState(): RngState { return this.rng.state(); }
  override setRngState(s: RngState): void { this.rng = Rng.fromState(s); }

  /** x [B, L, E] times rows [from, from + E) of in_proj, plus their bias. */
  private project(x: Tensor, part: number): Tensor {
    const E = this.embedDim, [B, L] = x.shape;
    const w = slice(this.in_proj_weight, 0, part * E, (part + 1) * E);
    let y = matmul(reshape(x, [B * L, E]), w, { transB: true });
    if (this.in_proj_bias) y = add(y, slice(this.in_proj_bias, 0, part * E, (part + 1) * E));
    return reshape(y, [B, L, E]);
  }

  /** [B, L, E] -> [B, H, L, d]. */
  private heads(x: Tensor): Tensor {
    const [B, L] = x.shape;
    return transpose(reshape(x, [B, L, this.numHeads, this.headDim]), [0, 2, 1, 3]);
  }

  forward(query: Tensor, key: Tensor = query, value: Tensor = key, call: MultiheadAttentionCall = {}): [Tensor, Tensor | null] {
    const c = checkOptions(this.label("MultiheadAttention"), call, [...MASK_KEYS, "needWeights", "averageAttnWeights"]);
    const name = this.label("MultiheadAttention"), E = this.embedDim, H = this.numHeads;
    for (const [n, t] of [["query", query], ["key", key], ["value", value]] as const) {
      if (!(t instanceof Tensor) || (t.rank !== 2 && t.rank !== 3) || t.shape[t.rank - 1] !== E) {
        throw new Error(`${name}: ${n} ${t instanceof Tensor ? t.describe() : show(t)} must be [${this.batchFirst ? "batch, seq" : "seq, batch"}, ${E}] or unbatched [seq, ${E}]`);
      }
    }
    const batched = query.rank === 3;
    if (key.rank !== query.rank || value.rank !== query.rank) throw new Error(`${name}: query, key and value must all be batched or all unbatched`);
    // to [B, L, E]
    const bl = (t: Tensor) => (!batched ? reshape(t, [1, ...t.shape]) : this.batchFirst ? t : transpose(t, [1, 0, 2]));
    const q0 = bl(query), k0 = key === query ? q0 : bl(key), v0 = value === key ? k0 : bl(value);
    const [B, Lq] = q0.shape, Lk = k0.shape[1];
    if (k0.shape[0] !== B || v0.shape[0] !== B || v0.shape[1] !== Lk) {
      throw new Error(`${name}: query ${query.describe()}, key ${key.describe()} and value ${value.describe()} disagree on batch or key length`);
    }
    let qkv: [Tensor, Tensor, Tensor];
    if (k0 === q0 && v0 === q0) { // self-attention: one product for q, k and v
      const w = matmul(reshape(q0, [B * Lq, E]), this.in_proj_weight, { transB: true });
      const y = reshape(this.in_proj_bias ? add(w, this.in_proj_bias) : w, [B, Lq, 3 * E]);
      qkv = [slice(y, 2, 0, E), slice(y, 2, E, 2 * E), slice(y, 2, 2 * E, 3 * E)];
    } else qkv = [this.project(q0, 0), this.project(k0, 1), this.project(v0, 2)];
    let { attnMask, keyPaddingMask } = c;
    if (keyPaddingMask && !batched && keyPaddingMask.rank === 1) keyPaddingMask = reshape(keyPaddingMask, [1, Lk]);
    if (attnMask && attnMask.rank === 3) { // torch's [B * H, Lq, Lk]
      if (attnMask.shape[0] !== B * H) throw new Error(`${name}: a 3-d attnMask ${attnMask.describe()} must be [${B * H}, ${Lq}, ${Lk}] (batch * heads, queries, keys)`);
      attnMask = reshape(attnMask, [B, H, Lq, Lk]);
    }
    const p = this.training ? this.dropout : 0;
    const { output, weights } = scaledDotProductAttention(this.heads(qkv[0]), this.heads(qkv[1]), this.heads(qkv[2]),
      { attnMask, keyPaddingMask, isCausal: c.isCausal, fullyMasked: c.fullyMasked, dropout: p, rng: this.rng });
    const merged = reshape(transpose(output, [0, 2, 1, 3]), [B * Lq, E]);
    let y = reshape(this.out_proj.forward(merged), [B, Lq, E]);
    y = !batched ? reshape(y, [Lq, E]) : this.batchFirst ? y : transpose(y, [1, 0, 2]);
    if (c.needWeights === false) return [y, null];
    let w = c.averageAttnWeights === false ? weights : mean(weights, 1);
    if (!batched) w = reshape(w, w.shape.slice(1));
    return [y, w];
  }
}
