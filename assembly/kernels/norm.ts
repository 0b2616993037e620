// Normalisation kernels: layer norm over the last axis and batch norm over (batch,
// spatial) per channel, forward and backward. Statistics use two passes (mean, then
// squared deviations) and the biased variance, as torch; mean and rstd = 1/sqrt(var + eps)
// are saved for the backward. Weight and bias pointers may be 0 (no affine). Generic
// bodies: T = v128 is the SIMD kernel, T = f32 its `_ref` scalar twin (exported by
// assembly/reference.ts, for the tests only).
import { rowSqDev, rowSum } from "./rows";

@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

// y[i] = (x[i] - mu) * rs * w[i] + b[i] over a row of n (w, b indexed by position, or 0).
@inline function normalizeRow<T>(y: usize, x: usize, w: usize, b: usize, n: i32, mu: f32, rs: f32): void {
  let i = 0;
  if (isVector<T>()) {
    const vm = f32x4.splat(mu), vr = f32x4.splat(rs);
    for (; i + 4 <= n; i += 4) {
      const q = <usize>i << 2;
      let v = f32x4.mul(f32x4.sub(v128.load(x + q), vm), vr);
      if (w) v = f32x4.mul(v, v128.load(w + q));
      if (b) v = f32x4.add(v, v128.load(b + q));
      v128.store(y + q, v);
    }
  }
  for (; i < n; i++) {
    const q = <usize>i << 2;
    let v = (load<f32>(x + q) - mu) * rs;
    if (w) v *= load<f32>(w + q);
    if (b) v += load<f32>(b + q);
    store<f32>(y + q, v);
  }
}

// ---------------------------------------------------------------- layer norm
// x, y (rows, cols); w, b (cols) or 0; mean, rstd (rows).
@inline function layerNormRows<T>(y: usize, mean: usize, rstd: usize, x: usize, w: usize, b: usize,
  rows: i32, cols: i32, eps: f32): void {
  const inv: f32 = 1 / <f32>cols;
  for (let r = 0; r < rows; r++) {
    const o = <usize>(r * cols) << 2;
    const mu = rowSum<T>(x + o, cols) * inv;
    const rs: f32 = 1 / Mathf.sqrt(rowSqDev<T>(x + o, cols, mu) * inv + eps);
    store<f32>(mean + (<usize>r << 2), mu);
    store<f32>(rstd + (<usize>r << 2), rs);
    normalizeRow<T>(y + o, x + o, w, b, cols, mu, rs);
  }
}

// dx (rows, cols) = rstd * (g - mean(g) - xhat * mean(g * xhat)), g = dy * w, xhat = (x - mean) * rstd.
// dw (cols) = sum over rows of dy * xhat, db (cols) = sum of dy: overwritten, rows in order;
// either may be 0 (not wanted).
@inline function layerNormGradRows<T>(dx: usize, dw: usize, db: usize, dy: usize, x: usize, mean: usize, rstd: usize,
  w: usize, rows: i32, cols: i32): void {
  if (dw) memory.fill(dw, 0, <usize>cols << 2);
  if (db) memory.fill(db, 0, <usize>cols << 2);
  const inv: f32 = 1 / <f32>cols;
  for (let r = 0; r < rows; r++) {
    const o = <usize>(r * cols) << 2;
    const px = x + o, pg = dy + o, pd = dx + o;
    const mu = load<f32>(mean + (<usize>r << 2)), rs = load<f32>(rstd + (<usize>r << 2));
    let s1: f32 = 0, s2: f32 = 0;
    let i = 0;
    if (isVector<T>()) {
      const vm = f32x4.splat(mu), vr = f32x4.splat(rs);
      let a1 = f32x4.splat(0), a2 = f32x4.splat(0);
      for (; i + 4 <= cols; i += 4) {
        const q = <usize>i << 2;
        const d = v128.load(pg + q);
        const xh = f32x4.mul(f32x4.sub(v128.load(px + q), vm), vr);
        const g = w ? f32x4.mul(d, v128.load(w + q)) : d;
        a1 = f32x4.add(a1, g);
        a2 = f32x4.add(a2, f32x4.mul(g, xh));
        if (dw) v128.store(dw + q, f32x4.add(v128.load(dw + q), f32x4.mul(d, xh)));
        if (db) v128.store(db + q, f32x4.add(v128.load(db + q), d));
      }
      s1 = hsum(a1); s2 = hsum(a2);
    }
    for (; i < cols; i++) {
      const q = <usize>i << 2;
      const d = load<f32>(pg + q);
      const xh = (load<f32>(px + q) - mu) * rs;
      const g = w ? d * load<f32>(w + q) : d;
      s1 += g; s2 += g * xh;
      if (dw) store<f32>(dw + q, load<f32>(dw + q) + d * xh);
      if (db) store<f32>(db + q, load<f32>(db + q) + d);
    }
    const m1 = s1 * inv, m2 = s2 * inv;
    i = 0;
    if (isVector<T>()) {
      const vm = f32x4.splat(mu), vr = f32x4.splat(rs), v1 = f32x4.splat(m1), v2 = f32x4.splat(m2);
      for (; i + 4 <= cols; i += 4) {
        const q = <usize>i << 2;
        const d = v128.load(pg + q);
        const xh = f32x4.mul(f32x4.sub(v128.load(px + q), vm), vr);
        const g = w ? f32x4.mul(d, v128.load(w + q)) : d;
        v128.store(pd + q, f32x4.mul(vr, f32x4.sub(f32x4.sub(g, v1), f32x4.mul(xh, v2))));
      }
    }
    for (; i < cols; i++) {
      const q = <usize>i << 2;
      const d = load<f32>(pg + q);
      const xh = (load<f32>(px + q) - mu) * rs;
      const g = w ? d * load<f32>(w + q) : d;
      store<f32>(pd + q, rs * ((g - m1) - xh * m2));
    }
  }
}

