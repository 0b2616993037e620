// Datasets: validation and missing labels, views, seeded splits and shuffles, batching,
// per-task datasets and cycles, streams, and input transforms.
import { describe, it, expect, beforeAll } from "vitest";
import {
  init, Rng, scope, MultiTaskDataset, taskDatasets, taskCycles, BatchCycle, fromAsyncIterable,
  standardize, minMaxScale, oneHot, trainValTestSplit, splitIndices, type Batch, type StreamExample,
} from "../src/index.js";

beforeAll(async () => { await init(); });

/** n examples with x = [i, 10 i], an int class label i % 3 and a float label i / 2. */
function toy(n: number): MultiTaskDataset {
  const x = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) { x[2 * i] = i; x[2 * i + 1] = 10 * i; }
  return new MultiTaskDataset({
    x, xShape: [2],
    labels: {
      cls: Int32Array.from({ length: n }, (_, i) => i % 3),
      reg: Float32Array.from({ length: n }, (_, i) => i / 2),
    },
  });
}

/** The example ids (x[:, 0]) of every batch in an epoch. */
function ids(batches: Iterable<Batch>): number[][] {
  return [...batches].map((b) => Array.from(b.x.data()).filter((_, k) => k % 2 === 0));
}

describe("MultiTaskDataset validation", () => {
  const x = new Float32Array(1000 * 4);
  it("names the task and both row counts when labels and inputs disagree", () => {
    expect(() => new MultiTaskDataset({ x, xShape: [4], labels: { digit: new Int32Array(999) } }))
      .toThrow('MultiTaskDataset: labels "digit" have 999 rows, inputs have 1000');
    expect(() => new MultiTaskDataset({ x, xShape: [4], labels: { v: { values: new Float32Array(3000), shape: [2] } } }))
      .toThrow('labels "v" have 1500 rows, inputs have 1000');
  });
  it("rejects inputs that are not whole examples, bad shapes and dtypes", () => {
    expect(() => new MultiTaskDataset({ x: new Float32Array(10), xShape: [4], labels: {} })).toThrow("x has 10 values, not a whole number of examples of shape [4]");
    expect(() => new MultiTaskDataset({ x, xShape: [0], labels: {} })).toThrow("xShape: expected an array of positive integers");
    expect(() => new MultiTaskDataset({ x: new Float64Array(2) as unknown as Float32Array, xShape: [2], labels: {} })).toThrow("x must be a Float32Array, an Int32Array or an array of numbers, got Float64Array");
    expect(() => new MultiTaskDataset({ x: [[1, 2], [3]], labels: {} })).toThrow("MultiTaskDataset: x: row 1 has 1 values, row 0 has 2");
    expect(() => new MultiTaskDataset({ x, xShape: [4], labels: { a: new Float64Array(1000) as unknown as Float32Array } })).toThrow('labels "a": values must be a Float32Array or Int32Array, got Float64Array');
    expect(() => new MultiTaskDataset({ x, xShape: [4], labels: { a: { values: new Int32Array(1000), mask: new Uint8Array(5) } } })).toThrow('labels "a": mask has 5 rows, inputs have 1000');
  });
  it("takes plain JS arrays: rows of inputs, integer labels as classes (null missing), others as values", () => {
    const ds = new MultiTaskDataset({ x: [[1, 2], [3, 4], [5, 6]], labels: { cls: [0, 2, null], reg: [0.5, null, 1.5], vec: [[1, 2], [3, 4], [5, 6]] } });
    expect(ds.size).toBe(3);
    expect(ds.xShape).toEqual([2]);
    expect(ds.labelDtype("cls")).toBe("int32");
    expect(ds.labelDtype("reg")).toBe("float32");
    expect(ds.labelledCount("cls")).toBe(2);
    expect(ds.labelledCount("reg")).toBe(2);
    expect(ds.labelShape("vec")).toEqual([2]);
  });

  it("rejects bad class indices and half-missing float rows", () => {
    const x3 = new Float32Array(3);
    expect(() => new MultiTaskDataset({ x: x3, xShape: [1], labels: { c: new Int32Array([0, -2, 1]) } })).toThrow('labels "c": row 1 has -2; class indices must be >= 0');
    expect(() => new MultiTaskDataset({ x: x3, xShape: [1], labels: { c: { values: new Int32Array([0, 5, 1]), numClasses: 3 } } })).toThrow("row 1 has class 5, expected < numClasses 3");
    expect(() => new MultiTaskDataset({ x: x3, xShape: [1], labels: { v: { values: new Float32Array([1, NaN, 0, 0, 0, 0]), shape: [2] } } })).toThrow('labels "v": row 0 has 1 of 2 values NaN');
    expect(() => new MultiTaskDataset({ x: x3, xShape: [1], labels: { v: new Float32Array([1, Infinity, 0]) } })).toThrow("row 1 has Infinity");
  });
});

