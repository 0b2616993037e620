// Metrics against hand-computed values: accuracy and top-k, precision/recall/F1 (binary,
// multiclass, multi-label, empty denominators), ROC AUC with ties, regression errors and
// R², masks, streaming equal to one-shot, the registry, and Δm.
import { describe, it, expect, beforeAll } from "vitest";
import {
  init, tensor, oneHot, Rng, accuracy, topKAccuracy, precisionRecallF1, rocAuc, meanSquaredError, meanAbsoluteError,
  rootMeanSquaredError, r2Score, getMetric, registerMetric, metricNames, deltaM, MultiTaskDataset,
} from "../src/index.js";

beforeAll(async () => { await init(); });

describe("accuracy", () => {
  const logits = [1, 2, 0, 3, 1, 0, 0, 0, 5, 2, 2, 1]; // argmax 1, 0, 2, 0 (a tie goes to the lower index)
  const y = [1, 0, 1, 0];
  it("from [n, c] logits or probabilities, arrays or tensors", () => {
    expect(accuracy(logits, y)).toBe(0.75);
    expect(accuracy(tensor(logits, [4, 3]), tensor(y, [4], "int32"))).toBe(0.75);
    const probs = [0.2, 0.7, 0.1, 0.8, 0.1, 0.1, 0.1, 0.1, 0.8, 0.45, 0.45, 0.1];
    expect(accuracy(probs, y)).toBe(0.75);
  });
  it("masks exclude unlabelled examples; -1 targets are ignored; nothing labelled is NaN", () => {
    expect(accuracy(logits, y, { mask: [1, 1, 0, 0] })).toBe(1);
    expect(accuracy(logits, y, { mask: tensor([0, 0, 1, 1]) })).toBe(0.5);
    expect(accuracy(logits, [1, 0, -1, 0])).toBe(1);
    expect(accuracy(logits, y, { mask: [0, 0, 0, 0] })).toBeNaN();
  });
  it("binary: one logit per example, positive when > 0 (or > threshold for probabilities)", () => {
    expect(accuracy([-1, 0.5, 0, 2], [0, 1, 1, 0])).toBe(0.5);
    expect(accuracy([0.2, 0.7, 0.5, 0.9], [0, 1, 1, 0], { threshold: 0.5 })).toBe(0.5);
    expect(accuracy(tensor([[-1], [0.5], [0], [2]]), tensor([0, 1, 1, 0]))).toBe(0.5);
  });
  it("errors say what the shapes should be", () => {
    expect(() => accuracy([1, 2, 3], [0, 1])).toThrow("accuracy: pred has 3 values for 2 targets; expected one score per target, or [n, classes] scores for n class indices");
    expect(() => accuracy(logits, [1, 0, 3, 0])).toThrow("accuracy: target 3 at 2 is not a class index in [0, 3)");
    expect(() => accuracy([1, -1], [1, 2])).toThrow("accuracy: target 2 at 1, expected 0 or 1");
    expect(() => accuracy(logits, y, { mask: [1, 1, 1] })).toThrow("accuracy: mask has 3 entries for 4 target values");
  });
});

describe("top-k accuracy", () => {
  const s = [0.1, 0.5, 0.4, 0.3, 0.3, 0.4, 0.6, 0.3, 0.1];
  it("counts the true class among the k best, ties toward the lower index", () => {
    expect(topKAccuracy(s, [2, 1, 2], 1)).toBe(0);
    expect(topKAccuracy(s, [2, 1, 2], 2)).toBeCloseTo(1 / 3, 15);
    expect(topKAccuracy(s, [2, 1, 2], 3)).toBe(1);
    expect(topKAccuracy(s, [2, 1, 2], 2, { mask: [1, 0, 0] })).toBe(1);
    expect(topKAccuracy(s, [1, 0, 0], 1)).toBe(accuracy(s, [1, 0, 0]));
    expect(() => topKAccuracy(s, [2, 1, 2], 0)).toThrow("topKAccuracy: k must be a positive integer, got 0");
  });
});

