// The papers' toy problems: the two-objective toy of CAGrad (Liu et al. 2021, Fig. 1,
// reused by Nash-MTL), uncertainty weighting recovering the label-noise ratio (Kendall
// et al. 2018), and GradNorm's synthetic regression tasks of very different scales
// (Chen et al. 2018, Section 4).
import { describe, it, expect, beforeAll } from "vitest";
import {
  init, Rng, MultiTaskDataset, task, SharedBottom, Trainer, Adam, randn, EqualWeighting, UncertaintyWeighting,
  type Task, type Weighting,
} from "../src/index.js";
import { cagradWeights, mgdaWeights, GradNorm } from "../src/methods/index.js";

beforeAll(async () => { await init(); });

// ---------------------------------------------------------------- the CAGrad toy
// f1, f2 on R^2 exactly as in the CAGrad authors' toy; analytic gradients.
const LOWER = 0.000005;
function toy(x1: number, x2: number): { f: [number, number]; g: [[number, number], [number, number]] } {
  const th = Math.tanh(x2), sech2 = 1 - th * th;
  const th2 = Math.tanh(x2 / 2), sech2h = 1 - th2 * th2;
  const a1 = -0.5 * x1 - 3.5 + th, a2 = -0.5 * x1 + 3.5 - th;
  const logc = (a: number) => Math.log(Math.max(Math.abs(a), LOWER)) + 6;
  const dlog = (a: number, da: number) => (Math.abs(a) > LOWER ? da / a : 0);
  const fl1 = logc(a1), fl2 = logc(a2);
  const dfl1 = [dlog(a1, -0.5), dlog(a1, sech2)], dfl2 = [dlog(a2, -0.5), dlog(a2, -sech2)];
  const c1 = Math.max(th2, 0), dc1 = th2 > 0 ? 0.5 * sech2h : 0;
  const c2 = Math.max(-th2, 0), dc2 = -th2 > 0 ? -0.5 * sech2h : 0;
  const fs1 = ((7 - x1) ** 2 + 0.1 * (x2 + 8) ** 2) / 10 - 20, fs2 = ((x1 + 7) ** 2 + 0.1 * (x2 + 8) ** 2) / 10 - 20;
  const dfs1 = [(x1 - 7) / 5, (x2 + 8) / 50], dfs2 = [(x1 + 7) / 5, (x2 + 8) / 50];
  const f1 = fl1 * c1 + fs1 * c2, f2 = fl2 * c1 + fs2 * c2;
  const g1: [number, number] = [dfl1[0] * c1 + dfs1[0] * c2, dfl1[1] * c1 + fl1 * dc1 + dfs1[1] * c2 + fs1 * dc2];
  const g2: [number, number] = [dfl2[0] * c1 + dfs2[0] * c2, dfl2[1] * c1 + fl2 * dc1 + dfs2[1] * c2 + fs2 * dc2];
  return { f: [f1, f2], g: [g1, g2] };
}

/**
 * Adam on x with the combined gradient of a rule. The authors run lr 1e-3 for 100k steps;
 * lr 2.5e-3 for 40k steps ends at the same points (checked) in a few seconds.
 */
function descend(start: [number, number], rule: (G: number[][]) => number[], steps: number, lr = 2.5e-3): [number, number] {
  const x = [...start] as [number, number], m = [0, 0], v = [0, 0];
  let b1t = 1, b2t = 1;
  for (let t = 1; t <= steps; t++) {
    const { g } = toy(x[0], x[1]);
    const G = [[g[0][0] ** 2 + g[0][1] ** 2, g[0][0] * g[1][0] + g[0][1] * g[1][1]], [0, g[1][0] ** 2 + g[1][1] ** 2]];
    G[1][0] = G[0][1];
    const w = rule(G);
    const d = [w[0] * g[0][0] + w[1] * g[1][0], w[0] * g[0][1] + w[1] * g[1][1]];
    b1t *= 0.9; b2t *= 0.999;
    for (let k = 0; k < 2; k++) {
      m[k] = 0.9 * m[k] + 0.1 * d[k]; v[k] = 0.999 * v[k] + 0.001 * d[k] * d[k];
      x[k] -= (lr * m[k] / (1 - b1t)) / (Math.sqrt(v[k] / (1 - b2t)) + 1e-8);
    }
  }
  return x;
}

describe("the CAGrad / Nash-MTL two-objective toy", () => {
  const STEPS = 40000;
  it("the analytic gradients agree with finite differences", () => {
    for (const [a, b] of [[-8.5, 7.5], [0.3, -0.7], [9, 9], [-7.5, -0.5], [2, 1]]) {
      const { g } = toy(a, b), h = 1e-6;
      for (let t = 0; t < 2; t++) {
        expect((toy(a + h, b).f[t] - toy(a - h, b).f[t]) / (2 * h)).toBeCloseTo(g[t][0], 5);
        expect((toy(a, b + h).f[t] - toy(a, b - h).f[t]) / (2 * h)).toBeCloseTo(g[t][1], 5);
      }
    }
  });
  it("from (-8.5, 7.5): CAGrad ends near (0, -8.36), MGDA on the Pareto set, mean-gradient descent stalls", () => {
    const start: [number, number] = [-8.5, 7.5];
    const ca = descend(start, (G) => cagradWeights(G, 0.5, 2), STEPS);
    const mg = descend(start, (G) => mgdaWeights(G), STEPS);
    const gd = descend(start, () => [0.5, 0.5], STEPS);
    console.log(`toy from (-8.5, 7.5) after ${STEPS} Adam steps: CAGrad (${ca.map((v) => v.toFixed(3))}), MGDA (${mg.map((v) => v.toFixed(3))}), mean GD (${gd.map((v) => v.toFixed(3))})`);
    expect(Math.abs(ca[0])).toBeLessThan(0.05);
    expect(Math.abs(ca[1] + 8.36)).toBeLessThan(0.05);
    // the Pareto set is x1 in [-7, 7], x2 = -8
    expect(Math.abs(mg[0])).toBeLessThanOrEqual(7.05);
    expect(Math.abs(mg[1] + 8)).toBeLessThan(0.6);
    expect(gd[1]).toBeGreaterThan(0); // stuck in the upper plateau, far from the Pareto set
    // and from a start below the plateau mean-gradient descent reaches the same point as CAGrad
    const low = descend([9, -1], () => [0.5, 0.5], STEPS);
    expect(Math.abs(low[0])).toBeLessThan(0.05); expect(Math.abs(low[1] + 8.355)).toBeLessThan(0.05);
  });
});

