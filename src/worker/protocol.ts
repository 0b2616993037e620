// What crosses between trainInWorker (main thread) and its worker: the description of a
// run, the data as typed arrays whose buffers are transferred, progress events and the
// result. Plain types and checks only, so the main-thread side stays free of the library.
import type { TaskSpec } from "../mtl/tasks.js";
import type { EpochLogs } from "../mtl/trainer.js";

/** One dataset: inputs and labels as typed arrays (moved to the worker, not copied). */
export interface DataDescription {
  x: Float32Array | Int32Array;
  /** Per-example input shape, e.g. [784]. */
  xShape: number[];
  labels: Record<string, Float32Array | Int32Array | { values: Float32Array | Int32Array; shape?: number[]; mask?: Uint8Array; numClasses?: number; weight?: Float32Array }>;
}

/** Everything that decides a run's bits, as plain data. */
export interface TrainingDescription {
  /** An architecture by class name (SharedBottom, MMoE, CGC, PLE, DSelectK, CrossStitch, SoftSharing), its options without tasks and rng, and the seed of its initialiser (default 0). */
  model: { architecture: string; options?: Record<string, unknown>; seed?: number };
  /** Task declarations: `task(name, spec)` as `{ name, ...spec }` (built-in loss names only). */
  tasks: (TaskSpec & { name: string })[];
  /** A registered weighting method by name (EW, the default; static { weights }; UW { init }; PCGrad; ...), others with their defaults. */
  weighting?: { method: string; options?: Record<string, unknown> };
  /** SGD, Adam (default, lr 1e-3), AdamW, RMSprop, Adagrad with their options. */
  optimizer?: { name: string; options?: Record<string, unknown> };
  /** A learning-rate schedule stepped after every epoch: StepLR, ExponentialLR, CosineAnnealingLR. */
  lrSchedule?: { name: string; options?: Record<string, unknown> };
  /** A task schedule: joint (default), alternating, sampled { temperature, steps }, curriculum { stages }. */
  schedule?: { name: string; options?: Record<string, unknown> };
  /** The trainer's seed (shuffling, sampling, PCGrad's order). */
  seed?: number;
  clipGradNorm?: number;
  /** fit's options that are data. */
  fit: { epochs: number; batchSize?: number; dropLast?: boolean; yieldEveryMs?: number };
}
export const FIT_KEYS = ["epochs", "batchSize", "dropLast", "yieldEveryMs"];
export const DESCRIPTION_KEYS = ["model", "tasks", "weighting", "optimizer", "lrSchedule", "schedule", "seed", "clipGradNorm", "fit"];

/** A progress event: after every batch, and after every epoch. */
export type TrainingEvent =
  | {
    type: "batch"; epoch: number; step: number; steps: number;
    /** This batch's loss per task. */
    batchLosses: Record<string, number>;
    /** Running mean loss per task this epoch. */
    losses: Record<string, number>;
    /** Effective task weights of this step. */
    weights: Record<string, number>;
    /** Conflicting gradient pairs projected away this step, when the weighting reports them (PCGrad). */
    conflicts?: number;
  }
  | { type: "epoch"; logs: EpochLogs }
  | { type: "paused"; step: number }
  | { type: "resumed"; step: number };

/** A trained parameter or buffer: what Module.loadStateDict accepts. */
export interface WeightEntry { shape: number[]; dtype: "float32" | "int32"; data: Float32Array | Int32Array }

/** What a worker run returns: the trained weights, the history, and whether it was stopped. */
export interface TrainingResult {
  /** The model's state dict after training (parameters and buffers), by PyTorch-style name. */
  weights: Record<string, WeightEntry>;
  history: EpochLogs[];
  /** True when stop() ended training before the last epoch. */
  stopped: boolean;
  /** The trainer's step count at the end. */
  steps: number;
}

/** The description goes first (bad options fail before any data moves), then the data. */
export type ToWorker =
  | { type: "build"; description: TrainingDescription }
  | { type: "start"; data: DataDescription | Record<string, DataDescription>; validation?: DataDescription }
  | { type: "pause" } | { type: "resume" } | { type: "stop" };

export type FromWorker =
  | { type: "built" }
  | { type: "event"; event: TrainingEvent }
  | { type: "done"; result: TrainingResult }
  | { type: "error"; message: string };

/** Throw naming `owner` and the first key not in `known`. */
export function checkKeys(owner: string, o: Record<string, unknown>, known: readonly string[]): void {
  if (!o || typeof o !== "object") throw new Error(`${owner}: expected an options object, got ${String(o)}`);
  for (const k of Object.keys(o)) {
    if (!known.includes(k)) throw new Error(`${owner}: unknown option "${k}"${known.length ? ` (known: ${known.join(", ")})` : " (it takes none)"}`);
  }
}

const isTyped = (v: unknown): v is Float32Array | Int32Array | Uint8Array =>
  v instanceof Float32Array || v instanceof Int32Array || v instanceof Uint8Array;

/** Check one dataset's arrays are typed (so they move, not copy) and add their buffers to `out`. */
function collect(where: string, d: DataDescription, out: Set<ArrayBuffer>): void {
  if (!d || typeof d !== "object") throw new Error(`${where}: expected { x, xShape, labels }, got ${String(d)}`);
  checkKeys(where, d as unknown as Record<string, unknown>, ["x", "xShape", "labels"]);
  const add = (what: string, v: unknown) => {
    if (!isTyped(v)) throw new Error(`${where}.${what} must be a typed array (Float32Array or Int32Array), got ${Array.isArray(v) ? "a plain array" : typeof v}; typed arrays move to the worker without copying`);
    if (!(v.buffer instanceof ArrayBuffer)) throw new Error(`${where}.${what}: a SharedArrayBuffer cannot be transferred; pass an ArrayBuffer-backed array`);
    out.add(v.buffer);
  };
  add("x", d.x);
  if (!Array.isArray(d.xShape)) throw new Error(`${where}.xShape must be an array of sizes, e.g. [784]`);
  if (!d.labels || typeof d.labels !== "object") throw new Error(`${where}.labels must be { task: typed array or { values, mask? } }`);
  for (const [t, l] of Object.entries(d.labels)) {
    if (isTyped(l)) { add(`labels.${t}`, l); continue; }
    add(`labels.${t}.values`, (l as { values: unknown })?.values);
    for (const k of ["mask", "weight"] as const) if ((l as Record<string, unknown>)[k] !== undefined) add(`labels.${t}.${k}`, (l as Record<string, unknown>)[k]);
  }
}

/** The buffers to transfer for a run's data (each once), after checking every array is typed. */
export function transferList(data: DataDescription | Record<string, DataDescription>, validation?: DataDescription): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  if (data && typeof data === "object" && "x" in data && "labels" in data) collect("data", data as DataDescription, out);
  else if (data && typeof data === "object") for (const [t, d] of Object.entries(data)) collect(`data.${t}`, d as DataDescription, out);
  else throw new Error(`trainInWorker: data must be { x, xShape, labels } or one such dataset per task, got ${String(data)}`);
  if (validation !== undefined) collect("validation", validation, out);
  return [...out];
}
