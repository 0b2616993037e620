// Softmax family along an axis: softmax, log-softmax and logsumexp. The kernels
// (assembly/kernels/softmax.ts) work on rows of the last axis; another axis is moved last
// and back. Rules in src/autograd/grads/softmax.ts.
import { K } from "../engine/engine.js";
import { Tensor, checkFloat } from "../tensor.js";
import { needsGrad, record } from "../autograd/tape.js";
import { normAxis } from "./reduce.js";
import { reshape, transpose } from "./shape.js";

/** The permutation that moves `axis` last, keeping the other axes in order. */
function axisLast(rank: number, axis: number): number[] {
  return [...Array(rank).keys()].filter((i) => i !== axis).concat(axis);
}

function lastAxis(op: "softmax" | "log_softmax", x: Tensor): Tensor {
  const y = new Tensor(x.shape);
  const cols = x.shape[x.rank - 1];
  if (x.size > 0) K()[op](y.ptr, x.ptr, x.size / cols, cols);
  if (needsGrad(x)) record(y, op, [x]);
  return y;
}

function alongAxis(op: "softmax" | "log_softmax", name: string, x: Tensor, axis: number): Tensor {
  checkFloat(name, "x", x);
  const a = normAxis(axis, x.rank, name);
  if (a === x.rank - 1) return lastAxis(op, x);
  const perm = axisLast(x.rank, a);
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => { inv[p] = i; });
  return transpose(lastAxis(op, transpose(x, perm)), inv);
}

/**
 * exp(x) / sum(exp(x)) along `axis` (default: last), shifted by the max for stability.
 * @example softmax(logits) // rows of probabilities
 */
export function softmax(x: Tensor, axis = -1): Tensor { return alongAxis("softmax", "softmax", x, axis); }

/** log(softmax(x)) along `axis` (default: last), computed as x - max - log(sum(exp(x - max))). */
export function logSoftmax(x: Tensor, axis = -1): Tensor { return alongAxis("log_softmax", "logSoftmax", x, axis); }

/** log(sum(exp(x))) over `axis` (default: last), stable; -Infinity for an all -Infinity slice. */
export function logsumexp(x: Tensor, axis = -1, keepDims = false): Tensor {
  checkFloat("logsumexp", "x", x);
  const a = normAxis(axis, x.rank, "logsumexp");
  const xt = a === x.rank - 1 ? x : transpose(x, axisLast(x.rank, a));
  const cols = x.shape[a];
  if (cols === 0) throw new Error(`logsumexp: axis ${a} of ${x.describe()} is empty`);
  const out = new Tensor(xt.shape.slice(0, -1));
  K().logsumexp(out.ptr, xt.ptr, out.size, cols);
  if (needsGrad(xt)) record(out, "logsumexp", [xt]);
  return keepDims ? reshape(out, x.shape.map((d, i) => (i === a ? 1 : d))) : out;
}
