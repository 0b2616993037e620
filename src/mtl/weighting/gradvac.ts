// GradVac: gradient vaccine. Where the cosine between task i's (adjusted) gradient and
// task j's falls below an EMA target phi_ij of past cosines, add just enough of g_j to
// raise it to the target; then move the target towards the observed cosine.
// Wang, Tsvetkov, Firat and Cao, "Gradient Vaccine: Investigating and Improving
// Multi-task Optimization in Massively Multilingual Models", ICLR 2021 (Algorithm 2).
// Whole-model granularity. Every adjusted gradient stays a combination of the task
// gradients, so the rule runs on the Gram matrix: it tracks the coefficients C (T x T)
// with g'_i = sum_k C_ik g_k.
import { checkGram, type Matrix } from "./solvers.js";
import { applyWeights, checkOptions, checkSpace, taskIndex, type GradientSpace } from "./plugin.js";
import type { WeightingContext } from "./context.js";
import type { Weighting } from "./base.js";
import { registerWeighting } from "./registry.js";

/**
 * One GradVac step. `targets` (T x T, phi-hat) is updated in place with rate beta;
 * `orders[i]` is the order in which task i visits the others (the paper's random
 * permutation). Returns weights w with sum_i g'_i = sum_k w_k g_k.
 */
export function gradVacWeights(G: Matrix, targets: number[][], beta: number, orders: number[][]): number[] {
  checkGram(G, "GradVac");
  const T = G.length;
  if (!(beta >= 0 && beta <= 1)) throw new Error(`GradVac: beta must be in [0, 1], got ${beta}`);
  const C: Matrix = G.map((_, i) => G.map((__, k) => (i === k ? 1 : 0)));
  const nrm = G.map((row, j) => Math.sqrt(row[j]));
  for (let i = 0; i < T; i++) {
    for (const j of orders[i]) {
      if (j === i || !(nrm[j] > 0)) continue;
      // |g'_i|^2 = C_i G C_i', g'_i.g_j = C_i G e_j
      let gg = 0, gj = 0;
      for (let a = 0; a < T; a++) { gj += C[i][a] * G[a][j]; for (let b = 0; b < T; b++) gg += C[i][a] * G[a][b] * C[i][b]; }
      const ni = Math.sqrt(Math.max(gg, 0));
      if (!(ni > 0)) continue;
      const phi = gj / (ni * nrm[j]);
      const target = targets[i][j];
      if (phi < target) {
        const s1 = Math.sqrt(Math.max(1 - phi * phi, 0)), s2 = Math.sqrt(Math.max(1 - target * target, 0));
        if (s2 > 0) C[i][j] += (ni * (target * s1 - phi * s2)) / (nrm[j] * s2);
      }
      targets[i][j] = (1 - beta) * target + beta * phi;
    }
  }
  return G.map((_, k) => { let s = 0; for (let i = 0; i < T; i++) s += C[i][k]; return s; });
}

/** GradVac (whole model). @example new GradVac(["a", "b"], { beta: 0.01 }) */
export class GradVac implements Weighting {
  readonly name = "GradVac";
  readonly on: GradientSpace;
  readonly beta: number;
  /** phi-hat between declared tasks i and j (0 at the start, as the paper). */
  targets: number[][];
  constructor(readonly taskNames: string[], opts: { beta?: number; on?: GradientSpace } = {}) {
    checkOptions("GradVac", opts, ["beta", "on"]);
    this.on = checkSpace("GradVac", opts.on);
    this.beta = opts.beta ?? 0.5;
    if (!(this.beta >= 0 && this.beta <= 1)) throw new Error(`GradVac: beta must be in [0, 1], got ${this.beta}`);
    this.targets = taskNames.map(() => taskNames.map(() => 0));
  }
  backward(ctx: WeightingContext): number[] {
    const idx = taskIndex(this.name, this.taskNames, ctx.tasks);
    const T = idx.length;
    const sub = idx.map((i) => idx.map((j) => this.targets[i][j]));
    const orders = idx.map(() => Array.from(ctx.rng.permutation(T)));
    const w = gradVacWeights(ctx.gram(this.on), sub, this.beta, orders);
    idx.forEach((i, a) => idx.forEach((j, b) => { this.targets[i][j] = sub[a][b]; }));
    applyWeights(ctx, this.on, w);
    return w;
  }
  stateDict(): Record<string, unknown> { return { targets: this.targets.map((r) => [...r]) }; }
  loadStateDict(state: Record<string, unknown>): void {
    const t = state.targets as number[][];
    const n = this.taskNames.length;
    if (!Array.isArray(t) || t.length !== n || t.some((r) => !Array.isArray(r) || r.length !== n || r.some((x) => !Number.isFinite(x)))) throw new Error(`GradVac.loadStateDict: targets must be ${n} x ${n} finite numbers`);
    this.targets = t.map((r) => [...r]);
  }
}

registerWeighting("GradVac", (names) => new GradVac(names));
