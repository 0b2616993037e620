// Gradient-conflict monitor: wraps any weighting method and records, per epoch, the
// pairwise cosine similarity and magnitude ratio of the tasks' gradients (shared
// parameters, or the representation), and how often each pair conflicted (cosine < 0).
// The figures reach trainer.history (EpochLogs.diagnostics.conflicts) and every
// callback's onEpochEnd. The Gram matrix is taken before the method runs, from the
// step's context, so a gradient method that needs it anyway pays nothing extra; for a
// loss weighting each monitored step costs one backward pass per task (`every` thins it).
import type { Tensor } from "../../tensor.js";
import type { Weighting } from "./base.js";
import type { WeightingContext } from "./context.js";
import { checkOptions, checkSpace, type GradientSpace } from "./plugin.js";
import type { Matrix } from "./solvers.js";

/** One epoch's conflict figures; matrices are over `tasks` (NaN where a pair never met). */
export interface ConflictStats {
  epoch: number;
  tasks: string[];
  /** Mean over monitored steps of cos(g_i, g_j). */
  cosine: number[][];
  /** Mean over monitored steps of |g_i| / |g_j|. */
  magnitudeRatio: number[][];
  /** Fraction of monitored steps with cos(g_i, g_j) < 0. */
  conflictRate: number[][];
  /** Monitored steps in the epoch. */
  steps: number;
}

/** Cosines and magnitude ratios of a Gram matrix (0 where a gradient is zero). */
export function gramConflicts(G: Matrix): { cosine: number[][]; magnitudeRatio: number[][] } {
  const n = G.map((row, i) => Math.sqrt(Math.max(row[i], 0)));
  return {
    cosine: G.map((row, i) => row.map((x, j) => (n[i] > 0 && n[j] > 0 ? x / (n[i] * n[j]) : 0))),
    magnitudeRatio: G.map((_, i) => G.map((__, j) => (n[j] > 0 ? n[i] / n[j] : 0))),
  };
}

/** Options of ConflictMonitor: the method it wraps and how often it measures. */
export interface ConflictMonitorOptions {
  /** Monitor one step in `every` (default 1: all). */
  every?: number;
  /** Which gradients (default "shared"). */
  on?: GradientSpace;
  /** Called with each epoch's figures. */
  onEpoch?: (stats: ConflictStats) => void;
}

/**
 * Any method, with its gradient conflicts recorded per epoch.
 * @example new Trainer(model, { tasks, weighting: new ConflictMonitor(new EqualWeighting(), { every: 10 }) })
 */
export class ConflictMonitor implements Weighting {
  readonly name: string;
  readonly every: number;
  readonly on: GradientSpace;
  readonly needsValidation?: boolean;
  readonly needsLookahead?: boolean;
  /** Every finished epoch's figures. */
  readonly history: ConflictStats[] = [];
  private readonly onEpoch?: (stats: ConflictStats) => void;
  private names: string[] = [];
  private sums = { cos: [] as number[][], ratio: [] as number[][], conflict: [] as number[][], count: [] as number[][] };
  private steps = 0;
  private seen = 0;
  private epoch = 0;
  private last: ConflictStats | null = null;

  constructor(readonly inner: Weighting, opts: ConflictMonitorOptions = {}) {
    checkOptions("ConflictMonitor", opts, ["every", "on", "onEpoch"]);
    if (!inner || typeof inner.backward !== "function") throw new Error("ConflictMonitor: needs the weighting method to wrap");
    this.every = opts.every ?? 1;
    if (!(Number.isInteger(this.every) && this.every >= 1)) throw new Error(`ConflictMonitor: every must be an integer >= 1, got ${this.every}`);
    this.on = checkSpace("ConflictMonitor", opts.on);
    this.onEpoch = opts.onEpoch;
    this.name = inner.name;
    // a wrapped bilevel or look-ahead method still gets what it needs from the trainer
    if (inner.needsValidation) this.needsValidation = true;
    if (inner.needsLookahead) this.needsLookahead = true;
  }

  parameters(): Tensor[] { return this.inner.parameters?.() ?? []; }

  backward(ctx: WeightingContext): number[] {
    if (this.seen++ % this.every === 0) this.record(ctx.tasks, ctx.gram(this.on));
    this.epoch = ctx.epoch;
    return this.inner.backward(ctx);
  }

  private record(tasks: string[], G: Matrix): void {
    for (const t of tasks) if (!this.names.includes(t)) this.grow(t);
    const idx = tasks.map((t) => this.names.indexOf(t));
    const { cosine, magnitudeRatio } = gramConflicts(G);
    idx.forEach((a, i) => idx.forEach((b, j) => {
      this.sums.cos[a][b] += cosine[i][j];
      this.sums.ratio[a][b] += magnitudeRatio[i][j];
      if (cosine[i][j] < 0) this.sums.conflict[a][b] += 1;
      this.sums.count[a][b] += 1;
    }));
    this.steps++;
  }

  private grow(t: string): void {
    this.names.push(t);
    for (const m of Object.values(this.sums)) { for (const row of m) row.push(0); m.push(this.names.map(() => 0)); }
  }

  onEpochEnd(meanLosses: Record<string, number>): void {
    this.inner.onEpochEnd?.(meanLosses);
    const mean = (m: number[][]) => m.map((row, a) => row.map((x, b) => (this.sums.count[a][b] > 0 ? x / this.sums.count[a][b] : NaN)));
    const stats: ConflictStats = {
      epoch: this.epoch, tasks: [...this.names], cosine: mean(this.sums.cos), magnitudeRatio: mean(this.sums.ratio),
      conflictRate: mean(this.sums.conflict), steps: this.steps,
    };
    this.history.push(stats);
    this.last = stats;
    for (const m of Object.values(this.sums)) for (const row of m) row.fill(0);
    this.steps = 0;
    this.onEpoch?.(stats);
  }

  /** The last epoch's figures for the trainer's epoch logs. */
  epochDiagnostics(): Record<string, unknown> | undefined { return this.last ? { conflicts: this.last } : undefined; }

  stateDict(): Record<string, unknown> { return { inner: this.inner.stateDict?.() ?? {}, seen: this.seen }; }
  loadStateDict(state: Record<string, unknown>): void {
    if (!(Number.isInteger(state.seen) && (state.seen as number) >= 0)) throw new Error("ConflictMonitor.loadStateDict: seen must be an integer >= 0");
    if (this.inner.loadStateDict) this.inner.loadStateDict((state.inner ?? {}) as Record<string, unknown>);
    this.seen = state.seen as number;
  }
}
