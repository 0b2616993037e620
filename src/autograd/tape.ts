// Reverse-mode autograd. Each op that sees an input requiring gradients records a Node
// on its output (op name, inputs, saved values); gradient rules are registered by op
// name (src/autograd/grads/*), apart from the forward ops. Backward is a topological
// sort and a reverse walk, as in micrograd; the graph is kept, so several gradients
// (one per task, say) can be taken from one forward pass.
import type { Tensor } from "../tensor.js";

export interface Node {
  op: string;
  inputs: Tensor[];
  /** Whatever the gradient rule needs (saved tensors, index maps, attributes). */
  saved: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/**
 * Gradient rule: given the node, its output and dL/dout, return dL/dinput for each input
 * (null where none). `needs[i]` says whether input i's gradient will be used: a rule may
 * skip the expensive ones that are not (an input batch, another task's tower weights).
 */
export type GradRule = (node: Node, dy: Tensor, out: Tensor, needs: boolean[]) => (Tensor | null)[];

const rules = new Map<string, GradRule>();
let enabled = true;

/** Register the gradient rule of an op by name (one rule per op; a second registration is an error). */
export function registerGradient(op: string, rule: GradRule): void {
  if (rules.has(op)) throw new Error(`registerGradient: "${op}" already has a gradient rule`);
  rules.set(op, rule);
}
/** True when `op` has a gradient rule. */
export function hasGradient(op: string): boolean { return rules.has(op); }

/** True when an op on these inputs must be recorded. */
export function needsGrad(...inputs: Tensor[]): boolean {
  if (!enabled) return false;
  for (const t of inputs) if (t.requiresGrad) return true;
  return false;
}

/** Record `out` as produced by `op` from `inputs` (call only when needsGrad(...inputs)). */
export function record(out: Tensor, op: string, inputs: Tensor[], saved: unknown = null): Tensor {
  out.requiresGrad = true;
  out.node = { op, inputs, saved };
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

// Hooks filled in by the ops modules (avoids an import cycle).
export const tapeOps = {
  onesLike: null as unknown as (t: Tensor) => Tensor,
  zerosLike: null as unknown as (t: Tensor) => Tensor,
  copy: null as unknown as (t: Tensor) => Tensor,
  add: null as unknown as (a: Tensor, b: Tensor) => Tensor,
};

function topo(roots: Tensor[]): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, number][] = [];
  for (const r of roots) {
    if (seen.has(r) || !r.requiresGrad) continue;
    seen.add(r);
    stack.push([r, 0]);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const ins = top[0].node ? top[0].node.inputs : [];
      if (top[1] < ins.length) {
        const c = ins[top[1]++];
        if (c.requiresGrad && !seen.has(c)) { seen.add(c); stack.push([c, 0]); }
      } else {
        order.push(top[0]);
        stack.pop();
      }
    }
  }
  return order; // inputs before outputs
}

function walk(ys: Tensor[], dys: Tensor[], stopAt: Set<Tensor> | null): Map<Tensor, Tensor> {
  const order = topo(ys);
  // Only propagate through tensors that depend on a target (prunes other tasks' heads).
  let reach: Set<Tensor> | null = null;
  if (stopAt) {
    reach = new Set();
    for (const t of order) {
      if (stopAt.has(t) || (t.node && t.node.inputs.some((i) => reach!.has(i)))) reach.add(t);
    }
  }
  const grads = new Map<Tensor, Tensor>();
  ys.forEach((y, i) => {
    const prev = grads.get(y);
    grads.set(y, prev ? tapeOps.add(prev, dys[i]) : dys[i]);
  });
  noGrad(() => {
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i];
      const node = t.node;
      const g = grads.get(t);
      if (!node || !g) continue;
      if (reach && !reach.has(t)) continue;
      if (stopAt && stopAt.has(t) && !node.inputs.some((x) => reach!.has(x))) continue;
      const rule = rules.get(node.op);
      if (!rule) throw new Error(`autograd: no gradient rule for op "${node.op}"`);
      const needs = node.inputs.map((x) => x.requiresGrad && (!reach || reach.has(x)));
      const gin = rule(node, g, t, needs);
      node.inputs.forEach((x, j) => {
        const gx = gin[j];
        if (!gx || !x.requiresGrad || (reach && !reach.has(x))) return;
        if (gx.shape.length !== x.shape.length || gx.shape.some((d, k) => d !== x.shape[k])) {
          throw new Error(`autograd: gradient rule of "${node.op}" returned shape [${gx.shape}] for input ${j} of shape [${x.shape}]`);
        }
        const prev = grads.get(x);
        grads.set(x, prev ? tapeOps.add(prev, gx) : gx);
      });
    }
  });
  return grads;
}

