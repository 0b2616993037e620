// Bench-only AssemblyScript (compiled by bench/suite/js.mjs, never shipped): the most
// 128-bit SIMD arithmetic this machine gives Wasm, as 12 independent accumulator chains
// (enough to hide the add or FMA latency on two ports), once as mul then add (what the
// default build's matmul does) and once as relaxed_madd (the fast build's FMA).

export function peak_muladd(iters: i32): f32 {
  const a = f32x4.splat(1.0000001), b = f32x4.splat(0.9999999);
  let c0 = f32x4.splat(0), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
  let c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
  for (let i = 0; i < iters; i++) {
    c0 = f32x4.add(c0, f32x4.mul(a, b)); c1 = f32x4.add(c1, f32x4.mul(a, b)); c2 = f32x4.add(c2, f32x4.mul(a, b));
    c3 = f32x4.add(c3, f32x4.mul(a, b)); c4 = f32x4.add(c4, f32x4.mul(a, b)); c5 = f32x4.add(c5, f32x4.mul(a, b));
    c6 = f32x4.add(c6, f32x4.mul(a, b)); c7 = f32x4.add(c7, f32x4.mul(a, b)); c8 = f32x4.add(c8, f32x4.mul(a, b));
    c9 = f32x4.add(c9, f32x4.mul(a, b)); c10 = f32x4.add(c10, f32x4.mul(a, b)); c11 = f32x4.add(c11, f32x4.mul(a, b));
  }
  const s = f32x4.add(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)), f32x4.add(f32x4.add(c4, c5), f32x4.add(c6, c7)));
  return f32x4.extract_lane(f32x4.add(s, f32x4.add(f32x4.add(c8, c9), f32x4.add(c10, c11))), 0);
}

export function peak_fma(iters: i32): f32 {
  const a = f32x4.splat(1.0000001), b = f32x4.splat(0.9999999);
  let c0 = f32x4.splat(0), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
  let c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
  for (let i = 0; i < iters; i++) {
    c0 = f32x4.relaxed_madd(a, b, c0); c1 = f32x4.relaxed_madd(a, b, c1); c2 = f32x4.relaxed_madd(a, b, c2);
    c3 = f32x4.relaxed_madd(a, b, c3); c4 = f32x4.relaxed_madd(a, b, c4); c5 = f32x4.relaxed_madd(a, b, c5);
    c6 = f32x4.relaxed_madd(a, b, c6); c7 = f32x4.relaxed_madd(a, b, c7); c8 = f32x4.relaxed_madd(a, b, c8);
    c9 = f32x4.relaxed_madd(a, b, c9); c10 = f32x4.relaxed_madd(a, b, c10); c11 = f32x4.relaxed_madd(a, b, c11);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)), f32x4.add(f32x4.add(c4, c5), f32x4.add(c6, c7)));
  return f32x4.extract_lane(f32x4.add(s, f32x4.add(f32x4.add(c8, c9), f32x4.add(c10, c11))), 0);
}
