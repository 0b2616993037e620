// Fused optimiser updates: each kernel reads one parameter's gradient and updates the
// parameter and its state buffers in place, in one pass over flat f32 buffers (n
// elements each). Formulas and the order of every operation follow torch.optim's
// single-tensor path, so results agree with PyTorch to rounding (torch's AVX kernels use
// FMA; these do not, as Wasm SIMD has no fused multiply-add outside relaxed SIMD). The
// host computes per-step scalars (bias corrections, decayed lr) in f64 and passes them
// in as f32, which is where torch rounds them too. The SIMD body and the scalar tail do
// the same IEEE operations in the same order, so every element gets the same bits.
// Also the pieces of gradient clipping: an f64 sum of squares and an in-place scale.

// ---------------------------------------------------------------- shared pieces

// torch.sign: -1, 0 or 1 (0 for NaN).
@inline function signS(x: f32): f32 { return x > 0 ? 1 : (x < 0 ? <f32>-1 : 0); }
@inline function signV(x: v128): v128 {
  return v128.or(v128.and(f32x4.gt(x, f32x4.splat(0)), f32x4.splat(1)),
    v128.and(f32x4.lt(x, f32x4.splat(0)), f32x4.splat(-1)));
}

// The gradient an update sees: g + wd * p (torch's L2 weight_decay: grad.add(param,
// alpha=wd)) plus l1 * sign(p) (an L1 penalty's subgradient). Zero coefficients are
// skipped, not added, so the plain gradient keeps its exact bits (and -0).
@inline function effS(g: f32, p: f32, wd: f32, l1: f32): f32 {
  let d = g;
  if (wd != 0) d = d + wd * p;
  if (l1 != 0) d = d + l1 * signS(p);
  return d;
}
@inline function effV(g: v128, p: v128, wd: f32, l1: f32): v128 {
  let d = g;
  if (wd != 0) d = f32x4.add(d, f32x4.mul(f32x4.splat(wd), p));
  if (l1 != 0) d = f32x4.add(d, f32x4.mul(f32x4.splat(l1), signV(p)));
  return d;
}

// torch.lerp(a, b, w): a + w (b - a) for |w| < 0.5, else b - (1 - w)(b - a), written as
// base + c (b - a) with (base, c) = (a, w) or (b, w - 1), as torch's vector path does.
@inline function lerpS(a: f32, b: f32, small: bool, c: f32): f32 { return (small ? a : b) + c * (b - a); }
@inline function lerpV(a: v128, b: v128, small: bool, c: v128): v128 {
  return f32x4.add(small ? a : b, f32x4.mul(c, f32x4.sub(b, a)));
}

