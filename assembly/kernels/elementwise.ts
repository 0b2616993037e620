// Elementwise kernels: binary ops with broadcasting, unary ops and activations with
// their derivatives. Each op is a small class of @inline statics (scalar `s`, SIMD `v`);
// the exported kernels are monomorphised from generic loops, so the scalar reference
// and the SIMD path share one definition of the math.
import { erf } from "./math";

// ---------------------------------------------------------------- binary, broadcast
// out is (d0,d1,d2) contiguous; a and b are addressed with element strides, 0 = broadcast.

class Add { @inline s(a: f32, b: f32): f32 { return a + b; } @inline v(a: v128, b: v128): v128 { return f32x4.add(a, b); } }
class Sub { @inline s(a: f32, b: f32): f32 { return a - b; } @inline v(a: v128, b: v128): v128 { return f32x4.sub(a, b); } }
class Mul { @inline s(a: f32, b: f32): f32 { return a * b; } @inline v(a: v128, b: v128): v128 { return f32x4.mul(a, b); } }
class Div { @inline s(a: f32, b: f32): f32 { return a / b; } @inline v(a: v128, b: v128): v128 { return f32x4.div(a, b); } }
// max/min: NaN-propagating like torch.maximum (f32x4.max and Mathf.max both propagate NaN).
class Maximum { @inline s(a: f32, b: f32): f32 { return max<f32>(a, b); } @inline v(a: v128, b: v128): v128 { return f32x4.max(a, b); } }
class Minimum { @inline s(a: f32, b: f32): f32 { return min<f32>(a, b); } @inline v(a: v128, b: v128): v128 { return f32x4.min(a, b); } }

// maxw / minw: the share of maximum(a, b)'s (minimum's) gradient that goes to a, as torch:
// 1 where a wins, 0.5 on a tie, 0 where b wins; a NaN operand gets all of it (so it shows).
class MaxW { @inline s(a: f32, b: f32): f32 { return a == b ? 0.5 : (a < b ? 0 : 1); } @inline v(a: v128, b: v128): v128 { return v128.bitselect(f32x4.splat(0.5), v128.andnot(f32x4.splat(1), f32x4.lt(a, b)), f32x4.eq(a, b)); } }
class MinW { @inline s(a: f32, b: f32): f32 { return a == b ? 0.5 : (a > b ? 0 : 1); } @inline v(a: v128, b: v128): v128 { return v128.bitselect(f32x4.splat(0.5), v128.andnot(f32x4.splat(1), f32x4.gt(a, b)), f32x4.eq(a, b)); } }

// eq: 1 where a == b, else 0 (a mask; not differentiable).
class Eq { @inline s(a: f32, b: f32): f32 { return a == b ? 1 : 0; } @inline v(a: v128, b: v128): v128 { return v128.and(f32x4.eq(a, b), f32x4.splat(1)); } }

@inline function binary3<Op>(out: usize, a: usize, b: usize, d0: i32, d1: i32, d2: i32,
  as0: i32, as1: i32, as2: i32, bs0: i32, bs1: i32, bs2: i32): void {
  const OP = changetype<Op>(0);
  let po = out;
  for (let i0 = 0; i0 < d0; i0++) {
    for (let i1 = 0; i1 < d1; i1++) {
      let pa = a + (<usize>(i0 * as0 + i1 * as1) << 2);
      let pb = b + (<usize>(i0 * bs0 + i1 * bs1) << 2);
      let j = 0;
      if (as2 == 1 && bs2 == 1) {
        for (; j + 4 <= d2; j += 4) {
          v128.store(po + (<usize>j << 2), OP.v(v128.load(pa + (<usize>j << 2)), v128.load(pb + (<usize>j << 2))));
        }
        for (; j < d2; j++) store<f32>(po + (<usize>j << 2), OP.s(load<f32>(pa + (<usize>j << 2)), load<f32>(pb + (<usize>j << 2))));
      } else if (as2 == 1 && bs2 == 0) {
        const sb = load<f32>(pb); const vb = f32x4.splat(sb);
        for (; j + 4 <= d2; j += 4) v128.store(po + (<usize>j << 2), OP.v(v128.load(pa + (<usize>j << 2)), vb));
        for (; j < d2; j++) store<f32>(po + (<usize>j << 2), OP.s(load<f32>(pa + (<usize>j << 2)), sb));
      } else if (as2 == 0 && bs2 == 1) {
        const sa = load<f32>(pa); const va = f32x4.splat(sa);
        for (; j + 4 <= d2; j += 4) v128.store(po + (<usize>j << 2), OP.v(va, v128.load(pb + (<usize>j << 2))));
        for (; j < d2; j++) store<f32>(po + (<usize>j << 2), OP.s(sa, load<f32>(pb + (<usize>j << 2))));
      } else {
        for (; j < d2; j++) store<f32>(po + (<usize>j << 2), OP.s(load<f32>(pa + (<usize>(j * as2) << 2)), load<f32>(pb + (<usize>(j * bs2) << 2))));
      }
      po += <usize>d2 << 2;
    }
  }
}

