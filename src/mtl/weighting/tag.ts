// Inter-task affinity (TAG): wraps any weighting method and measures, on monitored steps,
// the look-ahead effect of each task's gradient on every task's loss,
// Z_{i->j} = 1 - L_j(θ_s - η ∇θ_s L_i, θ_j) / L_j(θ_s, θ_j) on the step's batch (the
// heads fixed), averaged per epoch and over the whole run; suggestTaskGroups picks the
// groups to train together from the run's affinities by the paper's selection rule.
// Fifty, Amid, Zhao, Yu, Anil and Finn, "Efficiently Identifying Task Groupings for
// Multi-Task Learning", NeurIPS 2021 (eq. 1-2, Sec. 3.2). The look-ahead is a plain
// gradient step at the optimiser's learning rate (or `lr`), as in eq. 1. Each monitored
// step costs one backward per task (shared with a gradient method that needs them) and
// one forward per task.
import type { Tensor } from "../../tensor.js";
import type { Weighting } from "./base.js";
import type { WeightingContext } from "./context.js";
import { vaxpy, vclone, vflatten } from "../../ops/vector.js";
import { withValues } from "./bilevel.js";
import { checkOptions } from "./plugin.js";

/** Mean affinities over `tasks`: matrix[i][j] is the effect of task i's step on task j's loss (NaN where never measured). */
export interface TaskAffinityStats {
  tasks: string[];
  matrix: number[][];
  /** Monitored steps behind the figures. */
  steps: number;
}

/** Options of TaskAffinity: how often and with what step the look-ahead affinities are measured. */
export interface TaskAffinityOptions {
  /** Measure one step in `every` (default 1: all). */
  every?: number;
  /** The look-ahead step size (default: the optimiser's learning rate). */
  lr?: number;
  /** Called with each epoch's figures. */
  onEpoch?: (stats: TaskAffinityStats & { epoch: number }) => void;
}

class Sums {
  names: string[] = [];
  sum: number[][] = [];
  count: number[][] = [];
  steps = 0;
  index(t: string): number {
    let i = this.names.indexOf(t);
    if (i < 0) {
      this.names.push(t);
      for (const m of [this.sum, this.count]) { for (const row of m) row.push(0); m.push(this.names.map(() => 0)); }
      i = this.names.length - 1;
    }
    return i;
  }
  stats(): TaskAffinityStats {
    return { tasks: [...this.names], matrix: this.sum.map((row, a) => row.map((x, b) => (this.count[a][b] > 0 ? x / this.count[a][b] : NaN))), steps: this.steps };
  }
  save() { return { names: [...this.names], sum: this.sum.map((r) => [...r]), count: this.count.map((r) => [...r]), steps: this.steps }; }
  load(who: string, v: unknown): void {
    const o = v as { names?: unknown; sum?: unknown; count?: unknown; steps?: unknown } | null;
    const sq = (m: unknown, n: number) => Array.isArray(m) && m.length === n && m.every((r) => Array.isArray(r) && r.length === n && r.every((x) => typeof x === "number" && Number.isFinite(x)));
    if (!o || !Array.isArray(o.names) || !o.names.every((x) => typeof x === "string") || !sq(o.sum, o.names.length) || !sq(o.count, o.names.length) || !Number.isInteger(o.steps)) {
      throw new Error(`${who}.loadStateDict: affinity sums must be {names, sum, count, steps} with square matrices over the names`);
    }
    this.names = [...(o.names as string[])];
    this.sum = (o.sum as number[][]).map((r) => [...r]);
    this.count = (o.count as number[][]).map((r) => [...r]);
    this.steps = o.steps as number;
  }
  reset(): void { this.names = []; this.sum = []; this.count = []; this.steps = 0; }
}

/**
 * Any method, with the lookahead inter-task affinities recorded.
 * @example
 * const tag = new TaskAffinity(new EqualWeighting(), { every: 5 });
 * await new Trainer(model, { tasks, weighting: tag }).fit(train, { epochs: 10 });
 * suggestTaskGroups(tag.affinity(), 2)
 */
