// EmbeddingBag (src/seq/bag.ts) and pooling over time (src/seq/pool.ts) against PyTorch
// (build/seq_golden.py: nn.EmbeddingBag in every mode, masked mean/max, first and last
// step), with finite differences and the checks on bad input.
import { describe, it, expect, beforeAll } from "vitest";
import { init, Tensor, gradients, randn, Rng, tensor } from "../src/index.js";
import { EmbeddingBag, embeddingBag, meanOverTime, maxOverTime, firstStep, lastStep } from "../src/seq/index.js";
import { expectClose, fromGolden, gradCheck } from "./helpers.js";
import { maxDiffs, reportMaxDiffs } from "./nnhelpers.js";
import { seqGolden } from "./seqhelpers.js";

beforeAll(async () => { await init(); });
reportMaxDiffs("EmbeddingBag / pooling");

const RTOL = 1e-5, ATOL = 1e-6;

describe("EmbeddingBag against PyTorch", () => {
  for (const name of Object.keys(seqGolden().bag)) {
    it(name, () => {
      const c = seqGolden().bag[name];
      const bag = new EmbeddingBag(c.num, c.dim, { mode: c.mode, paddingIdx: c.padding_idx ?? undefined, includeLastOffset: c.include_last_offset });
      bag.loadStateDict({ weight: c.weight });
      const input = fromGolden(c.input, "int32");
      const psw = c.per_sample_weights ? fromGolden(c.per_sample_weights) : undefined;
      if (psw) psw.requiresGrad = true;
      const y = bag.forward(input, { ...(c.offsets ? { offsets: fromGolden(c.offsets, "int32") } : {}), ...(psw ? { perSampleWeights: psw } : {}) });
      const d: Record<string, number> = { y: expectClose(y, c.y, RTOL, ATOL, `${name} y`) };
      const gs = gradients(y, [bag.weight, ...(psw ? [psw] : [])], [fromGolden(c.g_y)]);
      d.grad_weight = expectClose(gs[0], c.grad_weight, RTOL, ATOL, `${name} grad weight`);
      if (psw) d.grad_psw = expectClose(gs[1], c.grad_per_sample_weights, RTOL, ATOL, `${name} grad per-sample weights`);
      maxDiffs[name] = d;
    });
  }
});

describe("pooling over time against PyTorch", () => {
  const run: Record<string, (x: Tensor, lengths: number[]) => Tensor> = {
    mean: (x, lengths) => meanOverTime(x, { lengths }), max: (x, lengths) => maxOverTime(x, { lengths }),
    first: (x) => firstStep(x), last: (x, lengths) => lastStep(x, { lengths }),
  };
  for (const name of Object.keys(seqGolden().pool)) {
    it(name, () => {
      const c = seqGolden().pool[name];
      const x = fromGolden(c.x);
      x.requiresGrad = true;
      const y = run[c.how](x, c.lengths.data);
      const d: Record<string, number> = { y: expectClose(y, c.y, RTOL, ATOL, `${name} y`) };
      d.grad_x = expectClose(gradients(y, [x], [fromGolden(c.g_y)])[0], c.grad_x, RTOL, ATOL, `${name} grad x`);
      maxDiffs[name] = d;
    });
  }
});

describe("finite differences", () => {
  it("embeddingBag sum with per-sample weights, mean with a padding index, max: w.r.t. the table and the weights", () => {
    const w = randn([6, 3], 0, 1, new Rng(1)), psw = randn([7], 0, 1, new Rng(2));
    const input = [1, 2, 4, 5, 4, 3, 0], offsets = [0, 2, 2, 5];
    gradCheck((ww, pp) => embeddingBag(input, ww, { offsets, mode: "sum", perSampleWeights: pp }), [w, psw]);
    gradCheck((ww) => embeddingBag(input, ww, { offsets, mode: "mean", paddingIdx: 4 }), [w]);
    gradCheck((ww) => embeddingBag(input, ww, { offsets, mode: "max" }), [w], { eps: 1e-3 });
  });
  it("masked mean and max over time, last step", () => {
    const x = randn([2, 4, 3], 0, 1, new Rng(3));
    gradCheck((xx) => meanOverTime(xx, { mask: [[1, 0, 1, 1], [1, 1, 0, 0]] }), [x]);
    gradCheck((xx) => maxOverTime(xx, { lengths: [3, 2] }), [x], { eps: 1e-3 });
    gradCheck((xx) => lastStep(xx, { lengths: [3, 2] }), [x]);
  });
});

