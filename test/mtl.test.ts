// The multi-task trainer end to end: data modes, schedules, weighting plug-ins, masks
// for partially labelled data, NaN guards, callbacks, determinism and flat memory.
import { describe, it, expect, beforeAll } from "vitest";
import {
  init, Rng, MultiTaskDataset, task, SharedBottom, Trainer, Adam, SGD, EqualWeighting, StaticWeighting,
  UncertaintyWeighting, PCGrad, joint, alternating, sampled, curriculum, trainWithAveraging, averageParameters,
  earlyStopping, checkpoint, memoryStats, randn, tensor, samplingProbabilities, singleTaskBaselines, compareWithBaselines,
  mean, mul, sqrt, vgram,
  type Weighting, type WeightingContext, type Task, type TrainerOptions, type Tensor,
} from "../src/index.js";

beforeAll(async () => { await init(); });

/** Synthetic 3-task data: class = argmax of a linear map, a regression target, a binary label. */
function synth(n: number, seed: number, missing = 0): MultiTaskDataset {
  const rng = new Rng(seed);
  const x = randn([n, 8], 0, 1, rng).data() as Float32Array;
  const W = randn([8, 3], 0, 1, new Rng(99)).data() as Float32Array;
  const cls = new Int32Array(n), reg = new Float32Array(n), bin = new Float32Array(n);
  const drop = rng.u32(n);
  for (let i = 0; i < n; i++) {
    const s = [0, 1, 2].map((k) => { let v = 0; for (let j = 0; j < 8; j++) v += x[i * 8 + j] * W[j * 3 + k]; return v; });
    cls[i] = s.indexOf(Math.max(...s));
    reg[i] = s[0] - 0.5 * s[1];
    bin[i] = s[2] > 0 ? 1 : 0;
    if (missing > 0 && drop[i] / 4294967296 < missing) reg[i] = NaN; // unlabelled for "reg"
  }
  return new MultiTaskDataset({ x, xShape: [8], labels: { cls, reg, bin } });
}

const TASKS = (): Task[] => [
  task("cls", { kind: "classification", outputs: 3 }),
  task("reg", { kind: "regression", outputs: 1 }),
  task("bin", { kind: "binary", outputs: 1 }),
];
const model = (tasks = TASKS(), seed = 1) => new SharedBottom({ tasks, inputs: 8, trunk: [32], towers: [16], rng: new Rng(seed) });
const adam = (lr = 1e-2): TrainerOptions["optimizer"] => (p) => new Adam(p, { lr });
const weightsOf = (m: SharedBottom) => m.parameters().map((p) => Array.from(p.data()));

