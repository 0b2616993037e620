// Weights for imbalanced data beyond the PyTorch golden cases (test/ops-table.test.ts):
// how classWeight / posWeight / per-example weights combine with masks, bad shapes and
// options named, and the same weights through task(), MultiTaskDataset and the Trainer
// (a weight of 2 trains as the example twice; evaluation reports the weighted mean).
import { describe, it, expect, beforeAll } from "vitest";
import {
  init, Rng, MultiTaskDataset, task, SharedBottom, Trainer, SGD, tensor, crossEntropy, binaryCrossEntropyWithLogits,
  mseLoss, mul, reshape, type Tensor, type Task,
} from "../src/index.js";
import { rnd } from "./nnhelpers.js";

beforeAll(async () => { await init(); });

const vals = (t: Tensor) => Array.from(t.data());

describe("loss ops: class, positive and per-example weights", () => {
  it("classWeight equals the per-example weight classWeight[label] (no smoothing), masks included", () => {
    const x = rnd([5, 3], 1), y = [0, 2, 1, 2, 0], cw = [0.5, 2, 1.5];
    const mask = tensor([1, 1, 0, 1, 1], [5]);
    const a = crossEntropy(x, y, { classWeight: cw, mask }).item();
    const b = crossEntropy(x, y, { weight: tensor(y.map((c, i) => cw[c] * [1, 1, 0, 1, 1][i]), [5]) }).item();
    expect(a).toBe(b);
    // a masked-out row may hold a label out of range: it is skipped, not read
    expect(Number.isFinite(crossEntropy(x, [0, 2, 7, 2, 0], { classWeight: cw, mask }).item())).toBe(true);
    expect(() => crossEntropy(x, [0, 2, 7, 2, 0], { classWeight: cw })).toThrow("label 7 at position 2 is out of range [0, 3)");
  });

  it("classWeight and posWeight: bad shapes and values are named", () => {
    const x = rnd([4, 3], 2);
    expect(() => crossEntropy(x, [0, 1, 2, 0], { classWeight: [1, 2] })).toThrow("crossEntropy: classWeight Tensor [2] float32 does not fit classes [3] (expected that shape, or one that broadcasts to it)");
    expect(() => crossEntropy(x, [0, 1, 2, 0], { classWeight: [1, -2, 1] })).toThrow("classWeight Tensor [3] float32 holds -2 at 1; weights must be finite and >= 0");
    expect(() => crossEntropy(x, [0, 1, 2, 0], { classWeight: [1, NaN, 1] })).toThrow("holds NaN at 1");
    expect(() => crossEntropy(x, [0, 1, 2, 0], { classWeight: "1,2,3" as never })).toThrow("classWeight must be a tensor, an array of numbers or a number");
    const t = tensor([1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 1, 0], [4, 3]);
    expect(() => binaryCrossEntropyWithLogits(x, t, { posWeight: [1, 2] })).toThrow(
      "binaryCrossEntropyWithLogits: posWeight Tensor [2] float32 does not fit logits [4, 3] (expected that shape, or one that broadcasts to it)");
    expect(() => binaryCrossEntropyWithLogits(x, t, { posWeight: -1 })).toThrow("posWeight Tensor [1] float32 holds -1 at 0");
  });

  it("unknown loss options are rejected by name", () => {
    const x = rnd([4, 3], 3), t = tensor(new Float32Array(12), [4, 3]);
    expect(() => crossEntropy(x, [0, 1, 2, 0], { weights: [1, 1, 1] } as never)).toThrow('crossEntropy: unknown option "weights"');
    expect(() => crossEntropy(x, [0, 1, 2, 0], { class_weight: [1, 1, 1] } as never)).toThrow('did you mean "classWeight"?');
    expect(() => binaryCrossEntropyWithLogits(x, t, { pos_weight: 2 } as never)).toThrow('did you mean "posWeight"?');
    expect(() => mseLoss(x, t, { posWeight: 2 } as never)).toThrow('mseLoss: unknown option "posWeight"');
  });

  it("posWeight [C] over logits [C, C] weights the last axis (as torch's broadcast), not the rows", () => {
    const x = rnd([3, 3], 4), t = tensor([1, 1, 0, 0, 1, 1, 1, 0, 1], [3, 3]);
    const l = vals(binaryCrossEntropyWithLogits(x, t, { posWeight: [2, 1, 0.5], reduction: "none" }));
    const base = vals(binaryCrossEntropyWithLogits(x, t, { reduction: "none" }));
    const sp = vals(binaryCrossEntropyWithLogits(x, tensor(new Float32Array(9).fill(1), [3, 3]), { reduction: "none" }));
    const tv = vals(t);
    for (let i = 0; i < 9; i++) expect(l[i]).toBeCloseTo(base[i] + ([2, 1, 0.5][i % 3] - 1) * tv[i] * sp[i], 6);
  });

  it("posWeight with a constant target equals the differentiable-target path, and a masked NaN target stays out", () => {
    const x = rnd([4, 2], 5), tv = [1, 0, 0, 1, 1, 1, 0, 0];
    const c = binaryCrossEntropyWithLogits(x, tensor(tv, [4, 2]), { posWeight: [3, 0.25] }).item();
    const tg = tensor(tv, [4, 2]); tg.requiresGrad = true;
    expect(binaryCrossEntropyWithLogits(x, tg, { posWeight: [3, 0.25] }).item()).toBeCloseTo(c, 6);
    const nanT = tensor([1, 0, NaN, NaN, 1, 1, 0, 0], [4, 2]);
    const m = binaryCrossEntropyWithLogits(x, nanT, { posWeight: 3, mask: tensor([1, 0, 1, 1], [4]) }).item();
    expect(m).toBeCloseTo(binaryCrossEntropyWithLogits(x, tensor([1, 0, 0, 0, 1, 1, 0, 0], [4, 2]), { posWeight: 3, mask: tensor([1, 0, 1, 1], [4]) }).item(), 6);
    expect(Number.isFinite(m)).toBe(true);
  });
});

