// ESMM and MTAN beyond the conformance table (test/architectures.test.ts): ESMM's head is
// exactly pCTR x pCVR, stable for large logits, and trained on the entire space it
// recovers a planted conversion rate on every impression; MTAN's masks lie in (0, 1) and it
// learns a small image multi-task problem through the Trainer.
import { describe, it, expect, beforeAll } from "vitest";
import { init, task, tensor, randn, rand, Rng, Trainer, Adam, MultiTaskDataset, sigmoid, scope, noGrad } from "../src/index.js";
import { ESMM, MTAN, productLogit } from "../src/architectures/index.js";
import { expectClose, gradCheck } from "./helpers.js";

beforeAll(async () => { await init(); });

const sig = (v: number) => 1 / (1 + Math.exp(-v));

describe("ESMM", () => {
  const ctr = task("ctr", { kind: "binary", outputs: 1, metrics: ["auc"] }), ctcvr = task("ctcvr", { kind: "binary", outputs: 1, metrics: ["auc"] });

  it("the ctcvr head is logit(pCTR x pCVR), finite and exact for large logits, with the right gradient", () => {
    const a = tensor([[-30], [-3], [0], [2], [25], [40]]), b = tensor([[5], [1], [0], [-2], [30], [40]]);
    const p = sigmoid(productLogit(a, b)).data(), av = a.data(), bv = b.data();
    av.forEach((v, i) => expect(Math.abs(p[i] - sig(v) * sig(bv[i]))).toBeLessThan(1e-6));
    expect(Array.from(productLogit(a, b).data()).every(Number.isFinite)).toBe(true);
    gradCheck((x, y) => productLogit(x, y), [randn([4, 1], 0, 2, new Rng(1)), randn([4, 1], 0, 2, new Rng(2))]);
    const m = new ESMM({ ctr, ctcvr, inputs: 3, bottom: [4], rng: new Rng(1) });
    const x = randn([5, 3], 0, 1, new Rng(3));
    const out = m.forward(x).outputs;
    expectClose(sigmoid(out.ctcvr), Array.from(sigmoid(out.ctr).data(), (v, i) => v * sigmoid(m.cvrLogits(x)).data()[i]), 1e-6, 1e-7, "pCTCVR = pCTR pCVR");
    expect(() => new ESMM({ ctr, ctcvr: task("k", { kind: "classification", outputs: 2 }), inputs: 3, bottom: [4] })).toThrow('ESMM: task "k" must have one output');
    expect(() => new ESMM({ ctr, ctcvr: ctr, inputs: 3, bottom: [4] })).toThrow('ESMM: the task name "ctr" is used twice');
  });

  it("trained on click and click-and-convert over all impressions, pCVR matches the planted conversion rate everywhere", async () => {
    const n = 3000, d = 4, x = randn([n, d], 0, 1, new Rng(5)).data(), u = rand([2 * n], 0, 1, new Rng(6)).data();
    const wc = [1.5, -1, 0.5, 0], wv = [0, 1, -1.5, 1];
    const click = new Float32Array(n), both = new Float32Array(n), cvr = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let sc = 0, sv = 0;
      for (let k = 0; k < d; k++) { sc += wc[k] * x[i * d + k]; sv += wv[k] * x[i * d + k]; }
      cvr[i] = sig(sv);
      click[i] = u[2 * i] < sig(sc) ? 1 : 0;
      both[i] = click[i] && u[2 * i + 1] < cvr[i] ? 1 : 0;
    }
    const ds = new MultiTaskDataset({ x, xShape: [d], labels: { ctr: click, ctcvr: both } });
    const m = new ESMM({ ctr, ctcvr, inputs: d, bottom: [16], towers: [8], rng: new Rng(7) });
    const trainer = new Trainer(m, { tasks: [ctr, ctcvr], optimizer: (p) => new Adam(p, { lr: 0.01 }), seed: 3 });
    await trainer.fit(ds, { epochs: 12, batchSize: 128 });
    const p = scope(() => noGrad(() => { m.eval(); return Array.from(sigmoid(m.cvrLogits(tensor(x, [n, d]))).data()); }));
    const err = p.reduce((s, v, i) => s + Math.abs(v - cvr[i]), 0) / n;
    // predicting the mean conversion rate everywhere is off by about 0.3 on average
    expect(err).toBeLessThan(0.08);
  });
});

describe("MTAN", () => {
  // 8x8 images, one bright 2x2 square on noise: which quadrant (4 classes) and its row (regression)
  function squares(n: number, seed: number) {
    const r = new Rng(seed), noise = rand([n * 64], 0, 0.3, r).data();
    const x = new Float32Array(n * 64), quadrant = new Int32Array(n), row = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const a = r.int(7), b = r.int(7);
      for (let k = 0; k < 64; k++) x[i * 64 + k] = noise[i * 64 + k];
      for (const [da, db] of [[0, 0], [0, 1], [1, 0], [1, 1]]) x[i * 64 + (a + da) * 8 + b + db] = 1;
      quadrant[i] = (a + 0.5 >= 3.5 ? 2 : 0) + (b + 0.5 >= 3.5 ? 1 : 0);
      row[i] = (a - 3) / 3;
    }
    return new MultiTaskDataset({ x, xShape: [1, 8, 8], labels: { quadrant, row } });
  }
  const quadrant = task("quadrant", { kind: "classification", outputs: 4 }), row = task("row", { kind: "regression", outputs: 1, metrics: ["mse"] });

  it("attention masks lie in (0, 1), one per block at its resolution", () => {
    const m = new MTAN({ tasks: [quadrant, row], inChannels: 1, channels: [3, 4], rng: new Rng(1) });
    const masks = m.masks(randn([2, 1, 8, 8], 0, 1, new Rng(2)), "row");
    expect(masks.map((t) => [...t.shape])).toEqual([[2, 3, 8, 8], [2, 4, 4, 4]]);
    for (const t of masks) expect(t.data().every((v) => v > 0 && v < 1)).toBe(true);
    expect(() => m.forward(randn([2, 8, 8]))).toThrow("MTAN: input");
  });

  it("learns a small image multi-task problem through the Trainer", async () => {
    const train = squares(600, 1), test = squares(200, 2);
    const m = new MTAN({ tasks: [quadrant, row], inChannels: 1, channels: [4, 8], towers: [16], rng: new Rng(3) });
    const trainer = new Trainer(m, { tasks: [quadrant, row], optimizer: (p) => new Adam(p, { lr: 0.01 }), seed: 4 });
    await trainer.fit(train, { epochs: 8, batchSize: 32 });
    const r = trainer.evaluate(test);
    expect(r.quadrant.accuracy).toBeGreaterThan(0.85);
    expect(r.row.mse).toBeLessThan(0.1); // the labels' variance is about 0.44
  });
});
