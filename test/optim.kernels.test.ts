// The fused optimiser kernels (assembly/kernels/optim.ts) against scalar JS references of
// their formulas. Math.fround after every + - * / and sqrt is exactly f32 arithmetic (a
// double result rounded once to f32 is the correctly rounded f32 result for these ops),
// so kernel and reference must agree bit for bit. n = 37 covers the SIMD body and the tail.
import { describe, it, expect, beforeAll } from "vitest";
import { init, tensor, randn, Rng, Tensor } from "../src/index.js";
import { K } from "../src/engine/engine.js";

beforeAll(async () => { await init(); });

const f = Math.fround;
const N = 37;
const sign = (x: number): number => (x > 0 ? 1 : x < 0 ? -1 : 0);

function vec(seed: number, scale = 1, positive = false): Float32Array {
  const a = randn([N], 0, scale, new Rng(seed)).data() as Float32Array;
  if (positive) for (let i = 0; i < N; i++) a[i] = f(Math.abs(a[i]));
  a[3] = 0; // sign(0) = 0 and an exactly-zero element
  return a;
}
const T = (a: Float32Array): Tensor => tensor(a, [a.length]);

/** d = g + wd p + l1 sign(p), skipping zero coefficients as the kernel does. */
function eff(g: number, p: number, wd: number, l1: number): number {
  let d = g;
  if (wd !== 0) d = f(d + f(wd * p));
  if (l1 !== 0) d = f(d + f(l1 * sign(p)));
  return d;
}
function lerp(a: number, b: number, w: number): number {
  const small = Math.abs(w) < 0.5;
  const c = small ? w : f(w - 1);
  return f((small ? a : b) + f(c * f(b - a)));
}
function expectBits(actual: Tensor, expected: ArrayLike<number>, label: string): void {
  const a = actual.data();
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(a[i], f(expected[i]))) throw new Error(`${label}[${i}]: kernel ${a[i]}, reference ${expected[i]}`);
  }
}

describe("sgd_step", () => {
  const cases = [
    { name: "plain", lr: 0.1, mom: 0, damp: 0, wd: 0, l1: 0, nesterov: false, first: false },
    { name: "momentum, first step", lr: 0.05, mom: 0.9, damp: 0.1, wd: 1e-2, l1: 0, nesterov: false, first: true },
    { name: "momentum, dampening", lr: 0.05, mom: 0.9, damp: 0.1, wd: 1e-2, l1: 1e-3, nesterov: false, first: false },
    { name: "nesterov, wd, l1", lr: 0.1, mom: 0.9, damp: 0, wd: 1e-3, l1: 1e-2, nesterov: true, first: false },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const p0 = vec(1), g = vec(2), b0 = vec(3, 0.1);
      const p = T(p0), b = T(b0);
      const flags = (c.nesterov ? 1 : 0) | (c.first ? 2 : 0);
      K().sgd_step(p.ptr, T(g).ptr, c.mom ? b.ptr : 0, N, c.lr, c.mom, 1 - c.damp, c.wd, c.l1, flags);
      const lr = f(c.lr), mom = f(c.mom), damp = f(1 - c.damp), wd = f(c.wd), l1 = f(c.l1);
      const ep = new Float64Array(N), eb = new Float64Array(N);
      for (let i = 0; i < N; i++) {
        let d = eff(g[i], p0[i], wd, l1);
        let bi = b0[i];
        if (mom !== 0) {
          bi = c.first ? d : f(f(bi * mom) + f(damp * d));
          d = c.nesterov ? f(d + f(mom * bi)) : bi;
        }
        eb[i] = bi;
        ep[i] = f(p0[i] + f(-lr * d));
      }
      expectBits(p, ep, "p");
      expectBits(b, eb, "buf");
    });
  }
});

describe("adam_step", () => {
  const cases = [
    { name: "Adam, step 1", lr: 1e-2, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0, l1: 0, decoupled: false, ams: false, t: 1 },
    { name: "Adam, L2 + L1 + amsgrad, step 7", lr: 1e-3, b1: 0.9, b2: 0.99, eps: 1e-6, wd: 1e-2, l1: 1e-3, decoupled: false, ams: true, t: 7 },
    { name: "AdamW, step 3", lr: 1e-2, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0.1, l1: 0, decoupled: true, ams: false, t: 3 },
    { name: "beta1 < 0.5 (lerp's other branch)", lr: 1e-2, b1: 0.3, b2: 0.5, eps: 1e-8, wd: 0, l1: 0, decoupled: false, ams: false, t: 2 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const p0 = vec(4), g = vec(5), m0 = vec(6, 0.1), v0 = vec(7, 0.01, true), x0 = vec(8, 0.01, true);
      const p = T(p0), m = T(m0), v = T(v0), vmax = T(x0);
      const bc1 = 1 - c.b1 ** c.t, bc2 = 1 - c.b2 ** c.t;
      const ss = c.lr / bc1, b2s = Math.sqrt(bc2);
      const wdIn = c.decoupled ? 0 : c.wd, decay = c.decoupled ? 1 - c.lr * c.wd : 1;
      K().adam_step(p.ptr, T(g).ptr, m.ptr, v.ptr, vmax.ptr, N, ss, b2s, 1 - c.b1, 1 - c.b2, c.b2, c.eps, wdIn, decay, c.l1, c.ams ? 1 : 0);
      const [w1, w2, b2, eps, wd, dec, l1, nss, bc] = [1 - c.b1, 1 - c.b2, c.b2, c.eps, wdIn, decay, c.l1, -ss, b2s].map(f);
      const ep: number[] = [], em: number[] = [], ev: number[] = [], ex: number[] = [];
      for (let i = 0; i < N; i++) {
        let pi = p0[i];
        const d = eff(g[i], pi, wd, l1);
        if (dec !== 1) pi = f(pi * dec);
        const mi = lerp(m0[i], d, w1);
        const vi = f(f(v0[i] * b2) + f(f(w2 * d) * d));
        const xi = c.ams ? Math.max(x0[i], vi) : x0[i];
        const denom = f(f(f(Math.sqrt(c.ams ? xi : vi)) / bc) + eps);
        ep.push(f(pi + f(f(nss * mi) / denom))); em.push(mi); ev.push(vi); ex.push(xi);
      }
      expectBits(p, ep, "p"); expectBits(m, em, "exp_avg"); expectBits(v, ev, "exp_avg_sq"); expectBits(vmax, ex, "max_exp_avg_sq");
    });
  }
});

