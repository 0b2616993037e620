// Every op checks its tensor arguments before reading them: a string, a number, a plain
// array, null or undefined where a Tensor goes is an error naming the op and the argument,
// and a tensor of another copy of polyhead (its own Wasm memory) is named as such. The
// table must list every exported op, so an op added without the check fails here.
import { describe, it, expect, beforeAll, vi } from "vitest";
import * as P from "../src/index.js";
import * as creation from "../src/ops/creation.js";
import * as elementwise from "../src/ops/elementwise.js";
import * as reduce from "../src/ops/reduce.js";
import * as shape from "../src/ops/shape.js";
import * as matmulOps from "../src/ops/matmul.js";
import * as softmaxOps from "../src/ops/softmax.js";
import * as norm from "../src/ops/norm.js";
import * as loss from "../src/ops/loss.js";
import * as conv from "../src/ops/conv.js";
import type { Tensor } from "../src/index.js";

const { init, tensor, randn, Rng, Linear, Conv2d, LayerNorm, BatchNorm1d, Dropout } = P;
beforeAll(async () => { await init(); });

/** Arguments, the call, and the slots where null/undefined mean "none" (optional tensors). */
type Case = [() => unknown[], (...a: never[]) => unknown, number[]?];
const m = () => randn([2, 3], 0, 1, new Rng(1));
const sq = () => randn([3, 3], 0, 1, new Rng(2));
const v = () => randn([6], 0, 1, new Rng(3));
const img = () => randn([1, 1, 4, 4], 0, 1, new Rng(4));
const ints = () => tensor([0, 1], [2], "int32");