export function add(o: usize, a: usize, b: usize, d0: i32, d1: i32, d2: i32, as0: i32, as1: i32, as2: i32, bs0: i32, bs1: i32, bs2: i32): void { binary3<Add>(o, a, b, d0, d1, d2, as0, as1, as2, bs0, bs1, bs2); }
export function sub(o: usize, a: usize, b: usize, d0: i32, d1: i32, d2: i32, as0: i32, as1: i32, as2: i32, bs0: i32, bs1: i32, bs2: i32): void { binary3<Sub>(o, a, b, d0, d1, d2, as0, as1, as2, bs0, bs1, bs2); }
export function mul(o: usize, a: usize, b: usize, d0: i32, d1: i32, d2: i32, as0: i32, as1: i32, as2: i32, bs0: i32, bs1: i32, bs2: i32): void { binary3<Mul>(o, a, b, d0, d1, d2, as0, as1, as2, bs0, bs1, bs2); }
export function div(o: usize, a: usize, b: usize, d0: i32, d1: i32, d2: i32, as0: i32, as1: i32, as2: i32, bs0: i32, bs1: i32, bs2: i32): void { binary3<Div>(o, a, b, d0, d1, d2, as0, as1, as2, bs0, bs1, bs2); }
export function eq(o: usize, a: usize, b: usize, d0: i32, d1: i32, d2: i32, as0: i32, as1: i32, as2: i32, bs0: i32, bs1: i32, bs2: i32): void { binary3<Eq>(o, a, b, d0, d1, d2, as0, as1, as2, bs0, bs1, bs2); }
export function maxw(o: usize, a: usize, b: usize, d0: i32, d1: i32, d2: i32, as0: i32, as1: i32, as2: i32, bs0: i32, bs1: i32, bs2: i32): void { binary3<MaxW>(o, a, b, d0, d1, d2, as0, as1, as2, bs0, bs1, bs2); }
export function minw(o: usize, a: usize, b: usize, d0: i32, d1: i32, d2: i32, as0: i32, as1: i32, as2: i32, bs0: i32, bs1: i32, bs2: i32): void { binary3<MinW>(o, a, b, d0, d1, d2, as0, as1, as2, bs0, bs1, bs2); }
export function maximum(o: usize, a: usize, b: usize, d0: i32, d1: i32, d2: i32, as0: i32, as1: i32, as2: i32, bs0: i32, bs1: i32, bs2: i32): void { binary3<Maximum>(o, a, b, d0, d1, d2, as0, as1, as2, bs0, bs1, bs2); }
export function minimum(o: usize, a: usize, b: usize, d0: i32, d1: i32, d2: i32, as0: i32, as1: i32, as2: i32, bs0: i32, bs1: i32, bs2: i32): void { binary3<Minimum>(o, a, b, d0, d1, d2, as0, as1, as2, bs0, bs1, bs2); }