describe("Trainer", () => {
  it("learns all three tasks jointly (equal weighting)", async () => {
    const tasks = TASKS();
    const tr = new Trainer(model(tasks), { tasks, optimizer: adam(), seed: 1 });
    const before = tr.evaluate(synth(300, 2));
    await tr.fit(synth(600, 1), { epochs: 8, batchSize: 32 });
    const after = tr.evaluate(synth(300, 2));
    expect(after.cls.accuracy).toBeGreaterThan(0.85);
    expect(after.bin.accuracy).toBeGreaterThan(0.85);
    expect(after.reg.mse).toBeLessThan(before.reg.mse * 0.2);
    expect(after.reg.r2).toBeGreaterThan(0.8);
  });

  it("is deterministic: same seed and data give bit-identical weights", async () => {
    const run = async () => {
      const tasks = TASKS();
      const m = model(tasks, 5);
      const tr = new Trainer(m, { tasks, optimizer: adam(), seed: 3, weighting: new PCGrad() });
      await tr.fit(synth(200, 1), { epochs: 2, batchSize: 16 });
      return weightsOf(m);
    };
    expect(await run()).toEqual(await run());
  });

  it("partially labelled data: unlabelled examples add nothing to loss or gradient", async () => {
    const data = synth(64, 4, 0.5);
    const tasks = TASKS();
    const m = model(tasks);
    const tr = new Trainer(m, { tasks, optimizer: adam() });
    const b = [...data.batches(64)][0];
    const l1 = tr.trainStep([{ tasks: ["reg"], batch: b }]).losses.reg;
    // the same loss from only the labelled rows
    const rows = Array.from(b.indices).filter((i) => data.taskLabels("reg").mask[i] === 1);
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.length).toBeLessThan(54);
    const m2 = model(tasks);
    const tr2 = new Trainer(m2, { tasks, optimizer: adam() });
    const l2 = tr2.trainStep([{ tasks: ["reg"], batch: data.subset(rows).batch([...rows.keys()]) }]).losses.reg;
    expect(Math.abs(l1 - l2)).toBeLessThan(1e-5 * Math.abs(l2) + 1e-6);
    expect(weightsOf(m)).toEqual(weightsOf(m2));
  });

  it("a NaN loss stops training with a clear error and leaves parameters unchanged", async () => {
    const tasks = TASKS();
    const m = model(tasks);
    const tr = new Trainer(m, { tasks, optimizer: adam() });
    const data = synth(32, 1);
    const x = data.inputs().slice(); x[5] = NaN;
    const bad = new MultiTaskDataset({ x, xShape: [8], labels: { cls: data.taskLabels("cls").values, reg: data.taskLabels("reg").values, bin: data.taskLabels("bin").values } });
    const w0 = weightsOf(m);
    await expect(tr.fit(bad, { epochs: 1, batchSize: 32 })).rejects.toThrow(/loss of task "cls" is NaN at epoch 0, step 0; parameters were not updated/);
    expect(weightsOf(m)).toEqual(w0);
  });

  it("a NaN gradient under a finite loss stops training, names the parameter, and leaves parameters unchanged", async () => {
    // sqrt(0 * pred): the loss is 0, its gradient inf * 0 = NaN
    const tasks = [...TASKS().slice(0, 2), task("bin", { kind: "binary", outputs: 1, loss: (pred) => mean(sqrt(mul(pred, 0))) })];
    const m = model(tasks);
    const tr = new Trainer(m, { tasks, optimizer: adam() });
    const w0 = weightsOf(m);
    await expect(tr.fit(synth(32, 1), { epochs: 1, batchSize: 32 }))
      .rejects.toThrow(/gradient of "trunk\.0\.weight" has NaN\/Inf at epoch 0, step 0; parameters were not updated/);
    expect(weightsOf(m)).toEqual(w0);
    const quiet = new Trainer(model(tasks), { tasks, optimizer: adam(), nanCheck: false });
    await expect(quiet.fit(synth(32, 1), { epochs: 1, batchSize: 32 })).resolves.toHaveLength(1);
  });

  it("rejects a model/task mismatch and config typos by name", () => {
    const tasks = TASKS();
    expect(() => new Trainer(model(tasks.slice(0, 2)), { tasks })).toThrow(/task "bin" has no head in the model/);
    expect(() => task("x", { kind: "regression", outputs: 1, wieght: 2 } as never)).toThrow(/unknown option "wieght"/);
    expect(() => task("x", { kind: "binary", outputs: 2 })).toThrow(/binary task has outputs: 1/);
  });

  it("holds memory flat over many steps", async () => {
    const tasks = TASKS();
    const tr = new Trainer(model(tasks), { tasks, optimizer: adam(), weighting: new PCGrad() });
    const data = synth(256, 1);
    await tr.fit(data, { epochs: 2, batchSize: 32 });
    const hw = memoryStats().highWater;
    await tr.fit(data, { epochs: 6, batchSize: 32 });
    expect(memoryStats().highWater).toBe(hw);
  });

  it("predict returns every head for new inputs", () => {
    const tasks = TASKS();
    const tr = new Trainer(model(tasks), { tasks });
    const out = tr.predict(randn([10, 8], 0, 1, new Rng(1)), { batchSize: 4 });
    expect(out.cls.shape).toEqual([10, 3]);
    expect(out.reg.shape).toEqual([10, 1]);
  });
});