// ---------------------------------------------------------------- SGD
// p, g, buf are (n). flags: 1 = Nesterov, 2 = first step (buf := d, as torch clones the
// first gradient into the momentum buffer). momentum == 0: no buffer (buf unused).
//   d = g + wd p + l1 sign(p)
//   buf = first ? d : momentum buf + (1 - dampening) d
//   d = nesterov ? d + momentum buf : buf
//   p = p - lr d
export function sgd_step(p: usize, g: usize, buf: usize, n: i32, lr: f32, momentum: f32, oneMinusDampening: f32,
  wd: f32, l1: f32, flags: i32): void {
  const nesterov = (flags & 1) != 0, first = (flags & 2) != 0, useBuf = momentum != 0;
  const nlr = -lr;
  const vnlr = f32x4.splat(nlr), vmom = f32x4.splat(momentum), vdamp = f32x4.splat(oneMinusDampening);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const pv = v128.load(p + o);
    let d = effV(v128.load(g + o), pv, wd, l1);
    if (useBuf) {
      const b = first ? d : f32x4.add(f32x4.mul(v128.load(buf + o), vmom), f32x4.mul(vdamp, d));
      v128.store(buf + o, b);
      d = nesterov ? f32x4.add(d, f32x4.mul(vmom, b)) : b;
    }
    v128.store(p + o, f32x4.add(pv, f32x4.mul(vnlr, d)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pv = load<f32>(p + o);
    let d = effS(load<f32>(g + o), pv, wd, l1);
    if (useBuf) {
      const b = first ? d : load<f32>(buf + o) * momentum + oneMinusDampening * d;
      store<f32>(buf + o, b);
      d = nesterov ? d + momentum * b : b;
    }
    store<f32>(p + o, pv + nlr * d);
  }
}

// ---------------------------------------------------------------- Adam / AdamW
// p, g, m (exp_avg), v (exp_avg_sq), vmax (max_exp_avg_sq, amsgrad only) are (n).
// stepSize = lr / (1 - beta1^t), bc2Sqrt = sqrt(1 - beta2^t), w1 = 1 - beta1,
// w2 = 1 - beta2, decay = 1 - lr wd for AdamW's decoupled decay (1 for Adam), wd the
// coupled L2 coefficient (0 for AdamW).
//   p = decay p;  d = g + wd p + l1 sign(p)   (sign and L2 of p before decay)
//   m = lerp(m, d, w1);  v = beta2 v + (w2 d) d;  vmax = max(vmax, v)
//   p = p + (-stepSize m) / (sqrt(v or vmax) / bc2Sqrt + eps)
export function adam_step(p: usize, g: usize, m: usize, v: usize, vmax: usize, n: i32, stepSize: f32, bc2Sqrt: f32,
  w1: f32, w2: f32, beta2: f32, eps: f32, wd: f32, decay: f32, l1: f32, amsgrad: i32): void {
  const small = Mathf.abs(w1) < 0.5, c1 = small ? w1 : w1 - 1;
  const nss = -stepSize, decays = decay != 1, ams = amsgrad != 0;
  const vc1 = f32x4.splat(c1), vw2 = f32x4.splat(w2), vb2 = f32x4.splat(beta2), vnss = f32x4.splat(nss);
  const vbc2 = f32x4.splat(bc2Sqrt), veps = f32x4.splat(eps), vdecay = f32x4.splat(decay);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    let pv = v128.load(p + o);
    const d = effV(v128.load(g + o), pv, wd, l1);
    if (decays) pv = f32x4.mul(pv, vdecay);
    const mv = lerpV(v128.load(m + o), d, small, vc1);
    v128.store(m + o, mv);
    let vv = f32x4.add(f32x4.mul(v128.load(v + o), vb2), f32x4.mul(f32x4.mul(vw2, d), d));
    v128.store(v + o, vv);
    if (ams) { vv = f32x4.max(v128.load(vmax + o), vv); v128.store(vmax + o, vv); }
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(vv), vbc2), veps);
    v128.store(p + o, f32x4.add(pv, f32x4.div(f32x4.mul(vnss, mv), denom)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    let pv = load<f32>(p + o);
    const d = effS(load<f32>(g + o), pv, wd, l1);
    if (decays) pv = pv * decay;
    const mv = lerpS(load<f32>(m + o), d, small, c1);
    store<f32>(m + o, mv);
    let vv = load<f32>(v + o) * beta2 + (w2 * d) * d;
    store<f32>(v + o, vv);
    if (ams) { vv = max<f32>(load<f32>(vmax + o), vv); store<f32>(vmax + o, vv); }
    const denom = Mathf.sqrt(vv) / bc2Sqrt + eps;
    store<f32>(p + o, pv + (nss * mv) / denom);
  }
}

