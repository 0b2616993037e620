// Elementwise ops against PyTorch golden values, finite differences, and broadcasting.
import { describe, it, expect, beforeAll } from "vitest";
import { init, tensor, add, sub, mul, div, maximum, minimum, unary, gradients, sum, Tensor, equal } from "../src/index.js";
import { loadGolden, fromGolden, expectClose, gradCheck } from "./helpers.js";

beforeAll(async () => { await init(); });
const G = () => loadGolden().ops;

const UNARY: Record<string, [string, number, number]> = {
  relu: ["relu", 0, 0], leaky_relu: ["leaky_relu", 0.01, 0], elu: ["elu", 1, 0], gelu: ["gelu", 0, 0],
  gelu_tanh: ["gelu_tanh", 0, 0], sigmoid: ["sigmoid", 0, 0], tanh: ["tanh", 0, 0], softplus: ["softplus", 1, 20],
  exp: ["exp", 0, 0], log: ["log", 0, 0], sqrt: ["sqrt", 0, 0], abs: ["abs", 0, 0], clamp: ["clamp", -0.5, 0.5],
  neg: ["neg", 0, 0], square: ["square", 0, 0],
};

describe("unary ops vs PyTorch", () => {
  for (const [name, [op, p0, p1]] of Object.entries(UNARY)) {
    it(name, () => {
      const c = G()[name];
      const x = fromGolden(c.inputs.x); x.requiresGrad = true;
      const y = unary(op as never, x, p0, p1);
      const dy = expectClose(y, c.y, 2e-6, 1e-6, `${name} y`);
      const [gx] = gradients(y, [x], [fromGolden(c.g)]);
      const dg = expectClose(gx, c.grad_x, 2e-5, 1e-6, `${name} grad`);
      expect(Math.max(dy, dg)).toBeLessThan(1e-4);
    });
  }
});

describe("binary ops vs PyTorch (broadcast forms)", () => {
  const fns: Record<string, (a: Tensor, b: Tensor) => Tensor> = { add, sub, mul, div };
  for (const op of Object.keys(fns)) {
    for (const form of ["", "_row", "_col", "_scalar"]) {
      it(op + form, () => {
        const c = G()[op + form];
        const a = fromGolden(c.inputs.a), b = fromGolden(c.inputs.b);
        a.requiresGrad = true; b.requiresGrad = true;
        const y = fns[op](a, b);
        expectClose(y, c.y, 1e-6, 1e-7, "y");
        const [ga, gb] = gradients(y, [a, b], [fromGolden(c.g)]);
        expectClose(ga, c.grad_a, 1e-5, 1e-6, "grad_a");
        expectClose(gb, c.grad_b, 1e-5, 1e-6, "grad_b");
      });
    }
  }
});

describe("broadcasting", () => {
  it("matches a scalar reference on rank-4 shapes with host loops", () => {
    const A = [2, 1, 3, 4], B = [3, 1];
    const av = Array.from({ length: 24 }, (_, i) => i * 0.5 - 3), bv = [1, 2, 3];
    const y = add(tensor(av, A), tensor(bv, B));
    expect(y.shape).toEqual([2, 1, 3, 4]);
    const d = y.data();
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) {
      expect(d[i * 12 + j * 4 + k]).toBe(av[i * 12 + j * 4 + k] + bv[j]);
    }
  });

  it("[2,3,1,5] * [3,4,1]: every dimension broadcast somewhere", () => {
    const a = tensor(Array.from({ length: 30 }, (_, i) => i), [2, 3, 1, 5]);
    const b = tensor(Array.from({ length: 12 }, (_, i) => i - 6), [3, 4, 1]);
    const y = mul(a, b);
    expect(y.shape).toEqual([2, 3, 4, 5]);
    const d = y.data();
    let k = 0;
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let l = 0; l < 4; l++) for (let m = 0; m < 5; m++) {
      expect(d[k++]).toBe((i * 15 + j * 5 + m) * (j * 4 + l - 6));
    }
  });

  it("names both shapes when they do not broadcast", () => {
    expect(() => add(tensor([[1, 2, 3]]), tensor([[1, 2]]))).toThrow(/add: shapes \[1, 3\] and \[1, 2\] do not broadcast/);
  });

  it("gradients reduce over broadcast axes (finite differences)", () => {
    gradCheck((a, b) => mul(add(a, b), b), [tensor([[0.3, -1.2, 2], [0.7, 0.1, -0.4]]), tensor([0.5, -0.25, 1.5])]);
    gradCheck((a, b) => div(a, b), [tensor([[0.3, -1.2], [0.7, 0.1]]), tensor([[1.5], [-2]])]);
    gradCheck((a, b) => maximum(a, b), [tensor([[0.3, -1.2], [0.7, 0.1]]), tensor([0.5, -1])]);
    gradCheck((a, b) => minimum(a, b), [tensor([[0.3, -1.2], [0.7, 0.1]]), tensor([0.5, -1])]);
  });

  it("equal is a mask without a gradient", () => {
    expect(Array.from(equal(tensor([1, 2, 3]), 2).data())).toEqual([0, 1, 0]);
  });

  it("rejects int32 operands by name", () => {
    expect(() => add(tensor([1, 2], [2], "int32"), tensor([1, 2]))).toThrow(/add: a Tensor \[2\] int32 must be float32/);
  });
});

