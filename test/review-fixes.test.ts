// Regression tests for the second review's findings (numbers checked against PyTorch
// semantics by hand): max/min gradients on ties and NaN, empty sums, index validation,
// loss means over more than 2^24 elements, gradient aliasing, metrics on NaN scores.
import { describe, it, expect, beforeAll } from "vitest";
import { init, tensor, zeros, ones, maximum, minimum, sum, mean, gradients, add, embedding, take, argmax, mseLoss,
  truncatedNormal, Rng, accuracy, r2Score, getMetric } from "../src/index.js";

beforeAll(async () => { await init(); });

describe("review fixes", () => {
  it("maximum/minimum gradients follow torch: ties split, a NaN operand gets all", () => {
    const a = tensor([1, 2, 3, NaN]), b = tensor([1, 5, 0, 2]);
    a.requiresGrad = true; b.requiresGrad = true;
    const [ga, gb] = gradients(sum(maximum(a, b)), [a, b]);
    expect(Array.from(ga.data())).toEqual([0.5, 0, 1, 1]);
    expect(Array.from(gb.data())).toEqual([0.5, 1, 0, 1]);
    const [ga2, gb2] = gradients(sum(minimum(a, b)), [a, b]);
    expect(Array.from(ga2.data())).toEqual([0.5, 1, 0, 1]);
    expect(Array.from(gb2.data())).toEqual([0.5, 0, 1, 1]);
  });

  it("a sum over an empty axis is 0 (and the mean NaN), whatever memory held before", () => {
    const junk = tensor(new Array(16).fill(7)); junk.dispose();
    expect(Array.from(sum(zeros([0, 3]), 0).data())).toEqual([0, 0, 0]);
    expect(Number.isNaN(mean(zeros([0, 3]), 0).data()[0])).toBe(true);
  });

  it("indices must be integers; argmax takes float32 only", () => {
    const w = tensor([[1, 2], [3, 4]]);
    expect(() => embedding([NaN, 1], w)).toThrow(/index NaN at position 0 is not an integer/);
    expect(() => take(w, [1.7])).toThrow(/index 1.7 at position 0 is not an integer/);
    expect(() => argmax(tensor([-1, -2, 5, 3], [4], "int32"))).toThrow(/argmax: .* must be float32/);
  });

  it("a loss mean over more than 2^24 elements counts every one", () => {
    const n = (1 << 24) + 8;
    expect(mseLoss(zeros([n]), ones([n])).item()).toBe(1);
  });

  it("gradients() never returns two results that share memory", () => {
    const a = tensor([1, 2]), b = tensor([3, 4]);
    a.requiresGrad = true; b.requiresGrad = true;
    const [ga, gb] = gradients(sum(add(a, b)), [a, b]);
    expect(ga.storage).not.toBe(gb.storage);
  });

  it("truncatedNormal stays within its limit even when the limit is tiny", () => {
    const v = truncatedNormal([20000], 0, 1, 0.05, new Rng(3)).data();
    expect(v.every((x) => Math.abs(x) <= 0.05)).toBe(true);
    expect(() => truncatedNormal([2], 0, 1, 0)).toThrow(/limit must be > 0/);
  });

  it("NaN scores are wrong answers; R² of a constant target is 0 or 1, never huge", () => {
    const nan = new Float32Array(12).fill(NaN);
    expect(accuracy(nan, [2, 1, 0, 2])).toBe(0);
    const top1 = getMetric("top1").create();
    top1.update(tensor(Array.from(nan), [4, 3]), tensor([2, 1, 0, 2], [4], "int32"));
    expect(top1.compute()).toBe(0);
    expect(accuracy([NaN, NaN], [0, 1])).toBe(0);
    expect(r2Score([0.2, 0.1, 0.1], [0.1, 0.1, 0.1])).toBe(0);
    expect(r2Score([0.1, 0.1, 0.1], [0.1, 0.1, 0.1])).toBe(1);
  });
});

describe("architecture review fixes", () => {
  it("task names and architecture options are checked", async () => {
    const { task, SharedBottom, CrossStitch, Sequential, Linear } = await import("../src/index.js");
    expect(() => task("a.b", { kind: "regression", outputs: 1 })).toThrow(/must not contain "\."/);
    const t = task("a", { kind: "regression", outputs: 1 });
    expect(() => new SharedBottom({ tasks: [t, t], inputs: 3, trunk: [4] })).toThrow(/"a" is used twice/);
    expect(() => new SharedBottom({ tasks: [t], trunk: new Sequential(new Linear(3, 4)), trunkOutputs: 4, dropout: 0.5 })).toThrow(/dropout applies to an MLP trunk only/);
    expect(() => new CrossStitch({ tasks: [t, task("b", { kind: "regression", outputs: 1 })], inputs: 3, columns: [4], stitchInit: 5 })).toThrow(/stitchInit must be in \[0, 1\]/);
  });

  it("Fusion checks the sources' real widths, does not leak in weights(), rejects dropout without hidden layers", async () => {
    const { task, SharedBottom, Fusion, randn, memoryStats } = await import("../src/index.js");
    const a = task("a", { kind: "classification", outputs: 3 }), b = task("b", { kind: "regression", outputs: 1 });
    const f = task("f", { kind: "regression", outputs: 1 });
    const base = () => new SharedBottom({ tasks: [a, b], inputs: 4, trunk: [5], rng: new Rng(1) });
    const lying = { ...a, outputs: 1 }; // declared 1 wide, the head gives 3
    const avg = new Fusion({ model: base(), task: f, sources: [lying, b], method: "average" });
    expect(() => avg.forward(randn([2, 4], 0, 1, new Rng(2)))).toThrow(/source "a" was declared with 1 outputs, its head gives 3/);
    const w = new Fusion({ model: base(), task: f, sources: [b], method: "weighted" });
    w.weights();
    const live = memoryStats().liveAllocations;
    for (let i = 0; i < 50; i++) w.weights();
    expect(memoryStats().liveAllocations).toBe(live);
    expect(() => new Fusion({ model: base(), task: f, sources: [b], method: "mlp", dropout: 0.2 })).toThrow(/dropout and activation need hidden layers/);
  });

  it("DSelect-k's static-gate regulariser covers only the tasks of the step", async () => {
    const { task, DSelectK, randn, gradients } = await import("../src/index.js");
    const tasks = [task("a", { kind: "regression", outputs: 1 }), task("b", { kind: "regression", outputs: 1 })];
    const m = new DSelectK({ tasks, inputs: 4, experts: 4, k: 2, expertWidths: [3], gating: "static", entropyReg: 0.1, rng: new Rng(1) });
    m.forward(randn([3, 4], 0, 1, new Rng(2)), ["a"]);
    const bParams = m.taskParameters("b");
    const gs = gradients(m.regularization()!, bParams);
    expect(gs.every((g) => g.data().every((v) => v === 0))).toBe(true);
  });
});