// ---------------------------------------------------------------- unary
// Each op: s(x, p0, p1) forward; g(x, y, dy, p0, p1) = dy * f'(x). Ops with a cheap SIMD
// form override `v`; the others run the scalar form lane by lane (same bits either way).

class Relu {
  @inline s(x: f32, p0: f32, p1: f32): f32 { return max<f32>(x, 0); } // NaN propagates, as in the SIMD form
  // dy passes where x > 0 and where x is NaN (as torch: a NaN input must not hide in a zero gradient)
  @inline g(x: f32, y: f32, dy: f32, p0: f32, p1: f32): f32 { return x <= 0 ? 0 : dy; }
  @inline simd(): bool { return true; }
  @inline v(x: v128, p0: f32, p1: f32): v128 { return f32x4.max(x, f32x4.splat(0)); }
  // the same select as g, branch-free (the scalar form mispredicts on about half the elements)
  @inline gv(x: v128, y: v128, dy: v128, p0: f32, p1: f32): v128 { return v128.bitselect(f32x4.splat(0), dy, f32x4.le(x, f32x4.splat(0))); }
}
class LeakyRelu {
  @inline s(x: f32, p0: f32, p1: f32): f32 { return x > 0 ? x : x * p0; }
  @inline g(x: f32, y: f32, dy: f32, p0: f32, p1: f32): f32 { return x > 0 ? dy : dy * p0; }
  @inline simd(): bool { return true; }
  @inline v(x: v128, p0: f32, p1: f32): v128 {
    return v128.bitselect(x, f32x4.mul(x, f32x4.splat(p0)), f32x4.gt(x, f32x4.splat(0)));
  }
}
class Elu {
  @inline s(x: f32, p0: f32, p1: f32): f32 { return x > 0 ? x : p0 * <f32>Mathf.expm1(x); }
  @inline g(x: f32, y: f32, dy: f32, p0: f32, p1: f32): f32 { return x > 0 ? dy : dy * (y + p0); }
  @inline simd(): bool { return false; }
  @inline v(x: v128, p0: f32, p1: f32): v128 { return x; }
}
const SQRT1_2: f64 = 0.7071067811865476;
const INV_SQRT_2PI: f64 = 0.3989422804014327;
class Gelu {
  @inline s(x: f32, p0: f32, p1: f32): f32 { const d = <f64>x; return <f32>(0.5 * d * (1.0 + erf(d * SQRT1_2))); }
  @inline g(x: f32, y: f32, dy: f32, p0: f32, p1: f32): f32 {
    const d = <f64>x;
    const cdf = 0.5 * (1.0 + erf(d * SQRT1_2));
    const pdf = INV_SQRT_2PI * Math.exp(-0.5 * d * d);
    return <f32>(<f64>dy * (cdf + d * pdf));
  }
  @inline simd(): bool { return false; }
  @inline v(x: v128, p0: f32, p1: f32): v128 { return x; }
}
const GELU_K: f64 = 0.7978845608028654; // sqrt(2/pi)
class GeluTanh {
  @inline s(x: f32, p0: f32, p1: f32): f32 {
    const d = <f64>x; return <f32>(0.5 * d * (1.0 + Math.tanh(GELU_K * (d + 0.044715 * d * d * d))));
  }
  @inline g(x: f32, y: f32, dy: f32, p0: f32, p1: f32): f32 {
    const d = <f64>x;
    const t = Math.tanh(GELU_K * (d + 0.044715 * d * d * d));
    const dt = (1.0 - t * t) * GELU_K * (1.0 + 3.0 * 0.044715 * d * d);
    return <f32>(<f64>dy * (0.5 * (1.0 + t) + 0.5 * d * dt));
  }
  @inline simd(): bool { return false; }
  @inline v(x: v128, p0: f32, p1: f32): v128 { return x; }
}
class Sigmoid {
  @inline s(x: f32, p0: f32, p1: f32): f32 { return sigmoidf(x); }
  @inline g(x: f32, y: f32, dy: f32, p0: f32, p1: f32): f32 { return dy * y * (1 - y); }
  @inline simd(): bool { return false; }
  @inline v(x: v128, p0: f32, p1: f32): v128 { return x; }
}
class Tanh {
  @inline s(x: f32, p0: f32, p1: f32): f32 { return Mathf.tanh(x); }
  @inline g(x: f32, y: f32, dy: f32, p0: f32, p1: f32): f32 { return dy * (1 - y * y); }
  @inline simd(): bool { return false; }
  @inline v(x: v128, p0: f32, p1: f32): v128 { return x; }
}
// softplus(x; beta=p0, threshold=p1) as torch: linear above the threshold.
class Softplus {
  @inline s(x: f32, p0: f32, p1: f32): f32 {
    const bx = x * p0; return bx > p1 ? x : Mathf.log1p(Mathf.exp(bx)) / p0;
  }
  @inline g(x: f32, y: f32, dy: f32, p0: f32, p1: f32): f32 { const bx = x * p0; return bx > p1 ? dy : dy * sigmoidf(bx); }
  @inline simd(): bool { return false; }
  @inline v(x: v128, p0: f32, p1: f32): v128 { return x; }
}
class Exp {
  @inline s(x: f32, p0: f32, p1: f32): f32 { return Mathf.exp(x); }
  @inline g(x: f32, y: f32, dy: f32, p0: f32, p1: f32): f32 { return dy * y; }
  @inline simd(): bool { return false; }
  @inline v(x: v128, p0: f32, p1: f32): v128 { return x; }
}
class Log {
  @inline s(x: f32, p0: f32, p1: f32): f32 { return Mathf.log(x); }
  @inline g(x: f32, y: f32, dy: f32, p0: f32, p1: f32): f32 { return dy / x; }
  @inline simd(): bool { return false; }
  @inline v(x: v128, p0: f32, p1: f32): v128 { return x; }
}
class Sqrt {
  @inline s(x: f32, p0: f32, p1: f32): f32 { return Mathf.sqrt(x); }
  @inline g(x: f32, y: f32, dy: f32, p0: f32, p1: f32): f32 { return dy / (y + y); }
  @inline simd(): bool { return true; }
  @inline v(x: v128, p0: f32, p1: f32): v128 { return f32x4.sqrt(x); }
}
class Abs {
  @inline s(x: f32, p0: f32, p1: f32): f32 { return Mathf.abs(x); }
  @inline g(x: f32, y: f32, dy: f32, p0: f32, p1: f32): f32 { return x > 0 ? dy : (x < 0 ? -dy : 0); }
  @inline simd(): bool { return true; }
  @inline v(x: v128, p0: f32, p1: f32): v128 { return f32x4.abs(x); }
}
// clamp(x, min=p0, max=p1); the gradient passes where min <= x <= max (as torch).
class Clamp {
  @inline s(x: f32, p0: f32, p1: f32): f32 { return x < p0 ? p0 : (x > p1 ? p1 : x); }
  @inline g(x: f32, y: f32, dy: f32, p0: f32, p1: f32): f32 { return x >= p0 && x <= p1 ? dy : 0; }
  @inline simd(): bool { return true; }
  @inline v(x: v128, p0: f32, p1: f32): v128 { return f32x4.pmin(f32x4.pmax(x, f32x4.splat(p0)), f32x4.splat(p1)); }
}
class Neg {
  @inline s(x: f32, p0: f32, p1: f32): f32 { return -x; }
  @inline g(x: f32, y: f32, dy: f32, p0: f32, p1: f32): f32 { return -dy; }
  @inline simd(): bool { return true; }
  @inline v(x: v128, p0: f32, p1: f32): v128 { return f32x4.neg(x); }
}
class Square {
  @inline s(x: f32, p0: f32, p1: f32): f32 { return x * x; }
  @inline g(x: f32, y: f32, dy: f32, p0: f32, p1: f32): f32 { return dy * (x + x); }
  @inline simd(): bool { return true; }
  @inline v(x: v128, p0: f32, p1: f32): v128 { return f32x4.mul(x, x); }
}
// affine: y = p0 * x + p1 (scalar multiply / add without a broadcast operand).
class Affine {
  @inline s(x: f32, p0: f32, p1: f32): f32 { return x * p0 + p1; }
  @inline g(x: f32, y: f32, dy: f32, p0: f32, p1: f32): f32 { return dy * p0; }
  @inline simd(): bool { return true; }
  @inline v(x: v128, p0: f32, p1: f32): v128 { return f32x4.add(f32x4.mul(x, f32x4.splat(p0)), f32x4.splat(p1)); }
}

