// Every public entry checks what it is given: unknown option keys are named with the
// closest known one, wrong types print their type, non-tensors are named before an op
// reads them, label keys and label values are checked against the tasks, and a state
// dict is validated whole before anything is written.
import { describe, it, expect, beforeAll } from "vitest";
import {
  init, Rng, MultiTaskDataset, task, SharedBottom, MMoE, Trainer, Adam, SGD, StepLR, ReduceLROnPlateau,
  StaticWeighting, UncertaintyWeighting, sampled, joint, earlyStopping, checkpoint, randn, tensor, add, matmul, sum,
  reshape, concat, crossEntropy, mseLoss, softmax, relu, Linear, BatchNorm1d, Sequential, Module,
  type Task,
} from "../src/index.js";
import { closest, show, checkOptions } from "../src/validate.js";

beforeAll(async () => { await init(); });

const tasks = (): Task[] => [task("digit", { kind: "classification", outputs: 3 }), task("parity", { kind: "binary", outputs: 1 })];
const model = (ts = tasks()) => new SharedBottom({ tasks: ts, inputs: 4, trunk: [8], rng: new Rng(1) });
function data(n = 12, labels?: Record<string, unknown>): MultiTaskDataset {
  const x = randn([n, 4], 0, 1, new Rng(2)).data() as Float32Array;
  const digit = Int32Array.from({ length: n }, (_, i) => i % 3), parity = Float32Array.from({ length: n }, (_, i) => i % 2);
  return new MultiTaskDataset({ x, xShape: [4], labels: (labels ?? { digit, parity }) as never });
}

describe("the validation helper", () => {
  it("suggests the closest known name: typos, case, swapped letters", () => {
    const known = ["tasks", "optimizer", "weighting", "schedule", "seed", "clipGradNorm", "nanCheck"];
    expect(closest("optimiser", known)).toBe("optimizer");
    expect(closest("wieghting", known)).toBe("weighting");
    expect(closest("clipGradnorm", known)).toBe("clipGradNorm");
    expect(closest("zzzzzz", known)).toBeUndefined();
    expect(() => checkOptions("X", { wieghting: 1 }, known)).toThrow('X: unknown option "wieghting" (known: tasks, optimizer, weighting, schedule, seed, clipGradNorm, nanCheck); did you mean "weighting"?');
    expect(() => checkOptions("X", null as never, known)).toThrow("X: options must be an object, got null");
  });
  it("prints a value with its type", () => {
    expect(show("1")).toBe('"1" (string)');
    expect(show(1)).toBe("1 (number)");
    expect(show(null)).toBe("null");
    expect(show([1, "a"])).toBe('[1, "a"] (array)');
    expect(show(new Float32Array(3))).toBe("Float32Array(3)");
    expect(show(tensor([1, 2]))).toBe("a tensor Tensor [2] float32");
  });
});

