// PCGrad: "gradient surgery". For each task, in a random order over the others, remove
// the component of its shared gradient that conflicts (negative dot product) with
// another task's gradient; the update is the sum of the projected gradients, accumulated as
// each is made (one working vector and the sum: (T + 2) x P floats with the T gradients).
// Yu, Kumar, Gupta, Levine, Hausman and Finn, "Gradient Surgery for Multi-Task
// Learning", NeurIPS 2020.
import { vaxpy, vclone, vdot, type Weighting, type WeightingContext } from "./base.js";
import { vcopy, vfill } from "../../ops/vector.js";
import { registerWeighting } from "./registry.js";

/** Projecting conflicting gradients. @example new Trainer(model, { tasks, weighting: new PCGrad() }) */
export class PCGrad implements Weighting {
  readonly name = "PCGrad";
  /** Conflicts projected away in the last step (for inspection). */
  lastConflicts = 0;
  backward(ctx: WeightingContext): number[] {
    const g = ctx.sharedGrads(), G = ctx.gram();
    const ones = ctx.tasks.map(() => 1);
    let conflicts = 0;
    // the sum as vcombine(projected, ones) forms it (zeros, then + p_i in task order): same bits
    const sum = vclone(g[0]), p = vclone(g[0]);
    vfill(sum, 0);
    g.forEach((gi, i) => {
      vcopy(p, gi);
      for (const j of ctx.rng.permutation(g.length)) {
        if (j === i || G[j][j] === 0) continue;
        const d = vdot(p, g[j]);
        if (d < 0) { vaxpy(p, g[j], -d / G[j][j]); conflicts++; }
      }
      vaxpy(sum, p, 1);
    });
    this.lastConflicts = conflicts;
    ctx.applySharedUpdate(sum, ones);
    return ones;
  }
}

registerWeighting("PCGrad", () => new PCGrad());
