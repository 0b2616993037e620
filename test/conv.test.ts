// Convolution and pooling: PyTorch golden values, im2col/col2im as adjoints, finite
// differences over strides, padding and dilation, pooling details, errors.
import { describe, it, expect, beforeAll } from "vitest";
import { init, tensor, conv2d, maxPool2d, avgPool2d, Conv2d, MaxPool2d, AvgPool2d, Tensor, zeros, sum, mul } from "../src/index.js";
import { K } from "../src/engine/engine.js";
import { loadGolden, expectClose, gradCheck } from "./helpers.js";
import { goldenOp, reportMaxDiffs, rnd } from "./nnhelpers.js";

beforeAll(async () => { await init(); });
reportMaxDiffs("conv");
const attrs = (name: string) => loadGolden().ops[name].attrs;

/** Values 0.1 apart in a seeded shuffled order: no ties in any pooling window. */
function distinct(shape: number[], seed: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = Array.from({ length: n }, (_, i) => ((i * 37 + seed * 11) % n) * 0.1 - n * 0.05);
  return tensor(v, shape);
}

describe("conv and pooling vs PyTorch", () => {
  for (const name of ["conv2d_s1p1", "conv2d_s2p0"]) {
    it(name, () => goldenOp(name, ({ x, weight, bias }) =>
      conv2d(x, weight, bias, { stride: attrs(name).stride, padding: attrs(name).padding, dilation: attrs(name).dilation })));
  }
  for (const name of ["max_pool2d_k2s2", "max_pool2d_k3s2p1"]) {
    it(name, () => goldenOp(name, ({ x }) => maxPool2d(x, attrs(name).kernel_size, { stride: attrs(name).stride, padding: attrs(name).padding })));
  }
  it("avg_pool2d_k2s2", () => goldenOp("avg_pool2d_k2s2", ({ x }) => avgPool2d(x, 2, { stride: 2 })));
});

describe("im2col / col2im", () => {
  it("are adjoint: <im2col(x), c> = <x, col2im(c)>, for strides, padding and dilation", () => {
    for (const [c, h, w, kh, kw, s, p, d] of [[2, 5, 6, 3, 3, 1, 1, 1], [1, 7, 7, 3, 2, 2, 0, 1], [3, 6, 5, 2, 3, 1, 2, 2]]) {
      const oh = Math.floor((h + 2 * p - d * (kh - 1) - 1) / s) + 1, ow = Math.floor((w + 2 * p - d * (kw - 1) - 1) / s) + 1;
      const x = rnd([c, h, w], h * w + c), col = new Tensor([c * kh * kw, oh * ow]), r = rnd([c * kh * kw, oh * ow], 3);
      K().im2col(col.ptr, x.ptr, c, h, w, kh, kw, s, s, p, p, d, d, oh, ow);
      const back = new Tensor([c, h, w]);
      K().col2im(back.ptr, r.ptr, c, h, w, kh, kw, s, s, p, p, d, d, oh, ow);
      expectClose([sum(mul(col, r)).item()], [sum(mul(x, back)).item()], 1e-5, 1e-5);
    }
  });
});

describe("conv and pooling gradients (finite differences)", () => {
  it("conv2d over stride, padding and dilation, with and without bias", () => {
    gradCheck((x, w, b) => conv2d(x, w, b, { padding: 1 }), [rnd([2, 2, 4, 4], 1), rnd([3, 2, 3, 3], 2, 0.5), rnd([3], 3)]);
    gradCheck((x, w) => conv2d(x, w, null, { stride: [2, 1], padding: [0, 1], dilation: [1, 2] }), [rnd([1, 2, 5, 5], 4), rnd([2, 2, 2, 2], 5, 0.5)]);
  });

  it("max and average pooling, padded and overlapping", () => {
    gradCheck((x) => maxPool2d(x, 2), [distinct([2, 2, 4, 4], 1)]);
    gradCheck((x) => maxPool2d(x, 3, { stride: 2, padding: 1 }), [distinct([1, 2, 5, 5], 2)]);
    gradCheck((x) => avgPool2d(x, 3, { stride: 2, padding: 1 }), [rnd([1, 2, 5, 5], 3)]);
    gradCheck((x) => avgPool2d(x, [2, 3], { stride: 1, padding: [1, 1], countIncludePad: false }), [rnd([2, 1, 4, 4], 4)]);
  });
});

