// Every op of the autograd table (src/autograd/ops.ts) tested the same way, through one
// helper: each golden case of build/golden.py is run forward and backward against PyTorch
// and checked by finite differences, and the ops its graph recorded are collected. Then
// every op of the table must have a gradient rule and have been covered by a golden case
// (hence also a finite-difference check), and every golden op case must be read here.
import { describe, it, expect, beforeAll } from "vitest";
import {
  init, Tensor, add, sub, mul, div, maximum, minimum, affine, unary, sum, mean, max, argmax, reshape, transpose,
  concat, slice, take, matmul, softmax, logSoftmax, logsumexp, layerNorm, batchNorm, embedding, crossEntropy,
  binaryCrossEntropyWithLogits, mseLoss, l1Loss, huberLoss, conv2d, maxPool2d, avgPool2d, type UnaryOp,
} from "../src/index.js";
import { bmm, maskedSoftmax } from "../src/seq/index.js";
import { gradientReversal, coralLoss, mmdLoss } from "../src/transfer/index.js";
import { GRADIENTS } from "../src/autograd/grads/index.js";
import { expectClose, fromGolden, gradCheck, loadGolden } from "./helpers.js";
import { goldenDtype, goldenOp, reportMaxDiffs } from "./nnhelpers.js";

type Inputs = Record<string, Tensor>;
type Run = (x: Inputs) => Tensor;

beforeAll(async () => { await init(); });
reportMaxDiffs("the op table");

const un = (op: UnaryOp, p0 = 0, p1 = 0): Run => ({ x }) => unary(op, x, p0, p1);
const binary = (f: (a: Tensor, b: Tensor) => Tensor): Run => ({ a, b }) => f(a, b);
const bcast = (name: string, f: (a: Tensor, b: Tensor) => Tensor): Record<string, Run> =>
  Object.fromEntries(["", "_row", "_col", "_scalar"].map((s) => [name + s, binary(f)]));
const ce = (reduction: "mean" | "sum", labelSmoothing = 0): Run =>
  ({ logits, labels }) => crossEntropy(logits, labels, { reduction, labelSmoothing });
const mm = (transA: boolean, transB: boolean): Run => ({ a, b }) => matmul(a, b, { transA, transB });

/** polyhead's computation of each golden op case (test/fixtures/golden.json `ops`), by case name. */
const CASES: Record<string, Run> = {
  relu: un("relu"), leaky_relu: un("leaky_relu", 0.01), elu: un("elu", 1), gelu: un("gelu"), gelu_tanh: un("gelu_tanh"),
  sigmoid: un("sigmoid"), tanh: un("tanh"), softplus: un("softplus", 1, 20), exp: un("exp"), log: un("log"),
  sqrt: un("sqrt"), abs: un("abs"), clamp: un("clamp", -0.5, 0.5), neg: un("neg"), square: un("square"),
  affine: ({ x }) => affine(x, 1.5, -0.25),
  // polyhead/transfer: gradient reversal and the alignment losses, composed of table ops
  gradient_reversal: ({ x }) => gradientReversal(x, 0.7),
  coral: ({ source, target }) => coralLoss(source, target),
  mmd: ({ source, target }) => mmdLoss(source, target, { kernels: 5, kernelMul: 2, bandwidth: 4 }),
  ...bcast("add", add), ...bcast("sub", sub), ...bcast("mul", mul), ...bcast("div", div),
  maximum: binary(maximum), minimum: binary(minimum),
  matmul: mm(false, false), matmul_tn: mm(true, false), matmul_nt: mm(false, true), matmul_tt: mm(true, true),
  sum_all: ({ x }) => sum(x), sum_axis0: ({ x }) => sum(x, 0), sum_axis1: ({ x }) => sum(x, 1),
  mean_all: ({ x }) => mean(x), mean_axis1: ({ x }) => mean(x, 1), max_axis1: ({ x }) => max(x, 1),
  argmax_axis1: ({ x }) => argmax(x, 1),
  reshape: ({ x }) => reshape(x, [2, 6]), transpose: ({ x }) => transpose(x, [2, 0, 1]),
  concat_axis1: ({ a, b, c }) => concat([a, b, c], 1), slice_axis1: ({ x }) => slice(x, 1, 1, 4),
  take: ({ x, indices }) => take(x, indices), embedding: ({ weight, indices }) => embedding(indices, weight),
  softmax_axis1: ({ x }) => softmax(x, 1), log_softmax_axis1: ({ x }) => logSoftmax(x, 1),
  logsumexp_axis1: ({ x }) => logsumexp(x, 1),
  layer_norm: ({ x, weight, bias }) => layerNorm(x, [6], weight, bias, 1e-5),
  // fresh running statistics per call: finite differences run the forward many times
  batch_norm_train: ({ x, weight, bias }) => {
    const c = loadGolden().ops.batch_norm_train;
    const runningMean = fromGolden(c.buffers_before.running_mean), runningVar = fromGolden(c.buffers_before.running_var);
    return batchNorm(x, { runningMean, runningVar, weight, bias, training: true, momentum: c.attrs.momentum, eps: c.attrs.eps });
  },
  cross_entropy: ce("mean"), cross_entropy_sum: ce("sum"), cross_entropy_label_smoothing: ce("mean", 0.1),
  // weights for imbalance: torch's weight= (per class) and pos_weight=, per-example weights by hand
  cross_entropy_class_weight: ({ logits, labels, class_weight }) => crossEntropy(logits, labels, { classWeight: class_weight }),
  cross_entropy_class_weight_sum: ({ logits, labels, class_weight }) => crossEntropy(logits, labels, { classWeight: class_weight, reduction: "sum" }),
  cross_entropy_class_weight_none: ({ logits, labels, class_weight }) => crossEntropy(logits, labels, { classWeight: class_weight, reduction: "none" }),
  cross_entropy_class_weight_smoothing: ({ logits, labels, class_weight }) => crossEntropy(logits, labels, { classWeight: class_weight, labelSmoothing: 0.2 }),
  cross_entropy_class_weight_example_weight: ({ logits, labels, class_weight, weight }) => crossEntropy(logits, labels, { classWeight: class_weight, weight }),
  bce_with_logits: ({ logits, target }) => binaryCrossEntropyWithLogits(logits, target),
  bce_with_logits_pos_weight: ({ logits, target, pos_weight }) => binaryCrossEntropyWithLogits(logits, target, { posWeight: pos_weight }),
  bce_with_logits_pos_weight_example_weight: ({ logits, target, pos_weight, weight }) =>
    binaryCrossEntropyWithLogits(logits, target, { posWeight: pos_weight, weight }),
  mse_example_weight: ({ pred, target, weight }) => mseLoss(pred, target, { weight }),
  mse: ({ pred, target }) => mseLoss(pred, target), mse_sum: ({ pred, target }) => mseLoss(pred, target, { reduction: "sum" }),
  l1: ({ pred, target }) => l1Loss(pred, target), huber: ({ pred, target }) => huberLoss(pred, target, { delta: 1 }),
  conv2d_s1p1: ({ x, weight, bias }) => conv2d(x, weight, bias, { stride: 1, padding: 1 }),
  conv2d_s2p0: ({ x, weight, bias }) => conv2d(x, weight, bias, { stride: 2, padding: 0 }),
  max_pool2d_k2s2: ({ x }) => maxPool2d(x, 2, { stride: 2 }),
  max_pool2d_k3s2p1: ({ x }) => maxPool2d(x, 3, { stride: 2, padding: 1 }),
  avg_pool2d_k2s2: ({ x }) => avgPool2d(x, 2, { stride: 2 }),
  // attention (test/fixtures/attention.json, build/golden_attention.py)
  masked_softmax: ({ x, mask }) => maskedSoftmax(x, mask), masked_softmax_shared: ({ x, mask }) => maskedSoftmax(x, mask),
  bmm: binary(bmm), bmm_tn: ({ a, b }) => bmm(a, b, { transA: true }), bmm_nt: ({ a, b }) => bmm(a, b, { transB: true }),
  bmm_tt: ({ a, b }) => bmm(a, b, { transA: true, transB: true }),
};

