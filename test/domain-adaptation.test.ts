// polyhead/transfer, domain adaptation: the gradient reversal layer's lambda schedule (the
// Wasm exp against the closed form), the alignment losses' data-driven bandwidth and their
// batch split by domain, the domain dataset, and the DANN paper's two-moons demo at test
// size: trained on labelled source moons and unlabelled target moons rotated by 35 degrees,
// DANN classifies nearly all of the target where the source-only model misses a quarter.
import { describe, it, expect, beforeAll } from "vitest";
import { init, task, tensor, randn, Rng, scope, Trainer, Adam, MultiTaskDataset, StaticWeighting, noGrad, gradients, type Tensor } from "../src/index.js";
import { createModel } from "../src/io/index.js";
import {
  adapt, dannLambda, dannSchedule, gradientReversal, GradientReversal, mmdLoss, coralLoss, coralTask, mmdTask, domainDataset,
  pairwiseSquaredDistances,
} from "../src/transfer/index.js";
import { expectClose } from "./helpers.js";

beforeAll(async () => { await init(); });

describe("gradient reversal and DANN's schedule", () => {
  it("lambda = 2 / (1 + exp(-10 p)) - 1, from 0 to nearly 1", () => {
    for (const p of [0, 0.05, 0.3, 0.5, 1]) expect(dannLambda(p)).toBeCloseTo(2 / (1 + Math.exp(-10 * p)) - 1, 6);
    expect(dannLambda(0.5, 5, 0.3)).toBeCloseTo(0.3 * (2 / (1 + Math.exp(-2.5)) - 1), 6);
    expect(dannLambda(3)).toBe(dannLambda(1)); // progress past the end stays at the end
    expect(() => dannLambda(-1)).toThrow(/progress must be a number >= 0/);
  });

  it("the reversal is the identity forward and -lambda times the gradient backward", () => {
    const x = randn([2, 3], 0, 1, new Rng(1));
    x.requiresGrad = true;
    const [g] = gradients(gradientReversal(x, 0.25), [x], [tensor([1, 2, 3, 4, 5, 6], [2, 3])]);
    expect(Array.from(g.data())).toEqual([1, 2, 3, 4, 5, 6].map((v) => -0.25 * v));
    expect(Array.from(noGrad(() => gradientReversal(x, 3)).data())).toEqual(Array.from(x.data()));
    expect(() => gradientReversal(x, NaN)).toThrow(/lambda must be a finite number/);
  });

  it("dannSchedule sets every reversal layer before each step; a model without one is refused", () => {
    const m = adapt(createModel("SharedBottom", { tasks: [task("y", { kind: "classification", outputs: 2 })], inputs: 2, trunk: [4] }));
    m.addTask(task("domain", { kind: "binary", outputs: 1 }), { reverseGradient: true });
    const cb = dannSchedule(m, { totalSteps: 10 });
    cb.onTrainBegin!({ step: 0 } as never);
    cb.onBatchBegin!(5, [], {} as never);
    const grl = m.namedModules().map(([, x]) => x).find((x) => x instanceof GradientReversal) as GradientReversal;
    expect(grl.lambda).toBe(dannLambda(0.5));
    expect(() => dannSchedule(m.base, { totalSteps: 10 })).toThrow(/no GradientReversal layer/);
    expect(() => dannSchedule(m, { totalSteps: 0 })).toThrow(/totalSteps must be a positive integer/);
    expect(() => dannSchedule(m, { totalSteps: 5, gama: 3 } as never)).toThrow(/unknown option "gama".*"gamma"/);
  });
});

