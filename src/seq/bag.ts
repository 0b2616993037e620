// EmbeddingBag, as torch.nn.EmbeddingBag: the sum, mean or max of the embeddings of each
// bag of indices (bags given by offsets into a flat list, or as the rows of a 2-d input),
// with per-sample weights, a padding index left out of every bag, and CSR-style offsets.
// Composed of op-table ops: a row gather (take) and a bag-by-row matrix (matmul) for sum and
// mean, a padded gather and max over the bag for max; the gradients are theirs.
import { Tensor } from "../tensor.js";
import { Module } from "../nn/module.js";
import { initializers, resolveRng, type Initializer } from "../nn/init.js";
import { Rng } from "../random.js";
import { add, div, mul } from "../ops/elementwise.js";
import { matmul } from "../ops/matmul.js";
import { max } from "../ops/reduce.js";
import { reshape, take } from "../ops/shape.js";
import { tensor } from "../ops/creation.js";
import { checkOptions, checkSpec, show } from "../validate.js";

export type BagMode = "sum" | "mean" | "max";
const MODES: readonly BagMode[] = ["sum", "mean", "max"];

export interface EmbeddingBagCallOptions {
  /** Start of each bag in a 1-d input (first 0, non-decreasing); not with a 2-d input. */
  offsets?: ArrayLike<number> | Tensor;
  /** A weight per index (input's shape), multiplying its embedding; mode "sum" only, as torch. */
  perSampleWeights?: Tensor;
}

export interface EmbeddingBagFunctionalOptions extends EmbeddingBagCallOptions {
  /** "sum", "mean" (default, as torch) or "max". */
  mode?: BagMode;
  /** Index whose entries are left out of every bag (not counted in a mean). */
  paddingIdx?: number;
  /** offsets has one more entry, the end of the last bag (= the input's length): CSR form. */
  includeLastOffset?: boolean;
}

function ints(v: ArrayLike<number> | Tensor, what: string, owner: string): ArrayLike<number> {
  if (v instanceof Tensor) {
    if (v.dtype !== "int32") throw new Error(`${owner}: ${what} ${v.describe()} must be int32`);
    return v.data();
  }
  if (!v || typeof v !== "object" || typeof v.length !== "number") throw new Error(`${owner}: ${what} must be a list of integers or an int32 tensor, got ${show(v)}`);
  for (let i = 0; i < v.length; i++) if (!Number.isInteger(v[i])) throw new Error(`${owner}: ${what}[${i}] is ${show(v[i])}, not an integer`);
  return v;
}

/** The bags as [start, end) ranges over the flat index list, checked. */
function bagsOf(input: Tensor | ArrayLike<number>, o: EmbeddingBagFunctionalOptions, owner: string): { idx: ArrayLike<number>; bags: [number, number][] } {
  const twoD = input instanceof Tensor && input.rank === 2;
  if (input instanceof Tensor && input.rank !== 1 && !twoD) throw new Error(`${owner}: input ${input.describe()} must be 1-d (with offsets) or 2-d [bags, size]`);
  const idx = ints(input, "input", owner);
  const n = idx.length;
  const bags: [number, number][] = [];
  if (twoD) {
    if (o.offsets !== undefined) throw new Error(`${owner}: offsets go with a 1-d input; a 2-d input ${(input as Tensor).describe()} has one bag per row`);
    const [b, s] = (input as Tensor).shape;
    for (let i = 0; i < b; i++) bags.push([i * s, (i + 1) * s]);
    return { idx, bags };
  }
  if (o.offsets === undefined) throw new Error(`${owner}: a 1-d input needs offsets (the start of each bag)`);
  const off = ints(o.offsets, "offsets", owner);
  const last = !!o.includeLastOffset;
  if (off.length < (last ? 2 : 1)) throw new Error(`${owner}: offsets has ${off.length} entries, expected at least ${last ? 2 : 1}`);
  if (off[0] !== 0) throw new Error(`${owner}: offsets[0] is ${off[0]}, expected 0`);
  for (let i = 1; i < off.length; i++) {
    if (!(off[i] >= off[i - 1] && off[i] <= n)) throw new Error(`${owner}: offsets[${i}] is ${off[i]}, expected non-decreasing values in [0, ${n}]`);
  }
  if (last && off[off.length - 1] !== n) throw new Error(`${owner}: with includeLastOffset, the last offset is the input's length ${n}, got ${off[off.length - 1]}`);
  const count = last ? off.length - 1 : off.length;
  for (let i = 0; i < count; i++) bags.push([off[i], i + 1 < off.length ? off[i + 1] : n]);
  return { idx, bags };
}

/**
 * Embedding bags over `weight` [num, dim]: `[bags, dim]`, a zero row for an empty bag.
 * @example embeddingBag([1, 2, 4, 5, 4], table, { offsets: [0, 2], mode: "mean" }) // [2, dim]
 */
export function embeddingBag(input: Tensor | ArrayLike<number>, weight: Tensor, options?: EmbeddingBagFunctionalOptions): Tensor {
  const owner = "embeddingBag";
  const o = checkSpec(owner, options, { offsets: "any", perSampleWeights: "any", mode: "any", paddingIdx: "any", includeLastOffset: "bool" });
  return bag(input, weight, o, owner);
}

