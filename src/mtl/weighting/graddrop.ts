// GradDrop: gradient sign dropout. Per coordinate, the sign purity
// P = (1 + sum_i g_i / sum_i |g_i|) / 2 decides, against a uniform draw U, whether the
// positive or the negative task gradients pass; the rest are dropped (a fraction
// `leak` of each always passes).
// Chen, Ngiam, Huang, Luong, Kretzschmar, Chai and Anguelov, "Just Pick a Sign:
// Optimizing Deep Multitask Models with Gradient Sign Dropout", NeurIPS 2020 (eq. 1-3).
// Applied where the paper applies it, to the gradients at the shared representation
// summed over the batch; an elementwise rule, so it needs the gradients, not the Gram.
import { tensor, rand } from "../../ops/creation.js";
import { applyIn, checkOptions, checkSpace, gradsIn } from "./plugin.js";
import type { WeightingContext } from "./context.js";
import type { Weighting } from "./base.js";
import { registerWeighting } from "./registry.js";

/**
 * The combined gradient: sum_i (leak_i + (1 - leak_i) M_i) g_i with
 * M_i = [P > U][g_i > 0] + [P < U][g_i < 0], per coordinate. `u` holds one uniform per coordinate.
 */
export function gradDrop(grads: ArrayLike<number>[], u: ArrayLike<number>, leak: number[] | number = 0): Float64Array {
  const T = grads.length, n = u.length;
  if (T === 0) throw new Error("GradDrop: no gradients");
  const lk = typeof leak === "number" ? grads.map(() => leak) : leak;
  if (lk.length !== T || lk.some((x) => !(x >= 0 && x <= 1))) throw new Error(`GradDrop: leak must be ${T} values in [0, 1]`);
  grads.forEach((g, i) => { if (g.length !== n) throw new Error(`GradDrop: gradient ${i} has ${g.length} values, the uniforms ${n}`); });
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let s = 0, a = 0;
    for (let i = 0; i < T; i++) { s += grads[i][k]; a += Math.abs(grads[i][k]); }
    if (a === 0) continue;
    const P = 0.5 * (1 + s / a);
    let v = 0;
    for (let i = 0; i < T; i++) {
      const g = grads[i][k];
      const m = (P > u[k] && g > 0) || (P < u[k] && g < 0) ? 1 : 0;
      v += (lk[i] + (1 - lk[i]) * m) * g;
    }
    out[k] = v;
  }
  return out;
}

/** GradDrop at the shared representation. @example new GradDrop({ leak: 0.1 }) */
export class GradDrop implements Weighting {
  readonly name = "GradDrop";
  readonly leak: number;
  constructor(opts: { leak?: number; on?: "representation" } = {}) {
    checkOptions("GradDrop", opts, ["leak", "on"]);
    checkSpace("GradDrop", opts.on ?? "representation", ["representation"]);
    this.leak = opts.leak ?? 0;
    if (!(this.leak >= 0 && this.leak <= 1)) throw new Error(`GradDrop: leak must be in [0, 1], got ${this.leak}`);
  }
  backward(ctx: WeightingContext): number[] {
    const g = gradsIn(ctx, "representation");
    const u = rand(g[0].shape, 0, 1, ctx.rng).data();
    const d = gradDrop(g.map((x) => x.data()), u, this.leak);
    const ones = ctx.tasks.map(() => 1);
    applyIn(ctx, "representation", tensor(Float32Array.from(d), g[0].shape), ones);
    return ones;
  }
}

registerWeighting("GradDrop", () => new GradDrop());