// ---------------------------------------------------------------- uncertainty weighting
describe("uncertainty weighting learns the label-noise ratio", () => {
  it("noise sigma 1 and 10 on the same target: exp(s2 - s1) ~ 100", async () => {
    const n = 512, rng = new Rng(3);
    const x = randn([n, 4], 0, 1, rng).data() as Float32Array;
    const e1 = randn([n], 0, 1, rng).data(), e2 = randn([n], 0, 10, rng).data();
    const y1 = new Float32Array(n), y2 = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const f = x[i * 4] - 2 * x[i * 4 + 1] + 0.5 * x[i * 4 + 2];
      y1[i] = f + e1[i]; y2[i] = f + e2[i];
    }
    const tasks: Task[] = [task("a", { kind: "regression", outputs: 1 }), task("b", { kind: "regression", outputs: 1 })];
    const model = new SharedBottom({ tasks, inputs: 4, trunk: [16], towers: [], rng: new Rng(1) });
    const uw = new UncertaintyWeighting(["a", "b"]);
    const tr = new Trainer(model, { tasks, weighting: uw, seed: 1, optimizer: (p) => new Adam(p, { lr: 0.1 }) });
    const h = await tr.fit(new MultiTaskDataset({ x, xShape: [4], labels: { a: y1, b: y2 } }), { epochs: 80, batchSize: 128 });
    const s = uw.logVars.data();
    console.log(`UW: final losses ${JSON.stringify(h[h.length - 1].loss)}, log variances ${Array.from(s).map((v) => v.toFixed(3))}`);
    const ratio = Math.exp(s[1] - s[0]);
    console.log(`UW: learned variance ratio exp(s_b - s_a) = ${ratio.toFixed(1)} (label-noise variance ratio 100)`);
    expect(ratio).toBeGreaterThan(70);
    expect(ratio).toBeLessThan(140);
  });
});

// ---------------------------------------------------------------- the GradNorm toy
describe("the GradNorm toy: tasks of very different scales", () => {
  it("R^250 -> 10 tasks, y_i = sigma_i tanh((B + eps_i) x): GradNorm equalises the relative losses better than equal weights", async () => {
    const T = 10, D = 250, O = 10, n = 256, rng = new Rng(7);
    const B = randn([O, D], 0, Math.sqrt(10), rng).data();
    const x = randn([n, D], 0, 1, rng).data() as Float32Array;
    const names = Array.from({ length: T }, (_, i) => `t${i}`);
    const sigma = names.map((_, i) => 1 + (99 * i) / (T - 1)); // scales 1 ... 100
    const labels: Record<string, Float32Array> = {};
    names.forEach((t, i) => {
      const eps = randn([O, D], 0, Math.sqrt(3.5), rng).data();
      const y = new Float32Array(n * O);
      for (let r = 0; r < n; r++) for (let o = 0; o < O; o++) {
        let s = 0;
        for (let k = 0; k < D; k++) s += (B[o * D + k] + eps[o * D + k]) * x[r * D + k];
        y[r * O + o] = sigma[i] * Math.tanh(s / Math.sqrt(D) / 4); // scaled so tanh is not saturated everywhere
      }
      labels[t] = y;
    });
    const data = new MultiTaskDataset({ x, xShape: [D], labels: Object.fromEntries(names.map((t) => [t, { values: labels[t], shape: [O] }])) });
    const spread = async (w: Weighting) => {
      const tasks: Task[] = names.map((t) => task(t, { kind: "regression", outputs: O }));
      const model = new SharedBottom({ tasks, inputs: D, trunk: [32, 32], towers: [], rng: new Rng(2) });
      const tr = new Trainer(model, { tasks, weighting: w, seed: 1, optimizer: (p) => new Adam(p, { lr: 1e-2 }) });
      const h = await tr.fit(data, { epochs: 30, batchSize: 64 });
      const rel = names.map((t) => h[h.length - 1].loss[t] / h[0].loss[t]);
      const logs = rel.map(Math.log), mean = logs.reduce((a, b) => a + b, 0) / T;
      console.log(`GradNorm toy, ${w.name}: L_i(end) / L_i(first epoch) = ${rel.map((r) => r.toFixed(3)).join(" ")}`);
      return { std: Math.sqrt(logs.reduce((a, b) => a + (b - mean) ** 2, 0) / T), rel };
    };
    const ew = await spread(new EqualWeighting());
    const gn = await spread(new GradNorm(names, { alpha: 0.12, on: "representation" }));
    console.log(`GradNorm toy: std of log relative loss, equal weights ${ew.std.toFixed(3)}, GradNorm ${gn.std.toFixed(3)}`);
    expect(gn.std).toBeLessThan(ew.std);
  }, 60000);
});
