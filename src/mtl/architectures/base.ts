// The contract between multi-task architectures and the trainer: a forward pass that
// returns each requested task's output and the shared representation, and a split of
// the parameters into shared ones and each task's own. Architectures are plug-ins.
import { Module } from "../../nn/module.js";
import { Sequential, Linear, ReLU, Tanh, GELU, Dropout, LeakyReLU, Sigmoid, ELU, Identity } from "../../nn/layers.js";
import { Tensor } from "../../tensor.js";
import { softmax } from "../../ops/softmax.js";
import type { Task } from "../tasks.js";
import { defaultRng, type Rng } from "../../random.js";
import { mul } from "../../ops/elementwise.js";
import { sum } from "../../ops/reduce.js";
import { reshape, stack } from "../../ops/shape.js";
import { checkOptions as checkKeys, show, suggest } from "../../validate.js";
import { independent } from "../../engine/engine.js";

/** A multi-task model's forward result: each task's head output and the shared representation. */
export interface MultiTaskOutput {
  /** Per-task head outputs (raw: logits or values), for the tasks asked for. */
  outputs: Record<string, Tensor>;
  /** The shared representation that every head reads (null where there is no single one). */
  representation: Tensor | null;
}

/**
 * The base of multi-task architectures: forward returns each requested head and the shared
 * representation; parameters split into shared ones and each task's own (by name prefix).
 */
export abstract class MultiTaskModel extends Module {
  abstract readonly taskNames: string[];

  /** Forward for all tasks, or only those listed (alternating schedules skip the others' heads). */
  abstract override forward(x: Tensor, tasks?: string[]): MultiTaskOutput;

  /** Name prefixes of the parameters that belong to one task only. */
  taskPrefixes(task: string): string[] { return [`towers.${task}.`]; }

  /**
   * Name prefixes of the shared parameters, or null (the default) when everything no task
   * owns is shared. Declaring them lets checkOwnership() catch a parameter no one owns.
   */
  sharedPrefixes(): string[] | null { return null; }

  /**
   * Check the split by name prefix, which otherwise fails silently when a field is named
   * differently: every task prefix must match a parameter, no parameter may belong to two
   * tasks, and (where sharedPrefixes() is declared) every parameter no task owns must be
   * shared. The error names the parameter or prefix at fault. The trainer calls this.
   */
  checkOwnership(): void {
    const kind = "checkOwnership"; // (class names do not survive minifying)
    const named = this.namedParameters();
    const shared = this.sharedPrefixes();
    const owner = new Map<string, string>();
    for (const t of this.taskNames) {
      for (const pre of this.taskPrefixes(t)) {
        const hits = named.filter(([n]) => n.startsWith(pre));
        if (hits.length === 0) {
          throw new Error(`${kind}: task "${t}"'s prefix "${pre}" matches no parameter (${named.map(([n]) => n).join(", ")})`);
        }
        for (const [n] of hits) {
          const o = owner.get(n);
          if (o !== undefined && o !== t) throw new Error(`${kind}: parameter "${n}" belongs to two tasks, "${o}" and "${t}"`);
          owner.set(n, t);
        }
      }
    }
    if (shared) {
      for (const [n] of named) {
        if (!owner.has(n) && !shared.some((pre) => n.startsWith(pre))) {
          throw new Error(`${kind}: parameter "${n}" is no task's and not shared (${shared.join(" ")})`);
        }
      }
    }
  }

  /** Trainable parameters that no single task owns (the trunk, experts, gates ...). */
  sharedParameters(): Tensor[] {
    const own = this.taskNames.flatMap((t) => this.taskPrefixes(t));
    return this.namedParameters().filter(([n, p]) => p.requiresGrad && !own.some((pre) => n.startsWith(pre))).map(([, p]) => p);
  }

  /** Trainable parameters owned by `task`. */
  taskParameters(task: string): Tensor[] {
    const pre = this.taskPrefixes(task);
    return this.namedParameters().filter(([n, p]) => p.requiresGrad && pre.some((s) => n.startsWith(s))).map(([, p]) => p);
  }

  /** An extra loss term the architecture adds (soft parameter sharing's tie), or null. */
  regularization(): Tensor | null { return null; }

