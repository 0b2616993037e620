// polyhead/transfer, task adaptation: parameters picked by name and glob, heads added on
// the trunk or on a named layer, removed and replaced, the adapted model saved and rebuilt
// as it is, parameter groups with their own learning rates, and gradual unfreezing.
import { describe, it, expect, beforeAll } from "vitest";
import { init, task, randn, Rng, scope, Trainer, Adam, SGD, MultiTaskDataset, SharedBottom, type MultiTaskModel, type Tensor } from "../src/index.js";
import { createModel, modelConfig, saveModel, saveModelArchive, loadModel } from "../src/io/index.js";
import { adapt, freeze, unfreeze, selectParameters, paramGroups, gradualUnfreezing, patternRegex, AdaptedModel } from "../src/transfer/index.js";

beforeAll(async () => { await init(); });

const digit = () => task("digit", { kind: "classification", outputs: 4 });
const parity = () => task("parity", { kind: "binary", outputs: 1 });
const base = (seed = 3) => createModel("SharedBottom", { tasks: [digit(), parity()], inputs: 6, trunk: [8, 5], towers: [4], seed });

function outputs(m: MultiTaskModel, x: Tensor): Record<string, number[]> {
  return scope(() => Object.fromEntries(Object.entries(m.eval().forward(x).outputs).map(([k, t]) => [k, Array.from(t.data())])));
}
const values = (m: MultiTaskModel) => Object.fromEntries(m.namedParameters().map(([n, t]) => [n, Array.from(t.data())]));

describe("name patterns", () => {
  it("a name, a module path, * within a segment, ** across segments", () => {
    const names = ["trunk.0.weight", "trunk.0.bias", "trunk.2.weight", "towers.digit.0.weight", "towers.digit.2.bias"];
    const hits = (p: string) => names.filter((n) => patternRegex(p).test(n));
    expect(hits("trunk.0.weight")).toEqual(["trunk.0.weight"]);
    expect(hits("trunk.0")).toEqual(["trunk.0.weight", "trunk.0.bias"]);
    expect(hits("trunk")).toEqual(["trunk.0.weight", "trunk.0.bias", "trunk.2.weight"]);
    expect(hits("trunk.*.weight")).toEqual(["trunk.0.weight", "trunk.2.weight"]);
    expect(hits("*.weight")).toEqual([]); // * never crosses a dot
    expect(hits("**.weight")).toEqual(["trunk.0.weight", "trunk.2.weight", "towers.digit.0.weight"]);
    expect(hits("towers.*.?.bias")).toEqual(["towers.digit.2.bias"]);
    expect(hits("trunk.0.w")).toEqual([]); // a path segment is whole
  });

  it("freeze and unfreeze by pattern; a pattern that matches nothing is an error naming the nearest", () => {
    const m = base();
    expect(freeze(m, "trunk")).toEqual(["trunk.0.weight", "trunk.0.bias", "trunk.2.weight", "trunk.2.bias"]);
    expect(m.trainableParameters().length).toBe(m.parameters().length - 4);
    unfreeze(m, ["trunk.2.*"]);
    expect(m.namedParameters().filter(([, t]) => t.requiresGrad).map(([n]) => n).slice(0, 2)).toEqual(["trunk.2.weight", "trunk.2.bias"]);
    expect(() => freeze(m, "trunc.0")).toThrow(/freeze: "trunc.0" matches no parameter; did you mean "trunk.0"\?/);
    expect(() => freeze(m, [])).toThrow(/no name patterns/);
    expect(() => selectParameters(m, "")).toThrow(/non-empty string/);
  });
});