describe("precision, recall, F1", () => {
  it("binary from logits", () => {
    const r = precisionRecallF1([2, -1, 3, -2, 0.5, -0.5], [1, 1, 0, 0, 1, 0]);
    expect(r.mode).toBe("binary");
    expect(r.micro.precision).toBeCloseTo(2 / 3, 15);
    expect(r.micro.recall).toBeCloseTo(2 / 3, 15);
    expect(r.micro.f1).toBeCloseTo(2 / 3, 15);
    expect(r.perClass.support).toEqual([3]);
    // masking out the false positive and the false negative leaves a perfect score
    expect(precisionRecallF1([2, -1, 3, -2, 0.5, -0.5], [1, 1, 0, 0, 1, 0], { mask: [1, 0, 0, 1, 1, 1] }).micro).toEqual({ precision: 1, recall: 1, f1: 1 });
  });

  it("edge cases: no positives in the targets, none anywhere (zeroDivision)", () => {
    const fpOnly = precisionRecallF1([1, -1, -1], [0, 0, 0]).micro;
    expect(fpOnly).toEqual({ precision: 0, recall: 0, f1: 0 });
    expect(precisionRecallF1([1, -1, -1], [0, 0, 0], { zeroDivision: 1 }).micro).toEqual({ precision: 0, recall: 1, f1: 0 });
    expect(precisionRecallF1([-1, -1], [0, 0]).micro).toEqual({ precision: 0, recall: 0, f1: 0 });
    expect(precisionRecallF1([-1, -1], [0, 0], { zeroDivision: 1 }).micro).toEqual({ precision: 1, recall: 1, f1: 1 });
    // positives never predicted: precision is 0/0, recall 0
    expect(precisionRecallF1([-1, -1], [1, 0]).micro).toEqual({ precision: 0, recall: 0, f1: 0 });
  });

  it("multiclass: per class, macro (classes seen), micro (= accuracy), weighted", () => {
    const yTrue = [0, 0, 1, 1, 2, 2], yPred = [0, 1, 1, 1, 2, 0];
    const r = precisionRecallF1(oneHot(yPred, 3), yTrue);
    expect(r.mode).toBe("multiclass");
    expect(r.perClass.f1.map((v) => +v.toFixed(12))).toEqual([0.5, 0.8, +(2 / 3).toFixed(12)]);
    expect(r.perClass.precision[1]).toBeCloseTo(2 / 3, 15);
    expect(r.macro.f1).toBeCloseTo((0.5 + 0.8 + 2 / 3) / 3, 15);
    expect(r.macro.precision).toBeCloseTo((0.5 + 2 / 3 + 1) / 3, 15);
    expect(r.macro.recall).toBeCloseTo((0.5 + 1 + 0.5) / 3, 15);
    expect(r.micro.f1).toBeCloseTo(4 / 6, 15);
    expect(r.weighted.f1).toBeCloseTo(r.macro.f1, 15);
    // a class that is never the target nor predicted does not drag the macro average down
    const r4 = precisionRecallF1(oneHot(yPred, 4), yTrue);
    expect(r4.macro.f1).toBeCloseTo(r.macro.f1, 15);
    expect(r4.perClass.support).toEqual([2, 2, 2, 0]);
  });

  it("multi-label: per label, macro over labels, micro pooled; width from the tensor or the option", () => {
    const s = [1, -1, 1, 1, -1, -1], t = [1, 0, 0, 1, 1, 1];
    const r = precisionRecallF1(tensor(s, [3, 2]), tensor(t, [3, 2]));
    expect(r.mode).toBe("multilabel");
    expect(r.perClass.f1[0]).toBeCloseTo(0.5, 15);
    expect(r.perClass.f1[1]).toBeCloseTo(2 / 3, 15);
    expect(r.macro.f1).toBeCloseTo(7 / 12, 15);
    expect(r.micro.f1).toBeCloseTo(4 / 7, 15);
    expect(precisionRecallF1(s, t, { width: 2 }).macro.f1).toBeCloseTo(7 / 12, 15);
    // one mask entry per example covers both labels
    expect(precisionRecallF1(s, t, { mask: [1, 0, 1] }).perClass.support).toEqual([2, 1]);
  });
});

