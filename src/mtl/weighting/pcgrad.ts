// PCGrad: "gradient surgery". For each task, in a random order over the others, remove
// the component of its shared gradient that conflicts (negative dot product) with
// another task's gradient; the update is the sum of the projected gradients.
// Yu, Kumar, Gupta, Levine, Hausman and Finn, "Gradient Surgery for Multi-Task
// Learning", NeurIPS 2020.
import { vaxpy, vclone, vcombine, vdot, type Weighting, type WeightingContext } from "./base.js";
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
    const projected = g.map((gi, i) => {
      const p = vclone(gi);
      for (const j of ctx.rng.permutation(g.length)) {
        if (j === i || G[j][j] === 0) continue;
        const d = vdot(p, g[j]);
        if (d < 0) { vaxpy(p, g[j], -d / G[j][j]); conflicts++; }
      }
      return p;
    });
    this.lastConflicts = conflicts;
    ctx.applySharedUpdate(vcombine(projected, ones), ones);
    return ones;
  }
}

registerWeighting("PCGrad", () => new PCGrad());