describe("missing labels", () => {
  const x = new Float32Array([0, 1, 2, 3]);
  const ds = new MultiTaskDataset({
    x, xShape: [1],
    labels: {
      cls: new Int32Array([2, -1, 0, 1]),
      reg: new Float32Array([0.5, 1.5, NaN, 3.5]),
      vec: { values: new Float32Array([1, 2, NaN, NaN, 5, 6, 7, 8]), shape: [2] },
      given: { values: new Float32Array([9, 9, 9, 9]), mask: new Uint8Array([1, 0, 1, 0]) },
      seg: { values: new Int32Array([-1, -1, 0, -1, 1, 2, -1, 0]), shape: [2] },
    },
  });
  it("NaN, -1 and an explicit mask become mask 0 with a 0 value", () => {
    const b = ds.batch([0, 1, 2, 3]);
    expect(Array.from(b.masks.cls.data())).toEqual([1, 0, 1, 1]);
    expect(Array.from(b.labels.cls.data())).toEqual([2, 0, 0, 1]);
    expect(Array.from(b.masks.reg.data())).toEqual([1, 1, 0, 1]);
    expect(Array.from(b.labels.reg.data())).toEqual([0.5, 1.5, 0, 3.5]);
    expect(Array.from(b.masks.vec.data())).toEqual([1, 0, 1, 1]);
    expect(Array.from(b.labels.vec.data())).toEqual([1, 2, 0, 0, 5, 6, 7, 8]);
    expect(Array.from(b.masks.given.data())).toEqual([1, 0, 1, 0]);
    expect(Array.from(b.labels.given.data())).toEqual([9, 0, 9, 0]);
  });
  it("an all -1 int vector row is missing; a partial one keeps -1 as a per-position ignore index", () => {
    const b = ds.batch([0, 1, 2, 3]);
    expect(Array.from(b.masks.seg.data())).toEqual([0, 1, 1, 1]);
    expect(Array.from(b.labels.seg.data())).toEqual([0, 0, 0, -1, 1, 2, -1, 0]);
  });
  it("counts labelled examples per task, and per view", () => {
    expect(ds.tasks).toEqual(["cls", "reg", "vec", "given", "seg"]);
    expect(ds.labelledCount("cls")).toBe(3);
    expect(ds.labelledCount("given")).toBe(2);
    expect(ds.subset([1, 3]).labelledCount("given")).toBe(0);
    expect(() => ds.labelledCount("nope")).toThrow('MultiTaskDataset.labelledCount: no task "nope" (tasks: "cls", "reg"');
  });
  it("does not modify the caller's arrays", () => {
    const v = new Float32Array([1, NaN]);
    new MultiTaskDataset({ x: new Float32Array(2), xShape: [1], labels: { r: v } });
    expect(Number.isNaN(v[1])).toBe(true);
  });
  it("labelled() and toTaskDatasets() keep each task's labelled rows", () => {
    const per = ds.toTaskDatasets();
    expect(per.cls.size).toBe(3);
    expect(per.cls.tasks).toEqual(["cls"]);
    expect(Array.from(per.reg.inputs())).toEqual([0, 1, 3]);
    expect(ds.labelled("given").size).toBe(2);
  });
});

