// The tape: functional grad/valueAndGrad, gradients w.r.t. intermediate tensors (a shared
// representation), repeated gradients from one forward pass, accumulation, noGrad.
import { describe, it, expect, beforeAll } from "vitest";
import { init, tensor, sum, mul, add, matmul, relu, tanh, grad, valueAndGrad, gradients, backward, noGrad, Rng, randn, scope, memoryStats } from "../src/index.js";

beforeAll(async () => { await init(); });

describe("autograd", () => {
  it("grad and valueAndGrad", () => {
    const df = grad((x) => sum(mul(x, x)));
    expect(Array.from(df(tensor([1, 2, 3]))[0].data())).toEqual([2, 4, 6]);
    const [v, [gx, gy]] = valueAndGrad((x, y) => sum(mul(x, y)))(tensor([1, 2]), tensor([3, 4]));
    expect(v.item()).toBe(11);
    expect(Array.from(gx.data())).toEqual([3, 4]);
    expect(Array.from(gy.data())).toEqual([1, 2]);
    expect(() => grad((x) => x)(tensor([1, 2]))).toThrow(/must return a scalar/);
  });

  it("per-task gradients w.r.t. a shared representation, several times from one forward", () => {
    const rng = new Rng(1);
    const x = randn([4, 3], 0, 1, rng);
    const w = randn([3, 5], 0, 1, rng); w.requiresGrad = true;
    const a = randn([5, 1], 0, 1, rng); a.requiresGrad = true;
    const b = randn([5, 1], 0, 1, rng); b.requiresGrad = true;
    const z = relu(matmul(x, w));             // shared representation
    const la = sum(tanh(matmul(z, a))), lb = sum(matmul(z, b));
    const [gza] = gradients(la, [z]);
    const [gzb] = gradients(lb, [z]);
    // d lb / dz = 1 b^T for every row
    const bd = b.data();
    const g = gzb.data();
    for (let i = 0; i < 4; i++) for (let j = 0; j < 5; j++) expect(g[i * 5 + j]).toBeCloseTo(bd[j], 6);
    // chain rule through z: d la / dw == gradients(z, w, seed = d la / dz)
    const [gw1] = gradients(la, [w]);
    const [gw2] = gradients([z], [w], [gza]);
    expect(Array.from(gw1.data())).toEqual(Array.from(gw2.data()));
    // lb does not depend on a: a zero gradient, not an error
    expect(Array.from(gradients(lb, [a])[0].data())).toEqual([0, 0, 0, 0, 0]);
  });

  it("matmul computes no gradient for an operand that needs none, or that nobody asked for", () => {
    for (const [tA, tB] of [[false, false], [false, true], [true, false], [true, true]]) {
      // the allocations gradients() makes, and the weight's gradient, with x constant or not,
      // and with x's gradient asked for or not
      const run = (xNeedsGrad: boolean, askX: boolean): [number, number[]] => scope(() => {
        const rng = new Rng(5);
        const x = randn(tA ? [3, 4] : [4, 3], 0, 1, rng), w = randn(tB ? [5, 3] : [3, 5], 0, 1, rng);
        x.requiresGrad = xNeedsGrad; w.requiresGrad = true;
        const loss = sum(matmul(x, w, { transA: tA, transB: tB }));
        const n0 = memoryStats().liveAllocations;
        const gs = gradients(loss, askX ? [w, x] : [w]);
        return [memoryStats().liveAllocations - n0, Array.from(gs[0].data())];
      });
      const [constX, gw1] = run(false, false), [notAsked, gw2] = run(true, false), [asked, gw3] = run(true, true);
      expect(notAsked).toBe(constX);       // x needs a gradient, but gradients() was not asked for it
      expect(asked - constX).toBe(1);      // asked: exactly x's own gradient more
      expect(gw2).toEqual(gw1);
      expect(gw3).toEqual(gw1);
    }
  });

  it("backward accumulates into leaves until cleared; noGrad records nothing", () => {
    const w = tensor([1, 2]).keep(); w.requiresGrad = true;
    backward(sum(mul(w, w)));
    backward(sum(mul(w, w)));
    expect(Array.from(w.grad!.data())).toEqual([4, 8]);
    const y = noGrad(() => add(w, w));
    expect(y.requiresGrad).toBe(false);
    expect(y.node).toBeNull();
  });
});

describe("assertFinite", () => {
  it("counts NaN and infinities and names the tensor", async () => {
    const { assertFinite, countNonFinite } = await import("../src/index.js");
    const t = tensor([1, NaN, Infinity, -Infinity, 2]);
    expect(countNonFinite(t)).toBe(3);
    expect(() => assertFinite(t, "loss")).toThrow("loss has 3 NaN/Infinity values (of 5)");
    const ok = tensor([1, 2]);
    expect(assertFinite(ok)).toBe(ok);
  });
});

describe("gradient results", () => {
  it("gradients() never returns two results that share memory", async () => {
    const { tensor, sum, gradients, add } = await import("../src/index.js");
    const a = tensor([1, 2]), b = tensor([3, 4]);
    a.requiresGrad = true; b.requiresGrad = true;
    const [ga, gb] = gradients(sum(add(a, b)), [a, b]);
    expect(ga.storage).not.toBe(gb.storage);
  });
});