  /** The tasks a forward pass computes (all by default), each checked to be one of the model's. */
  protected checkTasks(tasks: string[] | undefined): string[] {
    if (!tasks) return this.taskNames;
    for (const t of tasks) {
      if (!this.taskNames.includes(t)) throw new Error(`model: unknown task "${t}" (tasks: ${this.taskNames.join(", ")})`);
    }
    return tasks;
  }
}

/** Activation functions of MLP trunks, towers and experts by name. */
export type Activation = "relu" | "tanh" | "gelu" | "leaky_relu" | "sigmoid" | "elu" | "none";

/** A fresh activation module by name. */
export function activation(name: Activation): Module {
  switch (name) {
    case "relu": return new ReLU();
    case "tanh": return new Tanh();
    case "gelu": return new GELU();
    case "leaky_relu": return new LeakyReLU();
    case "sigmoid": return new Sigmoid();
    case "elu": return new ELU();
    case "none": return new Identity();
    default: throw new Error(`activation: unknown "${name as string}" (relu, tanh, gelu, leaky_relu, sigmoid, elu, none)`);
  }
}

/** An MLP: hidden sizes, activation, dropout, normalisation. */
export interface MlpOptions {
  activation?: Activation;
  /** Activation after the last layer too (trunks: yes; heads: no). */
  activateLast?: boolean;
  dropout?: number;
  rng?: Rng;
}

/**
 * A multilayer perceptron through the given widths: mlp([784, 256, 128]) is two Linear
 * layers with activations between (and after the last when activateLast).
 */
export function mlp(widths: number[], opts: MlpOptions = {}): Sequential {
  if (widths.length < 2) throw new Error(`mlp: needs at least an input and an output width, got [${widths.join(", ")}]`);
  const act = opts.activation ?? "relu";
  const layers: Module[] = [];
  for (let i = 0; i + 1 < widths.length; i++) {
    layers.push(new Linear(widths[i], widths[i + 1], { rng: opts.rng }));
    const last = i + 2 === widths.length;
    if (!last || opts.activateLast) {
      layers.push(activation(act));
      if (opts.dropout) layers.push(new Dropout(opts.dropout, opts.rng));
    }
  }
  return new Sequential(...layers);
}

/** A tower per task: hidden widths then the task's output width. */
export function towers(inputs: number, hidden: number[] | Record<string, number[]>, tasks: Task[], opts: MlpOptions = {}): Record<string, Sequential> {
  const out: Record<string, Sequential> = {};
  for (const t of tasks) {
    const h = Array.isArray(hidden) ? hidden : (hidden[t.name] ?? []);
    out[t.name] = mlp([inputs, ...h, t.outputs], { ...opts, activateLast: false });
  }
  return out;
}

// ------------------------------------------------------------- shared helpers

/** Softmax over the last axis (the fused kernel), for gates and learned mixing weights. */
export function softmaxRows(x: Tensor): Tensor { return softmax(x, -1); }

/**
 * A gated mixture: sum over e of weights[.., e] * experts[:, e, :].
 * experts is the stack [batch, E, H]; weights is per example [batch, E] or static [E].
 */
export function mixExperts(weights: Tensor, experts: Tensor): Tensor {
  const e = experts.shape[1];
  const w = weights.rank === 1 ? reshape(weights, [1, e, 1]) : reshape(weights, [weights.shape[0], e, 1]);
  return sum(mul(experts, w), 1);
}

/**
 * f(t) for each task t, as an object in `names`' order. The tasks' parts of a forward pass (a
 * tower, a gate, a column) read what they share and write only their own, so they run as
 * independent work: polyhead/threads' pool may run them at once, one task's kernel calls on
 * each thread, with the bits of one by one (a plain loop elsewhere).
 */
export function perTask<T>(names: readonly string[], f: (t: string) => T): Record<string, T> {
  const ys = independent(names.length, (i) => f(names[i]));
  const out: Record<string, T> = {};
  names.forEach((t, i) => { out[t] = ys[i]; });
  return out;
}

