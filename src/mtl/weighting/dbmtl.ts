// DB-MTL: dual-balancing. Loss scales are balanced by taking the gradients of
// log(L_i + eps) (g_i / (L_i + eps)); gradient magnitudes by keeping an EMA of each
// task's gradient and rescaling every EMA to the largest norm before summing.
// Lin, Ye, Xu, Shi and Zhang, "Dual-Balancing for Multi-Task Learning", 2023 (eq. 4-6).
// As the paper (and LibMTL): the EMA b <- beta b + (1 - beta) g without bias correction.
import { tensor } from "../../ops/creation.js";
import { checkOptions, checkSpace, lossValues, taskIndex } from "./plugin.js";
import { saveBuffers, loadBuffers } from "./buffers.js";
import type { WeightingContext } from "./context.js";
import type { Weighting } from "./base.js";
import { registerWeighting } from "./registry.js";

/** The per-task factors alpha_i = max_j |b_j| / |b_i| applied to the EMA buffers b_i (0 for a zero buffer). */
export function dbMtlScales(bufferNorms2: number[]): number[] {
  let mx = 0;
  const n = bufferNorms2.map((x) => Math.sqrt(Math.max(x, 0)));
  for (const x of n) mx = Math.max(mx, x);
  return n.map((x) => (x > 0 ? mx / x : 0));
}

/** DB-MTL on the shared parameters (its EMA buffers persist across steps). @example new DBMTL(["a", "b"], { beta: 0.9 }) */
export class DBMTL implements Weighting {
  readonly name = "DB-MTL";
  readonly beta: number;
  /** EMA of each declared task's log-loss gradient (allocated on first use). */
  buffers: (Float64Array | null)[];
  constructor(readonly taskNames: string[], opts: { beta?: number; on?: "shared" } = {}) {
    checkOptions("DB-MTL", opts, ["beta", "on"]);
    checkSpace("DB-MTL", opts.on, ["shared"]);
    this.beta = opts.beta ?? 0.9;
    if (!(this.beta >= 0 && this.beta < 1)) throw new Error(`DB-MTL: beta must be in [0, 1), got ${this.beta}`);
    this.buffers = taskNames.map(() => null);
  }
  backward(ctx: WeightingContext): number[] {
    const idx = taskIndex(this.name, this.taskNames, ctx.tasks);
    const g = ctx.sharedGrads(), L = lossValues(ctx);
    const P = g[0].size, b = this.beta;
    const norms2 = idx.map((i, k) => {
      const buf = (this.buffers[i] ??= new Float64Array(P));
      if (buf.length !== P) throw new Error(`DB-MTL: the shared parameters have ${P} values, the saved buffer of "${this.taskNames[i]}" ${buf.length}`);
      const gk = g[k].data(), s = 1 / (L[k] + 1e-8);
      let n = 0;
      for (let p = 0; p < P; p++) { buf[p] = b * buf[p] + (1 - b) * gk[p] * s; n += buf[p] * buf[p]; }
      return n;
    });
    const a = dbMtlScales(norms2);
    const d = new Float32Array(P);
    for (let p = 0; p < P; p++) { let v = 0; idx.forEach((i, k) => { v += a[k] * this.buffers[i]![p]; }); d[p] = v; }
    ctx.applySharedUpdate(tensor(d), L.map((l) => 1 / (l + 1e-8)));
    return a;
  }
  stateDict(): Record<string, unknown> { return { buffers: saveBuffers(this.buffers) }; }
  loadStateDict(state: Record<string, unknown>): void { this.buffers = loadBuffers("DB-MTL", state.buffers, this.taskNames.length); }
}

registerWeighting("DB-MTL", (names) => new DBMTL(names));
