// The trainer refuses what would silently go wrong: a second fit while one runs (their
// steps would interleave), callbacks shared by every single-task baseline (an early stopping
// on one task stopping the others), -1 read as "missing" where it is a regression target,
// and -1/+1 binary labels.
import { describe, it, expect, beforeAll } from "vitest";
import {
  init, Rng, MultiTaskDataset, task, SharedBottom, Trainer, Adam, randn, singleTaskBaselines, type Task, type Callback,
} from "../src/index.js";

beforeAll(async () => { await init(); });

const x = (n: number) => randn([n, 4], 0, 1, new Rng(2)).data() as Float32Array;
const model = (tasks: Task[]) => new SharedBottom({ tasks, inputs: 4, trunk: [6], rng: new Rng(1) });
const trainer = (tasks: Task[]) => new Trainer(model(tasks), { tasks, optimizer: (p) => new Adam(p, { lr: 0.01 }) });

describe("one fit at a time", () => {
  it("a second fit on a fitting trainer is refused; once the first ends (or fails) fit works again", async () => {
    const tasks = [task("y", { kind: "regression", outputs: 1 })];
    const ds = new MultiTaskDataset({ x: x(16), xShape: [4], labels: { y: Float32Array.from({ length: 16 }, (_, i) => i / 16) } });
    const tr = trainer(tasks);
    const first = tr.fit(ds, { epochs: 2, batchSize: 4, yieldEveryMs: 0 });
    await expect(tr.fit(ds, { epochs: 1 })).rejects.toThrow("fit: this trainer is already fitting; await that fit first");
    await first;
    expect(tr.step).toBe(8);
    await expect(tr.fit(ds, { epochs: 1, batchSize: 0 })).rejects.toThrow(/batchSize must be a positive integer/);
    await tr.fit(ds, { epochs: 1, batchSize: 4 });
    expect(tr.step).toBe(12);
  });
});

describe("single-task baselines", () => {
  it("make fresh callbacks for each task, refuse shared ones, and pass progress through", async () => {
    const tasks = [task("a", { kind: "regression", outputs: 1 }), task("b", { kind: "binary", outputs: 1 })];
    const n = 12;
    const ds = new MultiTaskDataset({ x: x(n), xShape: [4], labels: { a: Float32Array.from({ length: n }, (_, i) => i), b: Float32Array.from({ length: n }, (_, i) => i % 2) } });
    const made: string[] = [], began: string[] = [];
    let progress = 0;
    const callbacks = (t: string): Callback[] => { made.push(t); return [{ onTrainBegin: (tr) => { began.push(tr.taskNames.join()); } }]; };
    const res = await singleTaskBaselines(model, tasks, ds, ds, { fit: { epochs: 1, batchSize: 6, onProgress: () => { progress++; } }, callbacks });
    expect(made).toEqual(["a", "b"]);
    expect(began).toEqual(["a", "b"]);
    expect(progress).toBe(2 * 3); // two steps and the epoch-end event, per baseline
    expect(Object.keys(res)).toEqual(["a", "b"]);
    await expect(singleTaskBaselines(model, tasks, ds, ds, { fit: { epochs: 1, callbacks: [] } as never })).rejects.toThrow("singleTaskBaselines: give callbacks: (task) => [...], not fit.callbacks (shared by every baseline)");
    await expect(singleTaskBaselines(model, tasks, ds, ds, { fit: { epochs: 1 }, callback: callbacks } as never)).rejects.toThrow(/unknown option "callback".*did you mean "callbacks"/);
  });
});

describe("what marks a missing label", () => {
  const reg = [task("y", { kind: "regression", outputs: 1 })];

  it("-1 in integer regression targets is a value: every row counts, as with the same targets as floats", () => {
    const n = 8, vals = [-1, 2, -1, 3, 0, -1, 5, 1];
    const asInts = new MultiTaskDataset({ x: x(n), xShape: [4], labels: { y: vals } });
    const asFloats = new MultiTaskDataset({ x: x(n), xShape: [4], labels: { y: Float32Array.from(vals) } });
    expect(asInts.labelDtype("y")).toBe("int32");
    const tr = trainer(reg);
    const a = tr.evaluate(asInts).y, b = tr.evaluate(asFloats).y;
    expect(a.mse).toBe(b.mse);
    // and a whole-integer column with -1 still trains every row
    const steps: number[] = [];
    return tr.fit(asInts, { epochs: 1, batchSize: 8, callbacks: [{ onBatchEnd: (_s, l) => { steps.push(l.y); } }] }).then(() => {
      const ref = trainer(reg);
      return ref.fit(asFloats, { epochs: 1, batchSize: 8 }).then(() => {
        expect(steps[0]).toBe(ref.history[0].loss.y);
      });
    });
  });

  it("null is missing for every task; -1 is missing only among class indices", () => {
    const n = 6;
    const tasks = [task("y", { kind: "regression", outputs: 1 }), task("c", { kind: "classification", outputs: 3 })];
    const ds = new MultiTaskDataset({ x: x(n), xShape: [4], labels: { y: [null, 1, 2, -1, null, 0], c: [-1, 0, 1, 2, -1, 1] } });
    const tr = trainer(tasks);
    const seen: Record<string, number> = {};
    const bound = ds.valuesOf("y");
    expect(bound.labelledCount("y")).toBe(4); // the two nulls are missing, the -1 is a value
    expect(ds.labelledCount("c")).toBe(4); // the two -1 class labels are missing
    for (const t of ["y", "c"]) seen[t] = tr.evaluate(ds)[t].loss;
    expect(Number.isFinite(seen.y) && Number.isFinite(seen.c)).toBe(true);
  });

  it("-1/+1 binary labels are refused with a hint to use 0/1, in every form", async () => {
    const bin = [task("b", { kind: "binary", outputs: 1 })];
    const n = 6, pm = [-1, 1, 1, -1, 1, -1];
    for (const labels of [pm, Int32Array.from(pm), Float32Array.from(pm)]) {
      const ds = new MultiTaskDataset({ x: x(n), xShape: [4], labels: { b: labels as number[] } });
      await expect(trainer(bin).fit(ds, { epochs: 1 })).rejects.toThrow('fit: binary task "b" has label -1 (example 0); binary labels are in [0, 1] (map -1 to 0)');
      expect(() => trainer(bin).evaluate(ds)).toThrow(/evaluate: binary task "b" has label -1/);
    }
    const two = new MultiTaskDataset({ x: x(n), xShape: [4], labels: { b: [0, 2, 1, 0, 1, 0] } });
    await expect(trainer(bin).fit(two, { epochs: 1 })).rejects.toThrow(/has label 2 \(example 1\); binary labels are in \[0, 1\]$/);
    const ok = new MultiTaskDataset({ x: x(n), xShape: [4], labels: { b: [0, 1, 1, 0, 0.5, null] } });
    await trainer(bin).fit(ok, { epochs: 1 });
  });
});
