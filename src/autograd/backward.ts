// Reverse-mode autograd, the backward half: a topological sort from the targets and a
// reverse walk calling each recorded op's gradient rule (grads/index.ts), as in micrograd.
// The graph is kept, so several gradients (one per task, say) can be taken from one forward
// pass. Recording is the other half (tape.ts), which the ops import; only this half needs them.
import { K } from "../engine/engine.js";
import { Tensor, checkTensor } from "../tensor.js";
import { add } from "../ops/elementwise.js";
import { clone, onesLike, zerosLike } from "../ops/creation.js";
import { noGrad } from "./tape.js";
import { GRADIENTS } from "./grads/index.js";
import type { GradRule, Node } from "./ops.js";

// The table is keyed by op, so a node's rule takes that node; TS cannot follow the
// correlation through the union of nodes, hence the one widening here.
function ruleOf(node: Node): GradRule { return GRADIENTS[node.op] as GradRule; }

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

/** @internal One node of the backward walk: its rule, reading its gradient from `gradOf` and handing each input's part to `give`. */
export type BackwardStep = (t: Tensor, gradOf: (t: Tensor) => Tensor | undefined, give: (x: Tensor, gx: Tensor) => void) => void;
/**
 * @internal Runs a walk's steps in another order with the same bits (autograd/split.ts,
 * polyhead/threads'), given the topological order (inputs first), the walk's outputs and
 * its gradient map; false: it declined, and the walk runs its steps in reverse order here.
 */
export type BackwardScheduler = (order: Tensor[], ys: Tensor[], grads: Map<Tensor, Tensor>, step: BackwardStep) => boolean;
let scheduler: BackwardScheduler | null = null;
/** @internal The walk's sum of a tensor's gradient parts: m[x] = prev + gx, or gx itself when it is the first (prev: m[x]). */
export function addTo(m: Map<Tensor, Tensor>, x: Tensor, gx: Tensor, prev = m.get(x)): void { m.set(x, prev ? add(prev, gx) : gx); }
/** @internal polyhead/threads installs its scheduler here (null: none). */
export function setBackwardScheduler(s: BackwardScheduler | null): void { scheduler = s; }

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
    grads.set(y, prev ? add(prev, dys[i]) : dys[i]);
  });
  // one node's rule: its gradient from `gradOf`, each input's part handed to `give`
  const step: BackwardStep = (t, gradOf, give) => {
    const node = t.node;
    const g = gradOf(t);
    if (!node || !g) return;
    if (reach && !reach.has(t)) return;
    if (stopAt && stopAt.has(t) && !node.inputs.some((x) => reach!.has(x))) return;
    const needs = node.inputs.map((x) => x.requiresGrad && (!reach || reach.has(x)));
    const gin = ruleOf(node)(node, g, t, needs);
    node.inputs.forEach((x, j) => {
      const gx = gin[j];
      if (!gx || !x.requiresGrad || (reach && !reach.has(x))) return;
      if (gx.shape.length !== x.shape.length || gx.shape.some((d, k) => d !== x.shape[k])) {
        throw new Error(`autograd: gradient rule of "${node.op}" returned shape [${gx.shape}] for input ${j} of shape [${x.shape}]`);
      }
      give(x, gx);
    });
  };
  const gradOf = (t: Tensor) => grads.get(t);
  const give = (x: Tensor, gx: Tensor) => addTo(grads, x, gx);
  noGrad(() => {
    if (scheduler && scheduler(order, ys, grads, step)) return;
    for (let i = order.length - 1; i >= 0; i--) step(order[i], gradOf, give);
  });
  return grads;
}

function seeds(ys: Tensor[], dys?: Tensor[]): Tensor[] {
  return ys.map((y, i) => {
    checkTensor("gradients", ys.length === 1 ? "output" : `output ${i}`, y);
    if (dys && dys[i]) {
      const d = dys[i];
      if (d.size !== y.size) throw new Error(`gradients: seed ${i} has shape [${d.shape}], output has [${y.shape}]`);
      return d;
    }
    if (y.size !== 1) throw new Error(`gradients: output ${y.describe()} is not a scalar; pass its gradient (dys)`);
    return onesLike(y);
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
export function gradients(ys: Tensor | Tensor[], xs: Tensor | Tensor[], dys?: Tensor[]): Tensor[] {
  const yl = Array.isArray(ys) ? ys : [ys], xl = Array.isArray(xs) ? xs : [xs];
  xl.forEach((x, i) => checkTensor("gradients", `xs[${i}]`, x));
  const grads = walk(yl, seeds(yl, dys), new Set(xl));
  // rules pass dy through where they can (add, reshape), so two results may share memory;
  // give each its own, since callers update gradient vectors in place (vaxpy, PCGrad)
  const seen = new Set((dys ?? []).map((d) => d.storage));
  return xl.map((x) => {
    const g = grads.get(x) ?? zerosLike(x);
    if (seen.has(g.storage)) return clone(g);
    seen.add(g.storage);
    return g;
  });
}


/**
 * Backpropagate from a scalar loss, accumulating into `.grad` of every leaf that
 * requires gradients (parameters). Gradients add up across calls until zeroed.
 */
export function backward(loss: Tensor, dy?: Tensor): void {
  checkTensor("backward", "loss", loss);
  const grads = walk([loss], seeds([loss], dy ? [dy] : undefined), null);
  for (const [t, g] of grads) {
    if (t.node || !t.requiresGrad) continue;
    accumulateGrad(t, g);
  }
}

/** Add `g` into `t.grad` (allocating it once, outside any scope). */
export function accumulateGrad(t: Tensor, g: Tensor): void {
  if (!t.grad || t.grad.isDisposed) {
    t.grad = new Tensor(t.shape).keep();
    K().copy(t.grad.ptr, g.ptr, t.size);
  } else {
    K().axpy(t.grad.ptr, g.ptr, t.size, 1);
  }
}

/**
 * Functional gradient: returns a function computing d f / d args for a scalar-valued f.
 * Arguments are marked as requiring gradients for the call (their flags are restored).
 * @example
 * const df = grad((x) => sum(mul(x, x)));
 * const [dx] = df(tensor([1, 2, 3])); // one gradient per argument
 * dx // [2, 4, 6]
 */
export function grad(f: (...args: Tensor[]) => Tensor): (...args: Tensor[]) => Tensor[] {
  const vg = valueAndGrad(f);
  return (...args) => vg(...args)[1];
}

/** Like grad, but also returns f's value: [value, gradients]. */
export function valueAndGrad(f: (...args: Tensor[]) => Tensor): (...args: Tensor[]) => [Tensor, Tensor[]] {
  return (...args) => {
    args.forEach((a, i) => checkTensor("grad", `argument ${i}`, a));
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
