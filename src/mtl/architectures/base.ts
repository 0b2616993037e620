// The contract between multi-task architectures and the trainer: a forward pass that
// returns each requested task's output and the shared representation, and a split of
// the parameters into shared ones and each task's own. Architectures are plug-ins.
import { Module } from "../../nn/module.js";
import { Sequential, Linear, ReLU, Tanh, GELU, Dropout, LeakyReLU, Sigmoid, ELU, Identity } from "../../nn/layers.js";
import { Tensor } from "../../tensor.js";
import type { Task } from "../tasks.js";
import type { Rng } from "../../random.js";

export interface MultiTaskOutput {
  /** Per-task head outputs (raw: logits or values), for the tasks asked for. */
  outputs: Record<string, Tensor>;
  /** The shared representation that every head reads (null where there is no single one). */
  representation: Tensor | null;
}

export abstract class MultiTaskModel extends Module {
  abstract readonly taskNames: string[];

  /** Forward for all tasks, or only those listed (alternating schedules skip the others' heads). */
  abstract override forward(x: Tensor, tasks?: string[]): MultiTaskOutput;

  /** Name prefixes of the parameters that belong to one task only. */
  taskPrefixes(task: string): string[] { return [`towers.${task}.`]; }

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

  protected checkTasks(tasks: string[] | undefined): string[] {
    if (!tasks) return this.taskNames;
    for (const t of tasks) {
      if (!this.taskNames.includes(t)) throw new Error(`${this.constructor.name}: unknown task "${t}" (tasks: ${this.taskNames.join(", ")})`);
    }
    return tasks;
  }
}

export type Activation = "relu" | "tanh" | "gelu" | "leaky_relu" | "sigmoid" | "elu" | "none";

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