describe("batches", () => {
  it("label and input tensors have the documented dtypes and shapes", () => {
    const ds = new MultiTaskDataset({
      x: new Float32Array(3 * 4), xShape: [1, 2, 2],
      labels: { c: new Int32Array(3), v: { values: new Float32Array(9), shape: [3] }, s: new Float32Array(3) },
    });
    const b = ds.batch([2, 0]);
    expect([b.x.shape, b.x.dtype]).toEqual([[2, 1, 2, 2], "float32"]);
    expect([b.labels.c.shape, b.labels.c.dtype]).toEqual([[2], "int32"]);
    expect([b.labels.v.shape, b.labels.v.dtype]).toEqual([[2, 3], "float32"]);
    expect([b.labels.s.shape, b.labels.s.dtype]).toEqual([[2], "float32"]);
    expect([b.masks.c.shape, b.masks.c.dtype]).toEqual([[2], "float32"]);
    expect(Array.from(b.indices)).toEqual([2, 0]);
    const tok = new MultiTaskDataset({ x: new Int32Array([5, 6, 7, 8]), xShape: [2], labels: {} });
    expect(tok.batch([1]).x.dtype).toBe("int32");
    expect(Array.from(tok.batch([1]).x.data())).toEqual([7, 8]);
  });

  it("a shuffled epoch covers every example exactly once, rows and labels together", () => {
    const ds = toy(103);
    const epoch = ds.batches(10, { shuffle: true, rng: new Rng(3) });
    expect(epoch.length).toBe(11);
    const seen: number[] = [];
    for (const b of epoch) {
      const x = b.x.data(), cls = b.labels.cls.data(), reg = b.labels.reg.data();
      for (let i = 0; i < b.size; i++) {
        const id = x[2 * i];
        expect([x[2 * i + 1], cls[i], reg[i], b.indices[i]]).toEqual([10 * id, id % 3, id / 2, id]);
        seen.push(id);
      }
    }
    expect(seen.length).toBe(103);
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 103 }, (_, i) => i));
    expect(seen).not.toEqual(Array.from({ length: 103 }, (_, i) => i));
  });

  it("dropLast drops the short batch; numBatches agrees", () => {
    const ds = toy(25);
    expect(ds.numBatches(10)).toBe(3);
    expect(ds.numBatches(10, true)).toBe(2);
    expect([...ds.batches(10)].map((b) => b.size)).toEqual([10, 10, 5]);
    expect([...ds.batches(10, { dropLast: true })].map((b) => b.size)).toEqual([10, 10]);
    expect(ids(ds.batches(10))[2]).toEqual([20, 21, 22, 23, 24]);
    expect(() => ds.batches(0)).toThrow("MultiTaskDataset.batches: batchSize must be a positive integer, got 0");
  });

  it("same seed gives the same order, a different seed a different one; an epoch replays its order", () => {
    const ds = toy(50);
    const a = ids(ds.batches(8, { shuffle: true, rng: new Rng(11) }));
    const b = ids(ds.batches(8, { shuffle: true, rng: new Rng(11) }));
    const c = ids(ds.batches(8, { shuffle: true, rng: new Rng(12) }));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const e = ds.batches(8, { shuffle: true, rng: new Rng(1) });
    expect(ids(e)).toEqual(ids(e));
  });

  it("batch tensors are made on first access, so a step's scope frees them", () => {
    const ds = toy(6);
    const [b] = ds.batches(6);
    let made: { isDisposed: boolean; data(): ArrayLike<number> }[] = [];
    const inside = scope(() => { made = [b.x, b.labels.cls, b.masks.reg]; return made.map((v) => v.isDisposed); });
    expect(inside).toEqual([false, false, false]);
    expect(made.map((t) => t.isDisposed)).toEqual([true, true, true]);
    // read again (a later step), the batch makes fresh tensors with the same values
    expect(b.x.isDisposed).toBe(false);
    expect(Array.from(b.labels.cls.data())).toEqual(Array.from(ds.taskLabels("cls").values));
  });
});

