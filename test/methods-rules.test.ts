// Each combination rule on fixed gradients against our own PyTorch reference of the
// paper's rule (build/methods_golden.py -> test/fixtures/methods.json), plus hand
// computations and properties the papers state (MGDA's common descent, UPGrad's
// non-conflict, IMTL's equal projections, Nash's bargaining identity ...).
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { mgdaWeights } from "../src/mtl/weighting/mgda.js";
import { cagradWeights } from "../src/mtl/weighting/cagrad.js";
import { imtlGWeights } from "../src/mtl/weighting/imtl.js";
import { nashMtlWeights } from "../src/mtl/weighting/nashmtl.js";
import { fairGradWeights } from "../src/mtl/weighting/fairgrad.js";
import { dualProjWeights, upgradWeights } from "../src/mtl/weighting/upgrad.js";
import { alignedMtlWeights } from "../src/mtl/weighting/alignedmtl.js";
import { configWeights } from "../src/mtl/weighting/config.js";
import { sdmGradWeights } from "../src/mtl/weighting/sdmgrad.js";
import { gradVacWeights } from "../src/mtl/weighting/gradvac.js";
import { gradDrop } from "../src/mtl/weighting/graddrop.js";
import { krumWeights } from "../src/mtl/weighting/krum.js";
import { trimmedMean } from "../src/mtl/weighting/trimmedmean.js";
import { dbMtlScales } from "../src/mtl/weighting/dbmtl.js";
import { mocoLambda } from "../src/mtl/weighting/moco.js";
import { modoLambda } from "../src/mtl/weighting/modo.js";
import { excessMtlWeights, excessRisk } from "../src/mtl/weighting/excessmtl.js";
import { crMogmWeights } from "../src/mtl/weighting/crmogm.js";
import { glsWeights } from "../src/mtl/weighting/gls.js";
import { stchWeights } from "../src/mtl/weighting/stch.js";
import { pbiWeights } from "../src/mtl/weighting/pbi.js";
import { dwaWeights } from "../src/mtl/weighting/dwa.js";
import { rlwWeights } from "../src/mtl/weighting/rlw.js";
import { gradNormGrad, gradNormRenormalize } from "../src/mtl/weighting/gradnorm.js";
import { adamStep, famoLogitGrad, famoWeights } from "../src/mtl/weighting/famo.js";
import { matVec, type Matrix } from "../src/mtl/weighting/solvers.js";

interface Case { T: number; P: number; grads: number[]; losses: number[]; expect: Record<string, number[] | number[][]> }
const fx = JSON.parse(readFileSync(new URL("./fixtures/methods.json", import.meta.url), "utf8")) as { cases: Case[]; lossWeighting: Record<string, any> };

const rows = (c: Case, flat = c.grads): number[][] => Array.from({ length: c.T }, (_, i) => flat.slice(i * c.P, (i + 1) * c.P));
const gram = (J: number[][]): Matrix => J.map((a) => J.map((b) => a.reduce((s, x, k) => s + x * b[k], 0)));
const combine = (J: number[][], w: number[]): number[] => J[0].map((_, k) => J.reduce((s, g, i) => s + w[i] * g[k], 0));
/** max |a - b| / max |b| (relative to the reference vector's scale). */
const relErr = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let d = 0, m = 0;
  for (let k = 0; k < b.length; k++) { d = Math.max(d, Math.abs(a[k] - b[k])); m = Math.max(m, Math.abs(b[k])); }
  return d / Math.max(m, 1e-300);
};

/** Largest relative difference per method over the cases (printed for the report). */
const worst: Record<string, number> = {};
function check(name: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: number): void {
  const e = relErr(got, want);
  worst[name] = Math.max(worst[name] ?? 0, e);
  expect(e, name).toBeLessThan(tol);
}