// op -> [arguments (tensors are the slots replaced by bad values), call]
const CASES: Record<string, Case> = {
  zerosLike: [() => [m()], (t) => creation.zerosLike(t)],
  onesLike: [() => [m()], (t) => creation.onesLike(t)],
  clone: [() => [m()], (t) => creation.clone(t)],
  unary: [() => [m()], (t) => elementwise.unary("relu", t)],
  gradShare: [() => [m(), m()], (a, b) => elementwise.gradShare("maximum", a, b)],
  clamp: [() => [m()], (t) => elementwise.clamp(t, -1, 1)],
  affine: [() => [m()], (t) => elementwise.affine(t, 2, 1)],
  sum: [() => [m()], (t) => reduce.sum(t)], mean: [() => [m()], (t) => reduce.mean(t, 1)],
  max: [() => [m()], (t) => reduce.max(t)], argmax: [() => [m()], (t) => reduce.argmax(t)],
  countNonFinite: [() => [m()], (t) => reduce.countNonFinite(t)], assertFinite: [() => [m()], (t) => reduce.assertFinite(t)],
  reshape: [() => [m()], (t) => shape.reshape(t, [6])], flatten: [() => [m()], (t) => shape.flatten(t)],
  transpose: [() => [m()], (t) => shape.transpose(t)],
  concat: [() => [m(), m()], (a, b) => shape.concat([a, b])], stack: [() => [m(), m()], (a, b) => shape.stack([a, b])],
  slice: [() => [m()], (t) => shape.slice(t, 1, 0, 2)], split: [() => [m()], (t) => shape.split(t, [1, 2], 1)],
  take: [() => [m(), ints()], (t, i) => shape.take(t, i)], embedding: [() => [ints(), sq()], (i, w) => shape.embedding(i, w)],
  indexTensor: [() => [ints()], (i) => shape.indexTensor(i, 3, "indexTensor")],
  matmul: [() => [m(), sq()], (a, b) => matmulOps.matmul(a, b)],
  bmm: [() => [randn([2, 2, 3]), randn([2, 3, 2])], (a, b) => matmulOps.bmm(a, b)],
  softmax: [() => [m()], (t) => softmaxOps.softmax(t)], logSoftmax: [() => [m()], (t) => softmaxOps.logSoftmax(t, 0)],
  logsumexp: [() => [m()], (t) => softmaxOps.logsumexp(t)],
  layerNorm: [() => [m(), tensor([1, 1, 1]), tensor([0, 0, 0])], (x, w, b) => norm.layerNorm(x, 3, w, b), [1, 2]],
  batchNorm: [() => [randn([4, 3]), tensor([0, 0, 0]), tensor([1, 1, 1])], (x, rm, rv) => norm.batchNorm(x, { runningMean: rm, runningVar: rv, training: true }), [1, 2]],
  crossEntropy: [() => [m(), ints()], (l, y) => loss.crossEntropy(l, y)],
  binaryCrossEntropyWithLogits: [() => [m(), m(), P.abs(m())], (a, b, w) => loss.binaryCrossEntropyWithLogits(a, b, { weight: w }), [2]],
  mseLoss: [() => [m(), m(), m()], (a, b, w) => loss.mseLoss(a, b, { mask: w }), [2]],
  l1Loss: [() => [m(), m()], (a, b) => loss.l1Loss(a, b)], huberLoss: [() => [m(), m()], (a, b) => loss.huberLoss(a, b)],
  conv2d: [() => [img(), randn([2, 1, 3, 3]), tensor([0, 0])], (x, w, b) => conv.conv2d(x, w, b), [2]],
  maxPool2d: [() => [img()], (x) => conv.maxPool2d(x, 2)], avgPool2d: [() => [img()], (x) => conv.avgPool2d(x, 2)],
  backward: [() => [P.sum(P.mul(m(), 2))], (l) => P.backward(l)],
  gradients: [() => [P.sum(m()), m()], (y, x) => P.gradients(y, [x])],
  grad: [() => [v()], (x) => P.grad((t) => P.sum(P.mul(t, t)))(x)],
  "Linear.forward": [() => [m()], (x) => new Linear(3, 2).forward(x)],
  "Conv2d.forward": [() => [img()], (x) => new Conv2d(1, 2, 3).forward(x)],
  "LayerNorm.forward": [() => [m()], (x) => new LayerNorm(3).forward(x)],
  "BatchNorm1d.forward": [() => [randn([4, 3])], (x) => new BatchNorm1d(3).forward(x)],
  "Dropout.forward": [() => [m()], (x) => new Dropout(0.5).forward(x)],
};
for (const op of ["add", "sub", "mul", "div", "maximum", "minimum", "equal"] as const) {
  CASES[op] = [() => [m(), m()], (a, b) => (elementwise[op] as (a: Tensor, b: Tensor) => Tensor)(a, b)];
}
for (const op of ["relu", "leakyRelu", "elu", "gelu", "sigmoid", "tanh", "softplus", "exp", "log", "sqrt", "abs", "neg", "square"] as const) {
  CASES[op] = [() => [m()], (x) => (elementwise[op] as (x: Tensor) => Tensor)(x)];
}
// exports that take no tensor, or helpers that are not ops
const NO_TENSOR = new Set(["tensor", "scalar", "full", "zeros", "ones", "rand", "randn", "truncatedNormal", "bernoulli", "arange",
  "normAxis", "split3", "im2colAt"]);

// what the message opens with where it is not the op's own name (the layer's label; the kernel)
const ALIAS: Record<string, string> = { assertFinite: "countNonFinite", unary: "relu", gradShare: "maxw", grad: "grad", "BatchNorm1d.forward": "BatchNorm" };

const NUMBERS_TOO = new Set(["add", "sub", "mul", "div", "maximum", "minimum", "equal", "gradShare"]);
// the losses' weight and mask slots also take a number or an array of numbers, and say so
const WEIGHT_SLOT: Record<string, number> = { binaryCrossEntropyWithLogits: 2, mseLoss: 2 };

const BAD: [string, unknown, RegExp][] = [
  ["a string", "1", /must be a Tensor, got "1" \(string\)/],
  ["a number", 7, /must be a Tensor, got 7 \(number\)/],
  ["a plain array", [1, 2, 3], /must be a Tensor, got \[1, 2, 3\] \(array\)/],
  ["null", null, /must be a Tensor, got null/],
  ["undefined", undefined, /must be a Tensor, got undefined/],
  ["an object", { shape: [2, 3], dtype: "float32" }, /must be a Tensor, got an object/],
];