describe("subset and split", () => {
  it("subset picks rows by position, and views compose", () => {
    const ds = toy(10);
    const s = ds.subset([7, 2, 2]);
    expect(s.size).toBe(3);
    expect(Array.from(s.inputs())).toEqual([7, 70, 2, 20, 2, 20]);
    expect(Array.from(s.subset([0]).batch([0]).labels.reg.data())).toEqual([3.5]);
    expect(() => ds.subset([10])).toThrow("MultiTaskDataset.subset: index 10 at position 0 is out of range [0, 10)");
    expect(() => ds.subset([1.5])).toThrow("index 1.5");
  });

  it("split by fractions is seeded, disjoint and complete", () => {
    const ds = toy(101);
    const p = ds.split({ train: 0.8, validation: 0.1, test: 0.1 }, new Rng(5));
    expect([p.train.size, p.validation.size, p.test.size]).toEqual([81, 10, 10]);
    const all = [p.train, p.validation, p.test].flatMap((d) => Array.from(d.inputs()).filter((_, k) => k % 2 === 0));
    expect(all.sort((a, b) => a - b)).toEqual(Array.from({ length: 101 }, (_, i) => i));
    const q = ds.split({ train: 0.8, validation: 0.1, test: 0.1 }, new Rng(5));
    const r = ds.split({ train: 0.8, validation: 0.1, test: 0.1 }, new Rng(6));
    expect(Array.from(q.test.inputs())).toEqual(Array.from(p.test.inputs()));
    expect(Array.from(r.test.inputs())).not.toEqual(Array.from(p.test.inputs()));
  });

  it("split by counts, and clear errors", () => {
    const ds = toy(20);
    const p = ds.split({ train: 12, test: 5 }, new Rng(0));
    expect([p.train.size, p.test.size]).toEqual([12, 5]);
    expect(() => ds.split({ train: 15, test: 10 })).toThrow("split: counts sum to 25, but there are only 20 items");
    expect(() => ds.split({ train: 2.5 })).toThrow('split: part "train" is 2.5');
    expect(() => ds.split({ train: -1 })).toThrow('split: part "train" is -1');
  });

  it("splitIndices and trainValTestSplit on plain arrays", () => {
    const items = Array.from({ length: 30 }, (_, i) => `f${i}`);
    const s = trainValTestSplit(items, undefined, new Rng(2));
    expect([s.train.length, s.validation.length, s.test.length]).toEqual([24, 3, 3]);
    expect(new Set([...s.train, ...s.validation, ...s.test]).size).toBe(30);
    expect(trainValTestSplit(items, undefined, new Rng(2))).toEqual(s);
    expect(splitIndices(10, { a: 0.5, b: 0.2 }, new Rng(0)).b.length).toBe(2);
  });
});