describe("gradient rules vs the PyTorch reference (test/fixtures/methods.json)", () => {
  fx.cases.forEach((c, ci) => {
    const J = rows(c), G = gram(J), T = c.T, e = c.expect as Record<string, number[]>;
    it(`case ${ci}: T = ${T}, P = ${c.P}${ci === 3 ? " (gradients x300)" : ""}`, () => {
      check("MGDA", combine(J, mgdaWeights(G)), e.MGDA, 1e-9);
      check("MGDA (Frank-Wolfe)", combine(J, mgdaWeights(G, { solver: "frank-wolfe" })), e["MGDA-FW"], 1e-9);
      check("MGDA (l2)", combine(J, mgdaWeights(G, { normalization: "l2" })), e["MGDA-l2"], 1e-9);
      check("CAGrad", combine(J, cagradWeights(G, 0.5)), e.CAGrad, 1e-6);
      if (e["IMTL-G"]) {
        check("IMTL-G", combine(J, imtlGWeights(G)), e["IMTL-G"], 1e-9);
        check("Nash-MTL", combine(J, nashMtlWeights(G)), e["Nash-MTL"], 1e-7);
        check("FairGrad", combine(J, fairGradWeights(G, 2)), e["FairGrad-2"], 1e-7);
      }
      check("UPGrad", combine(J, upgradWeights(G)), e.UPGrad, 1e-9);
      check("DualProj", combine(J, dualProjWeights(G, G.map(() => 1 / T))), e.DualProj, 1e-9);
      check("Aligned-MTL", combine(J, alignedMtlWeights(G)), e["Aligned-MTL"], 1e-9);
      check("ConFIG", combine(J, configWeights(G)), e.ConFIG, 1e-9);
      check("SDMGrad", combine(J, sdmGradWeights(G, 0.3)), e.SDMGrad, 1e-9);
      const targets = G.map(() => G.map(() => 0));
      const orders = G.map((_, i) => Array.from({ length: T - 1 }, (__, k) => (i + 1 + k) % T));
      check("GradVac", combine(J, gradVacWeights(G, targets, 0.5, orders)), e["GradVac-1"], 1e-9);
      const J2 = J.map((g) => [...g].reverse());
      check("GradVac (2nd step, EMA targets)", combine(J2, gradVacWeights(gram(J2), targets, 0.5, orders)), e["GradVac-2"], 1e-9);
      check("GradDrop", gradDrop(J, e.uniforms), e.GradDrop, 1e-12);
      check("GradDrop (leak)", gradDrop(J, e.uniforms, 0.25), e["GradDrop-leak"], 1e-12);
      if (e["Krum-1"]) {
        check("Krum", combine(J, krumWeights(G, 1, 1)), e["Krum-1"], 1e-12);
        check("Multi-Krum", combine(J, krumWeights(G, 1, 2)), e["Krum-2"], 1e-12);
        check("TrimmedMean", trimmedMean(J, 1), e["TrimmedMean-1"], 1e-12);
        check("TrimmedMean (f = 2)", trimmedMean(J, 2), e["TrimmedMean-2"], 1e-12);
      }
      // stateful rules: three steps on J, J reversed, J rolled by one
      const steps = [J, J.map((g) => [...g].reverse()), J.map((g) => [g[g.length - 1], ...g.slice(0, -1)])];
      const ee = c.expect as Record<string, number[][]>;
      let buf = J.map((g) => g.map(() => 0));
      let Y = J.map((g) => g.map(() => 0));
      let lm = G.map(() => 1 / T), ld = G.map(() => 1 / T);
      const acc = J.map(() => new Float64Array(c.P));
      let wts = G.map(() => 1), init: number[] | null = null;
      steps.forEach((Jk, k) => {
        const gl = Jk.map((g, i) => g.map((x) => x / (c.losses[i] * (1 + 0.1 * k) + 1e-8)));
        buf = buf.map((b, i) => b.map((x, p) => 0.9 * x + 0.1 * gl[i][p]));
        const s = dbMtlScales(gram(buf).map((r, i) => r[i]));
        check("DB-MTL", combine(buf, s), ee["DB-MTL"][k], 1e-12);
        Y = Y.map((y, i) => y.map((x, p) => x - 0.5 * (x - Jk[i][p])));
        lm = mocoLambda(gram(Y), lm, 0.1, 0.05);
        check("MoCo", combine(Y, lm), ee.MoCo[k], 1e-12);
        ld = modoLambda(gram(Jk), ld, 0.1, 0.05);
        check("MoDo", combine(Jk, ld), ee.MoDo[k], 1e-12);
        const risks = Jk.map((g, i) => excessRisk(g, acc[i]));
        if (!init) init = risks; else wts = excessMtlWeights(wts, risks, init, 0.1);
        check("ExcessMTL", wts, ee.ExcessMTL[k], 1e-12);
      });
    });
  });
  it("reports the largest differences", () => {
    console.log("largest relative difference vs the torch reference:\n" + Object.entries(worst).map(([k, v]) => `  ${k}: ${v.toExponential(2)}`).join("\n"));
    expect(Object.keys(worst).length).toBeGreaterThan(20);
  });
});