/** Run each expert on x and stack the results: [batch, E, H]. */
export function runExperts(experts: Sequential[], x: Tensor): Tensor {
  // independent: the experts share only x, so polyhead/threads' pool may run them at once,
  // each expert's kernel calls on one thread, with the bits of one by one (a plain loop elsewhere)
  return stack(independent(experts.length, (i) => experts[i].forward(x)), 1);
}

/** A stream of its own for one sub-network (an expert, a column, a trunk): Rng.fork of the given or default stream. */
export function fork(rng: Rng | undefined): Rng {
  const r = rng ?? defaultRng();
  return r.fork();
}

/** Reject option keys that `owner` does not know, listing the ones it does. */
export function checkOptions(owner: string, opts: object, known: readonly string[]): void { checkKeys(owner, opts, known); }

/** An integer option >= min: `MMoE: experts must be >= 1, got 0`. */
export function checkCount(owner: string, name: string, v: unknown, min = 1): number {
  if (typeof v !== "number" || !Number.isInteger(v)) throw new Error(`${owner}: ${name} must be an integer >= ${min}, got ${show(v)}`);
  if (v < min) throw new Error(`${owner}: ${name} must be >= ${min}, got ${show(v)}`);
  // (a count of layers or experts: past this it is a corrupted value, not a model)
  if (v > 65536) throw new Error(`${owner}: ${name} must be at most 65536, got ${show(v)}`);
  return v;
}

/** A non-empty list of layer widths (positive integers). */
export function checkWidths(owner: string, name: string, v: unknown): number[] {
  if (!Array.isArray(v) || v.length === 0 || !v.every((w) => Number.isInteger(w) && w > 0)) {
    throw new Error(`${owner}: ${name} must be a non-empty list of positive integers, got ${show(v)}`);
  }
  return v as number[];
}

/** The tasks option: at least one task, unique names. */
export function checkTaskList(owner: string, tasks: unknown): Task[] {
  if (!Array.isArray(tasks) || tasks.length === 0) throw new Error(`${owner}: tasks must be a non-empty list of task() declarations, got ${show(tasks)}`);
  const seen = new Set<string>();
  for (const t of tasks as Task[]) {
    if (!t || typeof t.name !== "string" || !Number.isInteger(t.outputs)) throw new Error(`${owner}: tasks must come from task(), got ${show(t)}`);
    if (seen.has(t.name)) throw new Error(`${owner}: the task name "${t.name}" is used twice`);
    seen.add(t.name);
  }
  return tasks as Task[];
}

/** Options every MLP-based architecture here takes (as SharedBottom). */
export interface ArchitectureOptions {
  tasks: Task[];
  /** Input features. */
  inputs: number;
  /** Tower hidden widths, shared by all tasks or per task (default: none, a linear head). */
  towers?: number[] | Record<string, number[]>;
  activation?: Activation;
  /** Dropout after each hidden activation of the bottom networks (not in the towers). */
  dropout?: number;
  rng?: Rng;
}
export const COMMON_OPTIONS = ["tasks", "inputs", "towers", "activation", "dropout", "rng"] as const;

/** Check the common options and return the task list. */
export function checkCommon(owner: string, opts: ArchitectureOptions, known: readonly string[]): Task[] {
  if (!opts || typeof opts !== "object") throw new Error(`${owner}: expected an options object, got ${show(opts)}`);
  checkOptions(owner, opts, [...COMMON_OPTIONS, ...known]);
  const tasks = checkTaskList(owner, opts.tasks);
  checkCount(owner, "inputs", opts.inputs);
  if (opts.dropout !== undefined && !(opts.dropout >= 0 && opts.dropout < 1)) throw new Error(`${owner}: dropout must be in [0, 1), got ${show(opts.dropout)}`);
  checkTowers(owner, opts.towers, tasks);
  return tasks;
}

/** Tower widths: one list for every task, or a list per task whose keys are all task names. */
export function checkTowers(owner: string, v: unknown, tasks: Task[]): void {
  if (v === undefined) return;
  if (Array.isArray(v) || !v) return;
  const names = tasks.map((t) => t.name);
  // a key that names no task would silently give that task no hidden layers
  for (const k of Object.keys(v)) if (!names.includes(k)) throw new Error(`${owner}: towers has a key "${k}" that names no task${suggest(k, names)}`);
}
