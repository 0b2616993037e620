// Batching token ids: pad (or cut) a list of sequences to one length, with the lengths, a
// [batch, time] mask (1 = token, 0 = padding) that the recurrent layers and the pooling
// functions take, and its complement in torch's key-padding form for attention.
import { Tensor } from "../../tensor.js";
import { tensor } from "../../ops/creation.js";
import { checkSpec, show } from "../../validate.js";

export interface PadOptions {
  /** The padding id (default 0, the Vocabulary's pad). */
  padId?: number;
  /** Cut sequences longer than this (default: no cut). */
  maxLength?: number;
  /** Where a long sequence is cut: keep its "start" (default) or its "end". */
  keep?: "start" | "end";
  /** Pad every batch to maxLength rather than to its longest sequence (default false). */
  fixedLength?: boolean;
}

export interface PaddedBatch {
  /** int32 [batch, time]. */
  ids: Tensor;
  /** float32 [batch, time], 1 for a token and 0 for padding. */
  mask: Tensor;
  /** int32 [batch, time], 1 for padding: attention's keyPaddingMask / srcKeyPaddingMask (torch's convention). */
  padding: Tensor;
  /** Tokens per sequence after cutting. */
  lengths: number[];
}

/**
 * @example
 * const { ids, mask, lengths } = padBatch([[5, 9, 2], [7]]); // ids [[5, 9, 2], [7, 0, 0]]
 * const emb = new Embedding(10, 8), gru = new GRU(8, 16, { batchFirst: true });
 * gru.forward(emb.forward(ids), { lengths });
 */
export function padBatch(seqs: readonly ArrayLike<number>[], options?: PadOptions): PaddedBatch {
  const o = checkSpec("padBatch", options, { padId: "any", maxLength: "int", keep: "any", fixedLength: "bool" });
  if (!Array.isArray(seqs) || seqs.length === 0) throw new Error(`padBatch: expected a non-empty list of id sequences, got ${show(seqs)}`);
  const padId = o.padId ?? 0;
  if (!Number.isInteger(padId)) throw new Error(`padBatch: padId must be an integer, got ${show(padId)}`);
  const keep = o.keep ?? "start";
  if (keep !== "start" && keep !== "end") throw new Error(`padBatch: keep must be "start" or "end", got ${show(keep)}`);
  if (o.fixedLength && o.maxLength === undefined) throw new Error("padBatch: fixedLength needs maxLength");
  const cut = o.maxLength ?? Infinity;
  const lengths = seqs.map((s, i) => {
    if (!s || typeof s.length !== "number" || typeof s === "string") throw new Error(`padBatch: sequence ${i} is ${show(s)}, expected a list of integer ids`);
    return Math.min(s.length, cut);
  });
  const T = o.fixedLength ? cut : lengths.reduce((m, n) => Math.max(m, n), 1);
  const B = seqs.length, ids = new Int32Array(B * T).fill(padId), mask = new Float32Array(B * T), padding = new Int32Array(B * T).fill(1);
  seqs.forEach((s, b) => {
    const n = lengths[b], from = keep === "start" ? 0 : s.length - n;
    for (let t = 0; t < n; t++) {
      const v = s[from + t];
      if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) throw new Error(`padBatch: sequence ${b} holds ${show(v)} at ${from + t}, not an int32 id`);
      ids[b * T + t] = v;
      mask[b * T + t] = 1;
      padding[b * T + t] = 0;
    }
  });
  return { ids: tensor(ids, [B, T], "int32"), mask: tensor(mask, [B, T]), padding: tensor(padding, [B, T], "int32"), lengths };
}
