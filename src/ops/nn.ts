// Neural-network ops: softmax, log-softmax and logsumexp along an axis, layer and batch
// normalisation, and embedding lookup. Each checks shapes, calls the Wasm kernel of the
// same name and records itself for autograd (rules in src/autograd/grads/nn.ts).
import { K } from "../engine/engine.js";
import type { RowsOp } from "../engine/kernels.js";
import { Tensor, sizeOf } from "../tensor.js";
import { needsGrad, record } from "../autograd/tape.js";
import { normAxis } from "./reduce.js";
import { indexTensor, reshape, take, transpose } from "./shape.js";

function checkFloat(op: string, name: string, t: Tensor): void {
  if (t.dtype !== "float32") throw new Error(`${op}: ${name} ${t.describe()} must be float32`);
}

/** The permutation that moves `axis` last, keeping the other axes in order. */
function axisLast(rank: number, axis: number): number[] {
  return [...Array(rank).keys()].filter((i) => i !== axis).concat(axis);
}

function lastAxis(op: "softmax" | "log_softmax", x: Tensor): Tensor {
  const y = new Tensor(x.shape);
  const cols = x.shape[x.rank - 1];
  if (x.size > 0) (K()[op] as RowsOp)(y.ptr, x.ptr, x.size / cols, cols);
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

/**
 * Layer normalisation over the trailing `normalizedShape` axes: (x - mean) / sqrt(var + eps)
 * * weight + bias, with the biased variance (as torch). weight and bias are optional.
 * @example layerNorm(h, 64, gamma, beta)
 */
export function layerNorm(x: Tensor, normalizedShape: number | readonly number[], weight?: Tensor | null,
  bias?: Tensor | null, eps = 1e-5): Tensor {
  checkFloat("layerNorm", "input", x);
  const ns = typeof normalizedShape === "number" ? [normalizedShape] : [...normalizedShape];
  const lead = x.rank - ns.length;
  if (lead < 0 || ns.some((d, i) => d !== x.shape[lead + i])) {
    throw new Error(`layerNorm: input ${x.describe()} does not end in the normalized shape [${ns.join(", ")}]`);
  }
  for (const [name, t] of [["weight", weight], ["bias", bias]] as const) {
    if (!t) continue;
    checkFloat("layerNorm", name, t);
    if (t.rank !== ns.length || t.shape.some((d, i) => d !== ns[i])) {
      throw new Error(`layerNorm: ${name} ${t.describe()} must have the normalized shape [${ns.join(", ")}]`);
    }
  }
  const cols = sizeOf(ns), rows = cols === 0 ? 0 : x.size / cols;
  const y = new Tensor(x.shape);
  const mean = new Tensor([rows]), rstd = new Tensor([rows]);
  if (x.size > 0) K().layer_norm(y.ptr, mean.ptr, rstd.ptr, x.ptr, weight?.ptr ?? 0, bias?.ptr ?? 0, rows, cols, eps);
  const inputs = [x, weight, bias].filter((t): t is Tensor => !!t);
  if (needsGrad(...inputs)) record(y, "layer_norm", inputs, { mean, rstd, weight: weight ?? null, bias: bias ?? null, rows, cols });
  return y;
}

export interface BatchNormOptions {
  /** Running statistics [C], read in eval and updated in place in training (both, or neither). */
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  weight?: Tensor | null;
  bias?: Tensor | null;
  /** Batch statistics (and a running-stat update) when true; running statistics when false. */
  training?: boolean;
  /** Weight of the new batch in the running-stat update (torch's momentum). */
  momentum?: number;
  eps?: number;
}

/**
 * Batch normalisation of x [N, C, ...] per channel C. In training: normalise with the batch
 * mean and biased variance and move the running stats toward the batch's (unbiased
 * variance), as torch. In eval: normalise with the running stats. Without running stats
 * the batch statistics are used in both modes.
 * @example batchNorm(x, { runningMean: rm, runningVar: rv, weight: g, bias: b, training: true })
 */
export function batchNorm(x: Tensor, opts: BatchNormOptions = {}): Tensor {
  checkFloat("batchNorm", "input", x);
  if (x.rank < 2) throw new Error(`batchNorm: input ${x.describe()} must be [batch, channels, ...]`);
  const n = x.shape[0], c = x.shape[1], s = sizeOf(x.shape.slice(2));
  const { runningMean: rm = null, runningVar: rv = null, weight = null, bias = null } = opts;
  const momentum = opts.momentum ?? 0.1, eps = opts.eps ?? 1e-5;
  if (!rm !== !rv) throw new Error("batchNorm: give both runningMean and runningVar, or neither");
  for (const [name, t] of [["runningMean", rm], ["runningVar", rv], ["weight", weight], ["bias", bias]] as const) {
    if (!t) continue;
    checkFloat("batchNorm", name, t);
    if (t.rank !== 1 || t.shape[0] !== c) throw new Error(`batchNorm: ${name} ${t.describe()} must be [${c}] for input ${x.describe()}`);
  }
  const batchStats = !!opts.training || !rm;
  if (batchStats && n * s <= 1) {
    throw new Error(`batchNorm: input ${x.describe()} has ${n * s} value(s) per channel; batch statistics need more than 1`);
  }
  const y = new Tensor(x.shape);
  const mean = new Tensor([c]), rstd = new Tensor([c]);
  // with batch statistics the kernel updates the running stats when given; else it reads them
  K().batch_norm(y.ptr, mean.ptr, rstd.ptr, x.ptr, weight?.ptr ?? 0, bias?.ptr ?? 0, rm?.ptr ?? 0, rv?.ptr ?? 0,
    n, c, s, eps, momentum, batchStats ? 1 : 0);
  const inputs = [x, weight, bias].filter((t): t is Tensor => !!t);
  if (needsGrad(...inputs)) record(y, "batch_norm", inputs, { mean, rstd, weight, bias, n, c, s, training: batchStats });
  return y;
}

/**
 * Rows of `weight` [num, dim] at integer `indices` (any shape): the result is
 * [...indices.shape, dim]. The gradient adds into the rows looked up (repeats accumulate).
 * @example embedding(tensor([[1, 4], [4, 0]], undefined, "int32"), table) // [2, 2, dim]
 */
export function embedding(indices: Tensor | ArrayLike<number>, weight: Tensor): Tensor {
  if (weight.rank !== 2) throw new Error(`embedding: weight ${weight.describe()} must be [num_embeddings, dim]`);
  const idx = indexTensor(indices, weight.shape[0], "embedding");
  const shape = indices instanceof Tensor ? [...indices.shape, weight.shape[1]] : [idx.size, weight.shape[1]];
  return reshape(take(weight, idx), shape);
}
