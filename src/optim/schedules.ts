// Learning-rate schedules over an optimiser's parameter groups. The closed-form ones
// (step, exponential, cosine annealing, linear warm-up) are pure functions of the step
// count and each group's base lr, so their state is that count and their options;
// reduce-on-plateau keeps torch's counters. cos runs in Wasm (math_cos) and integer
// powers are repeated multiplication (powInt): the same bits in every runtime.
import { K } from "../engine/engine.js";
import { check, isNum, powInt } from "./optimizer.js";
import { checkOptions, show } from "../validate.js";

/** Anything with parameter groups that have an lr (every Optimizer). */
export interface HasParamGroups { readonly paramGroups: { lr: number }[] }

/** A serialised schedule: plain JSON. Options are in torch's snake_case names. */
export interface ScheduleStateDict { type: string; last_epoch: number; base_lrs: number[]; [option: string]: unknown }

const snake = (k: string): string => k.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase());
const isInt = (v: unknown, min: number): v is number => Number.isInteger(v) && (v as number) >= min;

/** A closed-form schedule: lr_i(t) = f(t, base lr_i). step() advances t and sets each group's lr. */
export abstract class LRSchedule<O extends object = object> {
  /** Steps taken so far (torch's last_epoch); 0 right after construction. */
  t = 0;
  /** Each group's lr at step 0. */
  baseLrs: number[];
  /** The schedule's options (validated; change them through loadStateDict). */
  options: O;

  /** The schedule's name, as in stateDict().type (each subclass overrides it). */
  get type(): string { return "LRSchedule"; }
  /** Each group's lr at step t. */
  abstract lrAt(t: number): number[];
  /** Throw an error naming `where` and the option at fault if the options are invalid. */
  protected abstract validate(o: O, where: string): void;
  /** The option names this schedule takes (anything else is a typo). */
  protected abstract optionNames(): readonly string[];

  /** Sets every group's lr to its value at step 0. */
  constructor(readonly optimizer: HasParamGroups, options: O, baseLrs?: number[]) {
    if (!optimizer || !Array.isArray(optimizer.paramGroups) || optimizer.paramGroups.length === 0) {
      throw new Error(`${this.type}: expected an optimizer with parameter groups`);
    }
    checkOptions(this.type, options, this.optionNames());
    this.validate(options, this.type);
    this.options = options;
    this.baseLrs = baseLrs ? [...baseLrs] : optimizer.paramGroups.map((g) => g.lr);
    this.apply();
  }

  /** Advance one step and set the groups' lrs. */
  step(): void { this.t++; this.apply(); }

  /** The groups' current lrs. */
  get lrs(): number[] { return this.optimizer.paramGroups.map((g) => g.lr); }

  /** Set each parameter group's learning rate for the current step. */
  protected apply(): void {
    const lrs = this.lrAt(this.t);
    this.optimizer.paramGroups.forEach((g, i) => { g.lr = lrs[i]; });
  }

  /** The schedule's state as plain JSON (torch's field names). */
  stateDict(): ScheduleStateDict {
    const d: ScheduleStateDict = { type: this.type, last_epoch: this.t, base_lrs: [...this.baseLrs] };
    for (const [k, v] of Object.entries(this.options)) d[snake(k)] = v instanceof LRSchedule ? v.stateDict() : v;
    return d;
  }

  /** Restore a stateDict(); everything is checked first, so a bad dict changes nothing. Sets the groups' lrs. */
  loadStateDict(d: ScheduleStateDict): void {
    this.prepare(d, `${this.type}.loadStateDict`)();
    this.apply();
  }

  /** @internal Validate d and return what applies it (a composite validates all parts first). */
  prepare(d: ScheduleStateDict, where: string): () => void {
    if (!d || typeof d !== "object") throw new Error(`${where}: expected a state dict object, got ${String(d)}`);
    if (d.type !== this.type) throw new Error(`${where}: the dict is for ${String(d.type)}, not ${this.type}`);
    check(isInt(d.last_epoch, 0), where, "last_epoch", "an integer >= 0", d.last_epoch);
    const n = this.optimizer.paramGroups.length;
    check(Array.isArray(d.base_lrs) && d.base_lrs.length === n && d.base_lrs.every((x) => isNum(x) && x >= 0),
      where, "base_lrs", `${n} numbers >= 0 (one per param group)`, d.base_lrs);
    const o = {} as Record<string, unknown>;
    for (const [k, v] of Object.entries(this.options)) o[k] = v instanceof LRSchedule ? v : d[snake(k)];
    this.validate(o as O, where);
    return () => { this.t = d.last_epoch; this.baseLrs = [...d.base_lrs]; this.options = o as O; };
  }
}

