// Attention kernels: a softmax over rows with an additive mask broadcast over batches and
// heads, a batched matmul over independent [m,k]x[k,n] products (the heads), and the
// sinusoidal position table. `_ref` twins (scalar, T = f32) are the references the tests
// compare against (exported by assembly/reference.ts only).
import { rowMax } from "./rows";
import { softmax, softmax_ref } from "./softmax";
import { matmul, matmul_ref } from "./matmul";

// y (rows, cols) = softmax(x + mask[mrow(r)]) per row, where x is [groups, lq, cols] and
// the mask [mb, lq, cols] repeats over groups: group g reads mask block (g / rep) % mb
// (rep = heads for a per-batch mask, mb = 1 for one shared mask). A row whose every entry
// is -inf (every key masked) is written as zeros, and counted: the host decides whether
// that is an error (PyTorch would give NaN there). NaN in x propagates as in `softmax`.
// The sum is formed in y, then y's row goes through the `softmax` kernel in place (its
// code shared, not a second copy: the Wasm is inlined in the size-budgeted bundle).
@inline function maskedSoftmaxRows<T>(y: usize, x: usize, mask: usize, rows: i32, cols: i32,
  lq: i32, rep: i32, mb: i32): i32 {
  let full = 0;
  for (let r = 0; r < rows; r++) {
    const o = <usize>(r * cols) << 2;
    const px = x + o, py = y + o;
    const pm = mask + (<usize>((((r / lq) / rep) % mb) * lq + r % lq) * <usize>cols << 2);
    let i = 0;
    if (isVector<T>()) {
      for (; i + 4 <= cols; i += 4) {
        const q = <usize>i << 2;
        v128.store(py + q, f32x4.add(v128.load(px + q), v128.load(pm + q)));
      }
    }
    for (; i < cols; i++) { const q = <usize>i << 2; store<f32>(py + q, load<f32>(px + q) + load<f32>(pm + q)); }
    if (rowMax<T>(py, cols) == -Infinity) {
      memory.fill(py, 0, <usize>cols << 2);
      full++;
    } else if (isVector<T>()) softmax(py, py, 1, cols);
    else softmax_ref(py, py, 1, cols);
  }
  return full;
}

export function masked_softmax(y: usize, x: usize, mask: usize, rows: i32, cols: i32, lq: i32, rep: i32, mb: i32): i32 {
  return maskedSoftmaxRows<v128>(y, x, mask, rows, cols, lq, rep, mb);
}
export function masked_softmax_ref(y: usize, x: usize, mask: usize, rows: i32, cols: i32, lq: i32, rep: i32, mb: i32): i32 {
  return maskedSoftmaxRows<f32>(y, x, mask, rows, cols, lq, rep, mb);
}

// c[i] (m,n) = op(a[i]) op(b[i]) for i < batch, every operand contiguous per item (a[i] is
// (m,k), or (k,m) when transA; b[i] (k,n), or (n,k) when transB). One call for all heads:
// each product goes through the packed matmul, so it has matmul's summation order.
export function bmm(c: usize, a: usize, b: usize, batch: i32, m: i32, n: i32, k: i32, transA: i32, transB: i32): void {
  const sa = <usize>(m * k) << 2, sb = <usize>(k * n) << 2, sc = <usize>(m * n) << 2;
  for (let i = 0; i < batch; i++) matmul(c + sc * i, a + sa * i, b + sb * i, m, n, k, transA, transB, 1, 0);
}
export function bmm_ref(c: usize, a: usize, b: usize, batch: i32, m: i32, n: i32, k: i32, transA: i32, transB: i32): void {
  const sa = <usize>(m * k) << 2, sb = <usize>(k * n) << 2, sc = <usize>(m * n) << 2;
  for (let i = 0; i < batch; i++) matmul_ref(c + sc * i, a + sa * i, b + sb * i, m, n, k, transA, transB, 1, 0);
}

// out (len, dim): out[p, 2i] = sin(p w_i), out[p, 2i+1] = cos(p w_i), w_i = base^(-2i/dim)
// (Vaswani et al. 2017, as PyTorch's tutorial writes it). In f64, rounded once to f32:
// musl's sin/cos compiled in, so every runtime gets the same bits.
export function sinusoidal_positions(out: usize, len: i32, dim: i32, base: f64): void {
  const logBase = Math.log(base);
  for (let i = 0; i < dim; i += 2) {
    const w = Math.exp(-<f64>i * logBase / <f64>dim);
    for (let p = 0; p < len; p++) {
      const a = <f64>p * w, o = out + (<usize>(p * dim + i) << 2);
      store<f32>(o, <f32>Math.sin(a));
      if (i + 1 < dim) store<f32>(o, <f32>Math.cos(a), 4);
    }
  }
}