describe("no silent NaN", () => {
  it("relu's gradient (SIMD with a scalar tail) is dy where x > 0 or NaN (as torch), else 0, for every lane position", () => {
    const xs = [NaN, 1, -1, 0, -0, 2.5, -3, Infinity, -Infinity, 1e-30, -1e-30];
    for (let n = 1; n <= xs.length; n++) {
      const x = tensor(xs.slice(0, n)); x.requiresGrad = true;
      const dy = tensor(xs.slice(0, n).map((_, i) => i + 1));
      const [gx] = gradients(unary("relu", x), [x], [dy]);
      expect(Array.from(gx.data())).toEqual(xs.slice(0, n).map((v, i) => (v > 0 || Number.isNaN(v) ? i + 1 : 0)));
    }
  });

  it("relu and maximum propagate NaN", () => {
    const y = unary("relu", tensor([NaN, 1, -1, NaN, 2]));
    expect(Number.isNaN(y.data()[0])).toBe(true);
    expect(Number.isNaN(y.data()[3])).toBe(true);
    expect(Number.isNaN(sum(maximum(tensor([NaN]), tensor([1]))).item())).toBe(true);
  });
});

describe("maximum/minimum, empty reductions and index checks (torch semantics)", () => {
  it("maximum/minimum gradients follow torch: ties split, a NaN operand gets all", async () => {
    const { tensor, maximum, minimum, sum, gradients } = await import("../src/index.js");
    const a = tensor([1, 2, 3, NaN]), b = tensor([1, 5, 0, 2]);
    a.requiresGrad = true; b.requiresGrad = true;
    const [ga, gb] = gradients(sum(maximum(a, b)), [a, b]);
    expect(Array.from(ga.data())).toEqual([0.5, 0, 1, 1]);
    expect(Array.from(gb.data())).toEqual([0.5, 1, 0, 1]);
    const [ga2, gb2] = gradients(sum(minimum(a, b)), [a, b]);
    expect(Array.from(ga2.data())).toEqual([0.5, 1, 0, 1]);
    expect(Array.from(gb2.data())).toEqual([0.5, 0, 1, 1]);
  });

  it("a sum over an empty axis is 0 (and the mean NaN), whatever memory held before", async () => {
    const { tensor, zeros, sum, mean } = await import("../src/index.js");
    const junk = tensor(new Array(16).fill(7)); junk.dispose();
    expect(Array.from(sum(zeros([0, 3]), 0).data())).toEqual([0, 0, 0]);
    expect(Number.isNaN(mean(zeros([0, 3]), 0).data()[0])).toBe(true);
  });

  it("indices must be integers; argmax takes float32 only", async () => {
    const { tensor, embedding, take, argmax } = await import("../src/index.js");
    const w = tensor([[1, 2], [3, 4]]);
    expect(() => embedding([NaN, 1], w)).toThrow(/index NaN at position 0 is not an integer/);
    expect(() => take(w, [1.7])).toThrow(/index 1.7 at position 0 is not an integer/);
    expect(() => argmax(tensor([-1, -2, 5, 3], [4], "int32"))).toThrow(/argmax: .* must be float32/);
  });
});