describe("semantics and bad input", () => {
  it("a 2-d input is bags of its rows; empty bags are zero rows in every mode", () => {
    const w = randn([5, 2], 0, 1, new Rng(4));
    const a = embeddingBag(tensor([1, 2, 3, 4], [2, 2], "int32"), w, { mode: "sum" });
    const b = embeddingBag([1, 2, 3, 4], w, { offsets: [0, 2], mode: "sum" });
    expect(Array.from(a.data())).toEqual(Array.from(b.data()));
    for (const mode of ["sum", "mean", "max"] as const) {
      const y = embeddingBag([1, 2], w, { offsets: [0, 0, 2], mode }).data();
      expect([y[0], y[1], y[4], y[5]].every((v) => v === 0)).toBe(true);
    }
  });
  it("meanOverTime without lengths is the mean; a sequence with no real step is a zero row", () => {
    const x = randn([2, 3, 2], 0, 1, new Rng(5));
    const y = meanOverTime(x, { lengths: [3, 0] }).data();
    expect([y[2], y[3]]).toEqual([0, 0]);
    expect(() => maxOverTime(x, { lengths: [3, 0] })).toThrow(/sequence 1 has no real step/);
  });
  it("names what is wrong", () => {
    const w = randn([5, 2]);
    expect(() => embeddingBag([1, 2], w)).toThrow(/a 1-d input needs offsets/);
    expect(() => embeddingBag([1, 2], w, { offsets: [1] })).toThrow(/offsets\[0\] is 1, expected 0/);
    expect(() => embeddingBag([1, 2], w, { offsets: [0, 3] })).toThrow(/offsets\[1\] is 3/);
    expect(() => embeddingBag([1, 7], w, { offsets: [0] })).toThrow(/index 7 at position 1 is out of range \[0, 5\)/);
    expect(() => embeddingBag([1, 2], w, { offsets: [0], mode: "mean", perSampleWeights: randn([2]) })).toThrow(/perSampleWeights need mode "sum"/);
    expect(() => embeddingBag([1, 2], w, { offsets: [0], mode: "avg" as never })).toThrow(/mode must be "sum", "mean" or "max"/);
    expect(() => embeddingBag([1, 2], w, { offset: [0] } as never)).toThrow(/unknown option "offset".*did you mean "offsets"/);
    expect(() => embeddingBag([1, 2], w, { offsets: [0, 1], includeLastOffset: true })).toThrow(/last offset is the input's length 2/);
    expect(() => new EmbeddingBag(5, 2, { paddingIdx: 5 })).toThrow(/paddingIdx must be an integer in \[0, 5\)/);
    expect(() => new EmbeddingBag(5, 2).forward([1], { offsets: [0], perSampleWeight: null } as never)).toThrow(/unknown option "perSampleWeight"/);
    expect(() => meanOverTime(randn([2, 3]))).toThrow(/float32 \[batch, time, features\]/);
    expect(() => lastStep(randn([2, 3, 1]), { lengths: [1, 4] })).toThrow(/lengths\[1\] is 4/);
  });
  it("the padding row starts at zero, as torch", () => {
    const bag = new EmbeddingBag(4, 3, { paddingIdx: 2, rng: new Rng(1) });
    expect(Array.from(bag.weight.data().slice(6, 9))).toEqual([0, 0, 0]);
  });
});
