// Task adaptation of a trained multi-task model: new heads on the trunk or on any named
// layer, heads removed or replaced. An AdaptedModel wraps the trained model (its tensors,
// not copies: "base.<name>") beside the new heads ("heads.<task>"), and describes itself
// as the registered architecture "Adapted" (the base's config, the removals and the head
// specs), so saveModel stores the change and loadModel rebuilds the model as it is.
import { Module } from "../nn/module.js";
import { Linear, Sequential } from "../nn/layers.js";
import type { Tensor } from "../tensor.js";
import { reshape } from "../ops/shape.js";
import { Rng } from "../random.js";
import { MultiTaskModel, mlp, type Activation, type MultiTaskOutput } from "../mtl/architectures/base.js";
import { task as declareTask, type Task, type TaskSpec } from "../mtl/tasks.js";
import { createModel, describeModel, modelConfig, registerArchitecture, architectureNames, type Json, type ModelConfig } from "../io/config.js";
import { ModelConfigError } from "../io/errors.js";
import { checkOptions, show, suggest } from "../validate.js";
import { GradientReversal } from "./reversal.js";

function fromTaskConfig(c: ModelConfig["tasks"][number]): Task {
  const { name, ...spec } = c;
  return declareTask(name, spec as unknown as TaskSpec);
}

/** Where a head reads from: the base's shared representation, or the output of a named layer of the base. */
export const TRUNK = "trunk";

/** Where a new head reads from and what it is made of (addTask, replaceTask). */
export interface HeadOptions {
  /** "trunk" (default: the shared representation), or a module path inside the base ("trunk.1"). */
  at?: string;
  /** Width of what the head reads (default: found from the layer, when it ends in a Linear). */
  inputs?: number;
  /** Hidden widths before the task's output layer (default none: one Linear). */
  hidden?: number[];
  activation?: Activation;
  /** The features themselves, no layer (alignment losses read them): the task's outputs must equal the width. */
  identity?: boolean;
  /** A gradient reversal layer first (DANN's domain classifier); its lambda is set by dannSchedule. */
  reverseGradient?: boolean;
  /** Your own head module (forward(features) -> output); such a model cannot be saved with a config. */
  module?: Module;
  /** Seed of the new head's initialisation (default: the adapted model's stream). */
  seed?: number;
}
const HEAD_OPTIONS = ["at", "inputs", "hidden", "activation", "identity", "reverseGradient", "module", "seed"];

/** A head as the config stores it. */
interface HeadSpec { task: string; at: string; inputs: number; hidden: number[]; activation: Activation; identity: boolean; reverseGradient: boolean; seed: number | null }

/** The widest a layer is known to produce: a Linear's outputs, a Sequential's last Linear. */
function outputWidth(m: Module): number | undefined {
  if (m instanceof Linear) return m.outFeatures;
  if (m instanceof Sequential) {
    for (let i = m.layers.length - 1; i >= 0; i--) {
      const w = outputWidth(m.layers[i]);
      if (w !== undefined) return w;
    }
  }
  return undefined;
}

type Forward = { forward(x: Tensor): Tensor };

/**
 * A trained model with heads added, removed or replaced. Build one with adapt(model).
 * Parameter names: the trained model's under "base.", the new heads under "heads.<task>.".
 * @example
 * const m = adapt(pretrained);
 * m.removeTask("digit");
 * m.addTask(task("digit", { kind: "classification", outputs: 5 }), { hidden: [64] });
 * freeze(m, "base.**");
 */
export class AdaptedModel extends MultiTaskModel {
  base: MultiTaskModel;
  heads: Record<string, Module> = {};
  private specs = new Map<string, HeadSpec | null>();
  private readonly declared = new Map<string, Task>();
  private readonly removed: string[] = [];
  private readonly rng: Rng;

