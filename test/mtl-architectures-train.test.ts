// Every architecture trains end to end through the Trainer (with a weighting method
// that asks for per-task gradients, and with the alternating schedule), and the fused
// head of Fusion trains as a task of its own.
import { describe, it, expect, beforeAll } from "vitest";
import { init, Rng, MultiTaskDataset, task, Trainer, Adam, PCGrad, UncertaintyWeighting, alternating, randn, SharedBottom, MMoE, type Task, type MultiTaskModel } from "../src/index.js";
import { SoftSharing, CrossStitch, CGC, PLE, DSelectK, Fusion } from "../src/architectures/index.js";

beforeAll(async () => { await init(); });

function data(n: number, seed: number): MultiTaskDataset {
  const x = randn([n, 6], 0, 1, new Rng(seed)).data() as Float32Array;
  const a = new Float32Array(n), b = new Float32Array(n), c = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = x.subarray(i * 6, i * 6 + 6);
    a[i] = r[0] + 0.5 * r[1];
    b[i] = r[0] - r[2];
    c[i] = a[i] + b[i]; // the fused target
  }
  return new MultiTaskDataset({ x, xShape: [6], labels: { a, b, c } });
}

const TASKS = (): Task[] => [task("a", { kind: "regression", outputs: 1 }), task("b", { kind: "regression", outputs: 1 })];
const common = (tasks: Task[]) => ({ tasks, inputs: 6, towers: [8], rng: new Rng(3) });
const ARCHS: Record<string, (t: Task[]) => MultiTaskModel> = {
  SharedBottom: (t) => new SharedBottom({ ...common(t), trunk: [16] }),
  SoftSharing: (t) => new SoftSharing({ ...common(t), trunk: [16], lambda: 1e-3 }),
  CrossStitch: (t) => new CrossStitch({ ...common(t), columns: [16, 8] }),
  MMoE: (t) => new MMoE({ ...common(t), experts: 3, expertWidths: [8] }),
  CGC: (t) => new CGC({ ...common(t), sharedExperts: 2, taskExperts: 1, expertWidths: [8] }),
  PLE: (t) => new PLE({ ...common(t), sharedExperts: 2, taskExperts: 1, expertWidths: [8], layers: 2 }),
  DSelectK: (t) => new DSelectK({ ...common(t), experts: 4, expertWidths: [8], k: 2, entropyReg: 1e-3 }),
};

describe("architectures train through the Trainer", () => {
  for (const [name, build] of Object.entries(ARCHS)) {
    it(`${name}: joint with PCGrad, and alternating with uncertainty weighting`, async () => {
      for (const mode of ["pcgrad", "alternating"] as const) {
        const tasks = TASKS();
        const model = build(tasks);
        const tr = new Trainer(model, {
          tasks, optimizer: (p) => new Adam(p, { lr: 1e-2 }), seed: 1,
          ...(mode === "pcgrad" ? { weighting: new PCGrad() } : { weighting: new UncertaintyWeighting(["a", "b"]), schedule: alternating() }),
        });
        const test = data(100, 2);
        const before = tr.evaluate(test);
        await tr.fit(data(200, 1), { epochs: 10, batchSize: 20 });
        const after = tr.evaluate(test);
        for (const t of ["a", "b"]) expect(after[t].mse, `${name} ${mode} ${t}`).toBeLessThan(before[t].mse * 0.5);
      }
    });
  }

  for (const method of ["mlp", "weighted", "average"] as const) {
    it(`Fusion (${method}) trains the fused output as a task`, async () => {
      const tasks = TASKS();
      const fused = task("c", { kind: "regression", outputs: 1 });
      const model = new Fusion({ model: ARCHS.MMoE(tasks), task: fused, sources: tasks, method, rng: new Rng(4) });
      const all = [...tasks, fused];
      const tr = new Trainer(model, { tasks: all, optimizer: (p) => new Adam(p, { lr: 1e-2 }) });
      const test = data(100, 2);
      const before = tr.evaluate(test);
      await tr.fit(data(200, 1), { epochs: 6, batchSize: 20 });
      expect(tr.evaluate(test).c.mse).toBeLessThan(before.c.mse * 0.5);
    });
  }
});