describe("ROC AUC", () => {
  it("matches hand-computed values, with ties at half credit", () => {
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
    // pos {0.5, 0.9}, neg {0.5, 0.5, 0.1}: 0.5 + 0.5 + 1 + 3 = 5 of 6 pairs
    expect(rocAuc([0.5, 0.5, 0.5, 0.9, 0.1], [1, 0, 0, 1, 0])).toBe(5 / 6);
    expect(rocAuc([3, 3, 3, 3], [1, 0, 1, 0])).toBe(0.5);
    expect(rocAuc([1, 2, 3], [1, 1, 0])).toBe(0);
  });
  it("masks, a single class (NaN), and multi-label macro", () => {
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1], { mask: [1, 0, 1, 1] })).toBe(1);
    expect(rocAuc([0.1, 0.4], [1, 1])).toBeNaN();
    // label 0: AUC 1; label 1: scores [0.2, 0.9, 0.5] for [1, 0, 0] -> 0; label with one class would be skipped
    expect(rocAuc(tensor([0.9, 0.2, 0.1, 0.9, 0.8, 0.5], [3, 2]), tensor([1, 1, 0, 0, 1, 0], [3, 2]))).toBe(0.5);
  });
  it("equals the pairwise count on random scores with many ties", () => {
    const rng = new Rng(21);
    const w = rng.u32(400);
    const s = Array.from(w.subarray(0, 200), (v) => v % 5), t = Array.from(w.subarray(200), (v) => v & 1);
    let wins = 0, pairs = 0;
    for (let i = 0; i < 200; i++) for (let j = 0; j < 200; j++) {
      if (t[i] === 1 && t[j] === 0) { pairs++; wins += s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0; }
    }
    expect(rocAuc(s, t)).toBeCloseTo(wins / pairs, 14);
  });
  it("streaming over batches equals one pass", () => {
    const s = [0.3, 0.1, 0.7, 0.7, 0.2, 0.9, 0.4, 0.4], t = [0, 0, 1, 0, 1, 1, 0, 1];
    const acc = getMetric("auc").create();
    acc.update(s.slice(0, 3), t.slice(0, 3));
    acc.update(s.slice(3), t.slice(3));
    expect(acc.compute()).toBe(rocAuc(s, t));
    expect(acc.count).toBe(8);
  });
});

describe("regression", () => {
  const p = [1, 2, 3, 4], y = [1, 3, 2, 6];
  it("MSE, MAE, RMSE, R² by hand", () => {
    expect(meanSquaredError(p, y)).toBe(1.5);
    expect(meanAbsoluteError(p, y)).toBe(1);
    expect(rootMeanSquaredError(p, y)).toBe(Math.sqrt(1.5));
    expect(r2Score(p, y)).toBeCloseTo(1 - 6 / 14, 15);
  });
  it("R² is 1 for a perfect predictor and 0 for the mean predictor; constant targets as scikit-learn", () => {
    expect(r2Score(y, y)).toBe(1);
    expect(r2Score([3, 3, 3, 3], y)).toBe(0);
    expect(r2Score([2, 2], [2, 2])).toBe(1);
    expect(r2Score([2, 3], [2, 2])).toBe(0);
  });
  it("masks and multi-output R² (averaged per output)", () => {
    expect(meanSquaredError(p, y, { mask: [1, 1, 0, 1] })).toBeCloseTo(5 / 3, 15);
    expect(meanAbsoluteError(tensor(p), tensor(y), { mask: tensor([0, 0, 0, 1]) })).toBe(2);
    // output 0 perfect (1), output 1 the mean predictor (0)
    expect(r2Score(tensor([1, 5, 2, 5, 3, 5], [3, 2]), tensor([1, 4, 2, 5, 3, 6], [3, 2]))).toBeCloseTo(0.5, 15);
    expect(() => meanSquaredError([1, 2], [1])).toThrow("meanSquaredError: pred has 2 values, target 1; expected the same");
  });
  it("streaming over batches equals one pass", () => {
    const pr = [0.5, 2.25, 3, 4.5, 1, -2, 7], tr = [1, 2, 2.5, 6, 0.5, -1, 6];
    for (const name of ["mse", "mae", "rmse", "r2"]) {
      const acc = getMetric(name).create();
      acc.update(pr.slice(0, 2), tr.slice(0, 2));
      acc.update(pr.slice(2, 3), tr.slice(2, 3));
      acc.update(pr.slice(3), tr.slice(3));
      const one = { mse: meanSquaredError, mae: meanAbsoluteError, rmse: rootMeanSquaredError, r2: r2Score }[name]!(pr, tr);
      expect(acc.compute(), name).toBeCloseTo(one, 13);
    }
  });
});

