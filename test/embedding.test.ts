// Embedding: the op against PyTorch (repeated indices accumulate their gradient), finite
// differences, index shapes, the layer, and out-of-range indices.
import { describe, it, expect, beforeAll } from "vitest";
import { init, tensor, embedding, Embedding, zeros } from "../src/index.js";
import { gradCheck } from "./helpers.js";
import { goldenOp, reportMaxDiffs, rnd } from "./nnhelpers.js";

beforeAll(async () => { await init(); });
reportMaxDiffs("embedding");

describe("embedding", () => {
  it("matches PyTorch, index 3 repeated three times", () => goldenOp("embedding", ({ weight, indices }) => embedding(indices, weight)));

  it("gradients (finite differences) and the result shape follows the indices", () => {
    const idx = tensor([[1, 0], [1, 3]], undefined, "int32");
    gradCheck((w) => embedding(idx, w), [rnd([4, 3], 1)]);
    expect(embedding(idx, zeros([4, 3])).shape).toEqual([2, 2, 3]);
    expect(embedding([2, 2, 0], zeros([4, 3])).shape).toEqual([3, 3]);
  });

  it("the layer has one parameter named weight, N(0, 1) by default", () => {
    const e = new Embedding(50, 40);
    expect(e.namedParameters().map(([n, t]) => [n, t.shape])).toEqual([["weight", [50, 40]]]);
    const v = e.weight.f32();
    const m = v.reduce((s, x) => s + x, 0) / v.length, sd = Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / v.length);
    expect(Math.abs(m)).toBeLessThan(0.1);
    expect(Math.abs(sd - 1)).toBeLessThan(0.1);
  });

  it("names the op and the offending index", () => {
    expect(() => new Embedding(5, 2).forward([1, 5])).toThrow("embedding: index 5 at position 1 is out of range [0, 5)");
    expect(() => embedding(tensor([0.5]), zeros([3, 2]))).toThrow("embedding: indices Tensor [1] float32 must be int32");
  });
});