describe("weights through task(), the dataset and the Trainer", () => {
  it("task() checks classWeight and posWeight against the loss and outputs", () => {
    expect(task("c", { kind: "classification", outputs: 3, classWeight: [1, 2, 3] }).classWeight).toEqual(Float32Array.from([1, 2, 3]));
    expect(task("b", { kind: "binary", outputs: 1, posWeight: 4 }).posWeight).toEqual(Float32Array.from([4]));
    expect(() => task("c", { kind: "classification", outputs: 3, classWeight: [1, 2] })).toThrow('task "c": classWeight must be 3 finite numbers >= 0 (one per output), got [1, 2] (array)');
    expect(() => task("c", { kind: "classification", outputs: 3, classWeight: [1, -1, 2] })).toThrow("got [1, -1, 2] (array)");
    expect(() => task("c", { kind: "classification", outputs: 2, classWeight: "12" as never })).toThrow('got "12" (string)');
    expect(() => task("m", { kind: "multilabel", outputs: 3, posWeight: [1, 2] })).toThrow('task "m": posWeight must be 1 or 3 finite numbers');
    expect(task("m", { kind: "multilabel", outputs: 3, posWeight: [1, 2, 3] }).posWeight).toEqual(Float32Array.from([1, 2, 3]));
    expect(() => task("r", { kind: "regression", outputs: 1, posWeight: 2 })).toThrow('task "r": posWeight is for the "binary_cross_entropy_with_logits" loss');
    expect(() => task("c", { kind: "classification", outputs: 3, classWeights: [1, 2, 3] } as never)).toThrow('did you mean "classWeight"?');
  });

  it("the dataset checks per-example weights", () => {
    const x = new Float32Array(6), y = new Int32Array(3);
    const ds = (weight: unknown) => new MultiTaskDataset({ x, xShape: [2], labels: { c: { values: y, weight } as never } });
    const msg = 'MultiTaskDataset: labels "c": weight must be a Float32Array of 3 finite numbers >= 0 (one per input), got';
    expect(() => ds(new Float32Array(2))).toThrow(`${msg} Float32Array`);
    expect(() => ds([1, 1, 1])).toThrow(`${msg} Array`);
    expect(() => ds(Float32Array.from([1, -1, 1]))).toThrow(msg);
    expect(() => ds(Float32Array.from([1, Infinity, 1]))).toThrow(msg);
    const d = ds(Float32Array.from([1, 2, 3]));
    expect(Array.from(d.subset([2, 0]).taskLabels("c").weight!)).toEqual([3, 1]);
  });

  /** x, class and binary labels for 6 examples of 3 features. */
  const rows = (idx: number[]) => {
    const X = rnd([6, 3], 11).data() as Float32Array;
    const x = new Float32Array(idx.length * 3), c = new Int32Array(idx.length), b = new Float32Array(idx.length);
    idx.forEach((r, i) => { x.set(X.subarray(r * 3, r * 3 + 3), i * 3); c[i] = r % 3; b[i] = r % 2; });
    return { x, c, b };
  };
  const tasks = (): Task[] => [
    task("c", { kind: "classification", outputs: 3, classWeight: [1, 3, 0.5] }),
    task("b", { kind: "binary", outputs: 1, posWeight: 2.5 }),
  ];
  const stepOn = (d: MultiTaskDataset) => {
    const ts = tasks();
    const m = new SharedBottom({ tasks: ts, inputs: 3, trunk: [5], rng: new Rng(3) });
    const tr = new Trainer(m, { tasks: ts, optimizer: (p) => new SGD(p, { lr: 0.5 }), seed: 1 });
    const r = tr.trainStep([{ tasks: ["c", "b"], batch: d.batch(Array.from({ length: d.size }, (_, i) => i)) }]);
    return { losses: r.losses, params: m.parameters().flatMap((p) => Array.from(p.data())), tr };
  };

  it("a per-example weight of 2 trains as the example given twice (with class and positive weights)", () => {
    const w = rows([0, 1, 2, 3, 4, 5]), dup = rows([0, 1, 1, 2, 3, 4, 5, 5]);
    const wt = Float32Array.from([1, 2, 1, 1, 1, 2]);
    const a = stepOn(new MultiTaskDataset({ x: w.x, xShape: [3], labels: { c: { values: w.c, weight: wt }, b: { values: w.b, weight: wt } } }));
    const b = stepOn(new MultiTaskDataset({ x: dup.x, xShape: [3], labels: { c: dup.c, b: dup.b } }));
    expect(a.losses.c).toBeCloseTo(b.losses.c, 6);
    expect(a.losses.b).toBeCloseTo(b.losses.b, 6);
    a.params.forEach((v, i) => expect(v).toBeCloseTo(b.params[i], 5));
    // and the weights matter: unweighted, the step differs
    const u = stepOn(new MultiTaskDataset({ x: w.x, xShape: [3], labels: { c: w.c, b: w.b } }));
    expect(Math.abs(u.losses.c - a.losses.c)).toBeGreaterThan(1e-3);
  });

  it("evaluate reports the weighted mean whatever the batch size (class weights and per-example weights)", () => {
    const w = rows([0, 1, 2, 3, 4, 5]);
    const wt = Float32Array.from([0.5, 2, 1, 0, 3, 1]), mask = Uint8Array.from([1, 1, 1, 1, 0, 1]);
    const d = new MultiTaskDataset({ x: w.x, xShape: [3], labels: { c: { values: w.c, weight: wt, mask }, b: w.b } });
    const { tr } = stepOn(d);
    const e1 = tr.evaluate(d, { batchSize: 6 }), e2 = tr.evaluate(d, { batchSize: 4 });
    expect(e2.c.loss).toBeCloseTo(e1.c.loss, 6);
    const out = tr.predict(tensor(w.x, [6, 3])).c;
    const eff = tensor(Array.from(wt, (v, i) => v * mask[i]), [6]);
    expect(e1.c.loss).toBeCloseTo(crossEntropy(out, w.c, { classWeight: [1, 3, 0.5], weight: eff }).item(), 6);
  });

  it("a custom loss receives the mask and the weights", () => {
    const w = rows([0, 1, 2, 3]), wt = Float32Array.from([1, 2, 3, 4]);
    const seen: number[][] = [];
    const ts = [task("r", {
      kind: "regression", outputs: 1,
      loss: (pred, y, mask, weight) => { seen.push(vals(mask), vals(weight)); return mseLoss(pred, reshape(y, pred.shape), { weight: mul(mask, weight) }); },
    })];
    const m = new SharedBottom({ tasks: ts, inputs: 3, trunk: [4], rng: new Rng(1) });
    const tr = new Trainer(m, { tasks: ts, seed: 0 });
    const d = new MultiTaskDataset({ x: w.x, xShape: [3], labels: { r: { values: w.b, weight: wt, mask: Uint8Array.from([1, 0, 1, 1]) } } });
    tr.trainStep([{ tasks: ["r"], batch: d.batch([0, 1, 2, 3]) }]);
    expect(seen).toEqual([[1, 0, 1, 1], [1, 2, 3, 4]]);
  });
});
