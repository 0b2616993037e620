// The bilevel methods (Auto-λ, MOML, FORUM) step by step against the PyTorch reference
// of build/bilevel_golden.py (three SGD steps of a small shared-bottom model with a
// validation batch): the parameters and each method's learned weights after every step.
// Also: the look-ahead leaves the parameters exactly as they were, missing labels (in the
// training or the validation batch) leave that task's state alone, fit without
// validation data is refused, and FORUM's QP solver on closed forms.
import { describe, it, expect, beforeAll } from "vitest";
import { readFileSync } from "node:fs";
import { init, MultiTaskDataset, task, SharedBottom, Trainer, SGD, tensor, Rng, type Task, type Weighting } from "../src/index.js";
import { AutoLambda, MOML, FORUM, ConflictMonitor, TaskAffinity, solvers } from "../src/methods/index.js";

beforeAll(async () => { await init(); });

const G = JSON.parse(readFileSync(new URL("./fixtures/bilevel.json", import.meta.url), "utf8"));
const NAMES: string[] = G.tasks;
const TASKS = (): Task[] => [
  task("a", { kind: "regression", outputs: 1 }),
  task("b", { kind: "regression", outputs: 1 }),
  task("c", { kind: "binary", outputs: 1 }),
];
const dataset = (d: Record<string, number[]>, drop?: string) => new MultiTaskDataset({
  x: Float32Array.from(d.x), xShape: [4],
  labels: Object.fromEntries(NAMES.map((t) => [t, t === drop ? { values: Float32Array.from(d[t]), mask: new Uint8Array(d[t].length) } : Float32Array.from(d[t])])),
});

function build(w: Weighting) {
  const tasks = TASKS();
  const model = new SharedBottom({ tasks, inputs: 4, trunk: [5], towers: [], activation: "tanh", rng: new Rng(1) });
  const dict: Record<string, ReturnType<typeof tensor>> = {};
  for (const n of G.names as string[]) dict[n] = tensor(G.init[n].values, G.init[n].shape);
  model.loadStateDict(dict);
  const trainer = new Trainer(model, { tasks, weighting: w, optimizer: (p) => new SGD(p, { lr: G.lr }) });
  const byName = Object.fromEntries(model.namedParameters());
  const params = () => (G.names as string[]).flatMap((n) => Array.from(byName[n].data()));
  return { model, trainer, params };
}

const maxDiff = (a: number[], b: number[]) => { expect(a.length).toBe(b.length); return Math.max(...a.map((x, i) => Math.abs(x - b[i]))); };

const METHODS: [string, () => Weighting & { stateDict(): Record<string, unknown> }, (s: Record<string, unknown>) => Record<string, number[]>][] = [
  ["Auto-Lambda", () => new AutoLambda(NAMES, { lr: G.meta_lr }), (s) => ({ weights: s.lambda as number[], adam_m: (s.adam as { m: number[] }).m })],
  ["MOML", () => new MOML(NAMES, { lr: G.meta_lr }), (s) => ({ alpha: s.alpha as number[] })],
  ["FORUM", () => new FORUM(NAMES, { lr: G.meta_lr, phi: G.FORUM_phi }), (s) => ({ alpha: s.alpha as number[], lambda: s.lambda as number[] })],
];

