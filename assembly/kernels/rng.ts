// Counter-based PRNG (Philox4x32-10, Salmon et al. 2011): value i of a stream is a pure
// function of (key, counter + i), so streams split by key, resume from a counter, and
// give the same numbers in every runtime. The host keeps (key, counter) as state.

const M0: u64 = 0xD2511F53;
const M1: u64 = 0xCD9E8D57;
const W0: u32 = 0x9E3779B9;
const W1: u32 = 0xBB67AE85;

// scratch for the 4 output words of one block
const OUT = memory.data(16);

@inline function philox(c0: u32, c1: u32, c2: u32, c3: u32, k0: u32, k1: u32): void {
  for (let r = 0; r < 10; r++) {
    const p0 = M0 * <u64>c0;
    const p1 = M1 * <u64>c2;
    const n0 = <u32>(p1 >> 32) ^ c1 ^ k0;
    const n2 = <u32>(p0 >> 32) ^ c3 ^ k1;
    c1 = <u32>p1; c3 = <u32>p0; c0 = n0; c2 = n2;
    // (c0,c1,c2,c3) <- (hi1^c1^k0, lo1, hi0^c3^k1, lo0)
    k0 += W0; k1 += W1;
  }
  store<u32>(OUT, c0); store<u32>(OUT + 4, c1); store<u32>(OUT + 8, c2); store<u32>(OUT + 12, c3);
}

// u32 -> [0, 1) with 24 bits, exactly representable in f32
@inline function toUnit(u: u32): f32 { return <f32>(u >>> 8) * (1.0 / 16777216.0); }

// out[i] = low + (high-low) * U[0,1), block index = counter + i/4 (4 numbers per block).
export function rng_uniform(out: usize, n: i32, k0: u32, k1: u32, counter: f64, low: f32, high: f32): void {
  const base = <u64>counter;
  const span = high - low;
  for (let i = 0; i < n; i += 4) {
    const blk = base + <u64>(i >> 2);
    philox(<u32>blk, <u32>(blk >> 32), 0, 0, k0, k1);
    for (let j = 0; j < 4 && i + j < n; j++) {
      store<f32>(out + (<usize>(i + j) << 2), low + span * toUnit(load<u32>(OUT + (<usize>j << 2))));
    }
  }
}

// Normal(mean, std) by Box-Muller on pairs, computed in f64 with Wasm's own log/cos/sin.
export function rng_normal(out: usize, n: i32, k0: u32, k1: u32, counter: f64, mean: f32, std: f32): void {
  const base = <u64>counter;
  for (let i = 0; i < n; i += 4) {
    const blk = base + <u64>(i >> 2);
    philox(<u32>blk, <u32>(blk >> 32), 1, 0, k0, k1);
    for (let p = 0; p < 2; p++) {
      // u1 in (0, 1] so log is finite
      const u1 = (<f64>(load<u32>(OUT + (<usize>(2 * p) << 2)) >>> 8) + 1.0) * (1.0 / 16777216.0);
      const u2 = <f64>(load<u32>(OUT + (<usize>(2 * p + 1) << 2)) >>> 8) * (1.0 / 16777216.0);
      const r = Math.sqrt(-2.0 * Math.log(u1));
      const t = 6.283185307179586 * u2;
      const j = i + 2 * p;
      if (j < n) store<f32>(out + (<usize>j << 2), mean + std * <f32>(r * Math.cos(t)));
      if (j + 1 < n) store<f32>(out + (<usize>(j + 1) << 2), mean + std * <f32>(r * Math.sin(t)));
    }
  }
}

// Truncated normal: resample from the same stream is stateful; instead clamp by
// rejection inside a block sequence indexed by (counter + i) and an attempt number.
export function rng_truncnormal(out: usize, n: i32, k0: u32, k1: u32, counter: f64, mean: f32, std: f32, limit: f32): void {
  const base = <u64>counter;
  for (let i = 0; i < n; i++) {
    let v: f64 = 0, u2: f64 = 0, ok = false;
    for (let attempt: u32 = 0; attempt < 64 && !ok; attempt++) {
      const blk = base + <u64>i;
      philox(<u32>blk, <u32>(blk >> 32), 2, attempt, k0, k1);
      const u1 = (<f64>(load<u32>(OUT) >>> 8) + 1.0) * (1.0 / 16777216.0);
      u2 = <f64>(load<u32>(OUT + 4) >>> 8) * (1.0 / 16777216.0);
      v = Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(6.283185307179586 * u2);
      ok = Math.abs(v) <= <f64>limit;
    }
    // a narrow limit rejects nearly every draw; there the truncated density is nearly flat
    if (!ok) v = (2.0 * u2 - 1.0) * <f64>limit;
    store<f32>(out + (<usize>i << 2), mean + std * <f32>v);
  }
}

// Bernoulli(p) mask as f32 {0, scale}: dropout's mask with the 1/(1-p) scale folded in.
export function rng_bernoulli(out: usize, n: i32, k0: u32, k1: u32, counter: f64, p: f32, scale: f32): void {
  const base = <u64>counter;
  for (let i = 0; i < n; i += 4) {
    const blk = base + <u64>(i >> 2);
    philox(<u32>blk, <u32>(blk >> 32), 3, 0, k0, k1);
    for (let j = 0; j < 4 && i + j < n; j++) {
      store<f32>(out + (<usize>(i + j) << 2), toUnit(load<u32>(OUT + (<usize>j << 2))) < p ? scale : 0);
    }
  }
}

// Raw u32 words (for shuffling on the host with integer math only).
export function rng_u32(out: usize, n: i32, k0: u32, k1: u32, counter: f64): void {
  const base = <u64>counter;
  for (let i = 0; i < n; i += 4) {
    const blk = base + <u64>(i >> 2);
    philox(<u32>blk, <u32>(blk >> 32), 4, 0, k0, k1);
    for (let j = 0; j < 4 && i + j < n; j++) store<u32>(out + (<usize>(i + j) << 2), load<u32>(OUT + (<usize>j << 2)));
  }
}
