// GLS: geometric loss strategy. The total loss is the geometric mean (prod_i L_i)^(1/T),
// which balances tasks whose losses have different scales; its gradient weights task i
// by L / (T L_i) (reported as the effective weights, METHODS.md).
// Chennupati, Sistu, Yogamani and Rawashdeh, "MultiNet++: Multi-Stream Feature
// Aggregation and Geometric Loss Strategy for Multi-Task Learning", CVPR Workshops 2019.
import { exp, log } from "./fmath.js";
import { lossValues } from "./plugin.js";
import type { WeightingContext } from "./context.js";
import type { Weighting } from "./base.js";
import { registerWeighting } from "./registry.js";

/** The geometric mean of the losses and its gradient weights. */
export function glsWeights(losses: number[]): { total: number; weights: number[] } {
  const T = losses.length;
  if (losses.some((l) => !(l > 0))) throw new Error(`GLS: the geometric mean needs positive losses, got ${losses.join(", ")}`);
  let s = 0;
  for (const l of losses) s += log(l);
  const total = exp(s / T);
  return { total, weights: losses.map((l) => total / (T * l)) };
}

/** GLS: the geometric mean of the task losses. @example new GLS() */
export class GLS implements Weighting {
  readonly name = "GLS";
  backward(ctx: WeightingContext): number[] {
    const { weights } = glsWeights(lossValues(ctx));
    ctx.backwardWeighted(weights);
    return weights;
  }
}

registerWeighting("GLS", () => new GLS());
