// UPGrad: unconflicting projection of gradients. Each task gradient is projected onto
// the dual cone of all the task gradients (the directions that harm no task), and the
// projections are averaged with preference weights; DualProj projects the weighted
// mean gradient once instead.
// Quinton and Rey, "Jacobian Descent for Multi-Objective Optimization", 2024 (UPGrad:
// Definition 4; DualProj: Section 5; the projection as a QP over the Gram: Prop. 1).
// polyhead solves the QPs exactly on the raw Gram; TorchJD normalises by the trace and
// adds 1e-4 I, which leaves a task with a tiny gradient unprotected (METHODS.md).
// Default preference 1 per task (the sum, as EqualWeighting); TorchJD's default is the
// mean, 1/T of this.
import { checkGram, lowerBoundedQP, type Matrix } from "./solvers.js";
import { GramMethod, checkOptions, type GradientSpace } from "./plugin.js";
import { registerWeighting } from "./registry.js";

function prefs(G: Matrix, pref: number[] | undefined, who: string): number[] {
  const p = pref ?? G.map(() => 1);
  if (p.length !== G.length || p.some((x) => !(x >= 0))) throw new Error(`${who}: pref must have ${G.length} values >= 0`);
  return p;
}

/** UPGrad's weights: sum_i pref_i w^(i), w^(i) = argmin_{v >= e_i} v'Gv. */
export function upgradWeights(G: Matrix, pref?: number[]): number[] {
  checkGram(G, "UPGrad");
  const p = prefs(G, pref, "UPGrad");
  const T = G.length;
  const w = new Array<number>(T).fill(0);
  for (let i = 0; i < T; i++) {
    if (p[i] === 0) continue;
    const v = lowerBoundedQP(G, G.map((_, j) => (j === i ? 1 : 0)));
    for (let j = 0; j < T; j++) w[j] += p[i] * v[j];
  }
  return w;
}

/** DualProj's weights: argmin_{v >= pref} v'Gv (the weighted mean projected onto the dual cone). */
export function dualProjWeights(G: Matrix, pref?: number[]): number[] {
  checkGram(G, "DualProj");
  return lowerBoundedQP(G, prefs(G, pref, "DualProj"));
}

/** UPGrad (preference 1 per task unless given). @example new UPGrad() */
export class UPGrad extends GramMethod {
  constructor(private readonly opts: { pref?: number[]; on?: GradientSpace; autogram?: boolean } = {}) {
    checkOptions("UPGrad", opts, ["pref", "on", "autogram"]);
    super("UPGrad", opts.on, opts.autogram);
  }
  /** The method's weights for the Gram matrix G. */
  protected weights(G: Matrix): number[] { return upgradWeights(G, this.opts.pref && G.length === this.opts.pref.length ? this.opts.pref : undefined); }
}

/** DualProj (preference 1 per task unless given). @example new DualProj() */
export class DualProj extends GramMethod {
  constructor(private readonly opts: { pref?: number[]; on?: GradientSpace; autogram?: boolean } = {}) {
    checkOptions("DualProj", opts, ["pref", "on", "autogram"]);
    super("DualProj", opts.on, opts.autogram);
  }
  /** The method's weights for the Gram matrix G. */
  protected weights(G: Matrix): number[] { return dualProjWeights(G, this.opts.pref && G.length === this.opts.pref.length ? this.opts.pref : undefined); }
}

registerWeighting("UPGrad", () => new UPGrad());
registerWeighting("DualProj", () => new DualProj());
