// A training run described in plain data (names, numbers, typed arrays) so it can cross
// a postMessage: which architecture, tasks, weighting, optimiser, schedules and seeds.
// buildTraining turns one into a model + trainer; the worker runs exactly what the main
// thread would build from the same description, so the bits agree.
import {
  Rng, task as makeTask, MultiTaskDataset, SharedBottom, MMoE,
  createWeighting, weightingNames, StaticWeighting, UncertaintyWeighting, joint, alternating, sampled, curriculum,
  Trainer, lrSchedule, SGD, Adam, AdamW, RMSprop, Adagrad, StepLR, ExponentialLR, CosineAnnealingLR,
  type TaskSpec, type DatasetSpec, type MultiTaskModel, type Weighting, type Schedule, type Callback, type Tensor,
} from "../api.js";
import type { Optimizer } from "../mtl/trainer.js";
import { CGC, PLE, DSelectK, CrossStitch, SoftSharing } from "../architectures/index.js";
import "../methods/index.js"; // registers polyhead/methods' weightings, so every name resolves on both threads
import {
  checkKeys, DESCRIPTION_KEYS, FIT_KEYS, type DataDescription, type TrainingDescription,
} from "./protocol.js";

type Ctor<T> = new (opts: never) => T;
const ARCHITECTURES: Record<string, Ctor<MultiTaskModel>> = { SharedBottom, MMoE, CGC, PLE, DSelectK, CrossStitch, SoftSharing };
const OPTIMIZERS: Record<string, new (p: Tensor[], o: Record<string, unknown>) => Optimizer> = {
  SGD, Adam, AdamW, RMSprop, Adagrad,
} as unknown as Record<string, new (p: Tensor[], o: Record<string, unknown>) => Optimizer>;
// Methods that take options here; any registered method runs with its defaults.
const WEIGHTING_OPTIONS: Record<string, (o: Record<string, unknown>, tasks: string[]) => Weighting> = {
  static: (o) => (checkKeys("weighting static", o, ["weights"]), new StaticWeighting(o.weights as Record<string, number>)),
  UW: (o, tasks) => (checkKeys("weighting UW", o, ["init"]), new UncertaintyWeighting(tasks, o.init as number)),
};

function weightingFrom(w: { method: string; options?: Record<string, unknown> }, tasks: string[]): Weighting {
  if (!weightingNames().includes(w.method)) {
    throw new Error(`trainInWorker: weighting.method must be a registered method (${weightingNames().join(", ")}), got ${JSON.stringify(w.method)}`);
  }
  if (w.options === undefined || Object.keys(w.options).length === 0) return createWeighting(w.method, tasks);
  const withOptions = WEIGHTING_OPTIONS[w.method];
  if (!withOptions) throw new Error(`trainInWorker: weighting ${w.method} takes no options here (only ${Object.keys(WEIGHTING_OPTIONS).join(", ")} do)`);
  return withOptions(w.options, tasks);
}
const SCHEDULES: Record<string, (o: Record<string, unknown>) => Schedule> = {
  joint: (o) => (checkKeys("schedule joint", o, []), joint()),
  alternating: (o) => (checkKeys("schedule alternating", o, []), alternating()),
  sampled: (o) => (checkKeys("schedule sampled", o, ["temperature", "steps"]), sampled(o)),
  curriculum: (o) => (checkKeys("schedule curriculum", o, ["stages"]), curriculum(o.stages as Record<number, string[]>)),
};
const LR_SCHEDULES = { StepLR, ExponentialLR, CosineAnnealingLR } as unknown as Record<string, new (opt: Optimizer, o: Record<string, unknown>) => { step(): void }>;

function pick<T>(table: Record<string, T>, what: string, name: unknown): T {
  const v = typeof name === "string" && Object.hasOwn(table, name) ? table[name] : undefined;
  if (!v) throw new Error(`trainInWorker: ${what} must be one of ${Object.keys(table).join(", ")}, got ${JSON.stringify(name)}`);
  return v;
}