describe("adapted models", () => {
  it("adds heads on the trunk and on a named layer; the base's outputs are unchanged", () => {
    const b = base();
    const x = randn([3, 6], 0, 1, new Rng(9));
    const before = outputs(b, x);
    const m = adapt(b, { seed: 5 });
    m.addTask(task("odd", { kind: "binary", outputs: 1 }), { hidden: [3] });
    m.addTask(task("low", { kind: "classification", outputs: 2 }), { at: "trunk.0" });
    expect(m.taskNames).toEqual(["digit", "parity", "odd", "low"]);
    const out = outputs(m, x);
    expect(out.digit).toEqual(before.digit);
    expect(out.odd.length).toBe(3);
    expect(out.low.length).toBe(6);
    expect(m.namedParameters().map(([n]) => n)).toContain("heads.low.0.weight");
    // the head on trunk.0 reads its 8 outputs (the Linear's, before the activation)
    expect(m.heads.low.parameters()[0].shape).toEqual([2, 8]);
    expect(() => m.checkOwnership()).not.toThrow();
    // only the requested heads run, and a head alone still runs the trunk
    expect(Object.keys(scope(() => m.forward(x, ["low"]).outputs))).toEqual(["low"]);
  });

  it("removes and replaces heads of the base and added ones; the other parameters keep their names", () => {
    const m = adapt(base());
    const n0 = m.namedParameters().length;
    m.removeTask("parity");
    expect(m.taskNames).toEqual(["digit"]);
    expect(m.namedParameters().some(([n]) => n.startsWith("base.towers.parity."))).toBe(false);
    expect(m.namedParameters().length).toBe(n0 - 4);
    m.replaceTask(task("digit", { kind: "classification", outputs: 7 }), { hidden: [6] });
    expect(m.taskNames).toEqual(["digit"]);
    expect(m.heads.digit.parameters().map((p) => p.shape)).toEqual([[6, 5], [6], [7, 6], [7]]);
    expect(outputs(m, randn([2, 6], 0, 1, new Rng(1))).digit.length).toBe(14);
    m.addTask(parity(), {});
    m.replaceTask(task("parity", { kind: "regression", outputs: 2 }));
    expect(m.taskNames).toEqual(["digit", "parity"]);
    expect(() => m.checkOwnership()).not.toThrow();
  });

  it("refuses what it cannot do, by name, and changes nothing", () => {
    const m = adapt(base());
    const names = m.namedParameters().map(([n]) => n);
    expect(() => m.addTask(digit())).toThrow(/has this task already/);
    expect(() => m.addTask(task("x", { kind: "binary", outputs: 1 }), { at: "trunk.7" })).toThrow(/no layer "trunk.7".*did you mean "trunk.0"/);
    expect(() => m.addTask(task("x", { kind: "binary", outputs: 1 }), { hiden: [3] } as never)).toThrow(/unknown option "hiden".*did you mean "hidden"/);
    expect(() => m.addTask(task("x", { kind: "binary", outputs: 1 }), { at: "trunk.1" })).toThrow(/width of layer "trunk.1" is not known; pass inputs/);
    expect(() => m.addTask(task("x", { kind: "binary", outputs: 1 }), { identity: true })).toThrow(/needs outputs: 5/);
    expect(() => m.removeTask("digti")).toThrow(/no such task.*did you mean "digit"/);
    expect(() => m.replaceTask(task("parity", { kind: "binary", outputs: 1 }), { hidden: [0] })).toThrow(/hidden must be/);
    expect(m.namedParameters().map(([n]) => n)).toEqual(names);
    m.removeTask("parity");
    expect(() => m.removeTask("digit")).toThrow(/last task/);
    expect(() => adapt(m)).toThrow(/adapted already/);
    expect(() => adapt(new SharedBottom({ tasks: [digit()], inputs: 3, trunk: [2] }))).toThrow(/no declaration for the model's task "digit"/);
    const ple = adapt(createModel("PLE", { tasks: [digit(), parity()], inputs: 6, sharedExperts: 1, taskExperts: 1, expertWidths: [4], layers: 2 }));
    expect(() => ple.removeTask("parity")).toThrow(/sit inside shared layers/);
    expect(ple.taskNames).toEqual(["digit", "parity"]);
  });

  it("MMoE: a head on the representation (the experts' stack, flattened) or on one expert; CrossStitch has no single one", () => {
    const m = adapt(createModel("MMoE", { tasks: [digit(), parity()], inputs: 6, experts: 2, expertWidths: [5], seed: 1 }));
    expect(() => m.addTask(task("x", { kind: "binary", outputs: 1 }))).toThrow(/width of the trunk is not known; pass inputs/);
    m.addTask(task("x", { kind: "binary", outputs: 1 }), { inputs: 10 });
    expect(outputs(m, randn([2, 6], 0, 1, new Rng(1))).x.length).toBe(2);
    m.removeTask("x");
    m.addTask(task("y", { kind: "binary", outputs: 1 }), { at: "experts.1" });
    m.removeTask("parity"); // its gate and tower go
    expect(m.namedParameters().filter(([n]) => n.includes("parity"))).toEqual([]);
    expect(outputs(m, randn([2, 6], 0, 1, new Rng(1))).y.length).toBe(2);
    expect(() => m.checkOwnership()).not.toThrow();
    const back = loadModel(saveModelArchive(m));
    expect(outputs(back, randn([2, 6], 0, 1, new Rng(1)))).toEqual(outputs(m, randn([2, 6], 0, 1, new Rng(1))));
    const cs = adapt(createModel("CrossStitch", { tasks: [digit(), parity()], inputs: 6, columns: [5, 4] }));
    cs.addTask(task("z", { kind: "binary", outputs: 1 }), { inputs: 4 });
    expect(() => outputs(cs, randn([2, 6], 0, 1, new Rng(1)))).toThrow(/no single shared representation; add the head at a named layer/);
  });

  it("saves and reloads as it is: heads, removals, replacements, frozen set, outputs", () => {
    const m = adapt(base(), { seed: 11 });
    m.removeTask("parity");
    m.replaceTask(task("digit", { kind: "classification", outputs: 3 }), { hidden: [4], activation: "tanh" });
    m.addTask(task("domain", { kind: "binary", outputs: 1 }), { at: "trunk.2", reverseGradient: true, hidden: [3] });
    m.addTask(task("coral", { kind: "regression", outputs: 5, metrics: [] }), { identity: true });
    freeze(m, "base.**");
    const x = randn([4, 6], 0, 1, new Rng(2));
    const want = outputs(m, x);
    const saved = saveModel(m);
    const json = JSON.parse(JSON.stringify(saved.config));
    expect(json.architecture.name).toBe("Adapted");
    expect(json.tasks.map((t: { name: string }) => t.name)).toEqual(["digit", "domain", "coral"]);
    for (const back of [loadModel({ config: json, weights: saved.weights }), loadModel(saveModelArchive(m))]) {
      expect(back).toBeInstanceOf(AdaptedModel);
      expect(outputs(back, x)).toEqual(want);
      expect(back.namedParameters().map(([n, t]) => [n, t.requiresGrad])).toEqual(m.namedParameters().map(([n, t]) => [n, t.requiresGrad]));
      expect(modelConfig(back)).toEqual(saved.config);
      // and it adapts further after the reload
      (back as AdaptedModel).addTask(parity());
      expect(modelConfig(back).tasks.map((t) => t.name)).toEqual(["digit", "domain", "coral", "parity"]);
    }
    // a config that does not fit is refused by name
    const bad = (edit: (c: typeof json) => void) => { const c = structuredClone(json); edit(c); return () => loadModel({ config: c, weights: saved.weights }); };
    expect(bad((c) => { c.architecture.options.heads[0].hiden = [3]; })).toThrow(/Adapted: .*unknown option "hiden".*did you mean "hidden"/);
    expect(bad((c) => { c.architecture.options.removed = ["nope"]; })).toThrow(/removed names "nope", which is not a task of the base model/);
    expect(bad((c) => { c.architecture.options.heads[1].task = "other"; })).toThrow(/heads\[1\] is for task "other"/);
    // a custom module head trains but has no config
    const custom = adapt(base());
    custom.addTask(task("c", { kind: "binary", outputs: 1 }), { module: new SharedBottom({ tasks: [parity()], inputs: 5, trunk: [2] }).towers.parity });
    expect(() => saveModel(custom)).toThrow(/custom module head/);
  });
});

// a tiny problem: 4 classes from 6 features, and a binary task
function data(n: number, seed: number): MultiTaskDataset {
  const r = new Rng(seed);
  const x = randn([n, 6], 0, 1, r).data() as Float32Array;
  const digitY = new Int32Array(n), parityY = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    digitY[i] = (x[i * 6] > 0 ? 1 : 0) + (x[i * 6 + 1] > 0 ? 2 : 0);
    parityY[i] = x[i * 6 + 2] > 0 ? 1 : 0;
  }
  return new MultiTaskDataset({ x: Float32Array.from(x), xShape: [6], labels: { digit: digitY, parity: parityY } });
}