describe("properties the papers state", () => {
  const c = fx.cases[2], J = rows(c), G = gram(J);
  it("MGDA: the update does not increase any task's loss to first order (g_i.d >= |d|^2)", () => {
    const w = mgdaWeights(G), Gw = matVec(G, w), dd = w.reduce((s, x, i) => s + x * Gw[i], 0);
    Gw.forEach((x) => expect(x).toBeGreaterThanOrEqual(dd - 1e-12));
  });
  it("UPGrad and DualProj: no task gradient conflicts with the update", () => {
    for (const w of [upgradWeights(G), dualProjWeights(G)]) matVec(G, w).forEach((x) => expect(x).toBeGreaterThanOrEqual(-1e-12));
  });
  it("IMTL-G: the update has equal projections on every unit task gradient and weights summing to 1", () => {
    const a = imtlGWeights(G), Ga = matVec(G, a);
    const p = Ga.map((x, i) => x / Math.sqrt(G[i][i]));
    p.forEach((x) => expect(x).toBeCloseTo(p[0], 10));
    expect(a.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 12);
  });
  it("Nash-MTL: a_i (G a)_i = 1; maxNorm clips the update", () => {
    const a = nashMtlWeights(G), Ga = matVec(G, a);
    a.forEach((x, i) => expect(x * Ga[i]).toBeCloseTo(1, 10));
    const b = nashMtlWeights(G, 0.5), Gb = matVec(G, b);
    expect(Math.sqrt(b.reduce((s, x, i) => s + x * Gb[i], 0))).toBeCloseTo(0.5, 12);
  });
  it("FairGrad with alpha = 1 is Nash-MTL", () => {
    const a = nashMtlWeights(G), f = fairGradWeights(G, 1);
    f.forEach((x, i) => expect(x).toBeCloseTo(a[i], 10));
  });
  it("ConFIG: equal cosine with every task gradient", () => {
    const w = configWeights(G), Gw = matVec(G, w);
    const cos = Gw.map((x, i) => x / Math.sqrt(G[i][i]));
    cos.forEach((x) => expect(x / cos[0]).toBeCloseTo(1, 10));
  });
  it("Aligned-MTL: orthogonal gradients of equal norm are summed unchanged", () => {
    const w = alignedMtlWeights([[4, 0], [0, 4]]);
    expect(w[0]).toBeCloseTo(1, 14); expect(w[1]).toBeCloseTo(1, 14);
    const v = alignedMtlWeights([[4, 0], [0, 1]]); // aligned to the smaller norm: g0/2 + g1
    expect(v[0]).toBeCloseTo(0.5, 14); expect(v[1]).toBeCloseTo(1, 14);
  });
  it("CAGrad with c = 0 is the mean gradient; SDMGrad with lambda = 0 is MGDA", () => {
    cagradWeights(G, 0, 0).forEach((x) => expect(x).toBeCloseTo(1 / c.T, 14));
    const m = mgdaWeights(G);
    sdmGradWeights(G, 0).forEach((x, i) => expect(x).toBeCloseTo(m[i], 10));
  });
  it("Krum ignores an outlier gradient", () => {
    const pts = [[1, 0], [1.1, 0.1], [0.9, -0.1], [1, 0.05], [100, -100]];
    const w = krumWeights(gram(pts), 1, 3);
    expect(w[4]).toBe(0);
    expect(() => krumWeights(gram(pts.slice(0, 4)), 1)).toThrow(/T >= 2f \+ 3/);
  });
  it("CR-MOGM smooths the base weights", () => {
    expect(crMogmWeights(null, [0.2, 0.8], 0.9)).toEqual([0.2, 0.8]);
    const w = crMogmWeights([0.2, 0.8], [1, 0], 0.75);
    expect(w[0]).toBeCloseTo(0.4, 15); expect(w[1]).toBeCloseTo(0.6, 15);
  });
  it("bad input names the method and the problem", () => {
    expect(() => mgdaWeights([[1, 0]])).toThrow(/MGDA: the Gram matrix must be 1 x 1/);
    expect(() => cagradWeights(G, -1)).toThrow(/CAGrad: c must be >= 0/);
    expect(() => imtlGWeights([[1, 0], [0, 0]])).toThrow(/IMTL: a task gradient is zero/);
    expect(() => trimmedMean(J, 3)).toThrow(/TrimmedMean: f must be/);
    expect(() => gradDrop(J, [0.5])).toThrow(/GradDrop: gradient 0 has/);
  });
});

