// Loss kernels: fused softmax cross-entropy with int32 labels, binary cross-entropy with
// logits, MSE, L1 and Huber, each with its gradient. Every forward writes per-example
// losses already multiplied by the optional weight/mask w (a pointer, 0 = all ones) and
// returns the sum of the weights it counted: the host reduces ("sum", or "mean" =
// sum / that total), so partially labelled batches average over their labelled part.
// An element whose weight is 0 is skipped outright (loss 0, gradient 0), so a missing
// target may hold anything, NaN included, without poisoning the batch.
import { expShiftRow, expShiftSum, rowMax, rowSum } from "./rows";
import { sigmoidf } from "./elementwise";

@inline function weightAt(w: usize, i: i32): f32 { return w ? load<f32>(w + (<usize>i << 2)) : 1; }

// ---------------------------------------------------------------- softmax cross-entropy
// logits (rows, cols), labels (rows) i32, w (rows) or 0.
// loss (rows) = w * (lse - (1 - eps) x[label] - eps/cols * sum(x)), the cross-entropy against
// the label smoothed by eps; lse (rows) = logsumexp of each row, saved for the backward.
// A row whose label == ignore (or whose weight is 0) gets loss 0 and counts no weight.
// Labels of the other rows are the host's to check against [0, cols) before the call.
@inline function crossEntropyRows<T>(loss: usize, lse: usize, x: usize, labels: usize, w: usize,
  rows: i32, cols: i32, eps: f32, ignore: i32): f64 {
  let total: f64 = 0; // f64: an f32 count stops growing at 2^24
  for (let r = 0; r < rows; r++) {
    const q = <usize>r << 2;
    const y = load<i32>(labels + q);
    const wr = weightAt(w, r);
    if (y == ignore || wr == 0) { store<f32>(loss + q, 0); store<f32>(lse + q, 0); continue; }
    const px = x + (<usize>(r * cols) << 2);
    const m = rowMax<T>(px, cols);
    const l = m + Mathf.log(expShiftSum<T>(px, cols, m));
    let v = l - (1 - eps) * load<f32>(px + (<usize>y << 2));
    if (eps != 0) v -= eps / <f32>cols * rowSum<T>(px, cols);
    store<f32>(loss + q, wr * v);
    store<f32>(lse + q, l);
    total += <f64>wr;
  }
  return total;
}

// The shipped kernel and its scalar reference (exported by assembly/reference.ts only).
export function cross_entropy(loss: usize, lse: usize, x: usize, labels: usize, w: usize,
  rows: i32, cols: i32, eps: f32, ignore: i32): f64 {
  return crossEntropyRows<v128>(loss, lse, x, labels, w, rows, cols, eps, ignore);
}
export function cross_entropy_ref(loss: usize, lse: usize, x: usize, labels: usize, w: usize,
  rows: i32, cols: i32, eps: f32, ignore: i32): f64 {
  return crossEntropyRows<f32>(loss, lse, x, labels, w, rows, cols, eps, ignore);
}

// dx (rows, cols) = dloss[r] * w[r] * (softmax(x)[c] - (1 - eps) [c == label] - eps/cols);
// zero rows where label == ignore or w == 0.
@inline function crossEntropyGradRows<T>(dx: usize, x: usize, lse: usize, labels: usize, w: usize, dloss: usize,
  rows: i32, cols: i32, eps: f32, ignore: i32): void {
  const off = eps / <f32>cols;
  for (let r = 0; r < rows; r++) {
    const q = <usize>r << 2;
    const o = <usize>(r * cols) << 2;
    const y = load<i32>(labels + q);
    const wr = weightAt(w, r);
    if (y == ignore || wr == 0) { memory.fill(dx + o, 0, <usize>cols << 2); continue; }
    const g = load<f32>(dloss + q) * wr;
    expShiftRow<T>(dx + o, x + o, cols, load<f32>(lse + q));
    let c = 0;
    if (isVector<T>()) {
      const vo = f32x4.splat(off), vg = f32x4.splat(g);
      for (; c + 4 <= cols; c += 4) {
        const p = dx + o + (<usize>c << 2);
        v128.store(p, f32x4.mul(vg, f32x4.sub(v128.load(p), vo)));
      }
    }
    for (; c < cols; c++) { const p = dx + o + (<usize>c << 2); store<f32>(p, g * (load<f32>(p) - off)); }
    const py = dx + o + (<usize>y << 2);
    store<f32>(py, load<f32>(py) - g * (1 - eps));
  }
}

export function cross_entropy_grad(dx: usize, x: usize, lse: usize, labels: usize, w: usize, dloss: usize,
  rows: i32, cols: i32, eps: f32, ignore: i32): void {
  crossEntropyGradRows<v128>(dx, x, lse, labels, w, dloss, rows, cols, eps, ignore);
}
export function cross_entropy_grad_ref(dx: usize, x: usize, lse: usize, labels: usize, w: usize, dloss: usize,
  rows: i32, cols: i32, eps: f32, ignore: i32): void {
  crossEntropyGradRows<f32>(dx, x, lse, labels, w, dloss, rows, cols, eps, ignore);
}

