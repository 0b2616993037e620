// DWA: dynamic weight average. Each task's weight follows the rate at which its loss
// fell over the last two epochs: w_i = T softmax_i(r / temperature), r_i = L_i(e-1) / L_i(e-2);
// weights 1 for the first two epochs.
// Liu, Johns and Davison, "End-to-End Multi-Task Learning with Attention", CVPR 2019 (eq. 7).
import { softmax } from "./fmath.js";
import { checkOptions, checkNumbers, taskIndex } from "./plugin.js";
import type { WeightingContext } from "./context.js";
import type { Weighting } from "./base.js";
import { registerWeighting } from "./registry.js";

/** DWA's weights from the mean losses of the last two epochs (null before there are two). */
export function dwaWeights(last: number[] | null, before: number[] | null, temperature = 2): number[] | null {
  if (!(temperature > 0)) throw new Error(`DWA: temperature must be > 0, got ${temperature}`);
  if (!last || !before) return null;
  if (last.length !== before.length) throw new Error(`DWA: ${last.length} and ${before.length} loss histories`);
  const r = last.map((l, i) => (before[i] > 0 ? l / before[i] : 1));
  return softmax(r, temperature).map((x) => x * r.length);
}

/** DWA over the epochs' mean training losses. @example new DWA(["a", "b"], { temperature: 2 }) */
export class DWA implements Weighting {
  readonly name = "DWA";
  readonly temperature: number;
  /** Mean loss per declared task in the last two epochs (NaN where a task had none). */
  last: number[] | null = null;
  before: number[] | null = null;
  constructor(readonly taskNames: string[], opts: { temperature?: number } = {}) {
    checkOptions("DWA", opts, ["temperature"]);
    this.temperature = opts.temperature ?? 2;
    if (!(this.temperature > 0)) throw new Error(`DWA: temperature must be > 0, got ${this.temperature}`);
  }
  backward(ctx: WeightingContext): number[] {
    const idx = taskIndex(this.name, this.taskNames, ctx.tasks);
    const ok = this.last && this.before && idx.every((i) => this.last![i] > 0 && this.before![i] > 0);
    const w = ok ? dwaWeights(idx.map((i) => this.last![i]), idx.map((i) => this.before![i]), this.temperature)! : idx.map(() => 1);
    ctx.backwardWeighted(w);
    return w;
  }
  onEpochEnd(meanLosses: Record<string, number>): void {
    this.before = this.last;
    this.last = this.taskNames.map((t) => (Number.isFinite(meanLosses[t]) ? meanLosses[t] : -1));
  }
  stateDict(): Record<string, unknown> { return { last: this.last && [...this.last], before: this.before && [...this.before] }; }
  loadStateDict(state: Record<string, unknown>): void {
    const n = this.taskNames.length;
    const last = state.last === null ? null : checkNumbers("DWA", "last", state.last, n);
    const before = state.before === null ? null : checkNumbers("DWA", "before", state.before, n);
    this.last = last && [...last]; this.before = before && [...before];
  }
}

registerWeighting("DWA", (names) => new DWA(names));