describe("alignment losses", () => {
  it("MMD's default bandwidth is the pooled samples' mean squared distance", () => {
    const s = randn([5, 3], 0, 1, new Rng(2)), t = randn([4, 3], 0.5, 1, new Rng(3));
    const rows = [...Array.from({ length: 5 }, (_, i) => Array.from(s.data().subarray(i * 3, i * 3 + 3))), ...Array.from({ length: 4 }, (_, i) => Array.from(t.data().subarray(i * 3, i * 3 + 3)))];
    let total = 0;
    for (const a of rows) for (const b of rows) total += a.reduce((acc, v, k) => acc + (v - b[k]) ** 2, 0);
    const bw = total / (9 * 9 - 9);
    expect(scope(() => mmdLoss(s, t).item())).toBeCloseTo(scope(() => mmdLoss(s, t, { bandwidth: bw }).item()), 5);
    expectClose(scope(() => pairwiseSquaredDistances(s, t)), rows.slice(0, 5).flatMap((a) => rows.slice(5).map((b) => a.reduce((acc, v, k) => acc + (v - b[k]) ** 2, 0))), 1e-5, 1e-5);
    expect(scope(() => mmdLoss(s, s).item())).toBeCloseTo(0, 6);
    expect(scope(() => coralLoss(s, s).item())).toBe(0);
  });

  it("checks shapes and options by name", () => {
    const s = randn([5, 3], 0, 1, new Rng(2));
    expect(() => coralLoss(s, randn([5, 2], 0, 1, new Rng(1)))).toThrow(/different feature widths/);
    expect(() => coralLoss(s, randn([1, 3], 0, 1, new Rng(1)))).toThrow(/target needs at least 2 rows/);
    expect(() => mmdLoss(s, s, { kernel: 3 } as never)).toThrow(/unknown option "kernel".*"kernels"/);
    expect(() => mmdTask("m", { features: 3, kernels: 0 })).toThrow(/mmdTask: kernels must be a positive integer/);
    expect(() => coralTask("c", { features: 0 })).toThrow(/features must be a positive integer/);
  });

  it("as task losses: the batch splits by its domain labels, rows of one domain alone give 0", () => {
    const f = randn([6, 3], 0, 1, new Rng(4));
    const coral = coralTask("c", { features: 3 });
    const loss = coral.loss as (p: Tensor, l: Tensor, m: Tensor) => Tensor;
    const lbl = tensor([0, 1, 0, 1, 0, 1], [6], "int32"), all = tensor([1, 1, 1, 1, 1, 1], [6]);
    const want = scope(() => coralLoss(tensor([0, 2, 4].flatMap((i) => Array.from(f.data().subarray(i * 3, i * 3 + 3))), [3, 3]),
      tensor([1, 3, 5].flatMap((i) => Array.from(f.data().subarray(i * 3, i * 3 + 3))), [3, 3])).item());
    expect(scope(() => loss(f, lbl, all).item())).toBeCloseTo(want, 6);
    expect(scope(() => loss(f, tensor([0, 0, 0, 0, 0, 1], [6], "int32"), all).item())).toBe(0);
    expect(() => scope(() => loss(f, tensor([0, 2, 0, 1, 0, 1], [6], "int32"), all))).toThrow(/domain label 2 at row 1/);
  });

  it("domainDataset: source then target, labelled 0 and 1 under each task", () => {
    const s = new MultiTaskDataset({ x: new Float32Array([1, 2, 3, 4]), xShape: [2], labels: { y: new Int32Array([0, 1]) } });
    const t = new MultiTaskDataset({ x: new Float32Array([5, 6, 7, 8, 9, 10]), xShape: [2], labels: { y: new Int32Array([0, 0, 0]) } });
    const d = domainDataset(s, t, ["domain", "coral"]);
    expect(d.size).toBe(5);
    expect(Array.from(d.inputs())).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(Array.from(d.taskLabels("coral").values)).toEqual([0, 0, 1, 1, 1]);
    expect(() => domainDataset(s, new MultiTaskDataset({ x: new Float32Array(3), xShape: [3], labels: { y: [0] } }), ["d"])).toThrow(/differ in shape/);
  });
});

// ---------------------------------------------------------------- two moons (Ganin et al. 2016, section 5.1)

/** n two-moons points (as scikit-learn's make_moons) with Gaussian noise, rotated by `degrees` about their centre. */
function moons(n: number, degrees: number, seed: number): MultiTaskDataset {
  const noise = randn([n, 2], 0, 0.1, new Rng(seed)).data();
  const order = new Rng(seed + 1).permutation(n);
  const c = Math.cos((degrees * Math.PI) / 180), s = Math.sin((degrees * Math.PI) / 180);
  const x = new Float32Array(n * 2), y = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const i = order[k], half = Math.floor(n / 2), lower = i >= half;
    const a = (Math.PI * (lower ? i - half : i)) / (half - 1);
    const px = (lower ? 1 - Math.cos(a) : Math.cos(a)) + noise[2 * k] - 0.5;
    const py = (lower ? 0.5 - Math.sin(a) : Math.sin(a)) + noise[2 * k + 1] - 0.25;
    x[2 * k] = c * px - s * py; x[2 * k + 1] = s * px + c * py;
    y[k] = lower ? 1 : 0;
  }
  return new MultiTaskDataset({ x, xShape: [2], labels: { label: y } });
}