/** A dataset from its description (the typed arrays are used, not copied). */
export function datasetFrom(d: DataDescription): MultiTaskDataset {
  return new MultiTaskDataset(d as DatasetSpec);
}

/** buildTraining's result: the model, trainer, callbacks and fit options of a description. */
export interface BuiltTraining { model: MultiTaskModel; trainer: Trainer; callbacks: Callback[]; fit: TrainingDescription["fit"] }

/**
 * The model, trainer and per-epoch callbacks (the lr schedule) a description stands for.
 * Building the same description twice gives the same initial weights and streams.
 */
export function buildTraining(desc: TrainingDescription): BuiltTraining {
  checkKeys("trainInWorker", desc as unknown as Record<string, unknown>, DESCRIPTION_KEYS);
  if (!desc.fit || typeof desc.fit !== "object") throw new Error("trainInWorker: fit must be { epochs, batchSize?, dropLast?, yieldEveryMs? }");
  checkKeys("trainInWorker: fit", desc.fit as unknown as Record<string, unknown>, FIT_KEYS);
  if (!(Number.isInteger(desc.fit.epochs) && desc.fit.epochs > 0)) throw new Error(`trainInWorker: fit.epochs must be a positive integer, got ${desc.fit.epochs}`);
  if (!Array.isArray(desc.tasks) || desc.tasks.length === 0) throw new Error("trainInWorker: tasks must be a non-empty array of { name, kind, outputs, ... }");
  const tasks = desc.tasks.map((t, i) => {
    if (!t || typeof t.name !== "string") throw new Error(`trainInWorker: tasks[${i}] needs a name`);
    const { name, ...spec } = t;
    if (typeof spec.loss === "function") throw new Error(`trainInWorker: task "${name}" has a loss function; only built-in loss names can cross to a worker`);
    return makeTask(name, spec as TaskSpec);
  });
  const m = desc.model;
  if (!m || typeof m !== "object") throw new Error("trainInWorker: model must be { architecture, options, seed? }");
  checkKeys("trainInWorker: model", m as unknown as Record<string, unknown>, ["architecture", "options", "seed"]);
  const Arch = pick(ARCHITECTURES, "model.architecture", m.architecture);
  const archOpts = { ...(m.options ?? {}) } as Record<string, unknown>;
  for (const k of ["tasks", "rng"]) {
    if (k in archOpts) throw new Error(`trainInWorker: model.options.${k} is not allowed (${k === "rng" ? "give model.seed instead" : "tasks come from the description's tasks"})`);
  }
  const model = new Arch({ ...archOpts, tasks, rng: new Rng(m.seed ?? 0) } as never);
  const names = tasks.map((t) => t.name);
  const w = desc.weighting;
  if (w) checkKeys("trainInWorker: weighting", w as unknown as Record<string, unknown>, ["method", "options"]);
  const weighting = w ? weightingFrom(w, names) : undefined;
  for (const k of ["optimizer", "lrSchedule", "schedule"] as const) {
    if (desc[k] !== undefined) checkKeys(`trainInWorker: ${k}`, desc[k] as unknown as Record<string, unknown>, ["name", "options"]);
  }
  const s = desc.schedule;
  const schedule = s ? pick(SCHEDULES, "schedule.name", s.name)(s.options ?? {}) : undefined;
  const o = desc.optimizer;
  const Opt = o ? pick(OPTIMIZERS, "optimizer.name", o.name) : undefined;
  const trainer = new Trainer(model, {
    tasks, weighting, schedule, seed: desc.seed, clipGradNorm: desc.clipGradNorm,
    ...(Opt ? { optimizer: (p: Tensor[]) => new Opt(p, o!.options ?? {}) } : {}),
  });
  const callbacks: Callback[] = [];
  const l = desc.lrSchedule;
  if (l) callbacks.push(lrSchedule(new (pick(LR_SCHEDULES, "lrSchedule.name", l.name))(trainer.optimizer, l.options ?? {})));
  return { model, trainer, callbacks, fit: { ...desc.fit } };
}
