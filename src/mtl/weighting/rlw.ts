// RLW: random loss weighting. Each step the loss weights are drawn afresh, softmax of
// standard normal draws (the paper's main variant; they sum to 1).
// Lin, Ye, Zhang and Tsang, "Reasonable Effectiveness of Random Weighting: A Litmus
// Test for Multi-Task Learning", TMLR 2022 (Section 3).
import { softmax } from "./fmath.js";
import { randn } from "../../ops/creation.js";
import { checkOptions } from "./plugin.js";
import type { WeightingContext } from "./context.js";
import type { Weighting } from "./base.js";
import { registerWeighting } from "./registry.js";

/** RLW's weights from T standard normal draws. */
export function rlwWeights(normals: number[]): number[] { return softmax(normals); }

/** RLW: fresh random weights each step, from the trainer's seeded stream. @example new RLW() */
export class RLW implements Weighting {
  readonly name = "RLW";
  constructor(opts: Record<string, never> = {}) { checkOptions("RLW", opts, []); }
  backward(ctx: WeightingContext): number[] {
    const w = rlwWeights(Array.from(randn([ctx.tasks.length], 0, 1, ctx.rng).data()));
    ctx.backwardWeighted(w);
    return w;
  }
}

registerWeighting("RLW", () => new RLW());
