// Autograd entry: the tape's API, every gradient rule registered, and how a leaf's
// `.grad` accumulates (a persistent buffer, added to in place by the axpy kernel).
import { K } from "../engine/engine.js";
import { Tensor } from "../tensor.js";
import { accumulateHook } from "./tape.js";
import "./grads/elementwise.js";
import "./grads/reduce.js";
import "./grads/shape.js";
import "./grads/matmul.js";

// neural-network families
import "./grads/nn.js";
import "./grads/loss.js";
import "./grads/conv.js";

/** Add `g` into `t.grad` (allocating it once, outside any scope). */
export function accumulateGrad(t: Tensor, g: Tensor): void {
  if (!t.grad || t.grad.isDisposed) {
    t.grad = new Tensor(t.shape).keep();
    K().copy(t.grad.ptr, g.ptr, t.size);
  } else {
    K().axpy(t.grad.ptr, g.ptr, t.size, 1);
  }
}
accumulateHook.fn = accumulateGrad;

export { backward, gradients, grad, valueAndGrad, noGrad, isGradEnabled, registerGradient, hasGradient, needsGrad, record } from "./tape.js";
export type { Node, GradRule } from "./tape.js";
export { sumToShape } from "./grads/elementwise.js";
