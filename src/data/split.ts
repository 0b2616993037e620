// Seeded splits of n items into named parts (train/validation/test, or any names), by
// fractions or by counts. Shared by MultiTaskDataset.split and trainValTestSplit.
import { defaultRng, Rng } from "../random.js";

/** Sizes of the parts: all fractions in [0, 1] summing to at most 1, or integer counts. */
export type SplitParts<K extends string = string> = Record<K, number>;

const DEFAULT_PARTS = { train: 0.8, validation: 0.1, test: 0.1 };

/**
 * Resolve part sizes to counts. Fractions: every value in [0, 1] and the sum at most 1
 * (so `{ train: 1 }` means everything); each part gets floor(f * n), and when the
 * fractions sum to 1 the rounding remainder goes to the first part so no item is left
 * out. Anything else is read as counts, which must be integers summing to at most n.
 */
export function partCounts(n: number, parts: SplitParts, what: string): number[] {
  const names = Object.keys(parts);
  const v = names.map((k) => parts[k]);
  if (names.length === 0) throw new Error(`${what}: no parts given (e.g. { train: 0.8, validation: 0.2 })`);
  names.forEach((k, i) => {
    if (!(Number.isFinite(v[i]) && v[i] >= 0)) throw new Error(`${what}: part "${k}" is ${v[i]}, expected a non-negative fraction or count`);
  });
  const total = v.reduce((s, x) => s + x, 0);
  const fractions = v.every((x) => x <= 1) && total <= 1 + 1e-9;
  if (fractions) {
    const counts = v.map((f) => Math.floor(f * n + 1e-9));
    if (total >= 1 - 1e-9) counts[0] += n - counts.reduce((s, c) => s + c, 0);
    return counts;
  }
  names.forEach((k, i) => {
    if (!Number.isInteger(v[i])) throw new Error(`${what}: part "${k}" is ${v[i]}; parts are fractions (all <= 1, summing to <= 1) or integer counts`);
  });
  if (total > n) throw new Error(`${what}: counts sum to ${total}, but there are only ${n} items`);
  return v;
}

/**
 * Split 0..n-1 into named parts of shuffled indices (a seeded permutation; the same
 * seed gives the same parts everywhere).
 * @example splitIndices(100, { train: 0.8, test: 0.2 }, new Rng(1)).test.length // 20
 */
export function splitIndices<K extends string>(n: number, parts: SplitParts<K>, rng: Rng = defaultRng(), shuffle = true): Record<K, Int32Array> {
  const counts = partCounts(n, parts, "split");
  const order = shuffle ? rng.permutation(n) : Int32Array.from({ length: n }, (_, i) => i);
  const out = {} as Record<K, Int32Array>;
  let off = 0;
  (Object.keys(parts) as K[]).forEach((k, i) => {
    out[k] = order.slice(off, off + counts[i]);
    off += counts[i];
  });
  return out;
}

/**
 * Split a plain array into shuffled parts (default 80/10/10 train/validation/test).
 * @example const { train, test } = trainValTestSplit(files, { train: 0.9, test: 0.1 }, new Rng(0));
 */
export function trainValTestSplit<T, K extends string = "train" | "validation" | "test">(
  items: ArrayLike<T>, parts: SplitParts<K> = DEFAULT_PARTS as SplitParts<K>, rng: Rng = defaultRng()): Record<K, T[]> {
  const idx = splitIndices(items.length, parts, rng);
  const out = {} as Record<K, T[]>;
  for (const k of Object.keys(idx) as K[]) out[k] = Array.from(idx[k], (i) => items[i]);
  return out;
}