async function twoMoons(dann: boolean, seed: number): Promise<number> {
  const source = moons(300, 0, 10 + seed), target = moons(300, 35, 20 + seed);
  const label = task("label", { kind: "classification", outputs: 2 });
  const m = adapt(createModel("SharedBottom", { tasks: [label], inputs: 2, trunk: [32, 32], seed }), { seed });
  const epochs = 40, batchSize = 32;
  let data: Record<string, MultiTaskDataset> = { label: source };
  const callbacks = [];
  if (dann) {
    m.addTask(task("domain", { kind: "binary", outputs: 1 }), { reverseGradient: true, hidden: [32, 32] });
    data = { label: source, domain: domainDataset(source, target, ["domain"]) };
    callbacks.push(dannSchedule(m, { totalSteps: epochs * Math.ceil(600 / batchSize) }));
  }
  const trainer = new Trainer(m, { tasks: m.tasks, optimizer: (p) => new Adam(p, { lr: 5e-3 }), seed });
  await trainer.fit(data, { epochs, batchSize, callbacks });
  return trainer.evaluate(target).label.accuracy;
}

describe("two moons, target rotated by 35 degrees (DANN paper, section 5.1)", () => {
  it("source-only misclassifies part of the target; DANN classifies nearly all of it", async () => {
    const only = await twoMoons(false, 1), dann = await twoMoons(true, 1);
    console.log(`two moons, target accuracy: source only ${only.toFixed(3)}, DANN ${dann.toFixed(3)}`);
    // (seeds 1 and 2 measured 0.74 / 0.70 source only, 0.95 / 0.93 DANN)
    expect(only).toBeLessThan(0.85);
    expect(dann).toBeGreaterThan(0.9);
  }, 60_000);
});

describe("alignment tasks in the multi-task trainer", () => {
  // a shift the labels do not depend on: the label is x1 > 0, the target moves along x0
  function blob(n: number, dx: number, seed: number): MultiTaskDataset {
    const x = Float32Array.from(randn([n, 2], 0, 1, new Rng(seed)).data());
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) { x[2 * i] += dx; y[i] = x[2 * i + 1] > 0 ? 1 : 0; }
    return new MultiTaskDataset({ x, xShape: [2], labels: { label: y } });
  }
  // the same run with the alignment task at weight 0 (it is still evaluated) and at weight w
  async function aligned(kind: "coral" | "mmd", weight: number): Promise<{ discrepancy: number; accuracy: number }> {
    const source = blob(200, 0, 3), target = blob(200, 2, 4);
    const m = adapt(createModel("SharedBottom", { tasks: [task("label", { kind: "classification", outputs: 2 })], inputs: 2, trunk: [16, 8], activation: "tanh", seed: 2 }));
    m.addTask(kind === "coral" ? coralTask("align", { features: 8, weight }) : mmdTask("align", { features: 8, weight }), { identity: true });
    const trainer = new Trainer(m, { tasks: m.tasks, weighting: new StaticWeighting(), optimizer: (p) => new Adam(p, { lr: 5e-3 }), seed: 1 });
    const dom = domainDataset(source, target, ["align"]);
    await trainer.fit({ label: source, align: dom }, { epochs: 8, batchSize: 50 });
    return { discrepancy: trainer.evaluate(dom, { batchSize: 400 }).align.loss, accuracy: trainer.evaluate(target).label.accuracy };
  }
  for (const [kind, w] of [["coral", 10], ["mmd", 1]] as const) {
    it(`${kind}: an identity head on the trunk, the domain dataset beside the labelled source; the discrepancy is smaller`, async () => {
      const off = await aligned(kind, 0), on = await aligned(kind, w);
      expect(on.discrepancy).toBeLessThan(0.5 * off.discrepancy);
      expect(on.accuracy).toBeGreaterThan(0.9);
    });
  }
});
