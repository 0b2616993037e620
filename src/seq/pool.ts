// Pooling over time: a [batch, time, features] sequence to [batch, features] by the mean or
// max over its real steps (lengths or a mask leave padding out), its first step, or each
// sequence's last real step. Composed of op-table ops, so the gradients are theirs.
import { Tensor } from "../tensor.js";
import { add, div, mul } from "../ops/elementwise.js";
import { max, mean, sum } from "../ops/reduce.js";
import { reshape, slice, take } from "../ops/shape.js";
import { tensor } from "../ops/creation.js";
import { checkOptions, show } from "../validate.js";
import { maskValues, type LengthsOrMask } from "./mask.js";

function dims(x: Tensor, owner: string): [number, number, number] {
  if (!(x instanceof Tensor) || x.rank !== 3 || x.dtype !== "float32") {
    throw new Error(`${owner}: expects a float32 [batch, time, features] tensor, got ${show(x)}`);
  }
  if (x.shape[1] === 0) throw new Error(`${owner}: ${x.describe()} has no time steps`);
  return x.shape as [number, number, number];
}

const KEYS = ["lengths", "mask"];

/**
 * Mean over the real steps of each sequence: [B, T, D] -> [B, D] (a sequence without one
 * gives a zero row).
 * @example meanOverTime(h, { lengths: [5, 2, 3] })
 */
export function meanOverTime(x: Tensor, options?: LengthsOrMask): Tensor {
  const [B, T] = dims(x, "meanOverTime");
  const m = maskValues(checkOptions("meanOverTime", options, KEYS), B, T, "meanOverTime");
  if (!m) return mean(x, 1);
  const count = new Float32Array(B);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) count[b] += m[b * T + t];
  return div(sum(mul(x, tensor(m, [B, T, 1])), 1), tensor(count.map((c) => Math.max(c, 1)), [B, 1]));
}

/**
 * Max over the real steps of each sequence: [B, T, D] -> [B, D]; the gradient goes to the
 * (first) maximum, as torch's max over a masked_fill(-inf).
 */
export function maxOverTime(x: Tensor, options?: LengthsOrMask): Tensor {
  const [B, T] = dims(x, "maxOverTime");
  const m = maskValues(checkOptions("maxOverTime", options, KEYS), B, T, "maxOverTime");
  if (!m) return max(x, 1);
  const fill = new Float32Array(B * T);
  for (let b = 0; b < B; b++) {
    let any = false;
    for (let t = 0; t < T; t++) { if (m[b * T + t]) any = true; else fill[b * T + t] = -Infinity; }
    if (!any) throw new Error(`maxOverTime: sequence ${b} has no real step (its max would be -Infinity)`);
  }
  return max(add(x, tensor(fill, [B, T, 1])), 1);
}

/** The first step of each sequence (a [CLS] token's place): [B, T, D] -> [B, D]. */
export function firstStep(x: Tensor): Tensor {
  const [B, , D] = dims(x, "firstStep");
  return reshape(slice(x, 1, 0, 1), [B, D]);
}

/** Each sequence's last real step (its lengths, or the last step): [B, T, D] -> [B, D]. */
export function lastStep(x: Tensor, options?: LengthsOrMask): Tensor {
  const [B, T, D] = dims(x, "lastStep");
  const m = maskValues(checkOptions("lastStep", options, KEYS), B, T, "lastStep");
  if (!m) return reshape(slice(x, 1, T - 1, T), [B, D]);
  const at: number[] = [];
  for (let b = 0; b < B; b++) {
    let last = -1;
    for (let t = 0; t < T; t++) if (m[b * T + t]) last = t;
    if (last < 0) throw new Error(`lastStep: sequence ${b} has no real step`);
    at.push(b * T + last);
  }
  return take(reshape(x, [B * T, D]), at);
}
