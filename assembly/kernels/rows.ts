// Row helpers shared by the softmax, loss and norm kernels: max, sum, sum of exp, dot and
// sum of squared deviations over one contiguous f32 row, and exp of a shifted row. Generic over T: v128 selects the
// SIMD path, f32 the scalar reference. Each has a fixed order (SIMD: two 4-lane
// accumulators over blocks of 8, lanes combined pairwise, tail added last, as blas `dot`;
// scalar: left to right), so the two paths agree to rounding, each one bit-exactly
// across runtimes.

@inline function lanes(acc0: v128, acc1: v128): f32 {
  const a = f32x4.add(acc0, acc1);
  return (f32x4.extract_lane(a, 0) + f32x4.extract_lane(a, 1)) + (f32x4.extract_lane(a, 2) + f32x4.extract_lane(a, 3));
}

// Max of p[0..n), n >= 1; NaN propagates (f32x4.max and max<f32> both return NaN).
export function rowMax<T>(p: usize, n: i32): f32 {
  let m = load<f32>(p);
  let i = 1;
  if (isVector<T>() && n >= 4) {
    let vm = v128.load(p);
    i = 4;
    for (; i + 4 <= n; i += 4) vm = f32x4.max(vm, v128.load(p + (<usize>i << 2)));
    m = max<f32>(max<f32>(f32x4.extract_lane(vm, 0), f32x4.extract_lane(vm, 1)),
      max<f32>(f32x4.extract_lane(vm, 2), f32x4.extract_lane(vm, 3)));
  }
  for (; i < n; i++) m = max<f32>(m, load<f32>(p + (<usize>i << 2)));
  return m;
}

export function rowSum<T>(p: usize, n: i32): f32 {
  let s: f32 = 0;
  let i = 0;
  if (isVector<T>()) {
    let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0);
    for (; i + 8 <= n; i += 8) {
      const o = <usize>i << 2;
      acc0 = f32x4.add(acc0, v128.load(p + o));
      acc1 = f32x4.add(acc1, v128.load(p + o + 16));
    }
    s = lanes(acc0, acc1);
  }
  for (; i < n; i++) s += load<f32>(p + (<usize>i << 2));
  return s;
}

export function rowDot<T>(a: usize, b: usize, n: i32): f32 {
  let s: f32 = 0;
  let i = 0;
  if (isVector<T>()) {
    let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0);
    for (; i + 8 <= n; i += 8) {
      const o = <usize>i << 2;
      acc0 = f32x4.add(acc0, f32x4.mul(v128.load(a + o), v128.load(b + o)));
      acc1 = f32x4.add(acc1, f32x4.mul(v128.load(a + o + 16), v128.load(b + o + 16)));
    }
    s = lanes(acc0, acc1);
  }
  for (; i < n; i++) { const o = <usize>i << 2; s += load<f32>(a + o) * load<f32>(b + o); }
  return s;
}

// The exp helpers take a shift >= every element (the row max, or a logsumexp), so each
// argument is <= 0. SIMD: expNeg4 over blocks of 4, the last block padded (so an element's
// value never depends on its position); scalar: Mathf.exp. They are the only places the
// polynomial is instantiated (binaryen would inline expNeg4 into every caller), which
// keeps the bundle small.

// out[i] = exp(x[i] - shift) for i < n.
export function expShiftRow<T>(out: usize, x: usize, n: i32, shift: f32): void {
  let i = 0;
  if (isVector<T>()) {
    const vs = f32x4.splat(shift);
    for (; i < n; i += 4) {
      const o = <usize>i << 2, k = n - i;
      const e = expNeg4(f32x4.sub(k >= 4 ? v128.load(x + o) : loadTail(x + o, k, 0), vs));
      if (k >= 4) v128.store(out + o, e); else storeTail(out + o, e, k);
    }
    return;
  }
  for (; i < n; i++) { const o = <usize>i << 2; store<f32>(out + o, Mathf.exp(load<f32>(x + o) - shift)); }
}

// sum of exp(x[i] - shift): SIMD in one 4-lane accumulator (padding adds exp(-inf) = 0),
// lanes combined pairwise; scalar left to right.
export function expShiftSum<T>(x: usize, n: i32, shift: f32): f32 {
  let s: f32 = 0;
  if (isVector<T>()) {
    const vs = f32x4.splat(shift);
    let acc = f32x4.splat(0);
    for (let i = 0; i < n; i += 4) {
      const o = <usize>i << 2, k = n - i;
      acc = f32x4.add(acc, expNeg4(f32x4.sub(k >= 4 ? v128.load(x + o) : loadTail(x + o, k, -Infinity), vs)));
    }
    return (f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
  }
  for (let i = 0; i < n; i++) s += Mathf.exp(load<f32>(x + (<usize>i << 2)) - shift);
  return s;
}

// The last k < 4 floats at p as a vector whose other lanes hold `fill`, and back.
@inline function loadTail(p: usize, k: i32, fill: f32): v128 {
  let v = f32x4.replace_lane(f32x4.splat(fill), 0, load<f32>(p));
  if (k > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (k > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}
@inline function storeTail(p: usize, v: v128, k: i32): void {
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (k > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (k > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

// exp(x) for x <= 0, four lanes at once: n = nearest(x log2(e)), r = x - n ln(2) split in
// two (Cody-Waite), exp(r) by Cephes' expf polynomial (about 1 ulp), times 2^n made in the
// exponent bits. Below ln(2^-126) the result is 0 (no subnormals); NaN stays NaN. Plain
// IEEE ops (no fma), so every runtime gets the same bits. 4-5x faster than Mathf.exp lane
// by lane, which had made the SIMD softmax slower than the scalar one.
@inline function expNeg4(x: v128): v128 {
  const lo = f32x4.splat(-87.33654);
  const xc = f32x4.max(x, lo);
  const n = f32x4.nearest(f32x4.mul(xc, f32x4.splat(1.44269504)));
  const r = f32x4.sub(f32x4.sub(xc, f32x4.mul(n, f32x4.splat(0.693359375))), f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let q = f32x4.add(f32x4.mul(f32x4.splat(1.9875691500e-4), r), f32x4.splat(1.3981999507e-3));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(8.3334519073e-3));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(4.1665795894e-2));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(1.6666665459e-1));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(5.0000001201e-1));
  const y = f32x4.add(f32x4.add(f32x4.mul(q, f32x4.mul(r, r)), r), f32x4.splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return v128.andnot(f32x4.mul(y, scale), f32x4.lt(x, lo));
}

// Sum of (p[i] - mu)^2: the second pass of a two-pass variance (stable where
// E[x^2] - E[x]^2 cancels).
export function rowSqDev<T>(p: usize, n: i32, mu: f32): f32 {
  let s: f32 = 0;
  let i = 0;
  if (isVector<T>()) {
    const vm = f32x4.splat(mu);
    let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0);
    for (; i + 8 <= n; i += 8) {
      const o = <usize>i << 2;
      const d0 = f32x4.sub(v128.load(p + o), vm), d1 = f32x4.sub(v128.load(p + o + 16), vm);
      acc0 = f32x4.add(acc0, f32x4.mul(d0, d0));
      acc1 = f32x4.add(acc1, f32x4.mul(d1, d1));
    }
    s = lanes(acc0, acc1);
  }
  for (; i < n; i++) { const d = load<f32>(p + (<usize>i << 2)) - mu; s += d * d; }
  return s;
}