// ---------------------------------------------------------------- RMSprop
// p, g, sq (square_avg), gavg (grad_avg, centered only), buf (momentum_buffer, momentum
// > 0 only) are (n). w = 1 - alpha.
//   d = g + wd p + l1 sign(p);  sq = alpha sq + (w d) d
//   centered: gavg = lerp(gavg, d, w); avg = sqrt(sq - gavg gavg) + eps, else sqrt(sq) + eps
//   momentum: buf = momentum buf + d / avg; p = p - lr buf, else p = p + (-lr d) / avg
export function rmsprop_step(p: usize, g: usize, sq: usize, gavg: usize, buf: usize, n: i32, lr: f32, alpha: f32,
  w: f32, eps: f32, wd: f32, momentum: f32, l1: f32, centered: i32): void {
  const small = Mathf.abs(w) < 0.5, c = small ? w : w - 1;
  const cen = centered != 0, mom = momentum > 0, nlr = -lr;
  const vc = f32x4.splat(c), vw = f32x4.splat(w), valpha = f32x4.splat(alpha), veps = f32x4.splat(eps);
  const vmom = f32x4.splat(momentum), vnlr = f32x4.splat(nlr);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const pv = v128.load(p + o);
    const d = effV(v128.load(g + o), pv, wd, l1);
    const s = f32x4.add(f32x4.mul(v128.load(sq + o), valpha), f32x4.mul(f32x4.mul(vw, d), d));
    v128.store(sq + o, s);
    let avg: v128;
    if (cen) {
      const ga = lerpV(v128.load(gavg + o), d, small, vc);
      v128.store(gavg + o, ga);
      avg = f32x4.sqrt(f32x4.sub(s, f32x4.mul(ga, ga)));
    } else {
      avg = f32x4.sqrt(s);
    }
    avg = f32x4.add(avg, veps);
    if (mom) {
      const b = f32x4.add(f32x4.mul(v128.load(buf + o), vmom), f32x4.div(d, avg));
      v128.store(buf + o, b);
      v128.store(p + o, f32x4.add(pv, f32x4.mul(vnlr, b)));
    } else {
      v128.store(p + o, f32x4.add(pv, f32x4.div(f32x4.mul(vnlr, d), avg)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pv = load<f32>(p + o);
    const d = effS(load<f32>(g + o), pv, wd, l1);
    const s = load<f32>(sq + o) * alpha + (w * d) * d;
    store<f32>(sq + o, s);
    let avg: f32;
    if (cen) {
      const ga = lerpS(load<f32>(gavg + o), d, small, c);
      store<f32>(gavg + o, ga);
      avg = Mathf.sqrt(s - ga * ga);
    } else {
      avg = Mathf.sqrt(s);
    }
    avg = avg + eps;
    if (mom) {
      const b = load<f32>(buf + o) * momentum + d / avg;
      store<f32>(buf + o, b);
      store<f32>(p + o, pv + nlr * b);
    } else {
      store<f32>(p + o, pv + (nlr * d) / avg);
    }
  }
}

// ---------------------------------------------------------------- Adagrad
// p, g, sum (the accumulator) are (n). clr = lr / (1 + (t - 1) lr_decay).
//   d = g + wd p + l1 sign(p);  sum = sum + d d;  p = p + (-clr d) / (sqrt(sum) + eps)
export function adagrad_step(p: usize, g: usize, sum: usize, n: i32, clr: f32, eps: f32, wd: f32, l1: f32): void {
  const nclr = -clr;
  const vnclr = f32x4.splat(nclr), veps = f32x4.splat(eps);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const pv = v128.load(p + o);
    const d = effV(v128.load(g + o), pv, wd, l1);
    const s = f32x4.add(v128.load(sum + o), f32x4.mul(d, d));
    v128.store(sum + o, s);
    v128.store(p + o, f32x4.add(pv, f32x4.div(f32x4.mul(vnclr, d), f32x4.add(f32x4.sqrt(s), veps))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pv = load<f32>(p + o);
    const d = effS(load<f32>(g + o), pv, wd, l1);
    const s = load<f32>(sum + o) + d * d;
    store<f32>(sum + o, s);
    store<f32>(p + o, pv + (nclr * d) / (Mathf.sqrt(s) + eps));
  }
}

// ---------------------------------------------------------------- clipping
// Sum of squares of x (n) in f64: squares of f32 values are exact in f64, so only the
// additions round; fixed order (two f64x2 accumulators over blocks of 4, then the lanes
// pairwise, then the tail). The host sums these over buffers in parameter order.
export function sumsq_f64(x: usize, n: i32): f64 {
  let acc0 = f64x2.splat(0), acc1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = x + (<usize>i << 2);
    const lo = f64x2.promote_low_f32x4(v128.load64_zero(o));
    const hi = f64x2.promote_low_f32x4(v128.load64_zero(o + 8));
    acc0 = f64x2.add(acc0, f64x2.mul(lo, lo));
    acc1 = f64x2.add(acc1, f64x2.mul(hi, hi));
  }
  let s = (f64x2.extract_lane(acc0, 0) + f64x2.extract_lane(acc0, 1)) + (f64x2.extract_lane(acc1, 0) + f64x2.extract_lane(acc1, 1));
  for (; i < n; i++) { const v = <f64>load<f32>(x + (<usize>i << 2)); s += v * v; }
  return s;
}

// x *= c in place (clip_grad_norm_'s rescale).
export function scale(x: usize, n: i32, c: f32): void {
  const vc = f32x4.splat(c);
  let i = 0;
  for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; v128.store(x + o, f32x4.mul(v128.load(x + o), vc)); }
  for (; i < n; i++) { const o = <usize>i << 2; store<f32>(x + o, load<f32>(x + o) * c); }
}
