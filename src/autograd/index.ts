// Autograd entry: recording (tape.ts), the backward walk (backward.ts), the op table
// (ops.ts) and its gradient rules (grads/index.ts).
import { GRADIENTS } from "./grads/index.js";
import type { OpName } from "./ops.js";

/** True when `op` is a recorded op with a gradient rule. */
export function hasGradient(op: string): op is OpName { return Object.hasOwn(GRADIENTS, op); }

export { backward, gradients, grad, valueAndGrad, accumulateGrad } from "./backward.js";
export { noGrad, isGradEnabled, needsGrad, record } from "./tape.js";
export type { Node, GradRule, OpAttrs, OpName, UnaryAttrs, NormAttrs, ElementLossAttrs } from "./ops.js";
export type { Saved } from "./tape.js";
export type { Geometry } from "../ops/conv.js";
export { sumToShape } from "./grads/elementwise.js";