describe("schedules and data modes", () => {
  const perTask = () => {
    const d = synth(300, 7);
    return { cls: d.subset([...Array(100).keys()]).withTasks(["cls"]), reg: d.subset([...Array(200).keys()].map((i) => i + 100)).withTasks(["reg"]), bin: d.subset([...Array(60).keys()]).withTasks(["bin"]) };
  };

  for (const [name, make] of [["joint", joint], ["alternating", alternating], ["sampled", () => sampled({ temperature: 2 })]] as const) {
    it(`${name}: one dataset and one dataset per task both train`, async () => {
      for (const data of [synth(200, 1), perTask()]) {
        const tasks = TASKS();
        const tr = new Trainer(model(tasks), { tasks, optimizer: adam(), schedule: make() });
        const h = await tr.fit(data, { epochs: 4, batchSize: 20 });
        for (const t of ["cls", "reg", "bin"]) expect(h[3].loss[t]).toBeLessThan(h[0].loss[t]);
      }
    });
  }

  it("alternating trains one task per step, in turn", async () => {
    const tasks = TASKS();
    const tr = new Trainer(model(tasks), { tasks, schedule: alternating() });
    const seen: string[] = [];
    const begun: string[] = [];
    await tr.fit(synth(60, 1), { epochs: 1, batchSize: 10, callbacks: [{
      onBatchBegin: (_s, t) => { begun.push(t.join()); },
      onBatchEnd: (_s, l) => { seen.push(Object.keys(l).join()); },
    }] });
    expect(seen).toEqual(["cls", "reg", "bin", "cls", "reg", "bin"]);
    expect(begun).toEqual(seen);
  });

  it("sampling probabilities follow size^(1/T)", () => {
    const p = samplingProbabilities([100, 400], 2);
    expect(p[0]).toBeCloseTo(10 / 30, 6);
    expect(samplingProbabilities([100, 400], 1)[1]).toBeCloseTo(0.8, 6);
  });

  it("curriculum adds tasks at the given epochs", async () => {
    const tasks = TASKS();
    const tr = new Trainer(model(tasks), { tasks, schedule: curriculum({ 0: ["cls"], 2: ["bin", "reg"] }) });
    const h = await tr.fit(synth(40, 1), { epochs: 3, batchSize: 20 });
    expect(Object.keys(h[0].loss)).toEqual(["cls"]);
    expect(Object.keys(h[2].loss).sort()).toEqual(["bin", "cls", "reg"]);
    expect(() => curriculum({ 0: ["nope"] }).epoch({ data: synth(4, 1), batchSize: 2, epoch: 0, rng: new Rng(1), taskNames: ["cls"] })).toThrow(/unknown task "nope"/);
  });

  it("parameter averaging trains per-task copies and averages the shared trunk", async () => {
    const tasks = TASKS();
    const m = model(tasks);
    const data = synth(200, 3);
    const tr0 = new Trainer(m, { tasks });
    const before = tr0.evaluate(data);
    await trainWithAveraging(m, { tasks, optimizer: adam() }, data, { create: () => model(tasks, 9), rounds: 3, localEpochs: 1, batchSize: 20 });
    const after = new Trainer(m, { tasks }).evaluate(data);
    for (const t of ["cls", "reg", "bin"]) expect(after[t].loss).toBeLessThan(before[t].loss);
  });

  it("averageParameters is the weighted mean", () => {
    const a = model(TASKS(), 1), b = model(TASKS(), 2);
    const pa = Array.from(a.parameters()[0].data()), pb = Array.from(b.parameters()[0].data());
    averageParameters([a, b], [1, 3]);
    const avg = a.parameters()[0].data();
    pa.forEach((v, i) => expect(avg[i]).toBeCloseTo(0.25 * v + 0.75 * pb[i], 6));
    expect(Array.from(b.parameters()[0].data())).toEqual(Array.from(avg));
  });
});