/**
 * Finite-difference step per case where the default (1e-2) would cross a kink: max pooling
 * windows of Gaussian inputs hold values closer than that (PyTorch's cases only keep ties out).
 */
const FD_EPS: Record<string, number> = { max_pool2d_k2s2: 1e-3, max_pool2d_k3s2p1: 1e-3 };

/**
 * Finite differences times this factor are what autograd must give: gradient reversal's
 * backward is by definition -lambda times its forward's (identity's) derivative.
 */
const FD_SCALE: Record<string, number> = { gradient_reversal: -0.7 };

/** Ops each case's graph recorded, for the coverage check at the end. */
const covered = new Map<string, string[]>();

function recordedOps(y: Tensor, into: Set<string>): void {
  const stack = [y], seen = new Set<Tensor>();
  while (stack.length) {
    const t = stack.pop()!;
    if (seen.has(t) || !t.node) continue;
    seen.add(t);
    into.add(t.node.op);
    stack.push(...t.node.inputs);
  }
}

/** The one helper: PyTorch's forward and gradients, finite differences, and the ops recorded. */
function checkCase(name: string, run: Run): void {
  const c = loadGolden().ops[name];
  const ops = new Set<string>();
  if (!("g" in c)) { // an integer result (argmax): forward only
    const x = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, fromGolden(v as never)]));
    expectClose(run(x), c.y, 0, 0, `${name} y`);
    covered.set(name, []);
    return;
  }
  goldenOp(name, (x) => { const y = run(x); recordedOps(y, ops); return y; });
  const ints: Inputs = {}, diffable: string[] = [], start: Tensor[] = [];
  for (const [k, v] of Object.entries(c.inputs as Record<string, { shape: number[]; data: number[] }>)) {
    if (`grad_${k}` in c) { diffable.push(k); start.push(fromGolden(v)); } else ints[k] = fromGolden(v, goldenDtype(k));
  }
  gradCheck((...xs) => run({ ...ints, ...Object.fromEntries(diffable.map((k, i) => [k, xs[i]])) }), start,
    { eps: FD_EPS[name], scale: FD_SCALE[name] });
  for (const op of ops) expect(op in GRADIENTS, `${name} recorded "${op}", which has no gradient rule`).toBe(true);
  covered.set(name, [...ops]);
}

describe("every golden op case: PyTorch forward and gradients, finite differences", () => {
  for (const [name, run] of Object.entries(CASES)) it(name, () => checkCase(name, run));
});

describe("the op table is covered", () => {
  it("every golden op case of build/golden.py is read by this suite", () => {
    expect(Object.keys(loadGolden().ops).filter((n) => !(n in CASES))).toEqual([]);
  });

  it("every op of the table has a rule, a PyTorch golden case and a finite-difference check", () => {
    expect(covered.size, "run the whole file: the cases above fill the coverage").toBe(Object.keys(CASES).length);
    const seen = new Set([...covered.values()].flat());
    expect(Object.keys(GRADIENTS).filter((op) => !seen.has(op)), "ops without a golden case").toEqual([]);
  });
});