describe("options of every public entry", () => {
  it("init", async () => {
    await expect(async () => init({ maxMemoryMb: 64 } as never)).rejects.toThrow('init: unknown option "maxMemoryMb" (known: maxMemoryMB); did you mean "maxMemoryMB"?');
    await expect(async () => init({ maxMemoryMB: "64" } as never)).rejects.toThrow('init: maxMemoryMB must be a number in (0, 4096], got "64" (string)');
  });
  it("MultiTaskDataset and its label specs", () => {
    const x = new Float32Array(8);
    expect(() => new MultiTaskDataset({ x, xShape: [4], lables: {} } as never)).toThrow('unknown option "lables"');
    expect(() => new MultiTaskDataset({ x, xShape: [4], lables: {} } as never)).toThrow('did you mean "labels"?');
    expect(() => new MultiTaskDataset({ x, xShape: [4], labels: { a: { values: new Float32Array(2), maks: new Uint8Array(2) } } } as never))
      .toThrow('did you mean "mask"?');
  });
  it("task(): the type is printed with the value", () => {
    expect(() => task("a", { kind: "regression", outputs: "1" } as never)).toThrow('task "a": outputs must be a positive integer, got "1" (string)');
    expect(() => task("a", { kind: "regresion", outputs: 1 } as never)).toThrow('got "regresion" (string)');
    expect(() => task("a", { kind: "regression", outputs: 1, wieght: 2 } as never)).toThrow('did you mean "weight"?');
    expect(() => task("a", { kind: "regression", outputs: 1, weight: "2" } as never)).toThrow('weight must be a finite number >= 0, got "2" (string)');
    expect(() => task("a", { kind: "toString", outputs: 1 } as never)).toThrow("kind must be one of");
  });
  it("architectures: typos, wrong types and per-task towers naming no task", () => {
    expect(() => new SharedBottom({ tasks: tasks(), inputs: 4, trunk: [8], tower: [4] } as never)).toThrow('did you mean "towers"?');
    expect(() => new SharedBottom({ tasks: tasks(), inputs: 4, trunk: [8], towers: { Parity: [4] } } as never))
      .toThrow('SharedBottom: towers has a key "Parity" that names no task (known: digit, parity); did you mean "parity"?');
    expect(() => new MMoE({ tasks: tasks(), inputs: 4, experts: 2, expertWidths: [4], towers: { digt: [2] } } as never)).toThrow('towers has a key "digt"');
    expect(() => new MMoE({ tasks: tasks(), inputs: 4, experts: "2", expertWidths: [4] } as never)).toThrow('experts must be an integer >= 1, got "2" (string)');
    // a per-task towers object that names real tasks still builds
    const m = new SharedBottom({ tasks: tasks(), inputs: 4, trunk: [8], towers: { parity: [3] }, rng: new Rng(0) });
    expect(m.towers.parity.numParameters()).toBeGreaterThan(m.towers.digit.numParameters() - 100);
  });
  it("optimisers and learning-rate schedules", () => {
    const p = [tensor([1, 2])];
    expect(() => new Adam(p, { lr: "0.1" } as never)).toThrow('Adam: lr must be a number >= 0, got "0.1" (string)');
    expect(() => new SGD(p, { momentun: 0.9 } as never)).toThrow('did you mean "momentum"?');
    expect(() => new SGD(["w"] as never)).toThrow('element 0 is "w" (string)');
    const opt = new SGD(p, { lr: 0.1 });
    expect(() => new StepLR(opt, { stepSize: 2, gama: 0.5 } as never)).toThrow('StepLR: unknown option "gama" (known: stepSize, gamma); did you mean "gamma"?');
    expect(() => new ReduceLROnPlateau(opt, { patiance: 2 } as never)).toThrow('did you mean "patience"?');
  });
  it("weightings and schedules", () => {
    expect(() => new StaticWeighting({ digit: "2" } as never)).toThrow('StaticWeighting: weight of "digit" must be finite and >= 0, got "2" (string)');
    expect(() => new Trainer(model(), { tasks: tasks(), weighting: new StaticWeighting({ Parity: 2 }) }))
      .toThrow('StaticWeighting: a weight for "Parity", which names no task (known: digit, parity); did you mean "parity"?');
  });
  it("Trainer: typos, a missing task list, an optimiser where a factory goes, plug-ins of the wrong kind", () => {
    const ts = tasks();
    expect(() => new Trainer(model(), { tasks: ts, optimiser: () => null } as never)).toThrow('Trainer: unknown option "optimiser"');
    expect(() => new Trainer(model(), { tasks: ts, wieghting: null } as never)).toThrow('did you mean "weighting"?');
    expect(() => new Trainer(model(), { tasks: ts, clipGradnorm: 1 } as never)).toThrow('did you mean "clipGradNorm"?');
    expect(() => new Trainer(model(), {} as never)).toThrow("Trainer: tasks must be a list, got undefined");
    const m = model();
    expect(() => new Trainer(m, { tasks: ts, optimizer: new Adam(m.parameters()) as never }))
      .toThrow("Trainer: optimizer must be a function (params) => new Adam(params, ...), not an optimiser");
  });
  it("fit, evaluate and predict", async () => {
    const ts = tasks();
    const tr = new Trainer(model(ts), { tasks: ts });
    const ds = data();
    await expect(tr.fit(ds, { epochs: 1, batchsize: 4 } as never)).rejects.toThrow('fit: unknown option "batchsize"');
    await expect(tr.fit(ds, { epochs: 1, batchsize: 4 } as never)).rejects.toThrow('did you mean "batchSize"?');
    await expect(tr.fit(ds, { epochs: 1, validaton: ds } as never)).rejects.toThrow('did you mean "validation"?');
    await expect(tr.fit(ds, { epochs: "1" } as never)).rejects.toThrow('fit: epochs must be a positive integer, got "1" (string)');
    await expect(tr.fit(ds, { epochs: 1, validation: {} } as never)).rejects.toThrow("fit: validation: expected a MultiTaskDataset, got an object");
    await expect(tr.fit(ds, undefined as never)).rejects.toThrow("fit: options must be an object, got null");
    expect(() => tr.predict(new Float32Array(8) as never)).toThrow("predict: x must be a Tensor, got Float32Array(8) (make one with tensor(values, [rows, features]))");
    expect(() => tr.predict(randn([2, 4]), { task: ["digit"] } as never)).toThrow('did you mean "tasks"?');
    expect(() => tr.evaluate(ds, { batchsize: 4 } as never)).toThrow('did you mean "batchSize"?');
    expect(tr.step).toBe(0); // nothing above trained
  });
});