describe("weighting plug-ins", () => {
  it("static weights scale each task's gradient", async () => {
    const tasks = TASKS();
    const data = synth(32, 1);
    const grads = (w: Weighting) => {
      const b = data.batch([...Array(32).keys()]); // a batch's tensors live in one step's scope
      const m = model(tasks);
      const tr = new Trainer(m, { tasks, weighting: w, optimizer: (p) => new SGD(p, { lr: 1 }) });
      const w0 = weightsOf(m);
      tr.trainStep([{ tasks: ["cls", "reg", "bin"], batch: b }]);
      return weightsOf(m).map((p, i) => p.map((v, j) => w0[i][j] - v)); // lr 1: the gradient
    };
    const g1 = grads(new EqualWeighting());
    const g2 = grads(new StaticWeighting({ cls: 2, reg: 2, bin: 2 }));
    g1.forEach((p, i) => p.forEach((v, j) => expect(g2[i][j]).toBeCloseTo(2 * v, 4)));
  });

  it("uncertainty weighting learns log-variances and reports weights", async () => {
    const tasks = TASKS();
    const uw = new UncertaintyWeighting(tasks.map((t) => t.name));
    const tr = new Trainer(model(tasks), { tasks, weighting: uw, optimizer: adam(0.05) });
    const data = synth(200, 1);
    await tr.fit(data, { epochs: 5, batchSize: 20 });
    const s = Array.from(uw.logVars.data());
    expect(s.some((v) => Math.abs(v) > 0.05)).toBe(true);
    const { weights } = tr.trainStep([{ tasks: ["cls", "reg", "bin"], batch: data.batch([0, 1, 2, 3]) }]);
    ["cls", "reg", "bin"].forEach((t, i) => expect(weights[t]).toBeCloseTo(0.5 * Math.exp(-s[i]), 5));
    const s2 = Array.from(uw.logVars.data());
    expect(uw.stateDict().logVars).toEqual(s2);
  });

  it("PCGrad projects away conflicting components (hand-made gradients)", () => {
    // Two tasks with g1 = (1, 0), g2 = (-1, 1): conflicting. PCGrad gives
    // g1' = g1 - (g1.g2/|g2|^2) g2 = (0.5, 0.5), g2' = g2 - (g2.g1/|g1|^2) g1 = (0, 1); sum (0.5, 1.5).
    const g = [tensor([1, 0]), tensor([-1, 1])];
    let added: number[] = [];
    const ctx = {
      tasks: ["a", "b"], losses: [], staticWeights: [1, 1], step: 0, epoch: 0, rng: new Rng(1),
      sharedGrads: () => g, gram: () => vgram(g),
      applySharedUpdate: (v: { data(): ArrayLike<number> }) => { const d = Array.from(v.data()); added = added.length ? added.map((x, i) => x + d[i]) : d; },
    } as unknown as WeightingContext;
    const pc = new PCGrad();
    pc.backward(ctx);
    expect(added).toEqual([0.5, 1.5]);
    expect(pc.lastConflicts).toBe(2);
  });

  it("PCGrad trains the three tasks", async () => {
    const tasks = TASKS();
    const tr = new Trainer(model(tasks), { tasks, weighting: new PCGrad(), optimizer: adam() });
    const h = await tr.fit(synth(200, 1), { epochs: 4, batchSize: 20 });
    for (const t of ["cls", "reg", "bin"]) expect(h[3].loss[t]).toBeLessThan(h[0].loss[t]);
  });
});

describe("callbacks and baselines", () => {
  it("early stopping stops on a validation metric and restores the best weights", async () => {
    const tasks = TASKS();
    const m = model(tasks);
    const tr = new Trainer(m, { tasks, optimizer: adam(0.3) });
    const es = earlyStopping({ task: "reg", metric: "mse", patience: 1 });
    const h = await tr.fit(synth(100, 1), { epochs: 30, batchSize: 10, validation: synth(50, 2), callbacks: [es] });
    expect(h.length).toBeLessThan(30);
    expect(tr.evaluate(synth(50, 2)).reg.mse).toBeCloseTo(es.best, 5);
  });

  it("checkpoint hands the whole state to the writer each epoch", async () => {
    const tasks = TASKS();
    const saved: number[] = [];
    const tr = new Trainer(model(tasks), { tasks });
    await tr.fit(synth(40, 1), { epochs: 2, batchSize: 20, callbacks: [checkpoint({ save: (s, e) => { saved.push(e); expect((s as { format: string }).format).toBe("polyhead-trainer"); } })] });
    expect(saved).toEqual([0, 1]);
  });

  it("single-task baselines and Delta_m", async () => {
    const tasks = TASKS();
    const train = synth(200, 1), test = synth(100, 2);
    const build = (ts: Task[]) => model(ts);
    const tr = new Trainer(build(tasks), { tasks, optimizer: adam() });
    await tr.fit(train, { epochs: 3, batchSize: 20 });
    const single = await singleTaskBaselines(build, tasks, train, test, { trainer: { optimizer: adam() }, fit: { epochs: 3, batchSize: 20 } });
    expect(Object.keys(single)).toEqual(["cls", "reg", "bin"]);
    const cmp = compareWithBaselines(tasks, tr.evaluate(test), single);
    expect(cmp.rows.map((r) => r.metric)).toEqual(["accuracy", "mse", "accuracy"]);
    expect(Number.isFinite(cmp.deltaM)).toBe(true);
  });
});

