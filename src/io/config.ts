// Model configs: a versioned JSON that rebuilds a multi-task model exactly (architecture
// plug-in by registered name and its options, tasks with losses and metrics, frozen
// parameters, every parameter's shape), checked field by field with unknown fields
// refused by name. Models made with createModel (or buildModel) remember their config.
import { Rng } from "../random.js";
import { task, type Task, type TaskSpec } from "../mtl/tasks.js";
import type { MultiTaskModel } from "../mtl/architectures/base.js";
import { SharedBottom } from "../mtl/architectures/shared-bottom.js";
import { MMoE } from "../mtl/architectures/mmoe.js";
import { CGC, PLE } from "../mtl/architectures/ple.js";
import { CrossStitch } from "../mtl/architectures/cross-stitch.js";
import { SoftSharing } from "../mtl/architectures/soft-sharing.js";
import { DSelectK } from "../mtl/architectures/dselect-k.js";
import { ESMM } from "../mtl/architectures/esmm.js";
import { MTAN } from "../mtl/architectures/mtan.js";
import { ModelConfigError } from "./errors.js";
import { registerArchitecture, architectureNames, architectureBuilder, type ArchitectureBuilder } from "./registry.js";

export { registerArchitecture, architectureNames, type ArchitectureBuilder } from "./registry.js";

/** The `format` field of a model config. */
export const MODEL_CONFIG_FORMAT = "polyhead-model";
/** The config version this build writes and reads. */
export const MODEL_CONFIG_VERSION = 1;

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** A task as stored: every field of task(), the loss by built-in name. */
export interface TaskConfig {
  name: string;
  kind: Task["kind"];
  outputs: number;
  loss: string;
  metrics: string[];
  weight: number;
  delta: number;
  labelSmoothing: number;
  /** Cross-entropy's per-class weights, when the task has them. */
  classWeight?: number[];
  /** Binary cross-entropy's positive weights, when the task has them. */
  posWeight?: number[];
}

/** A model's architecture and options as JSON, enough to rebuild it (saveModel / loadModel). */
export interface ModelConfig {
  format: typeof MODEL_CONFIG_FORMAT;
  version: number;
  /** The registered architecture name ("MMoE") and its options, without tasks and rng. */
  architecture: { name: string; options: { [k: string]: Json } };
  tasks: TaskConfig[];
  /** The seed of the Rng the architecture was built with (its dropout streams start there). */
  seed: number;
  /** Names of parameters that do not train. */
  frozen: string[];
  /** Every parameter's and buffer's shape by state_dict name: the weights must match. */
  tensors: { [name: string]: number[] };
}

// plug-ins of other families register themselves when their entry is imported
const REGISTERED_BY: Record<string, string> = { Adapted: "polyhead/transfer", MatrixFactorization: "polyhead/unsupervised" };

/** ESMM names its two tasks (ctr, ctcvr); a config lists them in that order as its tasks. */
function esmmFromConfig(o: { tasks: Task[]; rng: Rng } & { [k: string]: unknown }): MultiTaskModel {
  const { tasks, ...rest } = o;
  for (const k of ["ctr", "ctcvr"]) if (k in rest) throw new Error(`option "${k}" is not for a config: its tasks are [ctr, ctcvr], in that order`);
  if (tasks.length !== 2) throw new Error(`a config's tasks are [ctr, ctcvr], got ${tasks.length} task(s)`);
  return new ESMM({ ...rest, ctr: tasks[0], ctcvr: tasks[1] } as never);
}

const BUILT_IN: [string, ArchitectureBuilder][] = [
  ["SharedBottom", (o) => new SharedBottom(o as never)],
  ["MMoE", (o) => new MMoE(o as never)],
  ["CGC", (o) => new CGC(o as never)],
  ["PLE", (o) => new PLE(o as never)],
  ["CrossStitch", (o) => new CrossStitch(o as never)],
  ["SoftSharing", (o) => new SoftSharing(o as never)],
  ["DSelectK", (o) => new DSelectK(o as never)],
  ["ESMM", esmmFromConfig],
  ["MTAN", (o) => new MTAN(o as never)],
];
for (const [n, b] of BUILT_IN) if (!architectureBuilder(n)) registerArchitecture(n, b);

type Remembered = Pick<ModelConfig, "architecture" | "tasks" | "seed">;
/** What a model that changes after it is built (an adapted model) reports as its config, when asked. */
export type ConfigSource = () => { architecture: ModelConfig["architecture"]; tasks: Task[]; seed: number };
const REMEMBERED = new WeakMap<MultiTaskModel, Remembered>();
// models that describe themselves; asked before REMEMBERED (which their build may also fill)
const SOURCES = new WeakMap<MultiTaskModel, ConfigSource>();

/**
 * @internal Let a model describe its own config on demand (polyhead/transfer's adapted
 * models, whose heads change after they are built): modelConfig calls `source`.
 */
export function describeModel(model: MultiTaskModel, source: ConfigSource): void { SOURCES.set(model, source); }