@inline export function sigmoidf(x: f32): f32 {
  if (x >= 0) return 1 / (1 + Mathf.exp(-x));
  const e = Mathf.exp(x); return e / (1 + e);
}

@inline function unaryKernel<Op>(out: usize, x: usize, n: i32, p0: f32, p1: f32): void {
  const OP = changetype<Op>(0);
  let i = 0;
  if (OP.simd()) {
    for (; i + 4 <= n; i += 4) v128.store(out + (<usize>i << 2), OP.v(v128.load(x + (<usize>i << 2)), p0, p1));
  }
  for (; i < n; i++) store<f32>(out + (<usize>i << 2), OP.s(load<f32>(x + (<usize>i << 2)), p0, p1));
}
// dx = dy * f'(x); y is the forward output (ops that need it read it; others ignore it).
// Ops that define `gv` (a SIMD form of g with the same bits) run it four lanes at a time.
@inline function unaryGradKernel<Op>(dx: usize, x: usize, y: usize, dy: usize, n: i32, p0: f32, p1: f32): void {
  const OP = changetype<Op>(0);
  let i = 0;
  if (isDefined(OP.gv)) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(dx + o, OP.gv(v128.load(x + o), v128.load(y + o), v128.load(dy + o), p0, p1));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, OP.g(load<f32>(x + o), load<f32>(y + o), load<f32>(dy + o), p0, p1));
  }
}

