// Per-task gradient memory: a gradient method's step holds at most (T + 2) x P floats of
// gradient vectors (P = shared parameter count): the T per-task vectors, the update and
// the shared parameters' own .grad; no per-parameter copies survive their task's
// flattening. On top come the heads' gradients and each task's backward temporaries,
// activation-sized (batch x width), which stay until the step ends: allowed 4 per task.
// PCGrad (core) holds one vector more, T + 3: its working projection, since forming the
// projections from the Gram matrix alone (T + 2) would change its pinned bits.
import { describe, it, expect, beforeAll } from "vitest";
import { init, Rng, MultiTaskDataset, task, SharedBottom, Trainer, SGD, randn, memoryStats, createWeighting, type Task, type Weighting } from "../src/index.js";
import "../src/methods/index.js";

beforeAll(async () => { await init(); });

describe("per-task gradient memory stays within (T + 2) x P", () => {
  const T = 4, D = 256;
  const names = Array.from({ length: T }, (_, i) => `t${i}`);
  const dataset = () => {
    const x = randn([8, D], 0, 1, new Rng(3)).data() as Float32Array;
    const labels = Object.fromEntries(names.map((t, i) => [t, Float32Array.from({ length: 8 }, (_, r) => x[r * D + i])]));
    return new MultiTaskDataset({ x, xShape: [D], labels });
  };
  for (const name of ["PCGrad", "MGDA", "CAGrad", "Nash-MTL", "UPGrad", "IMTL-G", "Aligned-MTL", "GradVac", "SDMGrad", "ConFIG", "DB-MTL", "MoCo", "ExcessMTL"]) {
    it(name, () => {
      const data = dataset();
      const tasks: Task[] = names.map((t) => task(t, { kind: "regression", outputs: 1 }));
      const model = new SharedBottom({ tasks, inputs: D, trunk: [D], towers: [], rng: new Rng(1) });
      const P = model.sharedParameters().reduce((n, p) => n + p.size, 0);
      const heads = names.reduce((n, t) => n + model.taskParameters(t).reduce((m, p) => m + p.size, 0), 0);
      const inner = createWeighting(name, names);
      let held = 0;
      const probe: Weighting = {
        name: inner.name,
        backward: (ctx) => {
          const before = memoryStats().bytesInUse;
          const w = inner.backward(ctx);
          held = memoryStats().bytesInUse - before; // everything the method's step still holds
          return w;
        },
      };
      const tr = new Trainer(model, { tasks, weighting: probe, optimizer: (p) => new SGD(p, { lr: 0.01 }) });
      tr.trainStep([{ tasks: names, batch: data.batch([0, 1, 2, 3, 4, 5, 6, 7]) }]);
      expect(P).toBeGreaterThan(30000); // the shared part dominates the heads and the activations
      const vectors = T + 2 + (name === "PCGrad" ? 1 : 0);
      expect(held, `${name} holds ${(held / (4 * P)).toFixed(2)} x P floats`).toBeLessThanOrEqual(vectors * P * 4 + T * 4 * (8 * D * 4) + 2 * heads * 4);
      expect(held).toBeGreaterThanOrEqual(T * P * 4); // it did hold the T gradients (the probe measures something)
    });
  }
});