describe("tensor arguments are checked at every op's entry", () => {
  it("the table lists every exported op", () => {
    // (not ops/vector.ts: flat-vector helpers for weighting methods, over the context's own tensors)
    const mods = { creation, elementwise, reduce, shape, matmulOps, softmaxOps, norm, loss, conv };
    const missing: string[] = [];
    for (const mod of Object.values(mods)) {
      for (const [name, f] of Object.entries(mod)) if (typeof f === "function" && !(name in CASES) && !NO_TENSOR.has(name)) missing.push(name);
    }
    expect(missing).toEqual([]);
  });

  it("the table's calls succeed with valid tensors", () => {
    for (const [op, [args, call]] of Object.entries(CASES)) {
      expect(() => P.scope(() => { call(...(args() as never[])); }), op).not.toThrow();
    }
  });

  for (const [what, bad, msg] of BAD) {
    it(`${what} in any tensor slot is named with the op and the argument`, () => {
      for (const [op, [args, call, optional = []]] of Object.entries(CASES)) {
        const good = args();
        // slots that take index arrays accept a plain array of integers: not a bad value there
        // (and the binary ops take a number for either operand)
        const slots = good.map((_, i) => i).filter((i) => !(Array.isArray(bad) && (good[i] as Tensor).dtype === "int32") &&
          !(typeof bad === "number" && NUMBERS_TOO.has(op)) && !(bad == null && optional.includes(i)) &&
          !(Array.isArray(bad) && op === "gradients" && i === 0) && // (outputs may be a list)
          !((typeof bad === "number" || Array.isArray(bad)) && WEIGHT_SLOT[op] === i));
        for (const i of slots) {
          const a = [...good];
          a[i] = bad;
          let err: unknown;
          try { P.scope(() => { call(...(a as never[])); }); } catch (e) { err = e; }
          const where = `${op}, argument ${i}`;
          expect(err, where).toBeInstanceOf(Error);
          const text = (err as Error).message;
          expect(text, where).toMatch(WEIGHT_SLOT[op] === i ? new RegExp(msg.source.replace("a Tensor", "a tensor, an array of numbers or a number")) : msg);
          // the message opens with the op (kernel names in snake case: leaky_relu for leakyRelu)
          const opens = text.slice(0, text.indexOf(":")).replace(/_/g, "").toLowerCase();
          expect(opens, where).toBe((ALIAS[op] ?? op.replace(".forward", "")).toLowerCase());
          expect(text, where).not.toMatch(/is not a function|Cannot read|undefined \(reading/);
        }
      }
    });
  }
});

describe("a tensor of another copy of polyhead", () => {
  it("is rejected wherever it enters an op, naming the copy; both engines still compute", async () => {
    vi.resetModules();
    const other = await import("../src/index.js");
    expect(other.Tensor).not.toBe(P.Tensor);
    await other.init();
    const foreign = other.tensor([1, 2, 3]);
    const mine = tensor([1, 2, 3]);
    P.scope(() => { for (const [op, [args, call]] of Object.entries(CASES)) {
      const good = args();
      for (let i = 0; i < good.length; i++) {
        const g = good[i] as Tensor;
        const a = [...good];
        a[i] = g.dtype === "int32" ? other.tensor(Array.from(g.data()), [...g.shape], "int32") : other.tensor(Array.from(g.data()), [...g.shape]);
        expect(() => P.scope(() => { call(...(a as never[])); }), `${op}, argument ${i}`).toThrow(/is a tensor of another copy of polyhead/);
      }
    } });
    expect(() => P.add(mine, foreign)).toThrow("add: b is a tensor of another copy of polyhead (its own Wasm memory); import polyhead once");
    expect(() => other.add(foreign, mine)).toThrow("add: b is a tensor of another copy of polyhead");
    expect(Array.from(P.add(mine, mine).data())).toEqual([2, 4, 6]);
    expect(Array.from(other.add(foreign, foreign).data())).toEqual([2, 4, 6]);
  });
});
