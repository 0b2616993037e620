// The weighting methods' solvers, each alone: optimality certified by the KKT conditions
// (complete certificates for these convex problems), cross-checked by brute force over
// supports or a grid, and closed forms where they exist; plus the deterministic exp/log.
import { describe, it, expect } from "vitest";
import { exp, log, pow, softmax, logSumExp } from "../src/mtl/weighting/fmath.js";
import {
  alphaFair, cagradDual, lowerBoundedQP, matVec, minNorm2, minNormFrankWolfe, minNormPoint, pinvSym,
  projectSimplex, quad, solveLinear, symEig, type Matrix,
} from "../src/mtl/weighting/solvers.js";

/** A seeded stream of uniforms in [0, 1) (mulberry32) so the cases are fixed. */
export function uniforms(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
/** T random vectors in R^P (entries in [-1, 1) plus a per-vector bias, so some conflict and some agree) and their Gram matrix. */
function randomGram(T: number, P: number, seed: number, bias = 0.3): { g: number[][]; G: Matrix } {
  const u = uniforms(seed);
  const common = Array.from({ length: P }, () => u() * 2 - 1);
  const g = Array.from({ length: T }, () => Array.from({ length: P }, (_, k) => (u() * 2 - 1) + bias * common[k]).map((x) => x * (0.2 + 3 * u())));
  const G = g.map((a) => g.map((b) => a.reduce((s, x, k) => s + x * b[k], 0)));
  return { g, G };
}
const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);

describe("fmath: deterministic exp / log", () => {
  it("exp and log are within 2 ulp of the engine's over a wide range", () => {
    const u = uniforms(1);
    let worstE = 0, worstL = 0;
    for (let i = 0; i < 20000; i++) {
      const x = (u() * 2 - 1) * (i % 4 === 0 ? 700 : i % 4 === 1 ? 20 : i % 4 === 2 ? 1 : 1e-6);
      worstE = Math.max(worstE, Math.abs(exp(x) - Math.exp(x)) / Math.exp(x));
      const y = Math.exp((u() * 2 - 1) * 700);
      worstL = Math.max(worstL, Math.abs(log(y) - Math.log(y)) / Math.max(Math.abs(Math.log(y)), 1e-300));
    }
    expect(worstE).toBeLessThan(4.5e-16);
    expect(worstL).toBeLessThan(4.5e-16);
    expect(exp(0)).toBe(1); expect(log(1)).toBe(0);
    expect(exp(1000)).toBe(Infinity); expect(exp(-1000)).toBe(0); expect(log(0)).toBe(-Infinity);
    expect(Number.isNaN(log(-1))).toBe(true);
    expect(Math.abs(log(5e-324) - Math.log(5e-324))).toBeLessThan(1e-12);
    expect(Math.abs(log(1 + 1e-12) - Math.log(1 + 1e-12))).toBeLessThan(1e-27);
    expect(pow(2, 10)).toBeCloseTo(1024, 10);
    expect(pow(9, 0.5)).toBeCloseTo(3, 14);
  });
  it("softmax sums to one and survives large inputs; logSumExp is stable", () => {
    const s = softmax([1000, 1001, 1002]);
    expect(sum(s)).toBeCloseTo(1, 15);
    expect(s[2] / s[1]).toBeCloseTo(Math.E, 12);
    expect(logSumExp([1000, 1000])).toBeCloseTo(1000 + Math.LN2, 12);
  });
});

