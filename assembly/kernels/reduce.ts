// Reductions over the middle axis of a (d0, d1, d2) view: any single-axis (or
// contiguous multi-axis) reduction is this after the host collapses dimensions.
// Fixed order: sequential over d1, SIMD across d2; for d2 == 1 (reducing the last
// axis) 8-wide partial sums combined in a fixed tree.
import { rowSum } from "./rows";

// x is (d0,d1,d2) -> out is (d0,d2)
export function sum3(out: usize, x: usize, d0: i32, d1: i32, d2: i32): void {
  if (d1 == 0) { memory.fill(out, 0, <usize>(d0 * d2) << 2); return; } // an empty sum is 0
  if (d2 == 1) {
    for (let i0 = 0; i0 < d0; i0++) {
      store<f32>(out + (<usize>i0 << 2), rowSum<v128>(x + (<usize>(i0 * d1) << 2), d1));
    }
    return;
  }
  for (let i0 = 0; i0 < d0; i0++) {
    const po = out + (<usize>(i0 * d2) << 2);
    const px = x + (<usize>(i0 * d1 * d2) << 2);
    memory.copy(po, px, <usize>d2 << 2);
    for (let i1 = 1; i1 < d1; i1++) {
      const pr = px + (<usize>(i1 * d2) << 2);
      let j = 0;
      for (; j + 4 <= d2; j += 4) {
        const o = <usize>j << 2;
        v128.store(po + o, f32x4.add(v128.load(po + o), v128.load(pr + o)));
      }
      for (; j < d2; j++) { const o = <usize>j << 2; store<f32>(po + o, load<f32>(po + o) + load<f32>(pr + o)); }
    }
  }
}

// max over d1, with the index of the first maximum (i32) in idx; NaN wins (propagates).
export function max3(out: usize, idx: usize, x: usize, d0: i32, d1: i32, d2: i32): void {
  for (let i0 = 0; i0 < d0; i0++) {
    for (let j = 0; j < d2; j++) {
      const base = x + (<usize>(i0 * d1 * d2 + j) << 2);
      let best = load<f32>(base), bi = 0;
      for (let i1 = 1; i1 < d1; i1++) {
        const v = load<f32>(base + (<usize>(i1 * d2) << 2));
        if (v > best || (v != v && best == best)) { best = v; bi = i1; }
      }
      store<f32>(out + (<usize>(i0 * d2 + j) << 2), best);
      store<i32>(idx + (<usize>(i0 * d2 + j) << 2), bi);
    }
  }
}

// Gradient of max3: dx is (d0,d1,d2), zero except at the argmax, where it gets dy.
export function max3_grad(dx: usize, idx: usize, dy: usize, d0: i32, d1: i32, d2: i32): void {
  memory.fill(dx, 0, <usize>(d0 * d1 * d2) << 2);
  for (let i0 = 0; i0 < d0; i0++) {
    for (let j = 0; j < d2; j++) {
      const k = i0 * d2 + j;
      const i1 = load<i32>(idx + (<usize>k << 2));
      store<f32>(dx + (<usize>(i0 * d1 * d2 + i1 * d2 + j) << 2), load<f32>(dy + (<usize>k << 2)));
    }
  }
}

// Broadcast (d0,d2) back over d1: out (d0,d1,d2) = x (d0,d2). The gradient of sum3.
export function expand3(out: usize, x: usize, d0: i32, d1: i32, d2: i32): void {
  for (let i0 = 0; i0 < d0; i0++) {
    const px = x + (<usize>(i0 * d2) << 2);
    for (let i1 = 0; i1 < d1; i1++) {
      memory.copy(out + (<usize>((i0 * d1 + i1) * d2) << 2), px, <usize>d2 << 2);
    }
  }
}

// Transpose the middle two axes of (d0, d1, d2, d3) -> (d0, d2, d1, d3): with d0 = d3 = 1
// a matrix transpose; general enough for any permute as a sequence of these.
export function transpose4(out: usize, x: usize, d0: i32, d1: i32, d2: i32, d3: i32): void {
  const row = <usize>d3 << 2;
  for (let a = 0; a < d0; a++) {
    for (let i = 0; i < d1; i++) {
      for (let j = 0; j < d2; j++) {
        const src = x + (<usize>(((a * d1 + i) * d2 + j) * d3) << 2);
        const dst = out + (<usize>(((a * d2 + j) * d1 + i) * d3) << 2);
        if (d3 == 1) store<f32>(dst, load<f32>(src)); else memory.copy(dst, src, row);
      }
    }
  }
}