describe("loss weightings vs the PyTorch reference", () => {
  const lw = fx.lossWeighting, Ls = lw.losses as number[];
  it("GLS: geometric mean and its gradient (autograd)", () => {
    const r = glsWeights(Ls);
    expect(r.total).toBeCloseTo(lw.GLS.total, 13);
    check("GLS", r.weights, lw.GLS.weights, 1e-13);
  });
  it("STCH: mu logsumexp and its gradient", () => {
    const r = stchWeights(Ls, lw.STCH.pref, lw.STCH.mu, lw.STCH.ideal);
    expect(r.total).toBeCloseTo(lw.STCH.total, 13);
    check("STCH", r.weights, lw.STCH.weights, 1e-13);
  });
  it("PBI: d1 + theta d2 and its gradient", () => {
    const r = pbiWeights(Ls, lw.STCH.pref, lw.PBI.theta, lw.STCH.ideal);
    expect(r.total).toBeCloseTo(lw.PBI.total, 13);
    check("PBI", r.weights, lw.PBI.weights, 1e-13);
  });
  it("DWA and RLW: softmaxes", () => {
    check("DWA", dwaWeights(lw.DWA.last, lw.DWA.before, 2)!, lw.DWA.weights, 1e-14);
    expect(dwaWeights(null, null)).toBeNull();
    check("RLW", rlwWeights(lw.RLW.normals), lw.RLW.weights, 1e-14);
  });
  it("GradNorm: L_grad and its gradient w.r.t. the weights (target held constant)", () => {
    const g = lw.GradNorm;
    const r = gradNormGrad(g.w, g.norms, Ls, g.initial, g.alpha);
    expect(r.loss).toBeCloseTo(g.loss, 12);
    check("GradNorm", r.grad, g.grad, 1e-14);
    const n = gradNormRenormalize([1, 3, -1, 0]);
    expect(n.reduce((s, x) => s + x, 0)).toBeCloseTo(4, 14);
  });
  it("FAMO: weights, the logits' gradient and torch's Adam with weight decay", () => {
    const f = lw.FAMO;
    check("FAMO weights", famoWeights(f.logits, Ls), f.weights, 1e-13);
    const d = famoLogitGrad(f.logits, Ls, f.after);
    check("FAMO logit gradient", d, f.logitGrad, 1e-12);
    const x = [...f.logits], m = x.map(() => 0), v = x.map(() => 0);
    adamStep(x, d, m, v, 1, 0.025, 1e-3);
    adamStep(x, d.map((y) => y * 0.5), m, v, 2, 0.025, 1e-3);
    check("FAMO Adam", x, f.logitsAfterTwoAdamSteps, 1e-12);
  });
});
