// The gradient-conflict monitor: per-epoch pairwise cosine, magnitude ratio and conflict
// rate of the tasks' gradients, in trainer.history and every callback's epoch logs;
// checked against the Gram matrices of the same steps.
import { describe, it, expect, beforeAll } from "vitest";
import { init, Rng, MultiTaskDataset, task, SharedBottom, Trainer, SGD, randn, EqualWeighting, type Task, type Weighting, type EpochLogs } from "../src/index.js";
import { ConflictMonitor, gramConflicts, type ConflictStats } from "../src/methods/index.js";

beforeAll(async () => { await init(); });

const NAMES = ["a", "b", "c"];
function data(): MultiTaskDataset {
  const n = 48, x = randn([n, 5], 0, 1, new Rng(4)).data() as Float32Array;
  const f = (i: number) => x[i * 5] + 0.5 * x[i * 5 + 1];
  // c is missing in the first half (the pairs with c meet in fewer steps)
  return new MultiTaskDataset({ x, xShape: [5], labels: {
    a: Float32Array.from({ length: n }, (_, i) => f(i)),
    b: Float32Array.from({ length: n }, (_, i) => -f(i) + x[i * 5 + 2]),
    c: Float32Array.from({ length: n }, (_, i) => (i < 24 ? NaN : x[i * 5 + 3])),
  } });
}

describe("ConflictMonitor", () => {
  it("gramConflicts: cosines and magnitude ratios of a Gram matrix", () => {
    const { cosine, magnitudeRatio } = gramConflicts([[4, -2], [-2, 1]]);
    expect(cosine[0][1]).toBeCloseTo(-1, 15); expect(cosine[1][1]).toBe(1);
    expect(magnitudeRatio[0][1]).toBe(2); expect(magnitudeRatio[1][0]).toBe(0.5);
  });

  it("records each epoch's means in trainer.history and the callbacks' logs, equal to the steps' Gram matrices", async () => {
    const grams: { tasks: string[]; G: number[][]; epoch: number }[] = [];
    const inner: Weighting = { name: "EW+", backward: (ctx) => { grams.push({ tasks: [...ctx.tasks], G: ctx.gram(), epoch: ctx.epoch }); return new EqualWeighting().backward(ctx); } };
    const tasks: Task[] = NAMES.map((t) => task(t, { kind: "regression", outputs: 1 }));
    const model = new SharedBottom({ tasks, inputs: 5, trunk: [8], towers: [4], rng: new Rng(1) });
    const seen: ConflictStats[] = [];
    const mon = new ConflictMonitor(inner, { onEpoch: (s) => seen.push(s) });
    const logs: EpochLogs[] = [];
    const tr = new Trainer(model, { tasks, weighting: mon, seed: 2, optimizer: (p) => new SGD(p, { lr: 0.05 }) });
    const h = await tr.fit(data(), { epochs: 2, batchSize: 8, callbacks: [{ onEpochEnd: (l) => { logs.push(l); } }] });
    expect(seen.length).toBe(2);
    const st = h[1].diagnostics!.conflicts as ConflictStats;
    expect(st).toBe(seen[1]);
    expect(logs[1].diagnostics!.conflicts).toBe(st);
    // expected: means over the second epoch's steps, pair by pair
    const ep = grams.filter((g) => g.epoch === grams[grams.length - 1].epoch);
    expect(st.steps).toBe(ep.length);
    const idx = (t: string) => st.tasks.indexOf(t);
    for (const p of NAMES) for (const q of NAMES) {
      const vals = ep.filter((g) => g.tasks.includes(p) && g.tasks.includes(q)).map((g) => gramConflicts(g.G).cosine[g.tasks.indexOf(p)][g.tasks.indexOf(q)]);
      const mean = vals.reduce((s, v) => s + v, 0) / vals.length;
      expect(st.cosine[idx(p)][idx(q)]).toBeCloseTo(mean, 12);
      expect(st.conflictRate[idx(p)][idx(q)]).toBeCloseTo(vals.filter((v) => v < 0).length / vals.length, 12);
    }
    for (const row of st.cosine) for (const v of row) expect(Math.abs(v)).toBeLessThanOrEqual(1 + 1e-12);
    expect(st.steps).toBe(6); // 48 rows / 8 per batch
    expect(st.cosine[idx("a")][idx("a")]).toBeCloseTo(1, 12);
    expect(st.magnitudeRatio[idx("a")][idx("b")] * st.magnitudeRatio[idx("b")][idx("a")]).toBeGreaterThan(0.9); // means of reciprocals: >= 1 by AM-GM when they vary
  });

  it("every: n monitors one step in n; bad options are named", () => {
    expect(() => new ConflictMonitor(new EqualWeighting(), { every: 0 })).toThrow(/ConflictMonitor: every must be an integer >= 1/);
    expect(() => new ConflictMonitor(new EqualWeighting(), { evry: 2 } as never)).toThrow(/ConflictMonitor: unknown option "evry"/);
  });
});
