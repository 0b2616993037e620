// PCGrad: "gradient surgery". For each task, in a random order over the others, remove
// the component of its shared gradient that conflicts (negative dot product) with
// another task's gradient; the update is the sum of the projected gradients.
// Yu, Kumar, Gupta, Levine, Hausman and Finn, "Gradient Surgery for Multi-Task
// Learning", NeurIPS 2020.
import type { Tensor } from "../../tensor.js";
import { vaxpy, vclone, vdot, vnorm2, type Weighting, type WeightingContext } from "./base.js";

/** Projecting conflicting gradients. @example new Trainer(model, { tasks, weighting: new PCGrad() }) */
export class PCGrad implements Weighting {
  readonly name = "PCGrad";
  /** Conflicts projected away in the last step (for inspection). */
  lastConflicts = 0;
  parameters(): Tensor[] { return []; }
  backward(ctx: WeightingContext): number[] {
    const T = ctx.tasks.length;
    const ones = ctx.tasks.map(() => 1);
    ctx.backwardTaskSpecific(ones);
    const g = ctx.sharedGrads();
    const norms = g.map(vnorm2);
    let conflicts = 0;
    const projected = g.map((gi, i) => {
      const p = vclone(gi);
      const order = ctx.rng.permutation(T);
      for (const j of order) {
        if (j === i || norms[j] === 0) continue;
        const d = vdot(p, g[j]);
        if (d < 0) { vaxpy(p, g[j], -d / norms[j]); conflicts++; }
      }
      return p;
    });
    this.lastConflicts = conflicts;
    for (const p of projected) ctx.addSharedGrad(p);
    return ones;
  }
  stateDict(): Record<string, unknown> { return {}; }
  loadStateDict(): void {}
}
