// Softmax family: SIMD kernels vs their scalar references, ops vs PyTorch, finite
// differences, other axes and the stability edge cases.
import { describe, it, expect, beforeAll } from "vitest";
import { init, tensor, softmax, logSoftmax, logsumexp, Tensor, transpose } from "../src/index.js";
import { K } from "../src/engine/engine.js";
import type { RowsGrad, RowsOp } from "../src/engine/kernels.js";
import { expectClose, gradCheck } from "./helpers.js";
import { callRef, goldenOp, loadRef, reportMaxDiffs, rnd } from "./nnhelpers.js";

beforeAll(async () => { await init(); await loadRef(); });
reportMaxDiffs("softmax");

const SIZES: [number, number][] = [[1, 1], [3, 3], [2, 4], [4, 7], [3, 8], [5, 13], [2, 33], [1, 100]];

describe("softmax kernels vs scalar references", () => {
  for (const [rows, cols] of SIZES) {
    it(`${rows}x${cols}`, () => {
      const x = rnd([rows, cols], rows * 100 + cols, 3), dy = rnd([rows, cols], 7 + cols);
      for (const op of ["softmax", "log_softmax"] as const) {
        const a = new Tensor([rows, cols]);
        (K()[op] as RowsOp)(a.ptr, x.ptr, rows, cols);
        // log_softmax near 0: absolute error of (x - max) - log(sum)
        expectClose(a, callRef(`${op}_ref`, a, x, rows, cols).out[0], 1e-6, 1e-6, op);
        const ga = new Tensor([rows, cols]);
        (K()[`${op}_grad`] as RowsGrad)(ga.ptr, a.ptr, dy.ptr, rows, cols);
        expectClose(ga, callRef(`${op}_grad_ref`, ga, a, dy, rows, cols).out[0], 1e-5, 1e-6, `${op}_grad`);
      }
      const la = new Tensor([rows]);
      K().logsumexp(la.ptr, x.ptr, rows, cols);
      expectClose(la, callRef("logsumexp_ref", la, x, rows, cols).out[0], 1e-6, 1e-7, "logsumexp");
    });
  }
});

describe("softmax ops vs PyTorch", () => {
  it("softmax_axis1", () => goldenOp("softmax_axis1", ({ x }) => softmax(x, 1)));
  it("log_softmax_axis1", () => goldenOp("log_softmax_axis1", ({ x }) => logSoftmax(x, 1)));
  it("logsumexp_axis1", () => goldenOp("logsumexp_axis1", ({ x }) => logsumexp(x, 1)));
});

describe("softmax ops", () => {
  it("gradients match finite differences", () => {
    const x = rnd([3, 5], 11, 2);
    gradCheck((t) => softmax(t), [x]);
    gradCheck((t) => logSoftmax(t), [x]);
    gradCheck((t) => logsumexp(t), [x]);
  });

  it("a non-last axis equals the last axis of the transpose", () => {
    const x = rnd([2, 4, 3], 12);
    expectClose(softmax(x, 1), transpose(softmax(transpose(x, [0, 2, 1])), [0, 2, 1]), 1e-6, 1e-7);
    expectClose(logsumexp(x, 1), logsumexp(transpose(x, [0, 2, 1])), 1e-6, 1e-7);
    expect(logsumexp(x, 1, true).shape).toEqual([2, 1, 3]);
    gradCheck((t) => logSoftmax(t, 0), [rnd([3, 2], 13)]);
    gradCheck((t) => logsumexp(t, 0, true), [rnd([3, 2], 14)]);
  });

  it("is stable for large logits and keeps -Infinity for empty rows", () => {
    const y = softmax(tensor([[1000, 1001, 1002], [-1000, -1000, -1000]]));
    expectClose(y, [0.09003057, 0.24472847, 0.66524096, 1 / 3, 1 / 3, 1 / 3], 1e-6, 1e-7);
    expectClose(logSoftmax(tensor([[1000, 0]])), [0, -1000], 1e-6, 1e-6);
    expect(logsumexp(tensor([[-Infinity, -Infinity]])).item()).toBe(-Infinity);
  });

  it("the SIMD exp: tiny, underflowing, -Infinity and NaN inputs, on lanes and tails alike", () => {
    const row = [0, -20, -87, -88, -1e30, -Infinity, -0.5, -3, -9];
    const y = softmax(tensor([row])).data(), z = new Float32Array(9);
    const s = row.reduce((a, v) => a + Math.exp(v), 0);
    row.forEach((v, i) => { z[i] = Math.exp(v) / s; });
    expectClose(y, z, 1e-6, 1e-37);
    for (const i of [3, 4, 5]) expect(y[i]).toBe(0); // below 2^-126: flushed, never NaN
    expect(Array.from(softmax(tensor([[1, NaN, 2, 3, 4, 5, 6, 7, 8]])).data()).every(Number.isNaN)).toBe(true);
  });

  it("names the op in errors", () => {
    expect(() => softmax(tensor([1, 2], [2], "int32"))).toThrow(/softmax: x Tensor \[2\] int32 must be float32/);
    expect(() => logSoftmax(tensor([[1, 2]]), 2)).toThrow(/logSoftmax: axis 2 out of range for rank 2/);
  });
});