  constructor(base: MultiTaskModel, opts: { tasks?: Task[]; seed?: number } = {}) {
    super();
    checkOptions("adapt", opts, ["tasks", "seed"]);
    if (!(base instanceof MultiTaskModel)) throw new Error(`adapt: expected a multi-task model, got ${show(base)}`);
    if (base instanceof AdaptedModel) throw new Error("adapt: the model is adapted already; add or remove tasks on it directly");
    this.base = base;
    const seed = opts.seed ?? 0;
    if (!Number.isSafeInteger(seed)) throw new Error(`adapt: seed must be an integer, got ${show(seed)}`);
    this.rng = new Rng(seed);
    this.seed = seed;
    // the base's task declarations: from its config, or given (a model built without createModel)
    const given = new Map((opts.tasks ?? []).map((t) => [t.name, t]));
    let fromConfig: ModelConfig["tasks"] = [];
    try { fromConfig = modelConfig(base).tasks; } catch { /* no config: the tasks must be given */ }
    for (const t of base.taskNames) {
      const g = given.get(t), c = fromConfig.find((x) => x.name === t);
      if (!g && !c) throw new Error(`adapt: no declaration for the model's task "${t}"; pass adapt(model, { tasks }) (the model was not made by createModel)`);
      this.declared.set(t, g ?? fromTaskConfig(c!));
    }
    describeModel(this, () => this.describe());
  }

  /** The seed of the new heads' stream (recorded in the config). */
  readonly seed: number;

  get taskNames(): string[] { return [...this.declared.keys()]; }

  /** Every task's declaration, in the model's order (for new Trainer(model, { tasks: model.tasks })). */
  get tasks(): Task[] { return [...this.declared.values()]; }

  /**
   * Add a task with a new head reading the shared representation (at: "trunk") or the
   * output of any layer of the base (at: "trunk.1"). Nothing changes if anything is wrong.
   * @example
   * // trunk.1: the ReLU after the trunk's first Linear (256 wide); a layer without weights needs inputs
   * m.addTask(task("odd", { kind: "binary", outputs: 1 }), { at: "trunk.1", inputs: 256, hidden: [32] })
   */
  addTask(t: Task, opts: HeadOptions = {}): this {
    if (this.declared.has(t?.name)) throw new Error(`addTask "${t.name}": the model has this task already (removeTask it first, or replaceTask)`);
    const { head, spec } = this.prepareHead(t, opts, "addTask");
    this.heads[t.name] = head;
    this.specs.set(t.name, spec);
    this.declared.set(t.name, t);
    return this;
  }

  // A head checked and built, not yet installed: a bad option changes nothing.
  private prepareHead(t: Task, opts: HeadOptions, verb: string): { head: Module; spec: HeadSpec | null } {
    if (!t || typeof t.name !== "string" || !Number.isInteger(t.outputs)) throw new Error(`${verb}: expected a task() declaration, got ${show(t)}`);
    const who = `${verb} "${t.name}"`;
    checkOptions(who, opts, HEAD_OPTIONS);
    const at = opts.at ?? TRUNK;
    if (typeof at !== "string" || !at) throw new Error(`${who}: at must be "trunk" or a layer name, got ${show(at)}`);
    const layer = at === TRUNK ? this.trunkModule() : this.layer(at, who);
    if (opts.module !== undefined) {
      for (const k of ["inputs", "hidden", "activation", "identity", "reverseGradient", "seed"] as const) {
        if (opts[k] !== undefined) throw new Error(`${who}: ${k} does not apply to a module head`);
      }
      if (!(opts.module instanceof Module)) throw new Error(`${who}: module must be a Module, got ${show(opts.module)}`);
      if (at !== TRUNK) throw new Error(`${who}: a module head reads the trunk (build the layer you need into it)`);
      return { head: opts.module, spec: null };
    }
    const inputs = opts.inputs ?? (layer ? outputWidth(layer) : undefined);
    if (!(Number.isInteger(inputs) && (inputs as number) > 0)) {
      throw new Error(`${who}: the width of ${at === TRUNK ? "the trunk" : `layer "${at}"`} is not known; pass inputs (its output width)${opts.inputs !== undefined ? `, got ${show(opts.inputs)}` : ""}`);
    }
    const hidden = opts.hidden ?? [];
    if (!Array.isArray(hidden) || !hidden.every((w) => Number.isInteger(w) && w > 0)) throw new Error(`${who}: hidden must be a list of positive integers, got ${show(hidden)}`);
    const identity = opts.identity ?? false;
    if (identity && (hidden.length || t.outputs !== inputs)) {
      throw new Error(`${who}: an identity head has no hidden layers and passes the ${inputs} features on, so the task needs outputs: ${inputs} (got ${t.outputs})`);
    }
    if (opts.seed !== undefined && !Number.isSafeInteger(opts.seed)) throw new Error(`${who}: seed must be an integer, got ${show(opts.seed)}`);
    for (const k of ["identity", "reverseGradient"] as const) if (opts[k] !== undefined && typeof opts[k] !== "boolean") throw new Error(`${who}: ${k} must be a boolean, got ${show(opts[k])}`);
    const spec: HeadSpec = {
      task: t.name, at, inputs: inputs as number, hidden: [...hidden], activation: opts.activation ?? "relu",
      identity, reverseGradient: opts.reverseGradient ?? false, seed: opts.seed ?? null,
    };
    return { head: this.buildHead(spec, t), spec };
  }

