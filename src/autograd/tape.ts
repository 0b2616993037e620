// Reverse-mode autograd, the recording half: each op that sees an input requiring gradients
// records a Node on its output (its entry of the op table in ops.ts: name, inputs, the
// attributes it saves). The ops import only this; the backward walk is backward.ts.
import type { Tensor } from "../tensor.js";
import type { Node, OpAttrs, OpName } from "./ops.js";

let enabled = true;

/** True when an op on these inputs must be recorded. */
export function needsGrad(...inputs: Tensor[]): boolean {
  if (!enabled) return false;
  for (const t of inputs) if (t.requiresGrad) return true;
  return false;
}

/** What `record` takes after the inputs: the op's saved attributes, or nothing when it saves none. */
export type Saved<O extends OpName> = OpAttrs[O] extends null ? [] : [saved: OpAttrs[O]];

/** Record `out` as produced by `op` from `inputs` (call only when needsGrad(...inputs)). */
export function record<O extends OpName>(out: Tensor, op: O, inputs: Tensor[], ...saved: Saved<O>): Tensor {
  out.requiresGrad = true;
  // a Node<O> by construction; TS cannot narrow the generic O into the tagged union
  out.node = { op, inputs, saved: saved.length ? saved[0] : null } as Node;
  return out;
}

/**
 * Run `fn` without recording operations for autograd.
 * @example
 * const pred = noGrad(() => model.forward(x));
 */
export function noGrad<T>(fn: () => T): T {
  const prev = enabled;
  enabled = false;
  try { return fn(); } finally { enabled = prev; }
}

/** False inside `noGrad`. */
export function isGradEnabled(): boolean { return enabled; }