describe("registry", () => {
  it("metrics by name with their direction", () => {
    expect(metricNames()).toEqual(expect.arrayContaining(["accuracy", "precision", "recall", "f1", "f1_macro", "f1_micro", "auc", "mse", "mae", "rmse", "r2"]));
    const dir = Object.fromEntries(["accuracy", "top5", "f1", "auc", "mse", "mae", "rmse", "r2"].map((n) => [n, getMetric(n).higherIsBetter]));
    expect(dir).toEqual({ accuracy: true, top5: true, f1: true, auc: true, mse: false, mae: false, rmse: false, r2: true });
    expect(() => getMetric("acc")).toThrow('getMetric: no metric "acc" (known: accuracy,');
    expect(() => registerMetric({ name: "f1", higherIsBetter: true, create: () => getMetric("f1").create() })).toThrow('registerMetric: "f1" is already registered');
  });
  it("f1 is the positive class for binary and macro for multiclass; f1_micro pools", () => {
    const f1 = getMetric("f1").create();
    f1.update(oneHot([0, 1, 1, 1, 2, 0], 3), [0, 0, 1, 1, 2, 2]);
    expect(f1.compute()).toBeCloseTo((0.5 + 0.8 + 2 / 3) / 3, 15);
    const micro = getMetric("f1_micro").create();
    micro.update(oneHot([0, 1, 1, 1, 2, 0], 3), [0, 0, 1, 1, 2, 2]);
    expect(micro.compute()).toBeCloseTo(4 / 6, 15);
    const bin = getMetric("f1").create({ threshold: 0.5 });
    bin.update([0.9, 0.4, 0.8], [1, 1, 0]);
    expect(bin.compute()).toBe(0.5);
    expect(() => bin.update(oneHot([0], 3), [0])).toThrow("f1: this batch is multiclass with 3 classes, earlier ones were binary with 1");
  });
  it("accumulates masked batches from a dataset, and resets", () => {
    const ds = new MultiTaskDataset({
      x: new Float32Array(6), xShape: [1],
      labels: { c: new Int32Array([0, 1, -1, 1, 0, 1]) },
    });
    const logits = [[2, 1], [0, 1], [5, 0], [1, 0], [1, 0], [0, 3]]; // predicts 0, 1, 0, 0, 0, 1
    const acc = getMetric("accuracy").create();
    for (const b of ds.batches(4)) acc.update(tensor(Array.from(b.indices, (i) => logits[i])), b.labels.c, b.masks.c);
    expect(acc.count).toBe(5);
    expect(acc.compute()).toBe(4 / 5);
    acc.reset();
    expect(acc.compute()).toBeNaN();
  });
  it("a registered custom metric is found by name", () => {
    let seen = 0;
    registerMetric({ name: "test_count", higherIsBetter: false, create: () => ({ count: 0, update: (_p, t) => { seen += (t as number[]).length; }, compute: () => seen, reset: () => { seen = 0; } }) });
    const m = getMetric("test_count").create();
    m.update([1, 2], [3, 4]);
    expect(m.compute()).toBe(2);
  });
});

describe("deltaM", () => {
  it("averages signed relative improvements in percent", () => {
    // seg +4% (higher better); depth error 0.41 vs 0.45: +8.89% (lower better)
    expect(deltaM({ seg: 0.52, depth: 0.41 }, { seg: 0.5, depth: 0.45 }, { seg: true, depth: false })).toBeCloseTo((4 + (0.04 / 0.45) * 100) / 2, 12);
    expect(deltaM({ a: 0.9 }, { a: 1 }, { a: true })).toBeCloseTo(-10, 12);
    expect(deltaM({ a: 1.1 }, { a: 1 }, { a: false })).toBeCloseTo(-10, 12);
    expect(deltaM({ a: 2, b: 3 }, { a: 2, b: 3 }, { a: true, b: false })).toBe(0);
  });
  it("errors name the task", () => {
    expect(() => deltaM({ a: 1 }, { a: 1, b: 2 }, { a: true, b: true })).toThrow('deltaM: task "b" has a single-task baseline but no multi-task score');
    expect(() => deltaM({ a: 1, c: 1 }, { a: 1 }, { a: true })).toThrow('deltaM: task "c" has a multi-task score but no single-task baseline');
    expect(() => deltaM({ a: 1 }, { a: 0 }, { a: true })).toThrow('deltaM: task "a" single-task baseline is 0');
    expect(() => deltaM({ a: 1 }, { a: 1 }, {})).toThrow('deltaM: higherIsBetter["a"] is undefined, expected true or false');
  });
});

describe("NaN scores and constant targets", () => {
  it("NaN scores are wrong answers; R² of a constant target is 0 or 1, never huge", async () => {
    const { tensor, accuracy, r2Score, getMetric } = await import("../src/index.js");
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