function bag(input: Tensor | ArrayLike<number>, weight: Tensor, o: EmbeddingBagFunctionalOptions, owner: string): Tensor {
  const mode = o.mode ?? "mean";
  if (!MODES.includes(mode)) throw new Error(`${owner}: mode must be "sum", "mean" or "max", got ${show(mode)}`);
  if (!(weight instanceof Tensor) || weight.rank !== 2 || weight.dtype !== "float32") throw new Error(`${owner}: weight must be a float32 [num_embeddings, dim] tensor, got ${show(weight)}`);
  const [num, dim] = weight.shape;
  const pad = o.paddingIdx;
  if (pad !== undefined && !(Number.isInteger(pad) && pad >= 0 && pad < num)) throw new Error(`${owner}: paddingIdx must be an integer in [0, ${num}), got ${show(pad)}`);
  const { idx, bags } = bagsOf(input, o, owner);
  for (let i = 0; i < idx.length; i++) {
    if (!(idx[i] >= 0 && idx[i] < num)) throw new Error(`${owner}: index ${idx[i]} at position ${i} is out of range [0, ${num})`);
  }
  const psw = o.perSampleWeights;
  if (psw !== undefined) {
    if (mode !== "sum") throw new Error(`${owner}: perSampleWeights need mode "sum" (as torch), got mode "${mode}"`);
    const shape = input instanceof Tensor ? input.shape : [idx.length];
    if (!(psw instanceof Tensor) || psw.dtype !== "float32" || `${psw.shape}` !== `${shape}`) {
      throw new Error(`${owner}: perSampleWeights must be float32 [${shape.join(", ")}] (the input's shape), got ${show(psw)}`);
    }
  }
  // the positions each bag keeps (the padding index left out)
  const keep: number[][] = bags.map(([s, e]) => {
    const k: number[] = [];
    for (let i = s; i < e; i++) if (idx[i] !== pad) k.push(i);
    return k;
  });
  const B = bags.length;
  if (mode === "max") {
    // a [B, width] gather where a bag's missing slots read row 0 with -inf added, so max
    // picks its real rows only; an empty bag reads row 0 unchanged and is zeroed after, as torch
    const width = keep.reduce((w, k) => Math.max(w, k.length), 1);
    const at = new Int32Array(B * width), fill = new Float32Array(B * width), nonEmpty = new Float32Array(B);
    keep.forEach((k, b) => {
      nonEmpty[b] = k.length ? 1 : 0;
      for (let j = 0; j < width; j++) {
        if (j < k.length) at[b * width + j] = idx[k[j]]; else if (k.length) fill[b * width + j] = -Infinity;
      }
    });
    const m = max(reshape(add(take(weight, at), tensor(fill, [B * width, 1])), [B, width, dim]), 1);
    return keep.every((k) => k.length) ? m : mul(m, tensor(nonEmpty, [B, 1]));
  }
  const flat = keep.flat();
  const K = flat.length;
  const seg = new Float32Array(B * K);
  let p = 0;
  keep.forEach((k, b) => { for (let j = 0; j < k.length; j++) seg[b * K + p++] = 1; });
  let rows = take(weight, flat.map((i) => idx[i]));
  if (psw) rows = mul(rows, take(reshape(psw, [-1, 1]), flat));
  const sums = matmul(tensor(seg, [B, K]), rows);
  if (mode === "sum") return sums;
  return div(sums, tensor(keep.map((k) => Math.max(1, k.length)), [B, 1]));
}

export interface EmbeddingBagOptions {
  mode?: BagMode;
  paddingIdx?: number;
  includeLastOffset?: boolean;
  /** Default: N(0, 1), as torch (the padding row zeroed). */
  weightInit?: Initializer;
  rng?: Rng;
}

/**
 * torch.nn.EmbeddingBag: a table `weight` [num, dim] and a reduction over each bag.
 * @example
 * const bag = new EmbeddingBag(5000, 64, { mode: "mean" });
 * bag.forward([3, 17, 4, 99, 4], { offsets: [0, 3] }) // [2, 64]
 */
export class EmbeddingBag extends Module {
  weight: Tensor;
  readonly mode: BagMode;
  readonly paddingIdx: number | undefined;
  readonly includeLastOffset: boolean;
  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, options: EmbeddingBagOptions = {}) {
    super();
    const o = checkOptions("EmbeddingBag", options, ["mode", "paddingIdx", "includeLastOffset", "weightInit", "rng"]);
    if (!(Number.isInteger(numEmbeddings) && numEmbeddings > 0 && Number.isInteger(embeddingDim) && embeddingDim > 0)) {
      throw new Error(`EmbeddingBag: sizes must be positive integers, got ${show(numEmbeddings)} x ${show(embeddingDim)}`);
    }
    this.mode = o.mode ?? "mean";
    if (!MODES.includes(this.mode)) throw new Error(`EmbeddingBag: mode must be "sum", "mean" or "max", got ${show(this.mode)}`);
    this.paddingIdx = o.paddingIdx;
    if (o.paddingIdx !== undefined && !(Number.isInteger(o.paddingIdx) && o.paddingIdx >= 0 && o.paddingIdx < numEmbeddings)) {
      throw new Error(`EmbeddingBag: paddingIdx must be an integer in [0, ${numEmbeddings}), got ${show(o.paddingIdx)}`);
    }
    this.includeLastOffset = o.includeLastOffset ?? false;
    const w = (o.weightInit ?? initializers.normal(0, 1))([numEmbeddings, embeddingDim], resolveRng(o.rng));
    if (o.paddingIdx !== undefined) w.write(new Float32Array(embeddingDim), o.paddingIdx * embeddingDim);
    this.weight = this.param(w);
  }
  forward(input: Tensor | ArrayLike<number>, options?: EmbeddingBagCallOptions): Tensor {
    const owner = this.label("EmbeddingBag");
    const o = checkOptions(owner, options, ["offsets", "perSampleWeights"]);
    return bag(input, this.weight, { ...o, mode: this.mode, paddingIdx: this.paddingIdx, includeLastOffset: this.includeLastOffset }, owner);
  }
}