const bad = (code: string, msg: string): never => { throw new ModelConfigError(code, msg); };
const fields = (where: string, o: unknown, required: readonly string[], optional: readonly string[] = []): Record<string, unknown> => {
  if (!o || typeof o !== "object" || Array.isArray(o)) bad("InvalidConfig", `${where} must be an object, got ${JSON.stringify(o)?.slice(0, 40)}`);
  const rec = o as Record<string, unknown>;
  for (const k of Object.keys(rec)) if (!required.includes(k) && !optional.includes(k)) bad("UnknownField", `${where}: unknown field "${k}" (known: ${[...required, ...optional].join(", ")})`);
  for (const k of required) if (!(k in rec)) bad("MissingField", `${where}: missing field "${k}"`);
  return rec;
};

function checkJson(where: string, v: unknown, depth = 0): Json {
  if (depth > 16) bad("InvalidOptions", `${where} nests deeper than 16 levels`);
  if (v === null || typeof v === "boolean" || typeof v === "string") return v;
  if (typeof v === "number") { if (!Number.isFinite(v)) bad("InvalidOptions", `${where} must be finite, got ${v}`); return v; }
  if (Array.isArray(v)) return v.map((x, i) => checkJson(`${where}[${i}]`, x, depth + 1));
  if (typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, checkJson(`${where}.${k}`, x, depth + 1)]));
  }
  return bad("InvalidOptions", `${where} is not plain data (${typeof v === "object" ? (v as object).constructor?.name ?? "object" : typeof v}); configs hold numbers, strings, booleans, arrays and objects`);
}

function taskToConfig(t: Task): TaskConfig {
  if (typeof t.loss !== "string") bad("InvalidTask", `task "${t.name}": its loss is a function, which a config cannot store (use a built-in loss, or register the model's loss yourself on load)`);
  const c: TaskConfig = { name: t.name, kind: t.kind, outputs: t.outputs, loss: t.loss as string, metrics: [...t.metrics], weight: t.weight, delta: t.delta, labelSmoothing: t.labelSmoothing };
  if (t.classWeight) c.classWeight = Array.from(t.classWeight);
  if (t.posWeight) c.posWeight = Array.from(t.posWeight);
  return c;
}

function taskFromConfig(c: unknown, i: number): Task {
  const f = fields(`tasks[${i}]`, c, ["name", "kind", "outputs"], ["loss", "metrics", "weight", "delta", "labelSmoothing", "classWeight", "posWeight"]);
  const { name, ...spec } = f;
  try {
    return task(name as string, spec as unknown as TaskSpec);
  } catch (e) {
    return bad("InvalidTask", `tasks[${i}]: ${(e as Error).message}`);
  }
}

/**
 * Build a registered architecture and remember its config, so saveModel can store it.
 * @example const model = createModel("MMoE", { tasks, inputs: 32, experts: 4, expertWidths: [16] });
 */
export function createModel(architecture: string, options: { tasks: Task[]; seed?: number } & { [k: string]: unknown }): MultiTaskModel {
  const { tasks, seed, ...rest } = options;
  // a config replays the build from a seed; a caller's Rng could have any history
  if ("rng" in rest) throw new Error("createModel: pass seed (an integer) instead of rng: the config records the seed");
  const s = seed ?? 0;
  if (!Number.isSafeInteger(s)) throw new Error(`createModel: seed must be an integer, got ${s}`);
  const opts = checkJson("options", rest) as { [k: string]: Json };
  if (!Array.isArray(tasks)) throw new Error("createModel: options.tasks must be a list of task() declarations");
  const tc = tasks.map(taskToConfig);
  const model = build(architecture, opts, tasks, new Rng(s));
  REMEMBERED.set(model, { architecture: { name: architecture, options: opts }, tasks: tc, seed: s });
  return model;
}

function build(name: string, options: { [k: string]: Json }, tasks: Task[], rng: Rng): MultiTaskModel {
  const b = architectureBuilder(name);
  if (!b) bad("UnknownArchitecture", `unknown architecture "${name}" (registered: ${architectureNames().join(", ")})${Object.hasOwn(REGISTERED_BY, name) ? `; import ${REGISTERED_BY[name]}, which registers it` : ""}`);
  for (const k of ["tasks", "rng", "seed"]) if (k in options) bad("InvalidOptions", `architecture options must not hold "${k}" (it has a field of its own)`);
  try {
    return b!({ ...options, tasks, rng });
  } catch (e) {
    return bad("InvalidOptions", `${name}: ${(e as Error).message}`);
  }
}

