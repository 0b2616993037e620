// Gradient rules of the elementwise ops (src/ops/elementwise.ts).
import { K } from "../../engine/engine.js";
import type { Kernels, UnaryGrad } from "../../engine/kernels.js";
import { Tensor, type Shape } from "../../tensor.js";
import { registerGradient } from "../tape.js";
import { div, gradShare, mul, neg } from "../../ops/elementwise.js";
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

registerGradient("add", (n, dy) => [sumToShape(dy, n.inputs[0].shape), sumToShape(dy, n.inputs[1].shape)]);
registerGradient("sub", (n, dy) => [sumToShape(dy, n.inputs[0].shape), sumToShape(neg(dy), n.inputs[1].shape)]);
registerGradient("mul", (n, dy) => {
  const [a, b] = n.inputs;
  return [sumToShape(mul(dy, b), a.shape), sumToShape(mul(dy, a), b.shape)];
});
registerGradient("div", (n, dy, out) => {
  const [a, b] = n.inputs;
  const ga = div(dy, b);
  // d(a/b)/db = -(a/b)/b
  return [sumToShape(ga, a.shape), sumToShape(neg(mul(ga, out)), b.shape)];
});
// maximum/minimum, as torch: the winner gets dy, a tie splits it, a NaN operand gets it all.
for (const op of ["maximum", "minimum"] as const) {
  registerGradient(op, (n, dy) => {
    const [a, b] = n.inputs;
    return [sumToShape(mul(dy, gradShare(op, a, b)), a.shape), sumToShape(mul(dy, gradShare(op, b, a)), b.shape)];
  });
}

// Unary ops: one Wasm gradient kernel each, named `<op>_grad`.
for (const op of ["relu", "leaky_relu", "elu", "gelu", "gelu_tanh", "sigmoid", "tanh", "softplus",
  "exp", "log", "sqrt", "abs", "clamp", "neg", "square", "affine"]) {
  const kname = `${op}_grad` as keyof Kernels;
  registerGradient(op, (n, dy, out) => {
    const x = n.inputs[0];
    const dx = new Tensor(x.shape);
    (K()[kname] as UnaryGrad)(dx.ptr, x.ptr, out.ptr, dy.ptr, x.size, n.saved.p0, n.saved.p1);
    return [dx];
  });
}