describe("rmsprop_step", () => {
  const cases = [
    { name: "plain", lr: 1e-2, alpha: 0.99, eps: 1e-8, wd: 0, mom: 0, l1: 0, centered: false },
    { name: "centered, momentum, wd, l1", lr: 1e-2, alpha: 0.9, eps: 1e-6, wd: 1e-2, mom: 0.9, l1: 1e-3, centered: true },
    { name: "alpha < 0.5 (lerp's other branch)", lr: 1e-2, alpha: 0.3, eps: 1e-8, wd: 0, mom: 0, l1: 0, centered: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const p0 = vec(9), g = vec(10), ga0 = vec(11, 0.01), b0 = vec(12, 0.1);
      const sq0 = new Float32Array(N);
      for (let i = 0; i < N; i++) sq0[i] = f(ga0[i] * ga0[i] + 0.01 * (i + 1)); // >= gavg^2, as it stays in training
      const p = T(p0), sq = T(sq0), ga = T(ga0), b = T(b0);
      K().rmsprop_step(p.ptr, T(g).ptr, sq.ptr, ga.ptr, b.ptr, N, c.lr, c.alpha, 1 - c.alpha, c.eps, c.wd, c.mom, c.l1, c.centered ? 1 : 0);
      const [lr, alpha, w, eps, wd, mom, l1] = [c.lr, c.alpha, 1 - c.alpha, c.eps, c.wd, c.mom, c.l1].map(f);
      const ep: number[] = [], es: number[] = [], eg: number[] = [], eb: number[] = [];
      for (let i = 0; i < N; i++) {
        const d = eff(g[i], p0[i], wd, l1);
        const s = f(f(sq0[i] * alpha) + f(f(w * d) * d));
        let gi = ga0[i], avg: number;
        if (c.centered) { gi = lerp(gi, d, w); avg = f(Math.sqrt(f(s - f(gi * gi)))); } else avg = f(Math.sqrt(s));
        avg = f(avg + eps);
        let bi = b0[i], pi: number;
        if (mom > 0) { bi = f(f(bi * mom) + f(d / avg)); pi = f(p0[i] + f(-lr * bi)); } else pi = f(p0[i] + f(f(-lr * d) / avg));
        ep.push(pi); es.push(s); eg.push(gi); eb.push(bi);
      }
      expectBits(p, ep, "p"); expectBits(sq, es, "square_avg"); expectBits(ga, eg, "grad_avg"); expectBits(b, eb, "momentum_buffer");
    });
  }
});

describe("adagrad_step", () => {
  for (const c of [{ clr: 0.1, eps: 1e-10, wd: 0, l1: 0 }, { clr: 0.05, eps: 1e-6, wd: 1e-2, l1: 1e-3 }]) {
    it(`clr ${c.clr}, wd ${c.wd}, l1 ${c.l1}`, () => {
      const p0 = vec(13), g = vec(14), s0 = vec(15, 0.1, true);
      const p = T(p0), s = T(s0);
      K().adagrad_step(p.ptr, T(g).ptr, s.ptr, N, c.clr, c.eps, c.wd, c.l1);
      const [clr, eps, wd, l1] = [c.clr, c.eps, c.wd, c.l1].map(f);
      const ep: number[] = [], es: number[] = [];
      for (let i = 0; i < N; i++) {
        const d = eff(g[i], p0[i], wd, l1);
        const si = f(s0[i] + f(d * d));
        es.push(si);
        ep.push(f(p0[i] + f(f(-clr * d) / f(f(Math.sqrt(si)) + eps))));
      }
      expectBits(p, ep, "p"); expectBits(s, es, "sum");
    });
  }
});

describe("clipping kernels", () => {
  it("sumsq_f64 sums in its fixed order, exactly", () => {
    const x = vec(16, 3);
    // two f64x2 accumulators over blocks of 4: lanes (0,1) and (2,3); then pairwise; then the tail
    const acc = [0, 0, 0, 0];
    let i = 0;
    for (; i + 4 <= N; i += 4) for (let l = 0; l < 4; l++) acc[l] += x[i + l] * x[i + l];
    let s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (; i < N; i++) s += x[i] * x[i];
    expect(K().sumsq_f64(T(x).ptr, N)).toBe(s);
  });

  it("scale multiplies in place", () => {
    const x = vec(17), t = T(x);
    K().scale(t.ptr, N, 0.37);
    expectBits(t, Array.from(x, (v) => f(v * f(0.37))), "x");
  });

  it("math_cos is exact where the answer is", () => {
    expect(K().math_cos(0)).toBe(1);
    expect(K().math_cos(Math.PI)).toBe(-1);
    expect(Math.abs(K().math_cos(Math.PI / 3) - 0.5)).toBeLessThan(1e-15);
  });
});
