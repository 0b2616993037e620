// Raw 32-bit words from the Philox kernel for host-side integer use (shuffles, sampling,
// permutations): the one place outside the ops that hands the kernel a scratch buffer.
import { K, U32, alloc, free } from "./engine.js";

/** n Philox words for key (k0, k1) starting at block `counter`. */
export function philoxU32(n: number, k0: number, k1: number, counter: number): Uint32Array {
  if (n === 0) return new Uint32Array(0);
  const p = alloc(n * 4);
  try {
    K().rng_u32(p, n, k0 | 0, k1 | 0, counter);
    return U32().slice(p >>> 2, (p >>> 2) + n);
  } finally { free(p, n * 4); }
}