/** Options of StepLR. */
export interface StepLROptions { stepSize: number; gamma: number }
/**
 * lr = base * gamma^floor(t / stepSize).
 * @example const sched = new StepLR(opt, { stepSize: 30, gamma: 0.1 }); // call sched.step() each epoch
 */
export class StepLR extends LRSchedule<StepLROptions> {
  constructor(optimizer: HasParamGroups, options: Partial<StepLROptions> & { stepSize: number }) { super(optimizer, { gamma: 0.1, ...options }); }
  override get type(): string { return "StepLR"; }
  protected optionNames(): readonly string[] { return ["stepSize", "gamma"]; }
  protected validate(o: StepLROptions, where: string): void {
    check(isInt(o.stepSize, 1), where, "stepSize", "an integer >= 1", o.stepSize);
    check(isNum(o.gamma) && o.gamma >= 0, where, "gamma", "a number >= 0", o.gamma);
  }
  lrAt(t: number): number[] {
    const f = powInt(this.options.gamma, Math.floor(t / this.options.stepSize));
    return this.baseLrs.map((b) => b * f);
  }
}

/** Options of ExponentialLR. */
export interface ExponentialLROptions { gamma: number }
/** lr = base * gamma^t. @example new ExponentialLR(opt, { gamma: 0.95 }) */
export class ExponentialLR extends LRSchedule<ExponentialLROptions> {
  constructor(optimizer: HasParamGroups, options: ExponentialLROptions) { super(optimizer, { ...options }); }
  override get type(): string { return "ExponentialLR"; }
  protected optionNames(): readonly string[] { return ["gamma"]; }
  protected validate(o: ExponentialLROptions, where: string): void {
    check(isNum(o.gamma) && o.gamma >= 0, where, "gamma", "a number >= 0", o.gamma);
  }
  lrAt(t: number): number[] {
    const f = powInt(this.options.gamma, t);
    return this.baseLrs.map((b) => b * f);
  }
}

/** Options of CosineAnnealingLR. */
export interface CosineAnnealingOptions { tMax: number; etaMin: number }
/**
 * lr = etaMin + (base - etaMin) (1 + cos(pi t / tMax)) / 2: torch's closed form, which
 * keeps following the cosine (back up) past tMax.
 * @example new CosineAnnealingLR(opt, { tMax: 1000, etaMin: 1e-5 })
 */
export class CosineAnnealingLR extends LRSchedule<CosineAnnealingOptions> {
  constructor(optimizer: HasParamGroups, options: Partial<CosineAnnealingOptions> & { tMax: number }) { super(optimizer, { etaMin: 0, ...options }); }
  override get type(): string { return "CosineAnnealingLR"; }
  protected optionNames(): readonly string[] { return ["tMax", "etaMin"]; }
  protected validate(o: CosineAnnealingOptions, where: string): void {
    check(isInt(o.tMax, 1), where, "tMax", "an integer >= 1", o.tMax);
    check(isNum(o.etaMin) && o.etaMin >= 0, where, "etaMin", "a number >= 0", o.etaMin);
  }
  lrAt(t: number): number[] {
    const { tMax, etaMin } = this.options;
    const c = K().math_cos(Math.PI * t / tMax);
    return this.baseLrs.map((b) => etaMin + (b - etaMin) * (1 + c) / 2);
  }
}

/** Options of LinearWarmup. */
export interface LinearWarmupOptions {
  /** Steps over which the lr ramps up to its base value. */
  warmupSteps: number;
  /** Fraction of the base lr at step 0 (default 0). */
  startFactor: number;
  /** A schedule (on the same optimizer) that takes over after warm-up, its step count starting at 0 then. */
  after: LRSchedule | null;
}
/**
 * lr = base (startFactor + (1 - startFactor) t / warmupSteps) for t < warmupSteps, then
 * base, or the `after` schedule at t - warmupSteps. Step only the warm-up; it drives `after`.
 * @example
 * const sched = new LinearWarmup(opt, { warmupSteps: 100, after: new CosineAnnealingLR(opt, { tMax: 900 }) });
 */