describe("linear algebra", () => {
  it("solveLinear solves a pivoting-needing system and reports singular ones", () => {
    const x = solveLinear([[0, 1, 2], [1, 0, 3], [4, -3, 8]], [1, 2, 3])!;
    expect(matVec([[0, 1, 2], [1, 0, 3], [4, -3, 8]], x).map((v, i) => v - [1, 2, 3][i]).every((d) => Math.abs(d) < 1e-13)).toBe(true);
    expect(solveLinear([[1, 2], [2, 4]], [1, 2])).toBeNull();
  });
  it("symEig reconstructs S with orthonormal vectors; pinvSym is the pseudo-inverse", () => {
    const { G } = randomGram(6, 4, 3); // rank 4 of 6
    const { values, vectors: V } = symEig(G);
    for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) {
      let r = 0, o = 0;
      for (let k = 0; k < 6; k++) { r += V[i][k] * values[k] * V[j][k]; o += V[k][i] * V[k][j]; }
      expect(Math.abs(r - G[i][j])).toBeLessThan(1e-12 * values[5]);
      expect(Math.abs(o - (i === j ? 1 : 0))).toBeLessThan(1e-13);
    }
    expect(values.slice(0, 2).every((v) => Math.abs(v) < 1e-12 * values[5])).toBe(true);
    const Pi = pinvSym(G);
    // G Pi G = G
    const GPi = G.map((row) => Pi[0].map((_, j) => row.reduce((s, x, k) => s + x * Pi[k][j], 0)));
    for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) {
      const v = GPi[i].reduce((s, x, k) => s + x * G[k][j], 0);
      expect(Math.abs(v - G[i][j])).toBeLessThan(1e-10 * values[5]);
    }
  });
});

describe("projectSimplex", () => {
  it("matches the KKT conditions and a brute-force grid", () => {
    const u = uniforms(7);
    for (let c = 0; c < 200; c++) {
      const v = Array.from({ length: 1 + (c % 6) }, () => (u() * 2 - 1) * 3);
      const w = projectSimplex(v);
      expect(Math.abs(sum(w) - 1)).toBeLessThan(1e-14);
      // KKT: w = max(v - theta, 0) for one theta
      const sup = w.map((x, i) => (x > 0 ? v[i] - x : NaN)).filter((x) => !Number.isNaN(x));
      for (const t of sup) expect(Math.abs(t - sup[0])).toBeLessThan(1e-12);
      w.forEach((x, i) => { if (x === 0) expect(v[i]).toBeLessThanOrEqual(sup[0] + 1e-12); });
    }
    const v = [0.9, 0.4, -0.2];
    const w = projectSimplex(v);
    const d = (a: number[]) => a.reduce((s, x, i) => s + (x - v[i]) * (x - v[i]), 0);
    let best = Infinity;
    for (let a = 0; a <= 400; a++) for (let b = 0; a + b <= 400; b++) best = Math.min(best, d([a / 400, b / 400, (400 - a - b) / 400]));
    expect(d(w)).toBeLessThanOrEqual(best + 1e-12);
    expect(w).toEqual([0.75, 0.25, 0]); // closed form: theta = 0.15
  });
});

/** KKT residual of min_{w in simplex} w'Gw: max over j of (w'Gw - (Gw)_j)+ and over the support of |(Gw)_j - w'Gw|. */
function minNormKkt(G: Matrix, w: number[]): number {
  const Gw = matVec(G, w), q = quad(G, w);
  let r = 0;
  w.forEach((x, j) => { r = Math.max(r, q - Gw[j]); if (x > 1e-9) r = Math.max(r, Math.abs(Gw[j] - q)); });
  return r;
}