describe("labels against the tasks", () => {
  it("a label key that is a near miss of a task is an error, not a task trained without labels", async () => {
    const ts = tasks();
    const tr = new Trainer(model(ts), { tasks: ts });
    const n = 12;
    const bad = data(n, { digit: Int32Array.from({ length: n }, (_, i) => i % 3), Parity: Float32Array.from({ length: n }, (_, i) => i % 2) });
    await expect(tr.fit(bad, { epochs: 1 })).rejects.toThrow('fit: the data has labels "Parity", which names no task; did you mean "parity"?');
    expect(() => tr.evaluate(bad)).toThrow('evaluate: the data has labels "Parity"');
    const lacking = data(n, { digit: Int32Array.from({ length: n }, (_, i) => i % 3) });
    await expect(tr.fit(lacking, { epochs: 1 })).rejects.toThrow('fit: the data has no labels for task "parity" (its labels: digit)');
    await expect(tr.fit({ digit: lacking, party: lacking } as never, { epochs: 1 })).rejects.toThrow("missing: parity; not a task: party");
    expect(tr.step).toBe(0);
  });
});

// A small model with a batch-norm buffer (int32 counter) to load dicts into.
class Net extends Module {
  fc = new Linear(3, 2, { rng: new Rng(4) });
  bn = new BatchNorm1d(2);
  forward(x: import("../src/index.js").Tensor) { return this.bn.forward(this.fc.forward(x)); }
}
function plain(m: Module): Record<string, { shape: number[]; dtype: string; data: number[] }> {
  return Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, { shape: [...t.shape], dtype: t.dtype, data: Array.from(t.data()) }]));
}
const snapshot = (m: Module) => JSON.stringify(plain(m));

describe("Module.loadStateDict checks the whole dict before writing anything", () => {
  const cases: [string, (d: ReturnType<typeof plain>) => void, string][] = [
    ["data shorter than the shape", (d) => { d["fc.weight"].data = [1]; }, '"fc.weight": 1 values (float32), expected 6 (float32)'],
    ["data longer than the shape (a later entry)", (d) => { d["bn.running_var"].data = [1, 1, 1]; }, '"bn.running_var": 3 values (float32), expected 2 (float32)'],
    ["a string value", (d) => { (d["fc.bias"].data as unknown[])[1] = "abc"; }, '"fc.bias": value 1 is "abc" (string), expected a number'],
    ["a fraction in an int32 buffer", (d) => { d["bn.num_batches_tracked"].data = [1.5]; }, '"bn.num_batches_tracked": value 0 is 1.5 (number), expected an int32 integer'],
    ["a wrong dtype", (d) => { d["bn.num_batches_tracked"].dtype = "float32"; }, '"bn.num_batches_tracked": 1 values (float32), expected 1 (int32)'],
    ["data that is not an array", (d) => { (d["fc.bias"] as { data: unknown }).data = "12"; }, '"fc.bias": value 0 is "1" (string), expected a number'],
    ["an entry that is not a tensor", (d) => { (d as Record<string, unknown>)["fc.bias"] = 5; }, '"fc.bias": expected a Tensor or { shape, data }, got 5 (number)'],
    ["a misspelt name", (d) => { d["fc.wieght"] = d["fc.weight"]; delete (d as Record<string, unknown>)["fc.weight"]; }, 'unexpected "fc.wieght" (did you mean "fc.weight"?)'],
  ];
  for (const [what, spoil, msg] of cases) {
    it(what, () => {
      const m = new Net();
      m.forward(randn([4, 3], 0, 1, new Rng(1))); // moves the running stats off their initial values
      const d = plain(new Net());
      for (const v of Object.values(d)) v.data = v.data.map((x) => x + 0.25);
      spoil(d);
      const before = snapshot(m);
      expect(() => m.loadStateDict(d as never)).toThrow(msg);
      expect(snapshot(m)).toBe(before);
    });
  }
  it("requireFinite rejects NaN and values that overflow float32; a good dict loads", () => {
    const m = new Net();
    const d = plain(new Net());
    d["fc.bias"].data = [NaN, 0];
    const before = snapshot(m);
    expect(() => m.loadStateDict(d, { requireFinite: true })).toThrow('"fc.bias": value 0 is NaN (number), expected a finite float32');
    d["fc.bias"].data = [1e39, 0];
    expect(() => m.loadStateDict(d, { requireFinite: true })).toThrow("value 0 is 1e+39 (number)");
    expect(() => m.loadStateDict(d, { requireFinit: true } as never)).toThrow('did you mean "requireFinite"?');
    expect(snapshot(m)).toBe(before);
    d["fc.bias"].data = [0.5, -0.5];
    m.loadStateDict(d, { requireFinite: true });
    expect(Array.from(m.fc.bias!.data())).toEqual([0.5, -0.5]);
    const seq = new Sequential(new Linear(2, 2));
    expect(() => seq.loadStateDict(null as never)).toThrow("loadStateDict: expected an object of name -> tensor or { shape, data }, got null");
  });
});
