// Layer and batch norm: SIMD kernels vs scalar references, PyTorch golden values (with the
// running-stat update), finite differences, the layers' train/eval behaviour, errors.
import { describe, it, expect, beforeAll } from "vitest";
import { init, tensor, layerNorm, batchNorm, LayerNorm, BatchNorm1d, BatchNorm2d, Tensor, zeros, full, noGrad } from "../src/index.js";
import { K } from "../src/engine/engine.js";
import { loadGolden, fromGolden, expectClose, gradCheck } from "./helpers.js";
import { callRef, goldenOp, loadRef, maxDiffs, reportMaxDiffs, rnd } from "./nnhelpers.js";

beforeAll(async () => { await init(); await loadRef(); });
reportMaxDiffs("norm");

describe("norm kernels vs scalar references", () => {
  for (const [rows, cols] of [[3, 1], [2, 4], [4, 6], [3, 8], [2, 13], [2, 40]]) {
    for (const affine of [true, false]) {
      it(`layer_norm ${rows}x${cols}${affine ? "" : ", no affine"}`, () => {
        const x = rnd([rows, cols], rows + cols, 2), dy = rnd([rows, cols], 3 * cols);
        const w = affine ? rnd([cols], 5) : null, b = affine ? rnd([cols], 6) : null;
        const y = new Tensor([rows, cols]), m = new Tensor([rows]), r = new Tensor([rows]);
        const dx = new Tensor([rows, cols]), dw = new Tensor([cols]), db = new Tensor([cols]);
        K().layer_norm(y.ptr, m.ptr, r.ptr, x.ptr, w?.ptr ?? 0, b?.ptr ?? 0, rows, cols, 1e-5);
        const fwd = callRef("layer_norm_ref", y, m, r, x, w, b, rows, cols, 1e-5).out;
        [y, m, r].forEach((t, i) => expectClose(t, fwd[i], 1e-5, 1e-6, `forward output ${i}`));
        K().layer_norm_grad(dx.ptr, dw.ptr, db.ptr, dy.ptr, x.ptr, m.ptr, r.ptr, w?.ptr ?? 0, rows, cols);
        const bwd = callRef("layer_norm_grad_ref", dx, dw, db, dy, x, m, r, w, rows, cols).out;
        [dx, dw, db].forEach((t, i) => expectClose(t, bwd[i], 1e-5, 1e-6, `backward output ${i}`));
      });
    }
  }
  for (const [n, c, s] of [[4, 3, 1], [3, 2, 4], [2, 3, 13], [5, 2, 8]]) {
    for (const training of [1, 0]) {
      it(`batch_norm (${n}, ${c}, ${s}) ${training ? "training" : "eval"}`, () => {
        const x = rnd([n, c, s], n * c + s, 2), dy = rnd([n, c, s], 9 + s);
        const w = rnd([c], 7), b = rnd([c], 8);
        const rm = rnd([c], 10, 0.1), rv = full([c], 1.5);
        const y = new Tensor([n, c, s]), m = new Tensor([c]), r = new Tensor([c]);
        const dx = new Tensor([n, c, s]), dw = new Tensor([c]), db = new Tensor([c]);
        const fwd = callRef("batch_norm_ref", y, m, r, x, w, b, rm, rv, n, c, s, 1e-5, 0.1, training).out;
        K().batch_norm(y.ptr, m.ptr, r.ptr, x.ptr, w.ptr, b.ptr, rm.ptr, rv.ptr, n, c, s, 1e-5, 0.1, training);
        [y, m, r, rm, rv].forEach((t, i) => expectClose(t, fwd[[0, 1, 2, 6, 7][i]], 1e-5, 1e-6, `forward output ${i}`));
        K().batch_norm_grad(dx.ptr, dw.ptr, db.ptr, dy.ptr, x.ptr, m.ptr, r.ptr, w.ptr, n, c, s, training);
        const bwd = callRef("batch_norm_grad_ref", dx, dw, db, dy, x, m, r, w, n, c, s, training).out;
        [dx, dw, db].forEach((t, i) => expectClose(t, bwd[i], 1e-5, 1e-6, `backward output ${i}`));
      });
    }
  }
});

describe("norm ops vs PyTorch", () => {
  it("layer_norm", () => goldenOp("layer_norm", ({ x, weight, bias }) => layerNorm(x, [6], weight, bias, 1e-5)));

  it("batch_norm_train (outputs, gradients, running stats)", () => {
    const c = loadGolden().ops.batch_norm_train;
    const rm = fromGolden(c.buffers_before.running_mean), rv = fromGolden(c.buffers_before.running_var);
    goldenOp("batch_norm_train", ({ x, weight, bias }) =>
      batchNorm(x, { runningMean: rm, runningVar: rv, weight, bias, training: true, momentum: c.attrs.momentum, eps: c.attrs.eps }));
    maxDiffs.batch_norm_train.running_mean = expectClose(rm, c.buffers_after.running_mean, 1e-5, 1e-6, "running_mean");
    maxDiffs.batch_norm_train.running_var = expectClose(rv, c.buffers_after.running_var, 1e-5, 1e-6, "running_var");
  });
});