describe("fine-tuning", () => {
  it("a frozen base does not move while the new head trains", async () => {
    const m = adapt(base());
    m.removeTask("parity");
    m.replaceTask(task("digit", { kind: "classification", outputs: 4 }));
    freeze(m, "base.**");
    const before = values(m);
    const trainer = new Trainer(m, { tasks: m.tasks, optimizer: (p) => new Adam(p, { lr: 1e-2 }) });
    await trainer.fit(data(64, 1), { epochs: 2, batchSize: 16 });
    const after = values(m);
    for (const n of Object.keys(before)) {
      if (n.startsWith("base.")) expect(after[n], n).toEqual(before[n]);
      else expect(after[n], n).not.toEqual(before[n]);
    }
  });

  it("parameter groups by pattern: the first matching group wins, the rest get the defaults", () => {
    const m = adapt(base());
    const groups = paramGroups(m, [{ params: "base.trunk.0", lr: 0 }, { params: ["base.trunk.**", "base.towers.digit"], lr: 0.5 }]);
    expect(groups.map((g) => [...g.params].map((p) => p.name))).toEqual([
      ["base.trunk.0.weight", "base.trunk.0.bias"],
      ["base.trunk.2.weight", "base.trunk.2.bias", "base.towers.digit.0.weight", "base.towers.digit.0.bias", "base.towers.digit.2.weight", "base.towers.digit.2.bias"],
      m.parameters().slice(8).map((p) => p.name),
    ]);
    const opt = new SGD(groups, { lr: 0.1 });
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0, 0.5, 0.1]);
    expect(() => paramGroups(m, [{ params: "base.**" }, { params: "base.trunk" }])).toThrow(/group 1 .* gets no parameter/);
    expect(() => paramGroups(m, [{ params: "heads.**" }])).toThrow(/paramGroups \(group 0\): "heads.\*\*" matches no parameter/);
    expect(() => new SGD(paramGroups(m, [{ params: "base.trunk", lrr: 1 }]), { lr: 0.1 })).toThrow(/unknown option "lrr"/);
  });

  it("discriminative learning rates in the trainer: a group at lr 0 stays, the others move", async () => {
    const m = adapt(base());
    const before = values(m);
    const trainer = new Trainer(m, { tasks: m.tasks, optimizer: (p) => new SGD(paramGroups(p, [{ params: "base.trunk.0", lr: 0 }, { params: "base.trunk.2", lr: 0.05 }]), { lr: 0.1 }) });
    await trainer.fit(data(32, 2), { epochs: 1, batchSize: 16 });
    const after = values(m);
    expect(after["base.trunk.0.weight"]).toEqual(before["base.trunk.0.weight"]);
    expect(after["base.trunk.2.weight"]).not.toEqual(before["base.trunk.2.weight"]);
    expect(after["base.towers.digit.0.weight"]).not.toEqual(before["base.towers.digit.0.weight"]);
  });

  it("gradual unfreezing: the top stage first, one stage below joins every epoch", async () => {
    const m = adapt(base());
    const trunk0 = () => Array.from(m.base.namedParameters()[0][1].data());
    const trunk2 = () => Array.from(m.base.namedParameters()[2][1].data());
    const seen: number[][][] = [];
    const gu = gradualUnfreezing(m, [["base.towers.**"], "base.trunk.2", "base.trunk.0"]);
    const trainer = new Trainer(m, { tasks: m.tasks, optimizer: (p) => new Adam(p, { lr: 1e-2 }) });
    await trainer.fit(data(32, 3), {
      epochs: 3, batchSize: 16,
      callbacks: [{ onTrainBegin: () => { seen.push([trunk0(), trunk2()]); } }, gu, { onEpochEnd: () => { seen.push([trunk0(), trunk2()]); } }],
    });
    expect(gu.stage).toBe(2);
    expect(seen[1][1]).toEqual(seen[0][1]); // epoch 0: trunk.2 frozen
    expect(seen[2][1]).not.toEqual(seen[1][1]); // epoch 1: trunk.2 trains
    expect(seen[2][0]).toEqual(seen[0][0]); // trunk.0 still frozen
    expect(seen[3][0]).not.toEqual(seen[2][0]); // epoch 2: trunk.0 trains
    expect(() => gradualUnfreezing(m, ["base.trunk.9"])).toThrow(/stage 0.*matches no parameter/);
    expect(() => gradualUnfreezing(m, ["base.trunk.0"], { evry: 2 } as never)).toThrow(/unknown option "evry"/);
  });
});
