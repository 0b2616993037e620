// Seeded randomness. One counter-based generator (Philox in Wasm): a stream is a key
// (from the seed) and a counter; drawing n values advances the counter. Streams split
// by deriving keys, and the state {key, counter} is what a checkpoint stores.
import { philoxU32 } from "./engine/philox.js";

/** An Rng's state (Philox key and counter), for checkpoints. */
export interface RngState { key: [number, number]; counter: number }

// splitmix32-style integer mixing (Math.imul and shifts only: identical everywhere)
function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * A seeded counter-based random stream (Philox in Wasm): the same seed gives the same numbers
 * in every runtime; `split`/`fork` derive independent streams; `state()` checkpoints it.
 * @example const rng = new Rng(42); randn([3, 3], 0, 1, rng);
 */
export class Rng {
  key: [number, number];
  /** Blocks consumed so far (each block yields 4 values). */
  counter = 0;

  constructor(seed: number | [number, number] = 0) {
    if (Array.isArray(seed)) this.key = [seed[0] >>> 0, seed[1] >>> 0];
    else {
      if (!Number.isFinite(seed)) throw new Error(`Rng: seed must be a finite number, got ${seed}`);
      const lo = seed >>> 0, hi = Math.floor(seed / 4294967296) >>> 0;
      this.key = [mix(lo ^ 0x9e3779b9), mix(hi ^ mix(lo + 0x632be5ab))];
    }
  }

  /** An independent stream derived from this one's key and a label (e.g. a task index). */
  split(label: number): Rng {
    return new Rng([mix(this.key[0] ^ mix(label + 1)), mix(this.key[1] + Math.imul(label + 1, 0x9e3779b9))]);
  }

  /** A new independent stream drawn from this one (advances this stream): successive forks differ. */
  fork(): Rng { return this.split(0x40000000 + this.take(4)); }

  /** Reserve n values' worth of counter; returns the first block index. */
  take(n: number): number {
    const c = this.counter;
    this.counter += Math.ceil(n / 4);
    return c;
  }

  /** The stream's state, to resume it later with Rng.fromState. */
  state(): RngState { return { key: [this.key[0], this.key[1]], counter: this.counter }; }
  /** A stream that continues from a saved state(). */
  static fromState(s: RngState): Rng { const r = new Rng(s.key); r.counter = s.counter; return r; }

  /** n raw 32-bit words (host-side integer use: shuffles, sampling). */
  u32(n: number): Uint32Array {
    return n === 0 ? new Uint32Array(0) : philoxU32(n, this.key[0], this.key[1], this.take(n));
  }

  /** A uniform integer in [0, n) (n <= 2^32) by multiply-shift on a 32-bit word. */
  int(n: number): number {
    const w = this.u32(1)[0];
    return Math.floor((w * n) / 4294967296);
  }

  /** A seeded Fisher-Yates permutation of 0..n-1 (integer math only). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    const w = this.u32(n);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor((w[i] * (i + 1)) / 4294967296);
      const t = p[i]; p[i] = p[j]; p[j] = t;
    }
    return p;
  }
}

let global = new Rng(0);
/** Seed the default generator used when an op is given no Rng. */
export function seed(s: number): void { global = new Rng(s); }
/** The stream used when an op or layer is given none (reset by `seed`). */
export function defaultRng(): Rng { return global; }
