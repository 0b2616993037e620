// Deterministic double-precision exp and log for the weighting methods' host-side math
// (softmaxes of a few task weights, geometric means, alpha-fair powers). Built from
// + - * / and exact bit manipulation only, so every JS engine gives the same bits
// (JS Math.exp/log are not specified to be correctly rounded and differ between engines).
// Accuracy: within 2 ulp of the correctly rounded value over the tested ranges.

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
// index of the high word (sign, exponent) in this platform's byte order
const HI = (() => { f64[0] = 1; return u32[1] === 0x3ff00000 ? 1 : 0; })();
const LO = 1 - HI;

/** 2^k for integer k in [-1022, 1023], exactly. */
function pow2(k: number): number {
  u32[HI] = (k + 1023) << 20; u32[LO] = 0;
  return f64[0];
}

const LN2_HI = 6.93147180369123816490e-01; // ln 2 split so k * LN2_HI is exact for |k| < 2^11
const LN2_LO = 1.90821492927058770002e-10;
const INV_LN2 = 1.44269504088896338700e+00;

/** e^x in double precision (+ - * / only). */
export function exp(x: number): number {
  if (x !== x) return NaN;
  if (x > 709.782712893384) return Infinity;
  if (x < -745.1332191019412) return 0;
  const k = Math.floor(x * INV_LN2 + 0.5);
  const r = (x - k * LN2_HI) - k * LN2_LO; // |r| <= 0.35
  return expTail(r, k);
}

// 1/n! for n = 0..14
const INV_FACT: number[] = (() => { const f = [1]; for (let n = 1; n <= 14; n++) f.push(f[n - 1] / n); return f; })();

// Taylor series to r^14/14! (< 3e-18 relative for |r| <= 0.35), Horner form
function expTail(r: number, k: number): number {
  let p = INV_FACT[14];
  for (let n = 13; n >= 0; n--) p = p * r + INV_FACT[n];
  // scale by 2^k in two exact steps (k may be -1075..1024)
  const k1 = k >> 1, k2 = k - k1;
  return p * pow2(k1) * pow2(k2);
}

/** Natural logarithm in double precision (+ - * / only); log(0) = -Infinity, log(x < 0) = NaN. */
export function log(x: number): number {
  if (x !== x || x < 0) return NaN;
  if (x === 0) return -Infinity;
  if (x === Infinity) return Infinity;
  let e = 0;
  if (x < 2.2250738585072014e-308) { x *= 18014398509481984; e = -54; } // subnormal: scale by 2^54 first
  f64[0] = x;
  e += ((u32[HI] >>> 20) & 0x7ff) - 1023;
  u32[HI] = (u32[HI] & 0x000fffff) | 0x3ff00000; // mantissa m in [1, 2)
  let m = f64[0];
  if (m > 1.4142135623730951) { m *= 0.5; e += 1; } // m in [sqrt(1/2), sqrt(2)]
  // log m = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.1716; series to s^25
  const s = (m - 1) / (m + 1), s2 = s * s;
  let p = 1 / 25;
  for (let n = 23; n >= 1; n -= 2) p = p * s2 + 1 / n;
  const lm = 2 * s * p;
  return e * LN2_HI + (e * LN2_LO + lm);
}

/** x^y for x > 0 (exp(y log x)); x = 0 gives 0 for y > 0 and Infinity for y < 0. */
export function pow(x: number, y: number): number {
  if (y === 0) return 1;
  if (x === 0) return y > 0 ? 0 : Infinity;
  if (x < 0) throw new Error(`pow: base must be >= 0, got ${x}`);
  return exp(y * log(x));
}

/** softmax(v / temperature), with the maximum subtracted (no overflow). */
export function softmax(v: number[], temperature = 1): number[] {
  let mx = -Infinity;
  for (const x of v) mx = Math.max(mx, x / temperature);
  const e = v.map((x) => exp(x / temperature - mx));
  let s = 0;
  for (const x of e) s += x;
  return e.map((x) => x / s);
}

/** log sum_i exp(v_i), stable. */
export function logSumExp(v: number[]): number {
  let mx = -Infinity;
  for (const x of v) mx = Math.max(mx, x);
  if (mx === -Infinity) return -Infinity;
  let s = 0;
  for (const x of v) s += exp(x - mx);
  return mx + log(s);
}