function seeds(ys: Tensor[], dys?: Tensor[]): Tensor[] {
  return ys.map((y, i) => {
    if (dys && dys[i]) {
      const d = dys[i];
      if (d.size !== y.size) throw new Error(`gradients: seed ${i} has shape [${d.shape}], output has [${y.shape}]`);
      return d;
    }
    if (y.size !== 1) throw new Error(`gradients: output ${y.describe()} is not a scalar; pass its gradient (dys)`);
    return tapeOps.onesLike(y);
  });
}

/**
 * Gradients of the outputs `ys` (summed) with respect to any tensors `xs` (parameters or
 * intermediate results such as a shared representation). Leaves' `.grad` is untouched;
 * the graph is kept, so this can be called again (per task) on the same forward pass.
 * Inputs that the outputs do not depend on get a zero gradient.
 * @example
 * const [gw] = gradients(loss, [w]);
 */
export function gradients(ys: Tensor | Tensor[], xs: Tensor[], dys?: Tensor[]): Tensor[] {
  const yl = Array.isArray(ys) ? ys : [ys];
  const grads = walk(yl, seeds(yl, dys), new Set(xs));
  // rules pass dy through where they can (add, reshape), so two results may share memory;
  // give each its own, since callers update gradient vectors in place (vaxpy, PCGrad)
  const seen = new Set((dys ?? []).map((d) => d.storage));
  return xs.map((x) => {
    const g = grads.get(x) ?? tapeOps.zerosLike(x);
    if (seen.has(g.storage)) return tapeOps.copy(g);
    seen.add(g.storage);
    return g;
  });
}


/**
 * Backpropagate from a scalar loss, accumulating into `.grad` of every leaf that
 * requires gradients (parameters). Gradients add up across calls until zeroed.
 */
export function backward(loss: Tensor, dy?: Tensor): void {
  const grads = walk([loss], seeds([loss], dy ? [dy] : undefined), null);
  for (const [t, g] of grads) {
    if (t.node || !t.requiresGrad) continue;
    accumulate(t, g);
  }
}

export const accumulateHook = { fn: null as unknown as (t: Tensor, g: Tensor) => void };
function accumulate(t: Tensor, g: Tensor): void { accumulateHook.fn(t, g); }

/**
 * Functional gradient: returns a function computing d f / d args for a scalar-valued f.
 * Arguments are marked as requiring gradients for the call (their flags are restored).
 * @example
 * const df = grad((x) => sum(mul(x, x)));
 * df(tensor([1, 2, 3])) // [2, 4, 6]
 */
export function grad(f: (...args: Tensor[]) => Tensor): (...args: Tensor[]) => Tensor[] {
  const vg = valueAndGrad(f);
  return (...args) => vg(...args)[1];
}

/** Like grad, but also returns f's value: [value, gradients]. */
export function valueAndGrad(f: (...args: Tensor[]) => Tensor): (...args: Tensor[]) => [Tensor, Tensor[]] {
  return (...args) => {
    const flags = args.map((a) => a.requiresGrad);
    args.forEach((a) => { a.requiresGrad = true; });
    try {
      const y = f(...args);
      if (y.size !== 1) throw new Error(`grad: the function must return a scalar, got ${y.describe()}`);
      return [y, gradients(y, args)];
    } finally {
      args.forEach((a, i) => { a.requiresGrad = flags[i]; });
    }
  };
}
