// Softmax, log-softmax and logsumexp over the last axis of x (rows, cols), and their
// backward passes. Numerically stable: every row is shifted by its max before exp.
// Each SIMD kernel is monomorphised from one generic body; the `_ref` twin (T = f32) is
// the scalar reference the tests compare against (exported by assembly/reference.ts only).
import { expShiftRow, expShiftSum, rowDot, rowMax, rowSum } from "./rows";

// y (rows, cols) = exp(x - max) / sum exp(x - max)
@inline function softmaxRows<T>(y: usize, x: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const o = <usize>(r * cols) << 2;
    const px = x + o, py = y + o;
    expShiftRow<T>(py, px, cols, rowMax<T>(px, cols));
    const inv: f32 = 1 / rowSum<T>(py, cols);
    let i = 0;
    if (isVector<T>()) {
      const vi = f32x4.splat(inv);
      for (; i + 4 <= cols; i += 4) { const q = py + (<usize>i << 2); v128.store(q, f32x4.mul(v128.load(q), vi)); }
    }
    for (; i < cols; i++) { const q = py + (<usize>i << 2); store<f32>(q, load<f32>(q) * inv); }
  }
}

// dx = y * (dy - sum(dy * y)) per row; y is the forward output.
@inline function softmaxGradRows<T>(dx: usize, y: usize, dy: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const o = <usize>(r * cols) << 2;
    const py = y + o, pg = dy + o, pd = dx + o;
    const s = rowDot<T>(pg, py, cols);
    let i = 0;
    if (isVector<T>()) {
      const vs = f32x4.splat(s);
      for (; i + 4 <= cols; i += 4) {
        const q = <usize>i << 2;
        v128.store(pd + q, f32x4.mul(v128.load(py + q), f32x4.sub(v128.load(pg + q), vs)));
      }
    }
    for (; i < cols; i++) { const q = <usize>i << 2; store<f32>(pd + q, load<f32>(py + q) * (load<f32>(pg + q) - s)); }
  }
}

// y = (x - max) - log(sum exp(x - max)).
@inline function logSoftmaxRows<T>(y: usize, x: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const o = <usize>(r * cols) << 2;
    const px = x + o, py = y + o;
    const m = rowMax<T>(px, cols);
    const ls = Mathf.log(expShiftSum<T>(px, cols, m));
    let i = 0;
    if (isVector<T>()) {
      const vm = f32x4.splat(m), vl = f32x4.splat(ls);
      for (; i + 4 <= cols; i += 4) {
        const q = <usize>i << 2;
        v128.store(py + q, f32x4.sub(f32x4.sub(v128.load(px + q), vm), vl));
      }
    }
    for (; i < cols; i++) { const q = <usize>i << 2; store<f32>(py + q, (load<f32>(px + q) - m) - ls); }
  }
}

// dx = dy - exp(y) * sum(dy) per row; y is the forward output (log-probabilities).
@inline function logSoftmaxGradRows<T>(dx: usize, y: usize, dy: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const o = <usize>(r * cols) << 2;
    const py = y + o, pg = dy + o, pd = dx + o;
    const s = rowSum<T>(pg, cols);
    expShiftRow<T>(pd, py, cols, 0);
    let i = 0;
    if (isVector<T>()) {
      const vs = f32x4.splat(s);
      for (; i + 4 <= cols; i += 4) {
        const q = <usize>i << 2;
        v128.store(pd + q, f32x4.sub(v128.load(pg + q), f32x4.mul(v128.load(pd + q), vs)));
      }
    }
    for (; i < cols; i++) { const q = <usize>i << 2; store<f32>(pd + q, load<f32>(pg + q) - load<f32>(pd + q) * s); }
  }
}

// out (rows) = max + log(sum exp(x - max)); -inf for a row that is all -inf (as torch).
@inline function logsumexpRows<T>(out: usize, x: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const px = x + (<usize>(r * cols) << 2);
    const m = rowMax<T>(px, cols);
    const v = m == -Infinity ? m : m + Mathf.log(expShiftSum<T>(px, cols, m));
    store<f32>(out + (<usize>r << 2), v);
  }
}

export function softmax(y: usize, x: usize, rows: i32, cols: i32): void { softmaxRows<v128>(y, x, rows, cols); }
export function softmax_ref(y: usize, x: usize, rows: i32, cols: i32): void { softmaxRows<f32>(y, x, rows, cols); }
export function softmax_grad(dx: usize, y: usize, dy: usize, rows: i32, cols: i32): void { softmaxGradRows<v128>(dx, y, dy, rows, cols); }
export function softmax_grad_ref(dx: usize, y: usize, dy: usize, rows: i32, cols: i32): void { softmaxGradRows<f32>(dx, y, dy, rows, cols); }
export function log_softmax(y: usize, x: usize, rows: i32, cols: i32): void { logSoftmaxRows<v128>(y, x, rows, cols); }
export function log_softmax_ref(y: usize, x: usize, rows: i32, cols: i32): void { logSoftmaxRows<f32>(y, x, rows, cols); }
export function log_softmax_grad(dx: usize, y: usize, dy: usize, rows: i32, cols: i32): void { logSoftmaxGradRows<v128>(dx, y, dy, rows, cols); }
export function log_softmax_grad_ref(dx: usize, y: usize, dy: usize, rows: i32, cols: i32): void { logSoftmaxGradRows<f32>(dx, y, dy, rows, cols); }
export function logsumexp(out: usize, x: usize, rows: i32, cols: i32): void { logsumexpRows<v128>(out, x, rows, cols); }
export function logsumexp_ref(out: usize, x: usize, rows: i32, cols: i32): void { logsumexpRows<f32>(out, x, rows, cols); }

// dx (rows, cols) = dy[r] * exp(x - out[r]), out the forward logsumexp (softmax times dy).
export function logsumexp_grad(dx: usize, x: usize, out: usize, dy: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const o = <usize>(r * cols) << 2;
    expShiftRow<v128>(dx + o, x + o, cols, load<f32>(out + (<usize>r << 2)));
    const g = load<f32>(dy + (<usize>r << 2));
    for (let i = 0; i < cols; i++) { const q = dx + o + (<usize>i << 2); store<f32>(q, load<f32>(q) * g); }
  }
}
