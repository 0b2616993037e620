// The table of ops the tape records: one entry per op, its name (the Wasm kernel's, where
// it has one) and the attributes its forward saves for the gradient rule, as a type. The
// rules themselves are one table too (grads/index.ts), which the compiler holds to this one:
// an op added here without a rule, or a rule reading an attribute its op does not save,
// does not build. test/ops-table.test.ts checks each entry against PyTorch and finite
// differences. To add an op: an entry here, its rule in grads/<family>.ts, its cases there.
import type { Tensor } from "../tensor.js";
import type { Geometry } from "../ops/conv.js";

/** Scalar parameters of a unary kernel (slope, alpha, clamp bounds ...), passed to its gradient. */
/** What a unary op saves: its two parameters (leaky slope, clamp bounds ...). */
export interface UnaryAttrs { p0: number; p1: number }
/** An elementwise loss: per-element weights (or mask, or none) and the kernel's one parameter. */
/** What an elementwise loss saves: its weights and parameter (Huber's delta). */
export interface ElementLossAttrs { w: Tensor | null; p: number }
/** A normalisation's statistics and optional affine inputs, as the forward computed them. */
/** What a normalisation saves for its backward: mean, reciprocal std, affine parameters. */
export interface NormAttrs { mean: Tensor; rstd: Tensor; weight: Tensor | null; bias: Tensor | null }

/** Every recorded op with what it saves (`null`: nothing beyond its inputs and output). */
export interface OpAttrs {
  // elementwise (ops/elementwise.ts): binary with broadcasting
  add: null; sub: null; mul: null; div: null; maximum: null; minimum: null;
  // unary kernels, each with a `<op>_grad` kernel
  relu: UnaryAttrs; leaky_relu: UnaryAttrs; elu: UnaryAttrs; gelu: UnaryAttrs; gelu_tanh: UnaryAttrs;
  sigmoid: UnaryAttrs; tanh: UnaryAttrs; softplus: UnaryAttrs; exp: UnaryAttrs; log: UnaryAttrs;
  sqrt: UnaryAttrs; abs: UnaryAttrs; clamp: UnaryAttrs; neg: UnaryAttrs; square: UnaryAttrs; affine: UnaryAttrs;
  // reductions (ops/reduce.ts); max keeps the argmax and the [outer, axis, inner] split
  sum: { axes: number[] };
  max: { idx: Tensor; d: [number, number, number] };
  // shape (ops/shape.ts)
  reshape: null;
  transpose: { perm: number[] };
  concat: { axis: number; sizes: number[] };
  slice: { axis: number; start: number; end: number };
  take: { idx: Tensor };
  // matmul (ops/matmul.ts)
  matmul: { tA: boolean; tB: boolean };
  bmm: { tA: boolean; tB: boolean };
  // softmax family (ops/softmax.ts), over the last axis
  softmax: null; log_softmax: null; logsumexp: null;
  // attention (ops/attention.ts): softmax(x + mask), the mask a constant (masked entries are 0)
  masked_softmax: null;
  // normalisation (ops/norm.ts)
  layer_norm: NormAttrs & { rows: number; cols: number };
  batch_norm: NormAttrs & { n: number; c: number; s: number; training: boolean };
  // losses (ops/loss.ts), per example before the reduction
  cross_entropy: { labels: Tensor; w: Tensor | null; lse: Tensor; eps: number; ignore: number };
  binary_cross_entropy_with_logits: ElementLossAttrs;
  mse_loss: ElementLossAttrs; l1_loss: ElementLossAttrs; huber_loss: ElementLossAttrs;
  // convolution and pooling (ops/conv.ts)
  conv2d: Geometry;
  max_pool2d: Geometry & { idx: Tensor };
  avg_pool2d: Geometry & { inc: number };
}

/** The name of an op recorded on the tape (a key of the op table). */
export type OpName = keyof OpAttrs;

/** A recorded op: `Node<"matmul">` is one op's node, `Node` any of them (tagged by `op`). */
export type Node<O extends OpName = OpName> = {
  [K in O]: { op: K; inputs: Tensor[]; saved: OpAttrs[K] }
}[O];

/**
 * Gradient rule: given the node, its output and dL/dout, return dL/dinput for each input
 * (null where none). `needs[i]` says whether input i's gradient will be used: a rule may
 * skip the expensive ones that are not (an input batch, another task's tower weights).
 */
export type GradRule<O extends OpName = OpName> = (node: Node<O>, dy: Tensor, out: Tensor, needs: boolean[]) => (Tensor | null)[];

/** Rules for a family of ops (one grads/<family>.ts file). */
export type GradRules<O extends OpName> = { [K in O]: GradRule<K> };