  /**
   * Remove a task and its head (an added head, or the base's own task parameters, which
   * are freed). The model's other parameters keep their names.
   * @example m.removeTask("parity")
   */
  removeTask(name: string): this {
    const who = `removeTask "${name}"`;
    if (!this.declared.has(name)) throw new Error(`${who}: no such task${suggest(String(name), this.taskNames)}`);
    if (this.declared.size === 1) throw new Error(`${who}: it is the model's last task (add the new one first, or use replaceTask)`);
    if (name in this.heads) {
      for (const p of this.heads[name].parameters()) p.dispose();
      delete this.heads[name];
      this.specs.delete(name);
    } else {
      this.removeBaseTask(name, who);
      this.removed.push(name);
    }
    this.declared.delete(name);
    return this;
  }

  /**
   * Replace a task's head with a new one (same name, new declaration: other classes, say).
   * @example m.replaceTask(task("digit", { kind: "classification", outputs: 5 }), { hidden: [64] })
   */
  replaceTask(t: Task, opts: HeadOptions = {}): this {
    const name = t?.name;
    if (!this.declared.has(name)) throw new Error(`replaceTask "${name}": no such task${suggest(String(name), this.taskNames)}`);
    if (!(name in this.heads)) this.baseCuts(name, `replaceTask "${name}"`); // can it be cut out? (before the new head is built)
    const { head, spec } = this.prepareHead(t, opts, "replaceTask");
    const order = this.taskNames;
    if (name in this.heads) {
      for (const p of this.heads[name].parameters()) p.dispose();
    } else {
      this.removeBaseTask(name, `replaceTask "${name}"`);
      this.removed.push(name);
    }
    this.heads[name] = head;
    this.specs.set(name, spec);
    // the task keeps its place in the order
    const next = order.map((n): [string, Task] => [n, n === name ? t : this.declared.get(n)!]);
    this.declared.clear();
    for (const [k, v] of next) this.declared.set(k, v);
    return this;
  }

  override taskPrefixes(task: string): string[] {
    if (task in this.heads) return this.heads[task].parameters().length ? [`heads.${task}.`] : [];
    return this.base.taskPrefixes(task).map((p) => `base.${p}`);
  }

  override sharedPrefixes(): string[] | null {
    const s = this.base.sharedPrefixes();
    return s ? s.map((p) => `base.${p}`) : null;
  }

  override regularization(): Tensor | null { return this.base.regularization(); }

