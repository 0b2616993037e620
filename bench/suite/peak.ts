// Bench-only AssemblyScript (compiled by bench/suite/js.mjs, never shipped): the most
// 128-bit SIMD arithmetic this machine gives Wasm, as independent chains (enough to hide
// the latency on two ports), once as a multiply and an add (what the default build's
// matmul does) and once as relaxed_madd (the fast build's FMA): the ceilings its matmul
// rows are measured against.

export function peak_muladd(iters: i32): f32 {
  // Six chains of products x_j *= a, each added into its own sum c_j += x_j: a multiply and
  // an add per chain and step, neither on the other's chain (as in matmul, where the
  // product is not on the sum's chain), nothing loop-invariant. The first version summed
  // a * b of two constants, and the optimiser hoisted that product out of the loop: it
  // timed adds alone and counted each as a multiply-add, a ceiling no mul+add code reaches.
  // a^iters stays well above the subnormals for the counts bench/suite/js.mjs uses (< 2^24).
  const a = f32x4.splat(0.99999994);
  let x0 = f32x4.splat(1), x1 = f32x4.splat(2), x2 = f32x4.splat(3), x3 = f32x4.splat(4), x4 = f32x4.splat(5), x5 = f32x4.splat(6);
  let c0 = f32x4.splat(0), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
  for (let i = 0; i < iters; i++) {
    x0 = f32x4.mul(x0, a); c0 = f32x4.add(c0, x0); x1 = f32x4.mul(x1, a); c1 = f32x4.add(c1, x1);
    x2 = f32x4.mul(x2, a); c2 = f32x4.add(c2, x2); x3 = f32x4.mul(x3, a); c3 = f32x4.add(c3, x3);
    x4 = f32x4.mul(x4, a); c4 = f32x4.add(c4, x4); x5 = f32x4.mul(x5, a); c5 = f32x4.add(c5, x5);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)), f32x4.add(c4, c5));
  return f32x4.extract_lane(f32x4.add(s, f32x4.add(f32x4.add(f32x4.add(x0, x1), f32x4.add(x2, x3)), f32x4.add(x4, x5))), 0);
}

/** Flops one iteration of peak_muladd counts: 6 v128 multiplies and 6 adds of 4 lanes. */
export const MULADD_FLOPS: i32 = 6 * 2 * 4;
/** Flops one iteration of peak_fma counts: 12 v128 FMAs of 4 lanes, 2 flops each. */
export const FMA_FLOPS: i32 = 12 * 4 * 2;

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