export class TaskAffinity implements Weighting {
  readonly name: string;
  readonly needsLookahead = true;
  readonly needsValidation?: boolean;
  readonly every: number;
  readonly lr?: number;
  /** Every finished epoch's figures. */
  readonly history: (TaskAffinityStats & { epoch: number })[] = [];
  private readonly onEpoch?: (stats: TaskAffinityStats & { epoch: number }) => void;
  private run = new Sums();
  private epochSums = new Sums();
  private seen = 0;
  private epoch = 0;
  private last: (TaskAffinityStats & { epoch: number }) | null = null;

  constructor(readonly inner: Weighting, opts: TaskAffinityOptions = {}) {
    checkOptions("TaskAffinity", opts, ["every", "lr", "onEpoch"]);
    if (!inner || typeof inner.backward !== "function") throw new Error("TaskAffinity: needs the weighting method to wrap");
    this.every = opts.every ?? 1;
    if (!(Number.isInteger(this.every) && this.every >= 1)) throw new Error(`TaskAffinity: every must be an integer >= 1, got ${this.every}`);
    if (opts.lr !== undefined && !(opts.lr > 0)) throw new Error(`TaskAffinity: lr must be > 0, got ${opts.lr}`);
    this.lr = opts.lr;
    this.onEpoch = opts.onEpoch;
    this.name = inner.name;
    if (inner.needsValidation) this.needsValidation = true;
  }

  parameters(): Tensor[] { return this.inner.parameters?.() ?? []; }
  checkTasks(names: string[]): void { this.inner.checkTasks?.(names); }

  backward(ctx: WeightingContext): number[] {
    if (this.seen++ % this.every === 0 && ctx.tasks.length >= 2) this.measure(ctx);
    this.epoch = ctx.epoch;
    return this.inner.backward(ctx);
  }

  /** The step's Z_{i->j}, over ctx.tasks. */
  private measure(ctx: WeightingContext): void {
    const b = ctx.bilevel;
    if (!b) throw new Error("TaskAffinity: the trainer gave no look-ahead access (ctx.bilevel)");
    const ps = ctx.sharedParameters(), lr = this.lr ?? b.lr;
    const L0 = ctx.losses.map((l) => l.item());
    const gs = ctx.sharedGrads();
    const theta = vflatten(ps);
    const Z = gs.map((g) => {
      const ahead = vclone(theta);
      vaxpy(ahead, g, -lr);
      const L1 = withValues(ps, ahead, () => b.trainLosses().map((l) => l.item()));
      ahead.dispose();
      return L1.map((l, j) => (L0[j] > 0 ? 1 - l / L0[j] : 0));
    });
    theta.dispose();
    for (const s of [this.run, this.epochSums]) {
      const idx = ctx.tasks.map((t) => s.index(t));
      idx.forEach((a, i) => idx.forEach((c, j) => { if (i !== j) { s.sum[a][c] += Z[i][j]; s.count[a][c] += 1; } }));
      s.steps++;
    }
  }

  /** The run's mean affinities so far (all monitored steps of every epoch). */
  affinity(): TaskAffinityStats { return this.run.stats(); }

  onEpochEnd(meanLosses: Record<string, number>): void {
    this.inner.onEpochEnd?.(meanLosses);
    const stats = { epoch: this.epoch, ...this.epochSums.stats() };
    this.history.push(stats);
    this.last = stats;
    this.epochSums.reset();
    this.onEpoch?.(stats);
  }

  /** The last epoch's figures for the trainer's epoch logs, beside the inner method's. */
  epochDiagnostics(): Record<string, unknown> | undefined {
    const inner = this.inner.epochDiagnostics?.();
    return this.last ? { ...inner, affinity: this.last } : inner;
  }

  stateDict(): Record<string, unknown> { return { inner: this.inner.stateDict?.() ?? {}, seen: this.seen, run: this.run.save(), epochSums: this.epochSums.save() }; }
  loadStateDict(state: Record<string, unknown>): void {
    if (!(Number.isInteger(state.seen) && (state.seen as number) >= 0)) throw new Error("TaskAffinity.loadStateDict: seen must be an integer >= 0");
    const run = new Sums(), ep = new Sums();
    run.load("TaskAffinity", state.run);
    ep.load("TaskAffinity", state.epochSums);
    if (this.inner.loadStateDict) this.inner.loadStateDict((state.inner ?? {}) as Record<string, unknown>);
    this.seen = state.seen as number; this.run = run; this.epochSums = ep;
  }
}

