// Coordinate-wise trimmed mean: per coordinate, drop the f largest and the f smallest
// of the T values and average the rest; robust to up to f arbitrary (Byzantine) ones.
// Yin, Chen, Ramchandran and Bartlett, "Byzantine-Robust Distributed Learning: Towards
// Optimal Statistical Rates", ICML 2018 (Section 3). Elementwise: needs the gradients.
import { tensor } from "../../ops/creation.js";
import { applyIn, checkOptions, checkSpace, gradsIn, type GradientSpace } from "./plugin.js";
import type { WeightingContext } from "./context.js";
import type { Weighting } from "./base.js";
import { registerWeighting } from "./registry.js";

/** The trimmed mean of T equally long vectors, trimming f at each end per coordinate. */
export function trimmedMean(vs: ArrayLike<number>[], f: number): Float64Array {
  const T = vs.length;
  if (!(Number.isInteger(f) && f >= 0 && 2 * f < T)) throw new Error(`TrimmedMean: f must be an integer with 0 <= 2f < T = ${T}, got ${f}`);
  const n = vs[0].length;
  vs.forEach((v, i) => { if (v.length !== n) throw new Error(`TrimmedMean: vector ${i} has ${v.length} values, vector 0 has ${n}`); });
  const out = new Float64Array(n), col = new Float64Array(T);
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < T; i++) col[i] = vs[i][k];
    col.sort();
    let s = 0;
    for (let i = f; i < T - f; i++) s += col[i];
    out[k] = s / (T - 2 * f);
  }
  return out;
}

/** The trimmed mean of the task gradients; f shrinks when a step has fewer than 2f + 1 tasks. */
export class TrimmedMean implements Weighting {
  readonly name = "TrimmedMean";
  readonly on: GradientSpace;
  readonly f: number;
  constructor(opts: { f?: number; on?: GradientSpace } = {}) {
    checkOptions("TrimmedMean", opts, ["f", "on"]);
    this.on = checkSpace("TrimmedMean", opts.on);
    this.f = opts.f ?? 1;
    if (!(Number.isInteger(this.f) && this.f >= 0)) throw new Error(`TrimmedMean: f must be an integer >= 0, got ${this.f}`);
  }
  backward(ctx: WeightingContext): number[] {
    const g = gradsIn(ctx, this.on);
    const T = g.length, f = Math.min(this.f, Math.floor((T - 1) / 2));
    const d = trimmedMean(g.map((x) => x.data()), f);
    applyIn(ctx, this.on, tensor(Float32Array.from(d), g[0].shape), ctx.tasks.map(() => 1));
    return ctx.tasks.map(() => 1 / T);
  }
}

registerWeighting("TrimmedMean", () => new TrimmedMean());
