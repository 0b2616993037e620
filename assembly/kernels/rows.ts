// Row helpers shared by the softmax, loss and norm kernels: max, sum, sum of exp, dot and
// sum of squared deviations over one contiguous f32 row. Generic over T: v128 selects the
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

// Sum of exp(p[i] - m), in rowSum's order; the exps are also stored to out unless out is 0.
// exp itself is scalar Mathf.exp lane by lane (the same bits on either path).
export function rowExpSum<T>(out: usize, p: usize, n: i32, m: f32): f32 {
  let s: f32 = 0;
  let i = 0;
  if (isVector<T>()) {
    let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0);
    for (; i + 8 <= n; i += 8) {
      const o = <usize>i << 2;
      const e0 = expLanes(v128.load(p + o), m), e1 = expLanes(v128.load(p + o + 16), m);
      if (out) { v128.store(out + o, e0); v128.store(out + o + 16, e1); }
      acc0 = f32x4.add(acc0, e0);
      acc1 = f32x4.add(acc1, e1);
    }
    s = lanes(acc0, acc1);
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const e = Mathf.exp(load<f32>(p + o) - m);
    if (out) store<f32>(out + o, e);
    s += e;
  }
  return s;
}

@inline function expLanes(x: v128, m: f32): v128 {
  let r = f32x4.splat(Mathf.exp(f32x4.extract_lane(x, 0) - m));
  r = f32x4.replace_lane(r, 1, Mathf.exp(f32x4.extract_lane(x, 1) - m));
  r = f32x4.replace_lane(r, 2, Mathf.exp(f32x4.extract_lane(x, 2) - m));
  return f32x4.replace_lane(r, 3, Mathf.exp(f32x4.extract_lane(x, 3) - m));
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
