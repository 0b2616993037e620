// Gradient rules of the elementwise ops (src/ops/elementwise.ts).
import { K } from "../../engine/engine.js";
import type { Kernels, UnaryGrad } from "../../engine/kernels.js";
import { Tensor, type Shape } from "../../tensor.js";
import type { GradRule, GradRules } from "../ops.js";
import { div, gradShare, mul, neg, type UnaryOp } from "../../ops/elementwise.js";
import { sum } from "../../ops/reduce.js";
import { reshape } from "../../ops/shape.js";
import { broadcastAxes } from "../../ops/broadcast.js";

/** Sum a broadcast gradient back down to `shape`. */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const axes = broadcastAxes(shape, g.shape);
  const lead = g.rank - shape.length;
  for (let i = 0; i < lead; i++) if (!axes.includes(i)) axes.push(i);
  const s = axes.length ? sum(g, axes) : g;
  return reshape(s, shape);
}

// maximum/minimum, as torch: the winner gets dy, a tie splits it, a NaN operand gets it all.
const extremum = (op: "maximum" | "minimum"): GradRule<"maximum" | "minimum"> => (n, dy) => {
  const [a, b] = n.inputs;
  return [sumToShape(mul(dy, gradShare(op, a, b)), a.shape), sumToShape(mul(dy, gradShare(op, b, a)), b.shape)];
};

// Unary ops: one Wasm gradient kernel each, taking the input, the output and the op's two scalars.
const unary = (kernel: (k: Kernels) => UnaryGrad): GradRule<UnaryOp> => (n, dy, out) => {
  const x = n.inputs[0];
  const dx = new Tensor(x.shape);
  kernel(K())(dx.ptr, x.ptr, out.ptr, dy.ptr, x.size, n.saved.p0, n.saved.p1);
  return [dx];
};

export const elementwiseGrads = {
  add: (n, dy) => [sumToShape(dy, n.inputs[0].shape), sumToShape(dy, n.inputs[1].shape)],
  sub: (n, dy) => [sumToShape(dy, n.inputs[0].shape), sumToShape(neg(dy), n.inputs[1].shape)],
  mul: (n, dy) => {
    const [a, b] = n.inputs;
    return [sumToShape(mul(dy, b), a.shape), sumToShape(mul(dy, a), b.shape)];
  },
  div: (n, dy, out) => {
    const [a, b] = n.inputs;
    const ga = div(dy, b);
    // d(a/b)/db = -(a/b)/b
    return [sumToShape(ga, a.shape), sumToShape(neg(mul(ga, out)), b.shape)];
  },
  maximum: extremum("maximum"),
  minimum: extremum("minimum"),
  relu: unary((k) => k.relu_grad),
  leaky_relu: unary((k) => k.leaky_relu_grad),
  elu: unary((k) => k.elu_grad),
  gelu: unary((k) => k.gelu_grad),
  gelu_tanh: unary((k) => k.gelu_tanh_grad),
  sigmoid: unary((k) => k.sigmoid_grad),
  tanh: unary((k) => k.tanh_grad),
  softplus: unary((k) => k.softplus_grad),
  exp: unary((k) => k.exp_grad),
  log: unary((k) => k.log_grad),
  sqrt: unary((k) => k.sqrt_grad),
  abs: unary((k) => k.abs_grad),
  clamp: unary((k) => k.clamp_grad),
  neg: unary((k) => k.neg_grad),
  square: unary((k) => k.square_grad),
  affine: unary((k) => k.affine_grad),
} satisfies GradRules<"add" | "sub" | "mul" | "div" | "maximum" | "minimum" | UnaryOp>;