describe("pooling details", () => {
  it("avgPool2d: padding counts in the divisor by default (torch), not with countIncludePad false", () => {
    const x = tensor([[[[1, 2], [3, 4]]]]);
    expectClose(avgPool2d(x, 2, { stride: 2, padding: 1 }), [0.25, 0.5, 0.75, 1], 1e-6, 1e-7);
    expectClose(avgPool2d(x, 2, { stride: 2, padding: 1, countIncludePad: false }), [1, 2, 3, 4], 1e-6, 1e-7);
  });

  it("maxPool2d ignores padding even for negative inputs, and accepts [C, H, W]", () => {
    const y = maxPool2d(tensor([[[-5, -6], [-7, -8]]]), 2, { stride: 1, padding: 1 });
    expect(y.shape).toEqual([1, 3, 3]);
    expect(Array.from(y.data())).toEqual([-5, -5, -6, -5, -5, -6, -7, -7, -8]);
  });

  it("layers: Conv2d has PyTorch's parameter names and shapes, pools have none", () => {
    const c = new Conv2d(3, 8, [3, 5], { padding: [1, 2] });
    expect(c.namedParameters().map(([n, t]) => [n, t.shape])).toEqual([["weight", [8, 3, 3, 5]], ["bias", [8]]]);
    expect(c.forward(zeros([2, 3, 6, 7])).shape).toEqual([2, 8, 6, 7]);
    expect(new MaxPool2d(2).forward(zeros([1, 1, 5, 5])).shape).toEqual([1, 1, 2, 2]);
    expect(new AvgPool2d(3, { stride: 1 }).numParameters()).toBe(0);
  });
});

describe("conv errors name the op or layer and the shapes", () => {
  it("channel mismatch", () => {
    expect(() => conv2d(zeros([2, 3, 8, 8]), zeros([4, 1, 3, 3]))).toThrow("conv2d: input Tensor [2, 3, 8, 8] float32 has 3 channels, weight Tensor [4, 1, 3, 3] float32 expects 1");
    const layer = new Conv2d(1, 4, 3);
    expect(() => layer.forward(zeros([2, 3, 8, 8]))).toThrow("Conv2d: input Tensor [2, 3, 8, 8] float32 must be [batch, 1, height, width]");
  });
  it("bad shapes and sizes", () => {
    expect(() => conv2d(zeros([3, 8, 8]), zeros([4, 3, 3, 3]))).toThrow("conv2d: input Tensor [3, 8, 8] float32 must be float32 [batch, channels, height, width]");
    expect(() => conv2d(zeros([1, 1, 2, 2]), zeros([1, 1, 3, 3]))).toThrow("conv2d: a 3x3 window (dilation 1x1) does not fit input Tensor [1, 1, 2, 2] float32 with padding 0x0");
    expect(() => conv2d(zeros([1, 2, 4, 4]), zeros([3, 2, 3, 3]), zeros([2]))).toThrow("conv2d: bias Tensor [2] float32 must be [3] for weight Tensor [3, 2, 3, 3] float32");
    expect(() => maxPool2d(zeros([1, 1, 4, 4]), 2, { padding: 2 })).toThrow("maxPool2d: padding 2x2 must be at most half the kernel size 2x2");
    expect(() => conv2d(zeros([1, 1, 4, 4]), zeros([1, 1, 3, 3]), null, { groups: 2 })).toThrow("conv2d: groups = 2 is not supported (only 1)");
  });
});
