// Krum and Multi-Krum: a Byzantine-robust aggregate. Each gradient is scored by the sum
// of squared distances to its T - f - 2 nearest others; the m best-scored are averaged.
// Blanchard, El Mhamdi, Guerraoui and Stainer, "Machine Learning with Adversaries:
// Byzantine Tolerant Gradient Descent", NeurIPS 2017 (Krum; Multi-Krum in El Mhamdi et
// al. 2018). Distances come from the Gram: |g_i - g_j|^2 = G_ii + G_jj - 2 G_ij.
import { checkGram, type Matrix } from "./solvers.js";
import { GramMethod, checkOptions, type GradientSpace } from "./plugin.js";
import { registerWeighting } from "./registry.js";

/** Weights 1/m on the m selected gradients (their mean), 0 elsewhere; ties go to the lower index. */
export function krumWeights(G: Matrix, f: number, m = 1): number[] {
  checkGram(G, "Krum");
  const T = G.length;
  if (!(Number.isInteger(f) && f >= 0)) throw new Error(`Krum: f (the number of faulty gradients) must be an integer >= 0, got ${f}`);
  if (T < 2 * f + 3) throw new Error(`Krum: needs T >= 2f + 3 gradients; T = ${T}, f = ${f}`);
  if (!(Number.isInteger(m) && m >= 1 && m <= T - f)) throw new Error(`Krum: m must be an integer in [1, ${T - f}], got ${m}`);
  const k = T - f - 2;
  const score = G.map((_, i) => {
    const d = G.map((__, j) => G[i][i] + G[j][j] - 2 * G[i][j]).filter((_x, j) => j !== i).sort((a, b) => a - b);
    let s = 0;
    for (let t = 0; t < k; t++) s += d[t];
    return s;
  });
  const order = score.map((_, i) => i).sort((a, b) => score[a] - score[b] || a - b).slice(0, m);
  return G.map((_, i) => (order.includes(i) ? 1 / m : 0));
}

/**
 * Krum / Multi-Krum over the task gradients. With fewer active tasks than 2f + 3 in a
 * step, f (and m) shrink to what that step allows.
 */
export class Krum extends GramMethod {
  readonly f: number; readonly m: number;
  constructor(opts: { f?: number; m?: number; on?: GradientSpace; autogram?: boolean } = {}) {
    checkOptions("Krum", opts, ["f", "m", "on", "autogram"]);
    super("Krum", opts.on, opts.autogram);
    this.f = opts.f ?? 0; this.m = opts.m ?? 1;
    if (!(Number.isInteger(this.f) && this.f >= 0)) throw new Error(`Krum: f must be an integer >= 0, got ${this.f}`);
    if (!(Number.isInteger(this.m) && this.m >= 1)) throw new Error(`Krum: m must be an integer >= 1, got ${this.m}`);
  }
  /** Krum's weights for the Gram matrix G. */
  protected weights(G: Matrix): number[] {
    const T = G.length;
    if (T < 3) return G.map(() => 1 / T);
    const f = Math.min(this.f, Math.floor((T - 3) / 2));
    return krumWeights(G, f, Math.min(this.m, T - f));
  }
}

registerWeighting("Krum", () => new Krum());
