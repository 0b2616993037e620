// Parameters picked by name or glob, for task adaptation: freezing and unfreezing, the
// parameter groups of discriminative fine-tuning (a learning rate per group, Howard &
// Ruder, "Universal Language Model Fine-tuning", ACL 2018) and gradual unfreezing (its
// schedule: the top stage trains first, one more stage below joins every few epochs).
// A pattern is a parameter name ("trunk.0.weight"), a module path that names all of its
// parameters ("trunk.0"), or a glob: `*` within one dotted segment, `**` across segments.
import type { Tensor } from "../tensor.js";
import type { Module } from "../nn/module.js";
import type { Callback, Trainer } from "../mtl/trainer.js";
import type { ParamGroupSpec } from "../optim/optimizer.js";
import { checkOptions, closest, show } from "../validate.js";

/** A parameter name, a module path, or a glob (`*` one segment, `**` any segments, `?` one character). */
export type NamePattern = string;

const SPECIAL = /[.+^${}()|[\]\\]/g;

/** The regular expression of a pattern: the whole name, or a module path followed by ".rest". */
export function patternRegex(pattern: NamePattern): RegExp {
  if (typeof pattern !== "string" || pattern === "") throw new Error(`name pattern must be a non-empty string, got ${show(pattern)}`);
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*" && pattern[i + 1] === "*") { re += ".*"; i++; }
    else if (c === "*") re += "[^.]*";
    else if (c === "?") re += "[^.]";
    else re += c.replace(SPECIAL, "\\$&");
  }
  return new RegExp(`^${re}(\\..+)?$`);
}

/** Named tensors (a module's parameters, or tensors carrying their names) as [name, tensor] pairs. */
function named(from: Module | Tensor[], who: string, unnamedOk = false): [string, Tensor][] {
  if (Array.isArray(from)) {
    return from.map((p, i) => {
      if (!p.name && unnamedOk) return ["", p]; // no pattern matches it: it joins the defaults' group
      if (!p.name) throw new Error(`${who}: parameter ${i} (${p.describe()}) has no name; pass the model, or parameters from model.parameters()`);
      return [p.name, p];
    });
  }
  return from.namedParameters();
}

/**
 * The parameters each pattern matches (in the model's order, each once). A pattern that
 * matches nothing is an error naming it and the closest parameter names.
 * @example selectParameters(model, ["base.trunk.0", "heads.**"])
 */
export function selectParameters(from: Module | Tensor[], patterns: NamePattern | NamePattern[], who = "selectParameters"): [string, Tensor][] {
  const list = Array.isArray(patterns) ? patterns : [patterns];
  if (list.length === 0) throw new Error(`${who}: no name patterns given`);
  const all = named(from, who);
  const hit = new Set<Tensor>();
  for (const p of list) {
    const re = patternRegex(p);
    const m = all.filter(([n]) => re.test(n));
    if (m.length === 0) throw new Error(`${who}: "${p}" matches no parameter${unmatchedHint(p, all.map(([n]) => n))}`);
    for (const [, t] of m) hit.add(t);
  }
  return all.filter(([, t]) => hit.has(t));
}

function unmatchedHint(p: string, names: string[]): string {
  const paths = [...new Set(names.flatMap((n) => n.split(".").map((_, i, a) => a.slice(0, i + 1).join("."))))];
  const near = closest(p, paths);
  const shown = names.slice(0, 12).join(", ") + (names.length > 12 ? `, ... (${names.length})` : "");
  return `${near ? `; did you mean "${near}"?` : ""} (parameters: ${shown})`;
}

/**
 * Stop training the matched parameters (requiresGrad = false); returns their names.
 * @example freeze(model, "base.**"); // train only the new heads
 */
export function freeze(model: Module, patterns: NamePattern | NamePattern[]): string[] {
  const m = selectParameters(model, patterns, "freeze");
  for (const [, t] of m) t.requiresGrad = false;
  return m.map(([n]) => n);
}

/** Train the matched parameters again; returns their names. @example unfreeze(model, "base.trunk.2") */
export function unfreeze(model: Module, patterns: NamePattern | NamePattern[]): string[] {
  const m = selectParameters(model, patterns, "unfreeze");
  for (const [, t] of m) t.requiresGrad = true;
  return m.map(([n]) => n);
}