describe("resume and streaming", () => {
  it("a trainer resumed from its JSON state continues bit-identically", async () => {
    const data = synth(120, 1);
    const mk = () => { const tasks = TASKS(); const m = model(tasks, 2); return { m, tr: new Trainer(m, { tasks, optimizer: adam(), seed: 4, weighting: new UncertaintyWeighting(["cls", "reg", "bin"]) }) }; };
    const a = mk();
    await a.tr.fit(data, { epochs: 4, batchSize: 16 });
    const b = mk();
    await b.tr.fit(data, { epochs: 2, batchSize: 16 });
    const saved = JSON.parse(JSON.stringify(b.tr.stateDict()));
    const c = mk();
    c.tr.loadStateDict(saved);
    await c.tr.fit(data, { epochs: 2, batchSize: 16 });
    expect(weightsOf(c.m)).toEqual(weightsOf(a.m));
    expect(c.tr.epoch).toBe(4);
  });

  it("a corrupted state is rejected and changes nothing", () => {
    const tasks = TASKS();
    const m = model(tasks);
    const tr = new Trainer(m, { tasks });
    const st = tr.stateDict() as { model: Record<string, { shape: number[] }> };
    st.model["trunk.0.weight"].shape = [1, 2];
    const w0 = weightsOf(m);
    expect(() => tr.loadStateDict(st)).toThrow(/"trunk.0.weight": shape \[1, 2\], expected \[32, 8\]/);
    expect(() => tr.loadStateDict({ format: "nope" })).toThrow(/not a trainer state/);
    expect(weightsOf(m)).toEqual(w0);
  });

  it("trains from an async stream of batches", async () => {
    const data = synth(100, 1);
    const tasks = TASKS();
    const tr = new Trainer(model(tasks), { tasks, optimizer: adam() });
    const source = async function* () { for (const b of data.batches(10, { shuffle: false })) { await Promise.resolve(); yield b; } };
    const h = await tr.fit(source, { epochs: 3 });
    for (const t of ["cls", "reg", "bin"]) expect(h[2].loss[t]).toBeLessThan(h[0].loss[t]);
  });
});

describe("lrSchedule callback", () => {
  it("steps a schedule each epoch, and reduce-on-plateau from a validation metric", async () => {
    const { StepLR, ReduceLROnPlateau, lrSchedule } = await import("../src/index.js");
    const tasks = TASKS();
    const tr = new Trainer(model(tasks), { tasks, optimizer: (p) => new SGD(p, { lr: 0.1 }) });
    const sched = new StepLR(tr.optimizer, { stepSize: 1, gamma: 0.5 });
    await tr.fit(synth(40, 1), { epochs: 3, batchSize: 20, callbacks: [lrSchedule(sched)] });
    expect(tr.optimizer.paramGroups[0].lr).toBeCloseTo(0.0125, 10);
    const frozen = model(tasks).freeze(); // the metric cannot improve: a plateau
    const tr2 = new Trainer(frozen, { tasks, optimizer: (p) => new SGD(p, { lr: 1e-3 }) });
    const plateau = new ReduceLROnPlateau(tr2.optimizer, { patience: 0, factor: 0.1 });
    await tr2.fit(synth(40, 1), { epochs: 3, batchSize: 20, validation: synth(20, 2), callbacks: [lrSchedule(plateau, { task: "reg", metric: "mse" })] });
    expect(tr2.optimizer.paramGroups[0].lr).toBeCloseTo(1e-5, 12); // two reductions after the first epoch
  });
});