/** Task groups chosen from affinities, with their total score. */
export interface TaskGroups {
  /** The chosen groups, each in the affinity's task order. */
  groups: string[][];
  /** The mean over tasks of each task's best in-group affinity. */
  score: number;
}

/**
 * TAG's network selection (Fifty et al. 2021, Sec. 3.2): at most `k` groups covering every
 * task (a task may sit in several when `overlap`, the paper's setting; exactly one
 * otherwise) maximising the mean over tasks of each task's best score among its groups,
 * a task's score in a group being the mean affinity onto it from the other members
 * (0 alone: no transfer either way). Exhaustive over candidate groups, so exact; throws
 * beyond about 5 million combinations (tasks <= 8 or so for k = 3).
 * @example suggestTaskGroups(tag.affinity(), 2) // { groups: [["a", "b"], ["c", "d"]], score: 0.12 }
 */
export function suggestTaskGroups(affinity: { tasks: string[]; matrix: number[][] }, k: number, opts: { overlap?: boolean } = {}): TaskGroups {
  checkOptions("suggestTaskGroups", opts, ["overlap"]);
  const { tasks, matrix } = affinity ?? ({} as { tasks: string[]; matrix: number[][] });
  const T = tasks?.length ?? 0;
  if (!Array.isArray(tasks) || T === 0 || !Array.isArray(matrix) || matrix.length !== T || matrix.some((r) => !Array.isArray(r) || r.length !== T)) {
    throw new Error(`suggestTaskGroups: affinity must be {tasks, matrix} with a ${T} x ${T} matrix`);
  }
  for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) {
    if (i !== j && !Number.isFinite(matrix[i][j])) throw new Error(`suggestTaskGroups: affinity of "${tasks[i]}" onto "${tasks[j]}" is ${matrix[i][j]} (never measured?)`);
  }
  if (!(Number.isInteger(k) && k >= 1)) throw new Error(`suggestTaskGroups: k must be an integer >= 1, got ${k}`);
  if (T > 16) throw new Error(`suggestTaskGroups: at most 16 tasks, got ${T}`);
  const overlap = opts.overlap ?? true;
  // every non-empty subset, as a bit mask, with each member's score in it
  const cands: { mask: number; score: number[] }[] = [];
  for (let mask = 1; mask < 1 << T; mask++) {
    const members: number[] = [];
    for (let i = 0; i < T; i++) if (mask & (1 << i)) members.push(i);
    const score = new Array<number>(T).fill(-Infinity);
    for (const j of members) {
      let s = 0;
      for (const i of members) if (i !== j) s += matrix[i][j];
      score[j] = members.length > 1 ? s / (members.length - 1) : 0;
    }
    cands.push({ mask, score });
  }
  let combos = 0, c = 1;
  for (let r = 1; r <= k && r <= cands.length; r++) { c = (c * (cands.length - r + 1)) / r; combos += c; }
  if (combos > 5e6) throw new Error(`suggestTaskGroups: ${T} tasks in up to ${k} groups is ${Math.round(combos)} combinations; too many to search exactly`);
  const full = (1 << T) - 1;
  let best: number[] = [], bestScore = -Infinity;
  const chosen: number[] = [];
  const bestPer = new Array<number>(T).fill(-Infinity);
  const search = (start: number, covered: number): void => {
    if (covered === full) {
      let s = 0;
      for (let j = 0; j < T; j++) s += bestPer[j];
      s /= T;
      if (s > bestScore + 1e-12) { bestScore = s; best = [...chosen]; }
    }
    if (chosen.length === k) return;
    for (let n = start; n < cands.length; n++) {
      const g = cands[n];
      if (!overlap && (g.mask & covered)) continue;
      const saved = [...bestPer];
      for (let j = 0; j < T; j++) if (g.score[j] > bestPer[j]) bestPer[j] = g.score[j];
      chosen.push(n);
      search(n + 1, covered | g.mask);
      chosen.pop();
      for (let j = 0; j < T; j++) bestPer[j] = saved[j];
    }
  };
  search(0, 0);
  return { groups: best.map((n) => tasks.filter((_, i) => cands[n].mask & (1 << i))), score: bestScore };
}