describe("min-norm point (MGDA)", () => {
  it("two vectors: the closed form of Sener & Koltun's Algorithm 1", () => {
    expect(minNorm2(1, 0, 1)).toBe(0.5);
    expect(minNorm2(1, 2, 5)).toBe(1); // a.b >= a.a: the point a itself
    const G = [[4, 1], [1, 1]];
    const w = minNormPoint(G);
    expect(w[0]).toBeCloseTo(0, 14); // b alone: (1 - 1) / (4 + 1 - 2) = 0
    const G2 = [[4, -1], [-1, 2]];
    expect(minNormPoint(G2)[0]).toBeCloseTo(3 / 8, 14); // (2 + 1) / (4 + 2 + 2)
  });
  it("is exactly optimal for T = 2..10 (KKT certificate), and Frank-Wolfe is never better", () => {
    let fwWorst = 1;
    for (let c = 0; c < 120; c++) {
      const T = 2 + (c % 9), P = c % 3 === 0 ? Math.max(1, T - 2) : 20; // some rank-deficient
      const { G } = randomGram(T, P, 100 + c, (c % 5) * 0.3);
      const w = minNormPoint(G);
      expect(w.every((x) => x >= 0)).toBe(true);
      expect(Math.abs(sum(w) - 1)).toBeLessThan(1e-13);
      const scale = Math.max(...G.map((r, i) => r[i]));
      expect(minNormKkt(G, w), `case ${c}`).toBeLessThan(1e-10 * scale);
      const fw = minNormFrankWolfe(G);
      expect(quad(G, fw)).toBeGreaterThanOrEqual(quad(G, w) - 1e-12 * scale);
      fwWorst = Math.max(fwWorst, quad(G, fw) / Math.max(quad(G, w), 1e-30 * scale));
    }
    expect(fwWorst).toBeGreaterThan(1.01); // the reason an exact solver exists
  });
  it("T = 3: agrees with a brute-force grid over the simplex", () => {
    for (let c = 0; c < 5; c++) {
      const { G } = randomGram(3, 5, 300 + c, 0.5);
      const w = minNormPoint(G);
      let best = Infinity;
      const N = 150;
      for (let a = 0; a <= N; a++) for (let b = 0; a + b <= N; b++) best = Math.min(best, quad(G, [a / N, b / N, (N - a - b) / N]));
      expect(quad(G, w)).toBeLessThanOrEqual(best + 1e-12);
      expect(best - quad(G, w)).toBeLessThan(1e-3 * G[0][0]);
    }
  });
  it("0 in the hull: the point is 0", () => {
    const G = [[1, -1, 0], [-1, 1, 0], [0, 0, 1]]; // g1 = -g0, g2 orthogonal
    const w = minNormPoint(G);
    expect(quad(G, w)).toBeLessThan(1e-15);
  });
});

describe("lowerBoundedQP (UPGrad, DualProj)", () => {
  it("satisfies the KKT conditions: v >= l, Gv >= 0, (Gv)_i = 0 where v_i > l_i", () => {
    for (let c = 0; c < 150; c++) {
      const T = 2 + (c % 8), P = c % 4 === 0 ? Math.max(1, T - 1) : 15;
      const { G } = randomGram(T, P, 500 + c, (c % 4) * 0.4 - 0.4);
      const l = c % 2 ? G.map((_, i) => (i === c % T ? 1 : 0)) : G.map(() => 1 / T);
      const v = lowerBoundedQP(G, l);
      const Gv = matVec(G, v);
      const scale = Math.max(...G.map((r, i) => r[i]));
      v.forEach((x, i) => {
        expect(x).toBeGreaterThanOrEqual(l[i]);
        expect(Gv[i], `case ${c} task ${i}`).toBeGreaterThan(-1e-10 * scale);
        if (x > l[i] + 1e-9) expect(Math.abs(Gv[i])).toBeLessThan(1e-9 * scale);
      });
    }
  });
  it("no conflict: returns the lower bound itself", () => {
    const G = [[2, 1], [1, 3]];
    expect(lowerBoundedQP(G, [1, 0])).toEqual([1, 0]);
  });
  it("two conflicting vectors: the closed-form projection", () => {
    // g0 = (1, 0), g1 = (-1, 1): project g0 onto {x : g1.x >= 0}: x = (1/2, 1/2) = g0 + g1/2
    const G = [[1, -1], [-1, 2]];
    const v = lowerBoundedQP(G, [1, 0]);
    expect(v[0]).toBeCloseTo(1, 14); expect(v[1]).toBeCloseTo(0.5, 14);
  });
});