export class LinearWarmup extends LRSchedule<LinearWarmupOptions> {
  constructor(optimizer: HasParamGroups, options: Partial<LinearWarmupOptions> & { warmupSteps: number }) {
    super(optimizer, { startFactor: 0, after: null, ...options }, options.after?.baseLrs);
  }
  override get type(): string { return "LinearWarmup"; }
  protected optionNames(): readonly string[] { return ["warmupSteps", "startFactor", "after"]; }
  protected validate(o: LinearWarmupOptions, where: string): void {
    check(isInt(o.warmupSteps, 1), where, "warmupSteps", "an integer >= 1", o.warmupSteps);
    check(isNum(o.startFactor) && o.startFactor >= 0 && o.startFactor <= 1, where, "startFactor", "a number in [0, 1]", o.startFactor);
    check(o.after === null || (o.after instanceof LRSchedule && o.after.optimizer === this.optimizer), where, "after",
      "null or a schedule on the same optimizer", o.after);
  }
  lrAt(t: number): number[] {
    const { warmupSteps: w, startFactor: s, after } = this.options;
    if (t >= w) return after ? after.lrAt(t - w) : [...this.baseLrs];
    return this.baseLrs.map((b) => b * (s + (1 - s) * t / w));
  }
  override step(): void {
    super.step();
    const { warmupSteps: w, after } = this.options;
    if (after) after.t = Math.max(0, this.t - w);
  }
  override prepare(d: ScheduleStateDict, where: string): () => void {
    const after = this.options.after;
    const inner = after ? after.prepare(d.after as ScheduleStateDict, `${where}: after`) : null;
    if (!after && d.after != null) throw new Error(`${where}: the dict has an "after" schedule, this warm-up has none`);
    const outer = super.prepare(d, where);
    return () => { outer(); inner?.(); };
  }
}

/** Options of ReduceLROnPlateau. */
export interface ReduceLROnPlateauOptions {
  /** "min": the metric should fall (a loss); "max": rise (an accuracy). */
  mode: "min" | "max";
  /** lr *= factor on a plateau. */
  factor: number;
  /** Steps without improvement tolerated before reducing. */
  patience: number;
  /** Improvement needed to count: relative (best * (1 -+ threshold)) or absolute (best -+ threshold). */
  threshold: number;
  thresholdMode: "rel" | "abs";
  /** Steps after a reduction during which bad steps are not counted. */
  cooldown: number;
  /** Lower bound on each group's lr (one number, or one per group). */
  minLr: number | number[];
  /** Reductions smaller than this are skipped. */
  eps: number;
}

/** ReduceLROnPlateau's state dict (torch's field names). */
export interface PlateauStateDict {
  type: "ReduceLROnPlateau"; last_epoch: number;
  /** Best metric so far; null before the first step (torch's +-inf, which JSON cannot hold). */
  best: number | null;
  num_bad_epochs: number; cooldown_counter: number;
  mode: string; factor: number; patience: number; threshold: number; threshold_mode: string;
  cooldown: number; min_lrs: number[]; eps: number;
}

const PLATEAU_OPTIONS = ["mode", "factor", "patience", "threshold", "thresholdMode", "cooldown", "minLr", "eps"];

/**
 * Reduce the lr when a metric stops improving, as torch.optim.lr_scheduler.ReduceLROnPlateau.
 * @example
 * const sched = new ReduceLROnPlateau(opt, { patience: 5 });
 * sched.step(valLoss); // after each epoch, with the validation loss
 */
export class ReduceLROnPlateau {
  readonly type = "ReduceLROnPlateau";
  options: ReduceLROnPlateauOptions;
  /** Each group's lower bound. */
  minLrs: number[];
  best: number | null = null;
  numBadEpochs = 0;
  cooldownCounter = 0;
  /** Steps taken. */
  t = 0;

  constructor(readonly optimizer: HasParamGroups, options: Partial<ReduceLROnPlateauOptions> = {}) {
    if (!optimizer || !Array.isArray(optimizer.paramGroups) || optimizer.paramGroups.length === 0) {
      throw new Error("ReduceLROnPlateau: expected an optimizer with parameter groups");
    }
    checkOptions("ReduceLROnPlateau", options, PLATEAU_OPTIONS);
    const o: ReduceLROnPlateauOptions = { mode: "min", factor: 0.1, patience: 10, threshold: 1e-4, thresholdMode: "rel",
      cooldown: 0, minLr: 0, eps: 1e-8, ...options };
    this.minLrs = this.validate(o, "ReduceLROnPlateau");
    this.options = o;
  }

