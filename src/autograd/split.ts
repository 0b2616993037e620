// polyhead/threads' backward scheduler (src/threads/index.ts installs it while its pool runs):
// the backward walk's independent branches run as the engine's independent() work, one
// branch's steps on one thread, with the bits of the plain walk (backward.ts).
//
// A branch hangs below a node that forks (two or more inputs that need a gradient): each
// task's loss and tower below the sum of the task losses (a chain of adds counts as one sum),
// each expert below the stack of experts. A tensor belongs to a branch when every node that
// reads it belongs to that branch, or when the forking node alone reads it (a new branch).
// A branch's steps then read only gradients of their own branch, or the one its forking node
// gave, which was computed before; so the branches' steps can run in any order between them,
// each in its own order. What a branch gives to a tensor outside it (the shared
// representation, a shared parameter) is held back and added, after all the branches ran, in
// the order the plain walk adds it: each gradient is then the same sum in the same order.
// A tensor outside the branches waits for them (they run first) when a branch node reads it
// or gives to one of its inputs, so its gradient is whole and its inputs' sums keep their order.
// So a branch may run in parts, between such tensors: a later part adds to the gradients its
// earlier parts left in the walk's map.
import type { Tensor } from "../tensor.js";
import { independent } from "../engine/engine.js";
import { addTo, type BackwardScheduler } from "./backward.js";

/** Each tensor's branch (a number), for the tensors in one; `order` is topological (inputs first). */
function branches(order: Tensor[], ys: Tensor[]): { branch: Map<Tensor, number>; count: number } {
  const readers = new Map<Tensor, Tensor[]>();
  for (const t of order) {
    if (!t.node) continue;
    for (const x of new Set(t.node.inputs)) {
      if (!x.requiresGrad) continue;
      const r = readers.get(x);
      if (r) r.push(t); else readers.set(x, [t]);
    }
  }
  const forks = (b: Tensor) => !!b.node && new Set(b.node.inputs.filter((x) => x.requiresGrad)).size >= 2;
  const branch = new Map<Tensor, number>(), roots = new Set(ys);
  let count = 0;
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i], rs = readers.get(t);
    if (roots.has(t) || !rs) continue;
    const h = branch.get(rs[0]);
    if (h !== undefined) {
      if (rs.every((r) => branch.get(r) === h)) branch.set(t, h);
    } else if (rs.length === 1 && forks(rs[0]) && !(t.node?.op === "add" && rs[0].node!.op === "add")) {
      branch.set(t, count++);
    }
  }
  return { branch, count };
}

/** The scheduler, active while `threads()` >= 2; otherwise it declines (the plain walk runs). */
export function splitBackward(threads: () => number): BackwardScheduler {
  return (order, ys, grads, step) => {
    if (threads() < 2) return false;
    const { branch, count } = branches(order, ys);
    if (count < 2) return false;
    let waiting = new Map<number, number[]>();   // branch -> its steps held back (indices into order), in walk order
    const outside = new Set<Tensor>();            // tensors outside a branch that a held step gives to
    const flush = (): void => {
      if (waiting.size === 0) return;
      const lists = [...waiting.entries()];
      waiting = new Map();
      outside.clear();
      const done = independent(lists.length, (k) => {
        const [b, steps] = lists[k];
        const own = new Map<Tensor, Tensor>(), away: [Tensor, Tensor, number, number][] = [];
        const gradOf = (u: Tensor) => own.get(u) ?? grads.get(u);
        for (const i of steps) {
          let j = 0;
          step(order[i], gradOf, (x, gx) => {
            if (branch.get(x) === b) addTo(own, x, gx, gradOf(x)); else away.push([x, gx, i, j++]);
          });
        }
        return { own, away };
      });
      for (const { own } of done) for (const [t, g] of own) grads.set(t, g);
      // held-back parts, in the plain walk's order: later nodes first, each node's inputs in order
      const away = done.flatMap((d) => d.away).sort((p, q) => q[2] - p[2] || p[3] - q[3]);
      for (const [x, gx] of away) addTo(grads, x, gx);
    };
    const gradOf = (u: Tensor) => grads.get(u), give = (x: Tensor, gx: Tensor) => addTo(grads, x, gx);
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i], b = branch.get(t);
      if (b !== undefined) {
        const w = waiting.get(b);
        if (w) w.push(i); else waiting.set(b, [i]);
        if (t.node) for (const x of t.node.inputs) if (x.requiresGrad && branch.get(x) !== b) outside.add(x);
        continue;
      }
      if (outside.has(t) || (t.node && t.node.inputs.some((x) => outside.has(x)))) flush();
      step(t, gradOf, give);
    }
    flush();
    return true;
  };
}
