// matmul: the packed SIMD kernel against the scalar reference (shapes, transposes,
// alpha/beta), the op and its gradient against PyTorch, finite differences, determinism.
import { describe, it, expect, beforeAll } from "vitest";
import { init, tensor, zeros, matmul, gradients, scope, Rng, randn } from "../src/index.js";
import { K } from "../src/engine/engine.js";
import { loadGolden, fromGolden, expectClose, gradCheck } from "./helpers.js";

beforeAll(async () => { await init(); });

type Combo = [transA: boolean, transB: boolean];
const COMBOS: Combo[] = [[false, false], [true, false], [false, true], [true, true]];
const name = ([tA, tB]: Combo) => `${tA ? "T" : "N"}${tB ? "T" : "N"}`;

/** Deterministic values in [-1, 1) from a small LCG, so failures reproduce exactly. */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

interface Case { m: number; n: number; k: number; alpha: number; beta: number }

/**
 * Run `matmul` and `matmul_ref` on the same inputs (A and B stored for the given transposes)
 * and C (prefilled with NaN when beta == 0, which must not leak). The allowed difference per
 * element is the rounding-error bound of two k-term f32 sums, 2 (k + 2) u sum|alpha a b| + |beta c|,
 * with the magnitudes taken from the reference kernel on |A| and |B|.
 */
function compare({ m, n, k, alpha, beta }: Case, [tA, tB]: Combo): void {
  scope(() => {
    const av = values(m * k, m * 7 + k), bv = values(k * n, n * 13 + k + 1), cv = values(m * n, 99);
    if (beta === 0) cv.fill(NaN);
    const a = tensor(av, tA ? [k, m] : [m, k]), b = tensor(bv, tB ? [n, k] : [k, n]);
    const absA = tensor(av.map(Math.abs), a.shape), absB = tensor(bv.map(Math.abs), b.shape);
    const fast = tensor(cv, [m, n]), ref = tensor(cv, [m, n]), mag = zeros([m, n]);
    K().matmul(fast.ptr, a.ptr, b.ptr, m, n, k, +tA, +tB, alpha, beta);
    K().matmul_ref(ref.ptr, a.ptr, b.ptr, m, n, k, +tA, +tB, alpha, beta);
    K().matmul_ref(mag.ptr, absA.ptr, absB.ptr, m, n, k, +tA, +tB, 1, 0);
    const f = fast.data(), r = ref.data(), g = mag.data();
    const u = 2 ** -24;
    for (let i = 0; i < m * n; i++) {
      const bound = Math.abs(alpha) * g[i] + (beta === 0 ? 0 : Math.abs(beta * cv[i]));
      const tol = 2 * (k + 2) * u * bound + 1e-30;
      if (!(Math.abs(f[i] - r[i]) <= tol)) {
        throw new Error(`matmul ${m}x${n}x${k} ${name([tA, tB])} alpha=${alpha} beta=${beta}: ` +
          `element (${Math.floor(i / n)}, ${i % n}) is ${f[i]}, reference ${r[i]} (tolerance ${tol})`);
      }
    }
  });
}