describe("sparse labels, streams, resuming with module streams, edge cases", () => {
  it("a task with no labels in a batch sits the step out (no uncertainty-weight drift, honest loss average)", async () => {
    const tasks = TASKS();
    const uw = new UncertaintyWeighting(["cls", "reg", "bin"]);
    const tr = new Trainer(model(tasks), { tasks, weighting: uw, optimizer: adam(0.1) });
    const d = synth(32, 1);
    const x = d.inputs();
    const noReg = new MultiTaskDataset({ x, xShape: [8], labels: { cls: d.taskLabels("cls").values, reg: new Float32Array(32).fill(NaN), bin: d.taskLabels("bin").values } });
    const s0 = Array.from(uw.logVars.data());
    const r = tr.trainStep([{ tasks: ["cls", "reg", "bin"], batch: noReg.batch([...Array(32).keys()]) }]);
    expect(Object.keys(r.losses)).toEqual(["cls", "bin"]);
    expect(uw.logVars.data()[1]).toBe(s0[1]); // reg's log-variance untouched
    const h = await tr.fit(noReg, { epochs: 1, batchSize: 8 });
    expect(h[0].loss.reg).toBeUndefined();
  });

  it("streamed batches make no tensors outside the step (memory flat over epochs)", async () => {
    const data = synth(160, 1);
    const tasks = TASKS();
    const tr = new Trainer(model(tasks), { tasks, optimizer: adam() });
    const source = async function* () { for (const b of data.batches(10, { shuffle: false })) yield b; };
    // unscoped tensors of earlier tests are freed by finalizers whenever the GC runs, which
    // would move the count during fit: collect them before each reading
    const settle = async () => { for (let i = 0; i < 3; i++) { (globalThis as { gc?: () => void }).gc?.(); await new Promise((r) => setTimeout(r, 0)); } };
    await tr.fit(source, { epochs: 1 });
    await settle();
    const live = memoryStats().liveAllocations;
    await tr.fit(source, { epochs: 3 });
    await settle();
    expect(memoryStats().liveAllocations).toBe(live);
  });

  it("one Batch object can be used in several steps", () => {
    const tasks = TASKS();
    const tr = new Trainer(model(tasks), { tasks });
    const b = synth(8, 1).batch([0, 1, 2, 3]);
    tr.trainStep([{ tasks: ["cls"], batch: b }]);
    expect(() => tr.trainStep([{ tasks: ["cls"], batch: b }])).not.toThrow();
  });

  it("resuming a model with Dropout is bit-identical too", async () => {
    const data = synth(96, 1);
    const mk = () => { const tasks = TASKS(); const m = new SharedBottom({ tasks, inputs: 8, trunk: [16], dropout: 0.3, rng: new Rng(8) }); return { m, tr: new Trainer(m, { tasks, optimizer: adam(), seed: 2 }) }; };
    const a = mk();
    await a.tr.fit(data, { epochs: 4, batchSize: 16 });
    const b = mk();
    await b.tr.fit(data, { epochs: 2, batchSize: 16 });
    const saved = JSON.parse(JSON.stringify(b.tr.stateDict()));
    const c = mk();
    await c.tr.fit(data, { epochs: 1, batchSize: 16 }); // move its streams on, then restore
    c.tr.loadStateDict(saved);
    await c.tr.fit(data, { epochs: 2, batchSize: 16 });
    expect(weightsOf(c.m)).toEqual(weightsOf(a.m));
  });

  it("any module with its own random stream (the Module.rngState hook) resumes bit-identically", async () => {
    const { Sequential, Linear, ReLU, Module, add } = await import("../src/index.js");
    class Noise extends Module { // a user's stateful layer: Gaussian noise while training
      private rng = new Rng(5);
      forward(x: Tensor): Tensor { return this.training ? add(x, randn([...x.shape], 0, 0.1, this.rng)) : x; }
      override rngState() { return this.rng.state(); }
      override setRngState(s: { key: [number, number]; counter: number }) { this.rng = Rng.fromState(s); }
    }
    const data = synth(64, 1);
    const mk = () => {
      const tasks = TASKS();
      const m = new SharedBottom({ tasks, trunk: new Sequential(new Linear(8, 8, { rng: new Rng(3) }), new Noise(), new ReLU()), trunkOutputs: 8, rng: new Rng(1) });
      return { m, tr: new Trainer(m, { tasks, optimizer: adam(), seed: 2 }) };
    };
    const a = mk();
    await a.tr.fit(data, { epochs: 2, batchSize: 16 });
    const b = mk();
    await b.tr.fit(data, { epochs: 1, batchSize: 16 });
    const saved = JSON.parse(JSON.stringify(b.tr.stateDict()));
    expect(Object.keys(saved.dropout)).toEqual(["trunk.1"]);
    const c = mk();
    await c.tr.fit(data, { epochs: 1, batchSize: 16 }); // moves its stream on; the state puts it back
    c.tr.loadStateDict(saved);
    await c.tr.fit(data, { epochs: 1, batchSize: 16 });
    expect(weightsOf(c.m)).toEqual(weightsOf(a.m));
  });

  it("dropLast keeps a one-example tail batch away from batch norm", async () => {
    const { Sequential, Linear, BatchNorm1d, ReLU } = await import("../src/index.js");
    const tasks = TASKS();
    const m = new SharedBottom({ tasks, trunk: new Sequential(new Linear(8, 8), new BatchNorm1d(8), new ReLU()), trunkOutputs: 8, rng: new Rng(1) });
    const tr = new Trainer(m, { tasks });
    await expect(tr.fit(synth(65, 1), { epochs: 1, batchSize: 32 })).rejects.toThrow(/batchNorm/);
    await tr.fit(synth(65, 1), { epochs: 1, batchSize: 32, dropLast: true });
  });

  it("one dataset per task must cover exactly the declared tasks", async () => {
    const tasks = TASKS();
    const tr = new Trainer(model(tasks), { tasks });
    const d = synth(20, 1);
    await expect(tr.fit({ cls: d.withTasks(["cls"]), reg: d.withTasks(["reg"]), typo: d.withTasks(["bin"]) }, { epochs: 1 }))
      .rejects.toThrow("fit: one dataset per task needs exactly the tasks cls, reg, bin; missing: bin; not a task: typo");
  });

  it("predict on zero rows gives empty outputs; argmax over an empty axis is an error", async () => {
    const { zeros, argmax, initializers } = await import("../src/index.js");
    const tasks = TASKS();
    const out = new Trainer(model(tasks), { tasks }).predict(zeros([0, 8]));
    expect(out.cls.shape).toEqual([0, 3]);
    expect(() => argmax(zeros([2, 0]), 1)).toThrow(/argmax: axis 1 of Tensor \[2, 0\] float32 is empty/);
    expect(typeof initializers.heNormal).toBe("function"); // not shadowed by init()
  });
});

describe("plain JS arrays", () => {
  it("train end to end: integer-valued regression targets and float class labels are taken as the loss needs", async () => {
    const rows: number[][] = [], cls: number[] = [], count: number[] = [];
    const x = randn([120, 4], 0, 1, new Rng(5)).data();
    for (let i = 0; i < 120; i++) {
      const r = Array.from(x.subarray(i * 4, i * 4 + 4));
      rows.push(r);
      cls.push(r[0] > 0 ? 1 : 0);
      count.push(Math.round(2 * r[1]) + 3); // integers, but a regression target
    }
    const data = new MultiTaskDataset({ x: rows, labels: { cls, count } });
    const tasks = [task("cls", { kind: "classification", outputs: 2 }), task("count", { kind: "regression", outputs: 1 })];
    const tr = new Trainer(new SharedBottom({ tasks, inputs: 4, trunk: [16], rng: new Rng(1) }), { tasks, optimizer: adam() });
    const h = await tr.fit(data, { epochs: 15, batchSize: 20 });
    expect(h[14].loss.count).toBeLessThan(h[0].loss.count * 0.5);
    expect(tr.evaluate(data).cls.accuracy).toBeGreaterThan(0.85);
  });
});