// ---------------------------------------------------------------- elementwise losses
// Each: f(x, t, p) the loss of one element, dx(x, t, p) and dt(x, t, p) its derivatives.
// x is the prediction (or logit), t the target, p the op's parameter (Huber's delta).

// Binary cross-entropy with logits, stable form: max(x,0) - x t + log1p(exp(-|x|)).
class Bce {
  @inline f(x: f32, t: f32, p: f32): f32 { return max<f32>(x, 0) - x * t + Mathf.log1p(Mathf.exp(-Mathf.abs(x))); }
  @inline dx(x: f32, t: f32, p: f32): f32 { return sigmoidf(x) - t; }
  @inline dt(x: f32, t: f32, p: f32): f32 { return -x; }
}
class Mse {
  @inline f(x: f32, t: f32, p: f32): f32 { const d = x - t; return d * d; }
  @inline dx(x: f32, t: f32, p: f32): f32 { const d = x - t; return d + d; }
  @inline dt(x: f32, t: f32, p: f32): f32 { const d = t - x; return d + d; }
}
// L1: the gradient at x == t is 0 (as torch's sign).
class L1 {
  @inline f(x: f32, t: f32, p: f32): f32 { return Mathf.abs(x - t); }
  @inline dx(x: f32, t: f32, p: f32): f32 { const d = x - t; return d > 0 ? 1 : (d < 0 ? -1 : 0); }
  @inline dt(x: f32, t: f32, p: f32): f32 { const d = x - t; return d > 0 ? -1 : (d < 0 ? 1 : 0); }
}
// Huber(delta = p): 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta).
class Huber {
  @inline f(x: f32, t: f32, p: f32): f32 { const d = x - t, a = Mathf.abs(d); return a < p ? 0.5 * d * d : p * (a - 0.5 * p); }
  @inline dx(x: f32, t: f32, p: f32): f32 { const d = x - t; return d < -p ? -p : (d > p ? p : d); }
  @inline dt(x: f32, t: f32, p: f32): f32 { const d = x - t; return d < -p ? p : (d > p ? -p : -d); }
}

// loss (n) = w * f(x, t); returns sum(w) (n when w is 0).
@inline function lossKernel<Op>(loss: usize, x: usize, t: usize, w: usize, n: i32, p: f32): f64 {
  const OP = changetype<Op>(0);
  let total: f64 = 0; // f64: an f32 count stops growing at 2^24
  for (let i = 0; i < n; i++) {
    const q = <usize>i << 2;
    const wi = weightAt(w, i);
    store<f32>(loss + q, wi == 0 ? 0 : wi * OP.f(load<f32>(x + q), load<f32>(t + q), p));
    total += <f64>wi;
  }
  return total;
}

// dx (n) = dloss * w * df/dx, dt (n) = dloss * w * df/dt; either pointer may be 0 (not wanted).
@inline function lossGradKernel<Op>(dx: usize, dt: usize, x: usize, t: usize, w: usize, dloss: usize, n: i32, p: f32): void {
  const OP = changetype<Op>(0);
  for (let i = 0; i < n; i++) {
    const q = <usize>i << 2;
    const wi = weightAt(w, i);
    const g = load<f32>(dloss + q) * wi;
    const xi = load<f32>(x + q), ti = load<f32>(t + q);
    if (dx) store<f32>(dx + q, wi == 0 ? 0 : g * OP.dx(xi, ti, p));
    if (dt) store<f32>(dt + q, wi == 0 ? 0 : g * OP.dt(xi, ti, p));
  }
}

export function binary_cross_entropy_with_logits(loss: usize, x: usize, t: usize, w: usize, n: i32, p: f32): f64 { return lossKernel<Bce>(loss, x, t, w, n, p); }
export function binary_cross_entropy_with_logits_grad(dx: usize, dt: usize, x: usize, t: usize, w: usize, dloss: usize, n: i32, p: f32): void { lossGradKernel<Bce>(dx, dt, x, t, w, dloss, n, p); }
export function mse_loss(loss: usize, x: usize, t: usize, w: usize, n: i32, p: f32): f64 { return lossKernel<Mse>(loss, x, t, w, n, p); }
export function mse_loss_grad(dx: usize, dt: usize, x: usize, t: usize, w: usize, dloss: usize, n: i32, p: f32): void { lossGradKernel<Mse>(dx, dt, x, t, w, dloss, n, p); }
export function l1_loss(loss: usize, x: usize, t: usize, w: usize, n: i32, p: f32): f64 { return lossKernel<L1>(loss, x, t, w, n, p); }
export function l1_loss_grad(dx: usize, dt: usize, x: usize, t: usize, w: usize, dloss: usize, n: i32, p: f32): void { lossGradKernel<L1>(dx, dt, x, t, w, dloss, n, p); }
export function huber_loss(loss: usize, x: usize, t: usize, w: usize, n: i32, p: f32): f64 { return lossKernel<Huber>(loss, x, t, w, n, p); }
export function huber_loss_grad(dx: usize, dt: usize, x: usize, t: usize, w: usize, dloss: usize, n: i32, p: f32): void { lossGradKernel<Huber>(dx, dt, x, t, w, dloss, n, p); }