  private validate(o: ReduceLROnPlateauOptions, where: string): number[] {
    check(o.mode === "min" || o.mode === "max", where, "mode", '"min" or "max"', o.mode);
    check(isNum(o.factor) && o.factor >= 0 && o.factor < 1, where, "factor", "a number in [0, 1)", o.factor);
    check(isInt(o.patience, 0), where, "patience", "an integer >= 0", o.patience);
    check(isNum(o.threshold) && o.threshold >= 0, where, "threshold", "a number >= 0", o.threshold);
    check(o.thresholdMode === "rel" || o.thresholdMode === "abs", where, "thresholdMode", '"rel" or "abs"', o.thresholdMode);
    check(isInt(o.cooldown, 0), where, "cooldown", "an integer >= 0", o.cooldown);
    check(isNum(o.eps) && o.eps >= 0, where, "eps", "a number >= 0", o.eps);
    const n = this.optimizer.paramGroups.length;
    const mins = Array.isArray(o.minLr) ? [...o.minLr] : new Array<number>(n).fill(o.minLr);
    check(mins.length === n && mins.every((x) => isNum(x) && x >= 0), where, "minLr", `a number >= 0 or ${n} of them (one per param group)`, o.minLr);
    return mins;
  }

  /** True when `a` improves on `best` by more than the threshold. */
  isBetter(a: number, best: number | null): boolean {
    const { mode, thresholdMode: tm, threshold: th } = this.options;
    // null: nothing seen yet, torch's +inf (min) or -inf (max), which JSON cannot hold
    if (mode === "min") return best === null ? a < Infinity : tm === "rel" ? a < best * (1 - th) : a < best - th;
    return best === null ? a > -Infinity : tm === "rel" ? a > best * (th + 1) : a > best + th;
  }

  /** Record this step's metric; reduces the groups' lrs after `patience` steps without improvement. */
  step(metric: number): void {
    if (typeof metric !== "number") throw new Error(`ReduceLROnPlateau.step: metric must be a number, got ${show(metric)}`);
    this.t++;
    if (this.isBetter(metric, this.best)) { this.best = metric; this.numBadEpochs = 0; }
    else this.numBadEpochs++;
    if (this.cooldownCounter > 0) { this.cooldownCounter--; this.numBadEpochs = 0; }
    if (this.numBadEpochs > this.options.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const next = Math.max(g.lr * this.options.factor, this.minLrs[i]);
        if (g.lr - next > this.options.eps) g.lr = next;
      });
      this.cooldownCounter = this.options.cooldown;
      this.numBadEpochs = 0;
    }
  }

  /** The groups' current lrs. */
  get lrs(): number[] { return this.optimizer.paramGroups.map((g) => g.lr); }

  /** The schedule's state as plain JSON (torch's field names). */
  stateDict(): PlateauStateDict {
    const o = this.options;
    return { type: this.type, last_epoch: this.t, best: this.best, num_bad_epochs: this.numBadEpochs,
      cooldown_counter: this.cooldownCounter, mode: o.mode, factor: o.factor, patience: o.patience,
      threshold: o.threshold, threshold_mode: o.thresholdMode, cooldown: o.cooldown, min_lrs: [...this.minLrs], eps: o.eps };
  }

  /** Restore a stateDict() (the groups' lrs are the optimizer's to restore); checked first, so a bad dict changes nothing. */
  loadStateDict(d: PlateauStateDict): void {
    const where = "ReduceLROnPlateau.loadStateDict";
    if (!d || d.type !== this.type) throw new Error(`${where}: the dict is for ${String(d?.type)}, not ${this.type}`);
    check(isInt(d.last_epoch, 0), where, "last_epoch", "an integer >= 0", d.last_epoch);
    check(d.best === null || typeof d.best === "number", where, "best", "a number or null", d.best);
    check(isInt(d.num_bad_epochs, 0), where, "num_bad_epochs", "an integer >= 0", d.num_bad_epochs);
    check(isInt(d.cooldown_counter, 0), where, "cooldown_counter", "an integer >= 0", d.cooldown_counter);
    const o: ReduceLROnPlateauOptions = { mode: d.mode as "min", factor: d.factor, patience: d.patience, threshold: d.threshold,
      thresholdMode: d.threshold_mode as "rel", cooldown: d.cooldown, minLr: d.min_lrs, eps: d.eps };
    const mins = this.validate(o, where);
    this.options = { ...o, minLr: Array.isArray(d.min_lrs) ? [...d.min_lrs] : d.min_lrs };
    this.minLrs = mins;
    this.t = d.last_epoch; this.best = d.best; this.numBadEpochs = d.num_bad_epochs; this.cooldownCounter = d.cooldown_counter;
  }
}