export function relu(o: usize, x: usize, n: i32, p0: f32, p1: f32): void { unaryKernel<Relu>(o, x, n, p0, p1); }
export function relu_grad(dx: usize, x: usize, y: usize, dy: usize, n: i32, p0: f32, p1: f32): void { unaryGradKernel<Relu>(dx, x, y, dy, n, p0, p1); }
export function leaky_relu(o: usize, x: usize, n: i32, p0: f32, p1: f32): void { unaryKernel<LeakyRelu>(o, x, n, p0, p1); }
export function leaky_relu_grad(dx: usize, x: usize, y: usize, dy: usize, n: i32, p0: f32, p1: f32): void { unaryGradKernel<LeakyRelu>(dx, x, y, dy, n, p0, p1); }
export function elu(o: usize, x: usize, n: i32, p0: f32, p1: f32): void { unaryKernel<Elu>(o, x, n, p0, p1); }
export function elu_grad(dx: usize, x: usize, y: usize, dy: usize, n: i32, p0: f32, p1: f32): void { unaryGradKernel<Elu>(dx, x, y, dy, n, p0, p1); }
export function gelu(o: usize, x: usize, n: i32, p0: f32, p1: f32): void { unaryKernel<Gelu>(o, x, n, p0, p1); }
export function gelu_grad(dx: usize, x: usize, y: usize, dy: usize, n: i32, p0: f32, p1: f32): void { unaryGradKernel<Gelu>(dx, x, y, dy, n, p0, p1); }
export function gelu_tanh(o: usize, x: usize, n: i32, p0: f32, p1: f32): void { unaryKernel<GeluTanh>(o, x, n, p0, p1); }
export function gelu_tanh_grad(dx: usize, x: usize, y: usize, dy: usize, n: i32, p0: f32, p1: f32): void { unaryGradKernel<GeluTanh>(dx, x, y, dy, n, p0, p1); }
export function sigmoid(o: usize, x: usize, n: i32, p0: f32, p1: f32): void { unaryKernel<Sigmoid>(o, x, n, p0, p1); }
export function sigmoid_grad(dx: usize, x: usize, y: usize, dy: usize, n: i32, p0: f32, p1: f32): void { unaryGradKernel<Sigmoid>(dx, x, y, dy, n, p0, p1); }
export function tanh(o: usize, x: usize, n: i32, p0: f32, p1: f32): void { unaryKernel<Tanh>(o, x, n, p0, p1); }
export function tanh_grad(dx: usize, x: usize, y: usize, dy: usize, n: i32, p0: f32, p1: f32): void { unaryGradKernel<Tanh>(dx, x, y, dy, n, p0, p1); }
export function softplus(o: usize, x: usize, n: i32, p0: f32, p1: f32): void { unaryKernel<Softplus>(o, x, n, p0, p1); }
export function softplus_grad(dx: usize, x: usize, y: usize, dy: usize, n: i32, p0: f32, p1: f32): void { unaryGradKernel<Softplus>(dx, x, y, dy, n, p0, p1); }
export function exp(o: usize, x: usize, n: i32, p0: f32, p1: f32): void { unaryKernel<Exp>(o, x, n, p0, p1); }
export function exp_grad(dx: usize, x: usize, y: usize, dy: usize, n: i32, p0: f32, p1: f32): void { unaryGradKernel<Exp>(dx, x, y, dy, n, p0, p1); }
export function log(o: usize, x: usize, n: i32, p0: f32, p1: f32): void { unaryKernel<Log>(o, x, n, p0, p1); }
export function log_grad(dx: usize, x: usize, y: usize, dy: usize, n: i32, p0: f32, p1: f32): void { unaryGradKernel<Log>(dx, x, y, dy, n, p0, p1); }
export function sqrt(o: usize, x: usize, n: i32, p0: f32, p1: f32): void { unaryKernel<Sqrt>(o, x, n, p0, p1); }
export function sqrt_grad(dx: usize, x: usize, y: usize, dy: usize, n: i32, p0: f32, p1: f32): void { unaryGradKernel<Sqrt>(dx, x, y, dy, n, p0, p1); }
export function abs(o: usize, x: usize, n: i32, p0: f32, p1: f32): void { unaryKernel<Abs>(o, x, n, p0, p1); }
export function abs_grad(dx: usize, x: usize, y: usize, dy: usize, n: i32, p0: f32, p1: f32): void { unaryGradKernel<Abs>(dx, x, y, dy, n, p0, p1); }
export function clamp(o: usize, x: usize, n: i32, p0: f32, p1: f32): void { unaryKernel<Clamp>(o, x, n, p0, p1); }
export function clamp_grad(dx: usize, x: usize, y: usize, dy: usize, n: i32, p0: f32, p1: f32): void { unaryGradKernel<Clamp>(dx, x, y, dy, n, p0, p1); }
export function neg(o: usize, x: usize, n: i32, p0: f32, p1: f32): void { unaryKernel<Neg>(o, x, n, p0, p1); }
export function neg_grad(dx: usize, x: usize, y: usize, dy: usize, n: i32, p0: f32, p1: f32): void { unaryGradKernel<Neg>(dx, x, y, dy, n, p0, p1); }
export function square(o: usize, x: usize, n: i32, p0: f32, p1: f32): void { unaryKernel<Square>(o, x, n, p0, p1); }
export function square_grad(dx: usize, x: usize, y: usize, dy: usize, n: i32, p0: f32, p1: f32): void { unaryGradKernel<Square>(dx, x, y, dy, n, p0, p1); }
export function affine(o: usize, x: usize, n: i32, p0: f32, p1: f32): void { unaryKernel<Affine>(o, x, n, p0, p1); }
export function affine_grad(dx: usize, x: usize, y: usize, dy: usize, n: i32, p0: f32, p1: f32): void { unaryGradKernel<Affine>(dx, x, y, dy, n, p0, p1); }