describe.each(METHODS.map(([name, make, state]) => ({ name, make, state })))("$name", ({ name, make, state }) => {
  it("follows the PyTorch reference step by step (parameters, learned weights)", async () => {
    const { trainer, params } = build(make());
    const got: { params: number[]; weights: number[]; state: Record<string, number[]> }[] = [];
    await trainer.fit(dataset(G.train), {
      epochs: G[name].length, batchSize: 8, validation: dataset(G.validation),
      callbacks: [{ onEpochEnd: (logs) => { got.push({ params: params(), weights: NAMES.map((t) => logs.weights[t]), state: state(trainer.weighting.stateDict!()) }); } }],
    });
    G[name].forEach((ref: Record<string, number[]>, k: number) => {
      // float32 against float64: seen 1.6e-7 (parameters), 2e-8 (weights), 4e-8 (FORUM's λ), 1.3e-5 relative (Auto-λ's hypergradient)
      expect(maxDiff(got[k].params, ref.params), `step ${k + 1}: parameters`).toBeLessThan(5e-7);
      expect(maxDiff(got[k].weights, ref.weights), `step ${k + 1}: weights`).toBeLessThan(1e-7);
      for (const [key, v] of Object.entries(got[k].state)) {
        const r = ref[key];
        if (key === "adam_m") expect(maxDiff(v, r) / Math.max(...r.map(Math.abs)), `step ${k + 1}: ${key}`).toBeLessThan(5e-5);
        else expect(maxDiff(v, r), `step ${k + 1}: ${key}`).toBeLessThan(1e-6);
      }
    });
  });

  it("puts the parameters back exactly after its look-aheads", () => {
    const inner = make();
    let before: number[] = [], after: number[] = [];
    const { trainer, params } = build({
      name: inner.name, needsValidation: true, needsLookahead: true,
      backward: (ctx) => {
        before = params();
        ctx.bilevel!.trainLosses();
        const w = inner.backward(ctx);
        after = params();
        return w;
      },
    });
    trainer.trainStep([{ tasks: NAMES, batch: dataset(G.train).batch([0, 1, 2, 3, 4, 5, 6, 7]) }], dataset(G.validation).batch([0, 1, 2, 3, 4, 5]));
    expect(after).toEqual(before);
  });

  it("a task missing from the training or the validation batch keeps its state; no NaN", async () => {
    for (const where of ["train", "validation"]) {
      const { model, trainer } = build(make());
      const s0 = JSON.stringify(trainer.weighting.stateDict!());
      const h = await trainer.fit(dataset(G.train, where === "train" ? "c" : undefined), {
        epochs: 2, batchSize: 8, validation: dataset(G.validation, where === "validation" ? "c" : undefined),
      });
      for (const p of model.parameters()) expect(Array.from(p.data()).every(Number.isFinite)).toBe(true);
      const s = trainer.weighting.stateDict!() as Record<string, unknown>;
      const before = JSON.parse(s0) as Record<string, unknown>;
      const c = NAMES.indexOf("c");
      for (const key of ["lambda", "alpha"]) {
        if (!(key in s)) continue;
        const untouched = where === "train" || (name !== "Auto-Lambda" && key === "lambda");
        if (untouched) expect((s[key] as number[])[c], `${key} of the missing task`).toBe((before[key] as number[])[c]);
      }
      if (where === "train") expect(h[1].weights.c).toBeUndefined();
      for (const t of ["a", "b"]) expect(Number.isFinite(h[1].weights[t])).toBe(true);
    }
  });

  it("trains inside the diagnostics wrappers (ConflictMonitor, TaskAffinity)", async () => {
    for (const wrap of [(w: Weighting) => new ConflictMonitor(w), (w: Weighting) => new TaskAffinity(w)]) {
      const { trainer } = build(wrap(make()));
      const h = await trainer.fit(dataset(G.train), { epochs: 1, batchSize: 8, validation: dataset(G.validation) });
      expect(h[0].diagnostics).toBeDefined();
    }
  });

  it("refuses to train without validation data, naming it", async () => {
    const { trainer } = build(make());
    await expect(trainer.fit(dataset(G.train), { epochs: 1, batchSize: 8 })).rejects.toThrow(/needs validation data/);
  });
});

describe("FORUM's QP (solvers.activeSetQP, forumWeights)", () => {
  it("matches closed forms", () => {
    // min 1/2 |x|^2 on x1 + x2 = 1, x >= 0: (1/2, 1/2); with x1 >= 0.8: (0.8, 0.2)
    const I = [[1, 0], [0, 1]];
    expect(solvers.activeSetQP(I, [0, 0], [[1, 1]], [1], I, [0, 0])).toEqual([0.5, 0.5]);
    const x = solvers.activeSetQP(I, [0, 0], [[1, 1]], [1], [[1, 0], [0, 1]], [0.8, 0])!;
    expect(x[0]).toBeCloseTo(0.8, 14); expect(x[1]).toBeCloseTo(0.2, 14);
    expect(solvers.activeSetQP(I, [0, 0], [[1, 1]], [1], [[-1, 0], [0, -1]], [0, 0])).toBeNull(); // x <= 0 with sum 1: infeasible
  });
  it("equals the reference's SLSQP solution of each step's sub-problem", () => {
    // the reference's weights, through the same trainer step, are compared above; here the
    // solver alone: an inactive constraint (w_n = 0 is free) gives the min-norm point
    const M = [[1, 0.2, 0], [0.2, 0.5, 0], [0, 0, 1]];
    const w = solvers.forumWeights(M, [-1, -1], 0.001);
    const mn = solvers.minNormPoint([[1, 0.2], [0.2, 0.5]]);
    expect(Math.abs(w[0] - mn[0])).toBeLessThan(1e-12);
    expect(w[2]).toBeCloseTo(0.0005, 12); // w_n = c / (2 M_nn)
  });
});