describe("cagradDual", () => {
  const objective = (G: Matrix, c: number, w: number[]) => {
    const T = G.length, b = matVec(G, G.map(() => 1 / T));
    const g0 = Math.sqrt(b.reduce((s, x) => s + x / T, 0));
    return w.reduce((s, x, i) => s + x * b[i], 0) + c * g0 * Math.sqrt(quad(G, w));
  };
  it("T = 3: no point of a fine grid does better", () => {
    for (let c = 0; c < 6; c++) {
      const { G } = randomGram(3, 6, 700 + c, 0.2 * c);
      const w = cagradDual(G, 0.5);
      let best = Infinity;
      const N = 150;
      for (let a = 0; a <= N; a++) for (let b = 0; a + b <= N; b++) best = Math.min(best, objective(G, 0.5, [a / N, b / N, (N - a - b) / N]));
      expect(objective(G, 0.5, w)).toBeLessThanOrEqual(best + 1e-12);
    }
  });
  it("T = 2..8: the KKT conditions hold; large Gram entries (|g| ~ 900) do not stall it", () => {
    for (let c = 0; c < 80; c++) {
      const T = 2 + (c % 7);
      const { G: G0 } = randomGram(T, c % 10 === 9 ? 2 : 12, 800 + c, 0.3 * (c % 4)); // some rank-deficient (iterative fallback)
      const G = c % 3 === 0 ? G0.map((r) => r.map((x) => x * 9e4)) : G0;
      const cc = [0.2, 0.5, 0.9][c % 3];
      const w = cagradDual(G, cc);
      const b = matVec(G, G.map(() => 1 / T));
      const r = cc * Math.sqrt(b.reduce((s, x) => s + x / T, 0));
      const q = Math.sqrt(quad(G, w));
      const grad = matVec(G, w).map((x, i) => b[i] + (r * x) / q);
      const nu = Math.min(...grad);
      const scale = Math.max(...G.map((row, i) => row[i]));
      w.forEach((x, i) => { if (x > 1e-9) expect(grad[i] - nu, `case ${c}`).toBeLessThan((c % 10 === 9 ? 1e-6 : 1e-8) * scale); });
      expect(Math.abs(sum(w) - 1)).toBeLessThan(1e-12);
    }
  });
  it("c = 0 picks the vertex that best serves the mean gradient", () => {
    expect(cagradDual([[1, 0], [0, 3]], 0)).toEqual([1, 0]);
  });
});

describe("alphaFair (Nash-MTL, FairGrad)", () => {
  it("alpha = 1 solves w_i (Gw)_i = 1; orthogonal gradients give w_i = 1/|g_i|", () => {
    const w = alphaFair([[4, 0], [0, 9]]);
    expect(w[0]).toBeCloseTo(0.5, 14); expect(w[1]).toBeCloseTo(1 / 3, 14);
    for (let c = 0; c < 30; c++) {
      const T = 2 + (c % 6);
      const { G } = randomGram(T, 10, 900 + c, 0.4 * (c % 3));
      const w1 = alphaFair(G, 1);
      const Gw = matVec(G, w1);
      w1.forEach((x, i) => { expect(x).toBeGreaterThan(0); expect(Math.abs(x * Gw[i] - 1), `case ${c}`).toBeLessThan(1e-10); });
      const a = [0.5, 2, 5][c % 3];
      const wa = alphaFair(G, a);
      const Gwa = matVec(G, wa);
      wa.forEach((x, i) => expect(Math.abs(Gwa[i] / pow(x, -1 / a) - 1), `case ${c} alpha ${a}`).toBeLessThan(1e-9));
    }
  });
  it("linearly dependent gradients: a clear error", () => {
    expect(() => alphaFair([[1, -1], [-1, 1]])).toThrow(/linearly dependent/);
  });
});

describe("cagradDual at the mean's optimum", () => {
  it("nearly opposite gradients (|g0|^2 rounds below zero) give finite weights", () => {
    const G = [[1.9581569648180437, -1.9581569636855163], [-1.9581569636855163, 1.9581569625529887]];
    const w = cagradDual(G, 0.5);
    expect(w.every(Number.isFinite)).toBe(true);
    expect(Math.abs(w[0] + w[1] - 1)).toBeLessThan(1e-12);
  });
});