describe("norm gradients (finite differences)", () => {
  it("layerNorm with and without affine, over one and two trailing axes", () => {
    gradCheck((x, w, b) => layerNorm(x, 5, w, b), [rnd([3, 5], 1, 2), rnd([5], 2), rnd([5], 3)]);
    gradCheck((x) => layerNorm(x, [2, 3]), [rnd([2, 2, 3], 4, 2)]);
    gradCheck((x, w) => layerNorm(x, 4, w), [rnd([2, 4], 5), rnd([4], 6)]);
  });

  it("batchNorm: training on [N, C] and [N, C, H, W], eval with running stats", () => {
    gradCheck((x, w, b) => batchNorm(x, { weight: w, bias: b, training: true }), [rnd([5, 3], 7, 2), rnd([3], 8), rnd([3], 9)]);
    gradCheck((x, w, b) => batchNorm(x, { weight: w, bias: b, training: true }), [rnd([2, 2, 3, 3], 10), rnd([2], 11), rnd([2], 12)]);
    const rm = tensor([0.1, -0.2]), rv = tensor([0.8, 1.3]);
    gradCheck((x, w, b) => batchNorm(x, { runningMean: rm, runningVar: rv, weight: w, bias: b }), [rnd([3, 2, 2], 13), rnd([2], 14), rnd([2], 15)]);
  });
});

describe("norm layers", () => {
  it("BatchNorm1d: state_dict names, running stats in training, eval uses them", () => {
    const bn = new BatchNorm1d(3);
    expect(Object.keys(bn.stateDict())).toEqual(["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]);
    expect(bn.num_batches_tracked!.dtype).toBe("int32");
    const x = rnd([6, 3], 20, 2);
    bn.forward(x);
    bn.forward(x);
    expect(bn.num_batches_tracked!.item()).toBe(2);
    // eval: (x - rm) / sqrt(rv + eps) with the stats after two updates
    bn.eval();
    const rm = bn.running_mean!.data(), rv = bn.running_var!.data(), xv = x.data(), y = bn.forward(x).data();
    for (let i = 0; i < 18; i++) {
      const c = i % 3;
      expect(Math.abs(y[i] - (xv[i] - rm[c]) / Math.sqrt(rv[c] + 1e-5))).toBeLessThan(1e-5);
    }
    expect(bn.num_batches_tracked!.item()).toBe(2);
  });

  it("BatchNorm1d with momentum null keeps the cumulative average of batch statistics", () => {
    const bn = new BatchNorm1d(2, { momentum: null, affine: false });
    const a = tensor([[1, 2], [3, 6]]), b = tensor([[5, 0], [7, 4]]);
    bn.forward(a); bn.forward(b);
    expectClose(bn.running_mean!, [4, 3], 1e-6, 1e-6); // means 2, 4 then 6, 2
    expectClose(bn.running_var!, [2, 8], 1e-6, 1e-6); // unbiased vars 2, 8 then 2, 8
  });

  it("BatchNorm2d normalises per channel over batch and space; no running stats uses the batch in eval", () => {
    const bn = new BatchNorm2d(2, { trackRunningStats: false });
    expect(Object.keys(bn.stateDict())).toEqual(["weight", "bias"]);
    bn.eval();
    const y = noGrad(() => bn.forward(rnd([3, 2, 2, 2], 21, 3))).data();
    for (const c of [0, 1]) {
      let s = 0;
      for (let n = 0; n < 3; n++) for (let k = 0; k < 4; k++) s += y[n * 8 + c * 4 + k];
      expect(Math.abs(s)).toBeLessThan(1e-5);
    }
  });

  it("LayerNorm over the last axis; no affine has no parameters", () => {
    const ln = new LayerNorm(4);
    expect(ln.namedParameters().map(([n]) => n)).toEqual(["weight", "bias"]);
    expect(new LayerNorm([2, 3], { elementwiseAffine: false }).numParameters()).toBe(0);
    const y = ln.forward(tensor([[1, 2, 3, 4]])).data();
    expectClose(y, [-1.3416355, -0.4472118, 0.4472118, 1.3416355], 1e-5, 1e-6);
  });

  it("errors name the layer or op and the shapes", () => {
    expect(() => new LayerNorm(4).forward(zeros([2, 3]))).toThrow("LayerNorm: input Tensor [2, 3] float32 does not end in [4]");
    expect(() => layerNorm(zeros([2, 3]), 3, zeros([4]))).toThrow("layerNorm: weight Tensor [4] float32 must have the normalized shape [3]");
    expect(() => new BatchNorm1d(4).forward(zeros([2, 3]))).toThrow("BatchNorm1d: input Tensor [2, 3] float32 must be 2-d or 3-d with 4 channels on axis 1");
    expect(() => new BatchNorm1d(3).forward(zeros([1, 3]))).toThrow("batchNorm: input Tensor [1, 3] float32 has 1 value(s) per channel; batch statistics need more than 1");
    expect(() => batchNorm(zeros([2, 3]), { weight: zeros([2]), training: true })).toThrow("batchNorm: weight Tensor [2] float32 must be [3] for input Tensor [2, 3] float32");
  });
});
