// The Gram-only path (autogram): a Gram method given `autogram: true` accumulates the
// Gram matrix one block of shared parameters at a time and applies its weights with one
// backward pass of sum_i w_i L_i, never holding the T gradient vectors. Same Gram and the
// same step as the materialised path up to float32 rounding; its peak memory during the
// step stays near P (one block per task, P / T each) where the materialised one holds T x P.
import { describe, it, expect, beforeAll } from "vitest";
import { init, Rng, MultiTaskDataset, task, SharedBottom, Trainer, SGD, randn, memoryStats, resetMemoryPeak, type Task, type Weighting } from "../src/index.js";
import { layerwiseGram, MGDA, CAGrad, NashMTL, UPGrad, DualProj, ConFIG, AlignedMTL, FairGrad, Krum } from "../src/methods/index.js";

beforeAll(async () => { await init(); });

const T = 4;
const names = Array.from({ length: T }, (_, i) => `t${i}`);
const tasks = (): Task[] => names.map((t) => task(t, { kind: "regression", outputs: 1 }));
function data(D: number): MultiTaskDataset {
  const x = randn([16, D], 0, 1, new Rng(3)).data() as Float32Array;
  const labels = Object.fromEntries(names.map((t, i) => [t, Float32Array.from({ length: 16 }, (_, r) => x[r * D + i] - 0.5 * x[r * D + i + 4] * (i % 2 ? 1 : -1))]));
  return new MultiTaskDataset({ x, xShape: [D], labels });
}

type Make = (autogram: boolean) => Weighting;
const METHODS: [string, Make][] = [
  ["MGDA", (a) => new MGDA({ autogram: a })], ["CAGrad", (a) => new CAGrad({ autogram: a })],
  ["Nash-MTL", (a) => new NashMTL({ autogram: a })], ["UPGrad", (a) => new UPGrad({ autogram: a })],
  ["DualProj", (a) => new DualProj({ autogram: a })], ["ConFIG", (a) => new ConFIG({ autogram: a })],
  ["Aligned-MTL", (a) => new AlignedMTL({ autogram: a })], ["FairGrad", (a) => new FairGrad({ autogram: a })],
  ["Krum", (a) => new Krum({ autogram: a, f: 1 })],
];

function step(make: Make, autogram: boolean, D: number, trunk: number[]) {
  const model = new SharedBottom({ tasks: tasks(), inputs: D, trunk, towers: [8], rng: new Rng(1) });
  const inner = make(autogram);
  let G: number[][] = [], peak = 0, held = 0, w: number[] = [];
  const probe: Weighting = {
    name: inner.name,
    backward: (ctx) => {
      const before = memoryStats().bytesInUse;
      resetMemoryPeak();
      w = inner.backward(ctx);
      peak = memoryStats().peakBytesInUse - before;
      held = memoryStats().bytesInUse - before;
      G = autogram ? layerwiseGram(ctx) : ctx.gram();
      return w;
    },
  };
  const tr = new Trainer(model, { tasks: tasks(), weighting: probe, optimizer: (p) => new SGD(p, { lr: 0.1 }) });
  tr.trainStep([{ tasks: names, batch: data(D).batch(Array.from({ length: 16 }, (_, i) => i)) }]);
  const P = model.sharedParameters().reduce((n, p) => n + p.size, 0);
  return { G, w, peak, held, P, params: model.parameters().flatMap((p) => Array.from(p.data())) };
}

describe.each(METHODS.map(([name, make]) => ({ name, make })))("$name with autogram", ({ make }) => {
  it("gives the materialised path's Gram, weights and step up to rounding", () => {
    const a = step(make, false, 12, [16, 16, 16]), b = step(make, true, 12, [16, 16, 16]);
    const scale = Math.max(...a.G.flat().map(Math.abs));
    a.G.forEach((row, i) => row.forEach((x, j) => expect(Math.abs(x - b.G[i][j]) / scale).toBeLessThan(1e-6)));
    a.w.forEach((x, i) => expect(Math.abs(x - b.w[i])).toBeLessThan(1e-4 * Math.max(1, Math.abs(x))));
    const d = Math.max(...a.params.map((x, i) => Math.abs(x - b.params[i])));
    expect(d).toBeLessThan(1e-6);
  });
});

describe("autogram memory", () => {
  it("peaks near P during the step (T per-task blocks of P / T) where the materialised path peaks above T x P", () => {
    const trunk = [128, 128, 128, 128];
    const a = step(METHODS[0][1], false, 128, trunk), b = step(METHODS[0][1], true, 128, trunk);
    expect(a.P).toBeGreaterThan(60000);
    const ratio = (x: number) => x / (4 * a.P);
    console.log(`MGDA, T = ${T}, P = ${a.P}: peak ${ratio(a.peak).toFixed(2)} x P materialised, ${ratio(b.peak).toFixed(2)} x P autogram`);
    expect(ratio(a.peak)).toBeGreaterThan(T);
    expect(ratio(b.peak)).toBeLessThan(2.6); // .grad (P) + T blocks of about P / T + one task's block pieces + activations
    expect(ratio(b.held)).toBeLessThan(ratio(a.held));
  });
  it("refuses autogram on the representation", () => {
    expect(() => new MGDA({ autogram: true, on: "representation" })).toThrow(/autogram applies to the shared parameters/);
    expect(() => new CAGrad({ autogram: "yes" as never })).toThrow(/autogram must be true or false/);
  });
});