/** The config of a model made by createModel or buildModel, with its current frozen set. */
export function modelConfig(model: MultiTaskModel): ModelConfig {
  const got = SOURCES.get(model) ?? REMEMBERED.get(model);
  if (!got) throw new ModelConfigError("NoConfig", "this model was not made by createModel or buildModel, so its architecture options are unknown; build it with createModel(name, options)");
  let r: Remembered;
  if (typeof got === "function") {
    const d = got();
    r = { architecture: { name: d.architecture.name, options: checkJson("options", d.architecture.options) as { [k: string]: Json } }, tasks: d.tasks.map(taskToConfig), seed: d.seed };
  } else r = got;
  const tensors: { [name: string]: number[] } = {};
  for (const [n, t] of Object.entries(model.stateDict())) tensors[n] = [...t.shape];
  const frozen = model.namedParameters().filter(([, t]) => !t.requiresGrad).map(([n]) => n);
  return {
    format: MODEL_CONFIG_FORMAT, version: MODEL_CONFIG_VERSION,
    architecture: { name: r.architecture.name, options: structuredClone(r.architecture.options) },
    tasks: r.tasks.map((t) => ({ ...t, metrics: [...t.metrics] })), seed: r.seed, frozen, tensors,
  };
}

/**
 * Rebuild a model from its config (an object or JSON text): every field is checked, the
 * architecture is built with the stored options and seed, its tensor shapes must equal the
 * config's, and the frozen parameters are frozen. Weights are loaded separately (loadModel).
 */
export function buildModel(config: ModelConfig | string): MultiTaskModel {
  let c: unknown = config;
  if (typeof config === "string") {
    try { c = JSON.parse(config); } catch (e) { bad("InvalidJson", `not JSON (${(e as Error).message})`); }
  }
  const f = fields("config", c, ["format", "version", "architecture", "tasks", "seed", "frozen", "tensors"]);
  if (f.format !== MODEL_CONFIG_FORMAT) bad("InvalidFormat", `format is ${JSON.stringify(f.format)}, expected "${MODEL_CONFIG_FORMAT}"`);
  if (f.version !== MODEL_CONFIG_VERSION) bad("UnsupportedVersion", `version ${JSON.stringify(f.version)} is not supported (this polyhead reads version ${MODEL_CONFIG_VERSION})`);
  const a = fields("architecture", f.architecture, ["name", "options"]);
  if (typeof a.name !== "string") bad("InvalidConfig", "architecture.name must be a string");
  const options = checkJson("architecture.options", a.options);
  if (!options || typeof options !== "object" || Array.isArray(options)) bad("InvalidConfig", "architecture.options must be an object");
  if (!Array.isArray(f.tasks)) bad("InvalidConfig", "tasks must be a list");
  const tasks = (f.tasks as unknown[]).map(taskFromConfig);
  if (!Number.isSafeInteger(f.seed)) bad("InvalidConfig", `seed must be an integer, got ${JSON.stringify(f.seed)}`);
  if (!Array.isArray(f.frozen) || !f.frozen.every((n) => typeof n === "string")) bad("InvalidConfig", "frozen must be a list of parameter names");
  if (!f.tensors || typeof f.tensors !== "object" || Array.isArray(f.tensors)) bad("InvalidConfig", "tensors must be an object of shapes by name");
  const shapes = f.tensors as Record<string, unknown>;
  // before anything is allocated: the declared shapes must be sane
  for (const [n, s] of Object.entries(shapes)) {
    if (!Array.isArray(s) || !s.every((d) => Number.isSafeInteger(d) && d >= 0)) bad("InvalidConfig", `tensors."${n}" must be a shape (non-negative integers), got ${JSON.stringify(s)}`);
  }
  const taskConfigs = tasks.map(taskToConfig);
  const model = build(a.name as string, options as { [k: string]: Json }, tasks, new Rng(f.seed as number));
  const own = model.stateDict();
  try { checkBuilt(model, own, shapes, f.frozen as string[]); } catch (e) {
    // a model that does not match its config is not handed out: its memory goes now, not at the next GC
    for (const t of Object.values(own)) t.dispose();
    throw e;
  }
  REMEMBERED.set(model, { architecture: { name: a.name as string, options: options as { [k: string]: Json } }, tasks: taskConfigs, seed: f.seed as number });
  return model;
}

/** The built model against the config's tensor table and frozen list; freezes those parameters. */
function checkBuilt(model: MultiTaskModel, own: Record<string, { shape: readonly number[] }>, shapes: Record<string, unknown>, frozen: string[]): void {
  const problems: string[] = [];
  for (const [n, t] of Object.entries(own)) {
    const s = shapes[n] as number[] | undefined;
    if (!s) problems.push(`the architecture has "${n}" [${t.shape.join(", ")}], the config does not`);
    else if (s.length !== t.shape.length || s.some((d, i) => d !== t.shape[i])) problems.push(`"${n}": the config says [${s.join(", ")}], the architecture builds [${t.shape.join(", ")}]`);
  }
  for (const n of Object.keys(shapes)) if (!(n in own)) problems.push(`the config lists "${n}", the architecture has no such tensor`);
  const params = new Map(model.namedParameters());
  for (const n of frozen) if (!params.has(n)) problems.push(`frozen "${n}" is not a parameter`);
  if (problems.length) bad("ShapeMismatch", problems.slice(0, 20).join("; "));
  for (const n of frozen) params.get(n)!.requiresGrad = false;
}