describe("per-task datasets", () => {
  const tds = taskDatasets({
    a: { x: Float32Array.from({ length: 7 }, (_, i) => i), xShape: [1], labels: new Int32Array(7) },
    b: { x: Float32Array.from({ length: 4 }, (_, i) => 100 + i), xShape: [1], labels: { values: new Float32Array(4) } },
  });

  it("builds one single-task dataset per task with its own size", () => {
    expect([tds.a.size, tds.b.size]).toEqual([7, 4]);
    expect([tds.a.tasks, tds.b.tasks]).toEqual([["a"], ["b"]]);
    expect(() => taskDatasets({ c: { x: new Float32Array(3), xShape: [1], labels: new Int32Array(2) } }))
      .toThrow('taskDatasets: task "c": MultiTaskDataset: labels "c" have 2 rows, inputs have 3');
  });

  it("a cycle never ends, covers each pass exactly once and reshuffles between passes", () => {
    const c = new BatchCycle(tds.a, 3, { rng: new Rng(9) });
    expect(c.batchesPerEpoch).toBe(3);
    const pass = () => [0, 1, 2].flatMap(() => Array.from(c.nextBatch().x.data()));
    const p1 = pass(), p2 = pass(), p3 = pass();
    for (const p of [p1, p2, p3]) expect([...p].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(c.epoch).toBe(2);
    expect(p1.join() === p2.join() && p2.join() === p3.join()).toBe(false);
  });

  it("task cycles are seeded per task name, and resume from state()", () => {
    const run = (t: typeof tds) => { const cs = taskCycles(t, 2, { rng: new Rng(4) }); return [0, 1, 2, 3, 4].map(() => Array.from(cs.a.nextBatch().x.data())); };
    const first = run(tds);
    expect(run(tds)).toEqual(first);
    // another task added (and first in order) leaves a's stream unchanged
    const more = { z: tds.b, ...tds };
    expect(run(more)).toEqual(first);
    const cs = taskCycles(tds, { a: 2, b: 3 }, { rng: new Rng(8) });
    expect(cs.b.nextBatch().size).toBe(3);
    expect(() => taskCycles(tds, { a: 2 })).toThrow('taskCycles: no batch size for task "b"');
    for (let i = 0; i < 5; i++) cs.a.nextBatch();
    const saved = cs.a.state();
    const next = [0, 1, 2, 3, 4, 5].map(() => Array.from(cs.a.nextBatch().x.data()));
    const resumed = new BatchCycle(tds.a, 2, { state: saved });
    expect([0, 1, 2, 3, 4, 5].map(() => Array.from(resumed.nextBatch().x.data()))).toEqual(next);
  });

  it("a cycle with no batches is an error", () => {
    expect(() => new BatchCycle(tds.b, 5, { dropLast: true })).toThrow("BatchCycle: a dataset of 4 examples gives no batches of 5 with dropLast");
  });
});

describe("fromAsyncIterable", () => {
  async function* source(n: number): AsyncGenerator<StreamExample> {
    for (let i = 0; i < n; i++) {
      yield { x: [i, -i], labels: { cls: i % 4 === 1 ? null : i % 3, reg: i === 2 ? NaN : i, ...(i === 3 ? {} : { vec: [i, i] }) } };
    }
  }
  const tasks = { cls: { dtype: "int32" as const }, reg: {}, vec: { shape: [2] } };

  it("batches a stream; missing labels become mask 0", async () => {
    const out: { x: number[]; cls: number[]; mcls: number[]; mreg: number[]; mvec: number[]; idx: number[]; dt: string }[] = [];
    for await (const b of fromAsyncIterable(source(7), { batchSize: 3, xShape: [2], tasks })) {
      out.push({
        x: Array.from(b.x.data()), cls: Array.from(b.labels.cls.data()), mcls: Array.from(b.masks.cls.data()),
        mreg: Array.from(b.masks.reg.data()), mvec: Array.from(b.masks.vec.data()), idx: Array.from(b.indices), dt: b.labels.cls.dtype,
      });
    }
    expect(out.map((o) => o.idx)).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(out[0].x).toEqual([0, -0, 1, -1, 2, -2]);
    expect(out[0].cls).toEqual([0, 0, 2]);
    expect(out[0].mcls).toEqual([1, 0, 1]);
    expect(out[1].mcls).toEqual([1, 1, 0]);
    expect(out[0].mreg).toEqual([1, 1, 0]);
    expect(out[1].mvec).toEqual([0, 1, 1]);
    expect(out[0].dt).toBe("int32");
  });

  it("dropLast, sync iterables, and errors naming the example", async () => {
    const sizes: number[] = [];
    for await (const b of fromAsyncIterable(source(7), { batchSize: 3, xShape: [2], tasks, dropLast: true })) sizes.push(b.size);
    expect(sizes).toEqual([3, 3]);
    const it1 = fromAsyncIterable([{ x: [1, 2, 3], labels: {} }], { batchSize: 2, xShape: [2], tasks });
    await expect(it1.next()).rejects.toThrow("fromAsyncIterable: example 0: x has 3 values, expected 2 (xShape [2])");
    const it2 = fromAsyncIterable([{ x: [1, 2], labels: { clss: 1 } }], { batchSize: 2, xShape: [2], tasks });
    await expect(it2.next()).rejects.toThrow('fromAsyncIterable: example 0: label for unknown task "clss"');
    const it3 = fromAsyncIterable([{ x: [1, 2], labels: { cls: 1.5 } }], { batchSize: 2, xShape: [2], tasks });
    await expect(it3.next()).rejects.toThrow('label "cls" is 1.5, expected an integer class index');
    const it4 = fromAsyncIterable([{ x: [1, 2], labels: {} }, { x: [1, 2], labels: { vec: [1, NaN] } }], { batchSize: 2, xShape: [2], tasks });
    await expect(it4.next()).rejects.toThrow('fromAsyncIterable: labels "vec": row 1 has 1 of 2 values NaN; a row is labelled or missing as a whole (set its mask to 0, or fill the gaps) (row 0 is example 0)');
  });
});

describe("transforms", () => {
  const rows = new Float32Array([1, 10, 5, 2, 20, 5, 3, 30, 5, 6, 40, 5]); // 4 rows × 3 features

  it("standardize fits mean and population std per feature", () => {
    const s = standardize(rows, 3);
    expect(Array.from(s.center)).toEqual([3, 25, 5]);
    expect(s.scale[0]).toBeCloseTo(Math.sqrt(3.5), 12);
    expect(s.scale[1]).toBeCloseTo(Math.sqrt(125), 12);
    expect(s.scale[2]).toBe(1); // constant feature: centred, not divided by zero
    const y = s.apply(rows);
    let m = 0, v = 0;
    for (let i = 0; i < 4; i++) m += y[3 * i];
    for (let i = 0; i < 4; i++) v += y[3 * i] * y[3 * i];
    expect(m / 4).toBeCloseTo(0, 6);
    expect(v / 4).toBeCloseTo(1, 6);
    expect(Array.from(s.apply(new Float32Array([3, 25, 7])))).toEqual([0, 0, 2]);
    const back = s.invert(y);
    for (let i = 0; i < rows.length; i++) expect(back[i]).toBeCloseTo(rows[i], 4);
    expect(() => standardize(rows)).toThrow("standardize: pass numFeatures");
    expect(() => s.apply(new Float32Array(4))).toThrow("FeatureScaler.apply: 4 values are not whole rows of 3 features");
  });

  it("standardize on a dataset returns a scaler that transforms datasets and keeps labels", () => {
    const ds = new MultiTaskDataset({ x: rows, xShape: [3], labels: { c: new Int32Array([0, -1, 2, 1]) } });
    const s = standardize(ds.subset([0, 1, 2, 3]));
    const t = s.apply(ds.subset([3, 1]));
    expect(t.size).toBe(2);
    expect(t.inputs()[2]).toBe(0);
    expect(t.inputs()[1]).toBeCloseTo(15 / Math.sqrt(125), 6);
    expect(Array.from(t.taskLabels("c").mask)).toEqual([1, 0]);
    expect(Array.from(t.taskLabels("c").values)).toEqual([1, 0]);
    const tok = new MultiTaskDataset({ x: new Int32Array(4), xShape: [2], labels: {} });
    expect(() => standardize(tok)).toThrow("standardize: inputs are Int32Array");
  });

  it("minMaxScale maps [min, max] to the range", () => {
    const s = minMaxScale(rows, 3, [-1, 1]);
    const y = s.apply(rows);
    [-1, -1, -1, -0.6, -1 / 3, -1].forEach((v, i) => expect(y[i]).toBeCloseTo(v, 6));
    expect(Array.from(s.apply(new Float32Array([6, 40, 5])))).toEqual([1, 1, -1]);
  });

  it("oneHot encodes class indices; -1 gives zeros", () => {
    expect(Array.from(oneHot([2, 0, -1], 3))).toEqual([0, 0, 1, 1, 0, 0, 0, 0, 0]);
    expect(() => oneHot([3], 3)).toThrow("oneHot: label 3 at index 0 is outside [0, 3)");
  });
});