/** One group of discriminative fine-tuning: the parameters its patterns match, and the options (lr, ...) they get. */
export type GroupSpec = { params: NamePattern | NamePattern[] } & Record<string, unknown>;

/**
 * Parameter groups for an optimiser, by name: each parameter goes to the first group whose
 * patterns match it; the ones no group matches form a last group with the optimiser's
 * defaults (the weighting method's parameters, say). The options of each group are the
 * optimiser's own, checked by it.
 * @example
 * new Trainer(model, { tasks, optimizer: (params) => new Adam(paramGroups(params, [
 *   { params: "base.trunk.0", lr: 1e-4 }, { params: "base.**", lr: 3e-4 }]), { lr: 1e-3 }) });
 */
export function paramGroups<O>(from: Module | Tensor[], groups: GroupSpec[]): ParamGroupSpec<O>[] {
  if (!Array.isArray(groups) || groups.length === 0) throw new Error(`paramGroups: groups must be a non-empty list of { params, ...options }, got ${show(groups)}`);
  const all = named(from, "paramGroups", true);
  const taken = new Set<Tensor>();
  const out: ParamGroupSpec<O>[] = [];
  groups.forEach((g, i) => {
    if (!g || typeof g !== "object" || !("params" in g)) throw new Error(`paramGroups: group ${i} must be { params: pattern(s), ...options }, got ${show(g)}`);
    const { params, ...options } = g;
    const hits = selectParameters(all.filter(([n]) => n).map(([, t]) => t), params as NamePattern[], `paramGroups (group ${i})`);
    const mine = hits.map(([, t]) => t).filter((t) => !taken.has(t));
    if (mine.length === 0) throw new Error(`paramGroups: group ${i} (${JSON.stringify(params)}) gets no parameter: earlier groups took all it matches`);
    for (const t of mine) taken.add(t);
    out.push({ params: mine, ...options } as unknown as ParamGroupSpec<O>);
  });
  const rest = all.map(([, t]) => t).filter((t) => !taken.has(t));
  if (rest.length) out.push({ params: rest } as unknown as ParamGroupSpec<O>);
  return out;
}

/** Options of gradualUnfreezing. */
export interface GradualUnfreezingOptions {
  /** Epochs between one stage joining and the next (default 1). */
  every?: number;
}

/**
 * Gradual unfreezing as a trainer callback: `stages` lists patterns from the top of the
 * network (the new head) down; when training begins only the first stage trains, and every
 * `every` epochs the next stage below is unfrozen. Parameters in no stage are left as they are.
 * @example
 * await trainer.fit(data, { epochs: 6, callbacks: [gradualUnfreezing(model, ["heads.**", "base.trunk.2", "base.trunk.0"])] });
 */
export function gradualUnfreezing(model: Module, stages: (NamePattern | NamePattern[])[], opts: GradualUnfreezingOptions = {}): Callback & { stage: number } {
  checkOptions("gradualUnfreezing", opts, ["every"]);
  const every = opts.every ?? 1;
  if (!(Number.isInteger(every) && every >= 1)) throw new Error(`gradualUnfreezing: every must be a positive integer, got ${show(every)}`);
  if (!Array.isArray(stages) || stages.length === 0) throw new Error(`gradualUnfreezing: stages must be a non-empty list of name patterns, got ${show(stages)}`);
  // resolved once, now: a pattern that matches nothing fails here, not epochs later
  const sets = stages.map((s, i) => selectParameters(model, s, `gradualUnfreezing (stage ${i})`).map(([, t]) => t));
  let start = 0;
  const cb = {
    stage: -1,
    onTrainBegin(trainer: Trainer): void {
      start = trainer.epoch;
      cb.stage = -1;
      for (const s of sets) for (const t of s) t.requiresGrad = false;
    },
    onEpochBegin(epoch: number): void {
      const k = Math.min(sets.length - 1, Math.floor((epoch - start) / every));
      for (let i = cb.stage + 1; i <= k; i++) for (const t of sets[i]) t.requiresGrad = true;
      cb.stage = Math.max(cb.stage, k);
    },
  };
  return cb;
}
