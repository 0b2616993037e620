// Which steps of a padded batch are real: lengths or a [batch, time] mask (1 = token,
// 0 = padding), checked once and read on the host, for the recurrent layers and pooling.
import { Tensor } from "../tensor.js";
import { tensor } from "../ops/creation.js";
import { show } from "../validate.js";

export interface LengthsOrMask {
  /** Valid steps per sequence (each in [0, time]); the rest is padding. */
  lengths?: ArrayLike<number> | Tensor;
  /** [batch, time], 1 for a real step and 0 for padding (always batch-major, as torch's key_padding_mask). */
  mask?: Tensor | ArrayLike<number>[];
}

/** The mask as host values [B * T] (row b, step t at b * T + t), or null when all steps are real. */
export function maskValues(o: LengthsOrMask, B: number, T: number, owner: string): Float32Array | null {
  if (o.lengths !== undefined && o.mask !== undefined) throw new Error(`${owner}: pass lengths or mask, not both`);
  if (o.lengths !== undefined) {
    const len = o.lengths instanceof Tensor ? o.lengths.data() : o.lengths;
    if (!len || typeof len.length !== "number" || typeof len === "string") throw new Error(`${owner}: lengths must be a list of ${B} integers, got ${show(o.lengths)}`);
    if (len.length !== B) throw new Error(`${owner}: lengths has ${len.length} entries, the batch has ${B}`);
    const m = new Float32Array(B * T);
    for (let b = 0; b < B; b++) {
      const n = len[b];
      if (!(Number.isInteger(n) && n >= 0 && n <= T)) throw new Error(`${owner}: lengths[${b}] is ${show(n)}, expected an integer in [0, ${T}]`);
      m.fill(1, b * T, b * T + n);
    }
    return m;
  }
  if (o.mask === undefined) return null;
  let m: Float32Array;
  if (o.mask instanceof Tensor) {
    if (o.mask.rank !== 2 || o.mask.shape[0] !== B || o.mask.shape[1] !== T) {
      throw new Error(`${owner}: mask ${o.mask.describe()} must be [batch ${B}, time ${T}]`);
    }
    m = Float32Array.from(o.mask.data());
  } else {
    if (!Array.isArray(o.mask) || o.mask.length !== B) throw new Error(`${owner}: mask must be ${B} rows of ${T} values (or a [${B}, ${T}] tensor), got ${show(o.mask)}`);
    m = new Float32Array(B * T);
    o.mask.forEach((row, b) => {
      if (!row || row.length !== T) throw new Error(`${owner}: mask row ${b} has ${show(row)}, expected ${T} values`);
      for (let t = 0; t < T; t++) m[b * T + t] = row[t];
    });
  }
  for (let i = 0; i < m.length; i++) {
    if (m[i] !== 0 && m[i] !== 1) throw new Error(`${owner}: mask[${Math.floor(i / T)}][${i % T}] is ${m[i]}, expected 0 (padding) or 1`);
  }
  return m;
}

/**
 * Per step t, the pair [m, 1 - m] as [B, 1] tensors, or null where every sequence is real
 * at t (the layers then skip the selection: the same values, fewer ops).
 */
export function stepMasks(o: LengthsOrMask, B: number, T: number, owner: string): (readonly [Tensor, Tensor] | null)[] {
  const m = maskValues(o, B, T, owner);
  const out: (readonly [Tensor, Tensor] | null)[] = new Array(T).fill(null);
  if (!m) return out;
  for (let t = 0; t < T; t++) {
    const col = new Float32Array(B), inv = new Float32Array(B);
    let all = true;
    for (let b = 0; b < B; b++) { col[b] = m[b * T + t]; inv[b] = 1 - col[b]; if (col[b] !== 1) all = false; }
    if (!all) out[t] = [tensor(col, [B, 1]), tensor(inv, [B, 1])] as const;
  }
  return out;
}