export function layer_norm(y: usize, mean: usize, rstd: usize, x: usize, w: usize, b: usize, rows: i32, cols: i32, eps: f32): void {
  layerNormRows<v128>(y, mean, rstd, x, w, b, rows, cols, eps);
}
export function layer_norm_ref(y: usize, mean: usize, rstd: usize, x: usize, w: usize, b: usize, rows: i32, cols: i32, eps: f32): void {
  layerNormRows<f32>(y, mean, rstd, x, w, b, rows, cols, eps);
}
export function layer_norm_grad(dx: usize, dw: usize, db: usize, dy: usize, x: usize, mean: usize, rstd: usize, w: usize, rows: i32, cols: i32): void {
  layerNormGradRows<v128>(dx, dw, db, dy, x, mean, rstd, w, rows, cols);
}
export function layer_norm_grad_ref(dx: usize, dw: usize, db: usize, dy: usize, x: usize, mean: usize, rstd: usize, w: usize, rows: i32, cols: i32): void {
  layerNormGradRows<f32>(dx, dw, db, dy, x, mean, rstd, w, rows, cols);
}

// ---------------------------------------------------------------- batch norm
// x, y (n, c, s): s is the spatial size (1 for (N, C) input); statistics per channel over
// the n*s values, summed chunk by chunk (each a contiguous run of s) in batch order.
// w, b (c) or 0; mean, rstd (c) saved. training: batch statistics, and when rm != 0 the
// running stats move as torch's: rm = (1 - m) rm + m mean, rv = (1 - m) rv + m var * M/(M-1)
// (unbiased, M = n*s > 1, the host's to check). Otherwise mean = rm, rstd = 1/sqrt(rv + eps).
@inline function batchNormImpl<T>(y: usize, mean: usize, rstd: usize, x: usize, w: usize, b: usize,
  rm: usize, rv: usize, n: i32, c: i32, s: i32, eps: f32, momentum: f32, training: i32): void {
  const cnt = <f32>n * <f32>s;
  for (let ch = 0; ch < c; ch++) {
    const q = <usize>ch << 2;
    let mu: f32, rs: f32;
    if (training) {
      let sum: f32 = 0;
      for (let i = 0; i < n; i++) sum += rowSum<T>(x + (<usize>((i * c + ch) * s) << 2), s);
      mu = sum / cnt;
      let sq: f32 = 0;
      for (let i = 0; i < n; i++) sq += rowSqDev<T>(x + (<usize>((i * c + ch) * s) << 2), s, mu);
      const v = sq / cnt;
      rs = 1 / Mathf.sqrt(v + eps);
      if (rm) {
        store<f32>(rm + q, momentum * mu + (1 - momentum) * load<f32>(rm + q));
        store<f32>(rv + q, momentum * (sq / (cnt - 1)) + (1 - momentum) * load<f32>(rv + q));
      }
    } else {
      mu = load<f32>(rm + q);
      rs = 1 / Mathf.sqrt(load<f32>(rv + q) + eps);
    }
    store<f32>(mean + q, mu);
    store<f32>(rstd + q, rs);
    // per-channel affine as a scale and shift of the normalised value
    const wc: f32 = w ? load<f32>(w + q) : 1, bc: f32 = b ? load<f32>(b + q) : 0;
    for (let i = 0; i < n; i++) {
      const o = <usize>((i * c + ch) * s) << 2;
      let j = 0;
      if (isVector<T>()) {
        const vm = f32x4.splat(mu), vr = f32x4.splat(rs), vw = f32x4.splat(wc), vb = f32x4.splat(bc);
        for (; j + 4 <= s; j += 4) {
          const p = o + (<usize>j << 2);
          v128.store(y + p, f32x4.add(f32x4.mul(f32x4.mul(f32x4.sub(v128.load(x + p), vm), vr), vw), vb));
        }
      }
      for (; j < s; j++) { const p = o + (<usize>j << 2); store<f32>(y + p, (load<f32>(x + p) - mu) * rs * wc + bc); }
    }
  }
}

