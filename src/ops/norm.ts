// Normalisation: layer norm over trailing axes and batch norm per channel, one Wasm kernel
// each (assembly/kernels/norm.ts) that also returns the statistics the gradient rules
// (src/autograd/grads/norm.ts) reuse.
import { K } from "../engine/engine.js";
import { Tensor, checkFloat, sizeOf } from "../tensor.js";
import { needsGrad, record } from "../autograd/tape.js";

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

/** Options of batchNorm: running statistics, affine parameters, mode, momentum, eps. */
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