  forward(x: Tensor, tasks?: string[]): MultiTaskOutput {
    const names = this.checkTasks(tasks);
    const own = names.filter((t) => !(t in this.heads));
    const added = names.filter((t) => t in this.heads);
    // capture the named layers the requested heads read, for this one forward pass
    const layers = [...new Set(added.map((t) => this.specs.get(t)?.at ?? TRUNK).filter((a) => a !== TRUNK))];
    const captured = new Map<string, Tensor[]>();
    const hooked: Module[] = [];
    let out: MultiTaskOutput;
    try {
      for (const at of layers) {
        const m = this.layer(at, "forward")!;
        const f = m as unknown as Forward;
        const orig = f.forward;
        captured.set(at, []);
        f.forward = (...a: [Tensor]) => { const y = orig.apply(m, a); captured.get(at)!.push(y); return y; };
        hooked.push(m);
      }
      out = this.base.forward(x, own);
    } finally {
      for (const m of hooked) delete (m as unknown as Partial<Forward>).forward;
    }
    const outputs: Record<string, Tensor> = { ...out.outputs };
    for (const t of added) {
      const at = this.specs.get(t)?.at ?? TRUNK;
      let h: Tensor | null;
      if (at === TRUNK) {
        h = out.representation;
        if (!h) throw new Error(`AdaptedModel: task "${t}" reads the trunk, but the base model has no single shared representation; add the head at a named layer`);
      } else {
        const ys = captured.get(at)!;
        if (ys.length !== 1) throw new Error(`AdaptedModel: task "${t}" reads layer "${at}", which ran ${ys.length} times in this forward pass (expected once)`);
        h = ys[0];
      }
      if (h.rank > 2) h = reshape(h, [h.shape[0], -1]);
      outputs[t] = (this.heads[t] as unknown as Forward).forward(h);
    }
    return { outputs, representation: out.representation };
  }

  /** The base's layer at a module path (errors name the known paths). */
  private layer(at: string, who: string): Module | undefined {
    const mods = new Map(this.base.namedModules());
    const m = mods.get(at);
    if (!m || at === "") {
      throw new Error(`${who}: the base model has no layer "${at}"${suggest(at, [...mods.keys()].filter((k) => k))}`);
    }
    this.namedModules(); // restore the paths namedModules just set relative to the base
    return m;
  }

  private trunkModule(): Module | undefined {
    const t = (this.base as unknown as { trunk?: unknown }).trunk;
    return t instanceof Module ? t : undefined;
  }

  private buildHead(spec: HeadSpec, t: Task): Module {
    const rng = spec.seed === null ? this.rng.fork() : new Rng(spec.seed);
    const layers: Module[] = [];
    if (spec.reverseGradient) layers.push(new GradientReversal());
    if (!spec.identity) layers.push(...mlp([spec.inputs, ...spec.hidden, t.outputs], { activation: spec.activation, rng }).layers);
    return new Sequential(...layers);
  }

  // The base's own parameters of a task are fields keyed by the task's name (towers.<t>,
  // gates.<t>, trunks.<t>); an architecture whose task parameters sit inside shared layers
  // (PLE's extraction layers) computes them for every task, so they cannot be cut out.
  private removeBaseTask(name: string, who: string): void {
    for (const [holder, k] of this.baseCuts(name, who)) {
      for (const p of (holder[k] as Module).parameters()) p.dispose();
      delete holder[k];
    }
  }

  private baseCuts(name: string, who: string): [Record<string, unknown>, string][] {
    const cuts: [Record<string, unknown>, string][] = [];
    for (const pre of this.base.taskPrefixes(name)) {
      const parts = pre.replace(/\.$/, "").split(".");
      const holder = parts.length === 2 ? (this.base as unknown as Record<string, unknown>)[parts[0]] : undefined;
      if (parts[1] !== name || !holder || typeof holder !== "object" || Object.getPrototypeOf(holder) !== Object.prototype || !(name in holder)) {
        throw new Error(`${who}: the base model's parameters "${pre}" sit inside shared layers, which compute them for every task; rebuild the model without the task instead`);
      }
      cuts.push([holder as Record<string, unknown>, name]);
    }
    return cuts;
  }