// training: dx = w rstd (dy - mean(dy) - xhat mean(dy xhat)); eval: dx = dy w rstd.
// dw (c) = sum dy xhat, db (c) = sum dy; dw/db may be 0.
@inline function batchNormGradImpl<T>(dx: usize, dw: usize, db: usize, dy: usize, x: usize, mean: usize, rstd: usize,
  w: usize, n: i32, c: i32, s: i32, training: i32): void {
  const inv: f32 = 1 / (<f32>n * <f32>s);
  for (let ch = 0; ch < c; ch++) {
    const q = <usize>ch << 2;
    const mu = load<f32>(mean + q), rs = load<f32>(rstd + q);
    let sg: f32 = 0, sgx: f32 = 0;
    for (let i = 0; i < n; i++) {
      const o = <usize>((i * c + ch) * s) << 2;
      let j = 0;
      if (isVector<T>()) {
        const vm = f32x4.splat(mu);
        let a1 = f32x4.splat(0), a2 = f32x4.splat(0);
        for (; j + 4 <= s; j += 4) {
          const p = o + (<usize>j << 2);
          const d = v128.load(dy + p);
          a1 = f32x4.add(a1, d);
          a2 = f32x4.add(a2, f32x4.mul(d, f32x4.sub(v128.load(x + p), vm)));
        }
        sg += hsum(a1); sgx += hsum(a2);
      }
      for (; j < s; j++) {
        const p = o + (<usize>j << 2);
        const d = load<f32>(dy + p);
        sg += d; sgx += d * (load<f32>(x + p) - mu);
      }
    }
    sgx *= rs; // sum dy * xhat
    if (dw) store<f32>(dw + q, sgx);
    if (db) store<f32>(db + q, sg);
    const k = (w ? load<f32>(w + q) : 1) * rs;
    const m1: f32 = training ? sg * inv : 0, m2: f32 = training ? sgx * inv : 0;
    for (let i = 0; i < n; i++) {
      const o = <usize>((i * c + ch) * s) << 2;
      let j = 0;
      if (isVector<T>()) {
        const vm = f32x4.splat(mu), vr = f32x4.splat(rs), vk = f32x4.splat(k), v1 = f32x4.splat(m1), v2 = f32x4.splat(m2);
        for (; j + 4 <= s; j += 4) {
          const p = o + (<usize>j << 2);
          const xh = f32x4.mul(f32x4.sub(v128.load(x + p), vm), vr);
          v128.store(dx + p, f32x4.mul(vk, f32x4.sub(f32x4.sub(v128.load(dy + p), v1), f32x4.mul(xh, v2))));
        }
      }
      for (; j < s; j++) {
        const p = o + (<usize>j << 2);
        const xh = (load<f32>(x + p) - mu) * rs;
        store<f32>(dx + p, k * ((load<f32>(dy + p) - m1) - xh * m2));
      }
    }
  }
}

export function batch_norm(y: usize, mean: usize, rstd: usize, x: usize, w: usize, b: usize, rm: usize, rv: usize,
  n: i32, c: i32, s: i32, eps: f32, momentum: f32, training: i32): void {
  batchNormImpl<v128>(y, mean, rstd, x, w, b, rm, rv, n, c, s, eps, momentum, training);
}
export function batch_norm_ref(y: usize, mean: usize, rstd: usize, x: usize, w: usize, b: usize, rm: usize, rv: usize,
  n: i32, c: i32, s: i32, eps: f32, momentum: f32, training: i32): void {
  batchNormImpl<f32>(y, mean, rstd, x, w, b, rm, rv, n, c, s, eps, momentum, training);
}
export function batch_norm_grad(dx: usize, dw: usize, db: usize, dy: usize, x: usize, mean: usize, rstd: usize, w: usize,
  n: i32, c: i32, s: i32, training: i32): void {
  batchNormGradImpl<v128>(dx, dw, db, dy, x, mean, rstd, w, n, c, s, training);
}
export function batch_norm_grad_ref(dx: usize, dw: usize, db: usize, dy: usize, x: usize, mean: usize, rstd: usize, w: usize,
  n: i32, c: i32, s: i32, training: i32): void {
  batchNormGradImpl<f32>(dx, dw, db, dy, x, mean, rstd, w, n, c, s, training);
}
