// Level-1 vector kernels over flat f32 buffers: the gradient-vector operations that
// multi-task methods and the optimisers need (fill, copy, axpy, scale, dot, sum of squares).
// Reductions keep a fixed order: 4 SIMD lanes x 2 accumulators, then a fixed tree.
import { rowDot } from "./rows";

export function fill(out: usize, n: i32, value: f32): void {
  const v = f32x4.splat(value);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(out + (<usize>i << 2), v);
  for (; i < n; i++) store<f32>(out + (<usize>i << 2), value);
}

export function fill_i32(out: usize, n: i32, value: i32): void {
  for (let i = 0; i < n; i++) store<i32>(out + (<usize>i << 2), value);
}

export function copy(out: usize, x: usize, n: i32): void {
  memory.copy(out, x, <usize>n << 2);
}

// y += alpha * x
export function axpy(y: usize, x: usize, n: i32, alpha: f32): void {
  const va = f32x4.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(v128.load(x + o), va)));
  }
  for (; i < n; i++) { const o = <usize>i << 2; store<f32>(y + o, load<f32>(y + o) + load<f32>(x + o) * alpha); }
}

// out = a * x + b * y
export function axpby(out: usize, x: usize, y: usize, n: i32, a: f32, b: f32): void {
  const va = f32x4.splat(a), vb = f32x4.splat(b);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.add(f32x4.mul(v128.load(x + o), va), f32x4.mul(v128.load(y + o), vb)));
  }
  for (; i < n; i++) { const o = <usize>i << 2; store<f32>(out + o, load<f32>(x + o) * a + load<f32>(y + o) * b); }
}

// Sum in a fixed order: two 4-lane accumulators over blocks of 8, lanes combined
// pairwise, tail added last (the row helper the NN kernels share).
export function dot(x: usize, y: usize, n: i32): f32 { return rowDot<v128>(x, y, n); }

export function sumsq(x: usize, n: i32): f32 { return dot(x, x, n); }

// Count of non-finite values (NaN or +-Inf): the cheap check behind NaN guards.
export function count_nonfinite(x: usize, n: i32): i32 {
  // v - v is NaN exactly for NaN and ±Inf; f32x4.ne gives -1 in those lanes
  const z = f32x4.splat(0);
  let acc = i32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    acc = i32x4.sub(acc, f32x4.ne(f32x4.sub(v, v), z));
  }
  let c = i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3);
  for (; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    if (v - v != 0) c++; // NaN - NaN and Inf - Inf are NaN; NaN != 0 is true
  }
  return c;
}

// Strided 2-d copy: out[r*outStride + c] = x[r*xStride + c] for r < rows, c < cols.
// Serves concat, slice and stack (each a set of row blocks at an offset).
export function copy2d(out: usize, x: usize, rows: i32, cols: i32, outStride: i32, xStride: i32): void {
  const bytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    memory.copy(out + (<usize>(r * outStride) << 2), x + (<usize>(r * xStride) << 2), bytes);
  }
}

// Same, adding into out (the gradient of a slice or of a broadcast copy).
export function add2d(out: usize, x: usize, rows: i32, cols: i32, outStride: i32, xStride: i32): void {
  for (let r = 0; r < rows; r++) {
    axpy(out + (<usize>(r * outStride) << 2), x + (<usize>(r * xStride) << 2), cols, 1);
  }
}

// out (n, row) = x[idx[i], :] for an int32 index list; out-of-range indices are the
// host's to reject before the call.
export function gather_rows(out: usize, x: usize, idx: usize, n: i32, row: i32): void {
  const bytes = <usize>row << 2;
  for (let i = 0; i < n; i++) {
    const r = load<i32>(idx + (<usize>i << 2));
    memory.copy(out + (<usize>(i * row) << 2), x + (<usize>(r * row) << 2), bytes);
  }
}

// dx[idx[i], :] += dy[i, :] in index order (a fixed order: repeated indices accumulate
// deterministically). The gradient of gather_rows and of an embedding lookup.
export function scatter_add_rows(dx: usize, dy: usize, idx: usize, n: i32, row: i32): void {
  for (let i = 0; i < n; i++) {
    const r = load<i32>(idx + (<usize>i << 2));
    axpy(dx + (<usize>(r * row) << 2), dy + (<usize>(i * row) << 2), row, 1);
  }
}