describe("matmul kernel vs matmul_ref", () => {
  const shapes: [number, number, number][] = [
    [1, 1, 1], [7, 13, 5], [1, 300, 17], [300, 1, 17], [17, 1, 300], [1, 1, 1000], [65, 33, 129],
    [4, 8, 1], [5, 9, 3], [3, 7, 2], [8, 16, 256], [8, 16, 257], [33, 17, 600], [129, 264, 31], [200, 300, 70],
  ];
  for (const combo of COMBOS) {
    it(`awkward shapes, ${name(combo)}`, () => {
      for (const [m, n, k] of shapes) compare({ m, n, k, alpha: 1, beta: 0 }, combo);
    });
    it(`alpha and beta, ${name(combo)}`, () => {
      for (const [alpha, beta] of [[2, 0], [-0.5, 1], [1, 0.25], [0.75, -2], [0, 1]]) {
        for (const [m, n, k] of [[7, 13, 5], [65, 33, 129], [10, 20, 300]]) compare({ m, n, k, alpha, beta }, combo);
      }
    });
    it(`k = 0 gives beta C (or zeros), ${name(combo)}`, () => {
      compare({ m: 5, n: 6, k: 0, alpha: 1, beta: 0 }, combo);
      compare({ m: 5, n: 6, k: 0, alpha: 1, beta: 0.5 }, combo);
    });
  }

  it("256x512x512 in every transpose combination", () => {
    for (const combo of COMBOS) compare({ m: 256, n: 512, k: 512, alpha: 1, beta: 0 }, combo);
  });

  it("beta = 0 ignores NaN in C; m = 0 or n = 0 touch nothing", () => {
    scope(() => {
      const a = tensor(values(12, 1), [3, 4]), b = tensor(values(20, 2), [4, 5]);
      const c = tensor(new Float32Array(15).fill(NaN), [3, 5]);
      K().matmul(c.ptr, a.ptr, b.ptr, 3, 5, 4, 0, 0, 1, 0);
      expect(Array.from(c.data()).every(Number.isFinite)).toBe(true);
      const guard = tensor([7, 7, 7, 7]);
      K().matmul(guard.ptr, a.ptr, b.ptr, 0, 4, 4, 0, 0, 1, 0);
      K().matmul(guard.ptr, a.ptr, b.ptr, 4, 0, 4, 0, 0, 1, 0);
      expect(Array.from(guard.data())).toEqual([7, 7, 7, 7]);
    });
  });
});

describe("matmul op vs PyTorch", () => {
  for (const key of ["matmul", "matmul_tn", "matmul_nt", "matmul_tt"]) {
    it(key, () => {
      const c = loadGolden().ops[key];
      const a = fromGolden(c.inputs.a), b = fromGolden(c.inputs.b);
      a.requiresGrad = true; b.requiresGrad = true;
      const y = matmul(a, b, { transA: c.attrs.transpose_a, transB: c.attrs.transpose_b });
      expectClose(y, c.y, 1e-5, 1e-6, `${key} y`);
      const [ga, gb] = gradients(y, [a, b], [fromGolden(c.g)]);
      expectClose(ga, c.grad_a, 1e-5, 1e-6, `${key} grad_a`);
      expectClose(gb, c.grad_b, 1e-5, 1e-6, `${key} grad_b`);
    });
  }

  it("gradients match finite differences in every transpose combination", () => {
    const rng = new Rng(11);
    for (const [transA, transB] of COMBOS) {
      const a = randn(transA ? [5, 3] : [3, 5], 0, 1, rng), b = randn(transB ? [4, 5] : [5, 4], 0, 1, rng);
      gradCheck((x, w) => matmul(x, w, { transA, transB }), [a, b]);
    }
  });

  it("shape errors name both operands", () => {
    const a = zeros([2, 3]), b = zeros([4, 5]);
    expect(() => matmul(a, b)).toThrow(/inner dimensions differ.*\[2, 3\].*\[4, 5\]/);
  });
});

describe("matmul determinism", () => {
  it("the same inputs give bit-identical outputs, whatever else ran in between", () => {
    const run = (m: number, n: number, k: number, tA: boolean, tB: boolean): Uint32Array => scope(() => {
      const a = tensor(values(m * k, 5), tA ? [k, m] : [m, k]), b = tensor(values(k * n, 6), tB ? [n, k] : [k, n]);
      const y = matmul(a, b, { transA: tA, transB: tB });
      return new Uint32Array(y.f32().buffer);
    });
    for (const [tA, tB] of COMBOS) {
      const first = run(70, 90, 600, tA, tB);
      run(300, 20, 33, !tA, tB); // disturb the packing scratch between the two runs
      expect(run(70, 90, 600, tA, tB)).toEqual(first);
    }
  });
});