  private describe(): ReturnType<Parameters<typeof describeModel>[1]> {
    let base: ModelConfig;
    try { base = modelConfig(this.base); } catch (e) {
      throw new ModelConfigError("NoConfig", `adapted model: its base model has no config (${(e as Error).message})`);
    }
    const heads: Json[] = [];
    for (const [t, s] of this.specs) {
      if (!s) throw new ModelConfigError("NoConfig", `adapted model: task "${t}" has a custom module head, which a config cannot rebuild`);
      heads.push({ ...s, hidden: [...s.hidden] } as unknown as Json);
    }
    const options = {
      base: { architecture: base.architecture, tasks: base.tasks, seed: base.seed } as unknown as Json,
      removed: [...this.removed], heads, headSeed: this.seed,
    };
    return { architecture: { name: "Adapted", options }, tasks: this.tasks, seed: this.seed };
  }

  /** Rebuild from a config's "Adapted" options (the io builder; the heads' stream restarts from headSeed, their values come from the weights). */
  static fromConfig(o: { tasks: Task[]; rng: Rng } & Record<string, unknown>): AdaptedModel {
    checkOptions("Adapted", o, ["tasks", "rng", "base", "removed", "heads", "headSeed"]);
    const b = o.base as { architecture?: { name: string; options: Record<string, Json> }; tasks?: ModelConfig["tasks"]; seed?: number };
    if (!b || typeof b !== "object" || !b.architecture || !Array.isArray(b.tasks)) throw new Error("Adapted: base must be { architecture, tasks, seed }");
    const baseTasks = b.tasks.map(fromTaskConfig);
    const base = createModel(b.architecture.name, { ...b.architecture.options, tasks: baseTasks, seed: b.seed ?? 0 });
    if (!Number.isSafeInteger(o.headSeed)) throw new Error(`Adapted: headSeed must be an integer, got ${show(o.headSeed)}`);
    const m = new AdaptedModel(base, { seed: o.headSeed as number });
    const byName = new Map(o.tasks.map((t) => [t.name, t]));
    if (!Array.isArray(o.removed) || !o.removed.every((n) => typeof n === "string")) throw new Error("Adapted: removed must be a list of task names");
    for (const n of o.removed as string[]) m.removeBaseTaskByConfig(n);
    if (!Array.isArray(o.heads)) throw new Error("Adapted: heads must be a list");
    for (const [i, h] of (o.heads as Record<string, unknown>[]).entries()) {
      const { task: name, ...rest } = (h ?? {}) as Record<string, unknown>;
      const t = byName.get(name as string);
      if (!t) throw new Error(`Adapted: heads[${i}] is for task ${show(name)}, which the config's tasks do not declare`);
      const opts = { ...rest } as Record<string, unknown>;
      if (opts.seed === null) delete opts.seed;
      m.addTask(t, opts as HeadOptions);
    }
    // the tasks, in the config's order, must be exactly what the rebuild has
    const got = m.taskNames;
    const want = o.tasks.map((t) => t.name);
    if (got.length !== want.length || got.some((n) => !want.includes(n))) throw new Error(`Adapted: the config's tasks (${want.join(", ")}) are not the rebuilt model's (${got.join(", ")})`);
    const next = new Map(want.map((n) => [n, byName.get(n)!]));
    m.declared.clear();
    for (const [k, v] of next) m.declared.set(k, v);
    return m;
  }

  private removeBaseTaskByConfig(name: string): void {
    if (!this.declared.has(name) || name in this.heads) throw new Error(`Adapted: removed names "${name}", which is not a task of the base model`);
    this.removeBaseTask(name, `Adapted: removing "${name}"`);
    this.removed.push(name);
    this.declared.delete(name);
  }
}

/**
 * Adapt a trained model: a wrapper whose heads can be added, removed and replaced, and
 * whose parameters can be frozen by name (freeze(m, "base.**")). The trained model's
 * tensors are shared, not copied. Tasks are read from the model's config (createModel,
 * loadModel) or given.
 * @example
 * const m = adapt(loadModel(bytes)).addTask(task("odd", { kind: "binary", outputs: 1 }));
 * const trainer = new Trainer(m, { tasks: m.tasks });
 */
export function adapt(model: MultiTaskModel, opts: { tasks?: Task[]; seed?: number } = {}): AdaptedModel {
  return new AdaptedModel(model, opts);
}

if (!architectureNames().includes("Adapted")) registerArchitecture("Adapted", (o) => AdaptedModel.fromConfig(o));
