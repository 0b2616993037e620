// Customized Gate Control (CGC) and Progressive Layered Extraction (PLE): shared experts
// plus task-specific experts; each task's gate mixes its own and the shared experts. PLE
// stacks extraction layers, and every non-final one also has a shared gate over all
// experts that feeds the next layer's shared experts.
// Tang, Liu, Zhao, Gong, "Progressive Layered Extraction (PLE): A Novel Multi-Task
// Learning (MTL) Model for Personalized Recommendations", RecSys 2020.
import { Module } from "../../nn/module.js";
import { Linear, Sequential } from "../../nn/layers.js";
import { Tensor } from "../../tensor.js";
import type { Task } from "../tasks.js";
import { concat } from "../../ops/shape.js";
import {
  MultiTaskModel, mlp, towers, fork, checkCommon, checkCount, checkWidths, softmaxRows, mixExperts, runExperts, perTask,
  type ArchitectureOptions, type MlpOptions, type MultiTaskOutput,
} from "./base.js";

/** Gate weights of one extraction layer: per task [batch, own + shared], and the shared gate's [batch, all]. */
export interface ExtractionGates { tasks: Record<string, Tensor>; shared: Tensor | null }

/** One extraction layer's output: per-task representations and the next layer's shared input. */
export interface ExtractionResult {
  tasks: Record<string, Tensor>;
  /** The next layer's shared input (non-final layers). */
  shared: Tensor | null;
  /** This layer's shared experts, stacked [batch, shared, H]. */
  sharedExperts: Tensor;
  gates: ExtractionGates;
}

/** One extraction layer: shared and per-task experts, per-task gates, and (non-final) a shared gate. */
export class ExtractionLayer extends Module {
  shared: Sequential[];
  taskExperts: Record<string, Sequential[]> = {};
  gates: Record<string, Linear> = {};
  sharedGate: Linear | null;

  constructor(readonly taskNames: string[], inputs: number, sharedExperts: number, taskExperts: Record<string, number>,
    widths: number[], final: boolean, opts: MlpOptions) {
    super();
    const expert = () => mlp([inputs, ...widths], { ...opts, activateLast: true, rng: fork(opts.rng) });
    this.shared = Array.from({ length: sharedExperts }, expert);
    let all = sharedExperts;
    for (const t of taskNames) {
      this.taskExperts[t] = Array.from({ length: taskExperts[t] }, expert);
      // A task's gate selects among its own experts and the shared ones (no bias, as the paper's W x).
      this.gates[t] = new Linear(inputs, taskExperts[t] + sharedExperts, { bias: false, rng: opts.rng });
      all += taskExperts[t];
    }
    this.sharedGate = final ? null : new Linear(inputs, all, { bias: false, rng: opts.rng });
  }

  /**
   * sharedIn feeds the shared experts and gate; taskIn[t] feeds task t's experts and gate.
   * `names` are the tasks to compute (all of them in a non-final layer, whose shared gate
   * reads every task's experts).
   */
  forward(sharedIn: Tensor, taskIn: Record<string, Tensor>, names: string[]): ExtractionResult {
    const sharedExperts = runExperts(this.shared, sharedIn);
    const own: Record<string, Tensor> = {};
    const tasks: Record<string, Tensor> = {};
    const gates: ExtractionGates = { tasks: {}, shared: null };
    for (const t of names) {
      own[t] = runExperts(this.taskExperts[t], taskIn[t]);
      // Order of the gate's choices: the task's own experts, then the shared ones.
      const g = softmaxRows(this.gates[t].forward(taskIn[t]));
      gates.tasks[t] = g;
      tasks[t] = mixExperts(g, concat([own[t], sharedExperts], 1));
    }
    let shared: Tensor | null = null;
    if (this.sharedGate) {
      // Order: every task's experts (in task order), then the shared ones.
      const g = softmaxRows(this.sharedGate.forward(sharedIn));
      gates.shared = g;
      shared = mixExperts(g, concat([...this.taskNames.map((t) => own[t]), sharedExperts], 1));
    }
    return { tasks, shared, sharedExperts, gates };
  }
}

export interface CGCOptions extends ArchitectureOptions {
  /** Number of shared experts. */
  sharedExperts: number;
  /** Number of experts per task: one count for every task, or per task name. */
  taskExperts: number | Record<string, number>;
  /** Widths of each expert MLP after its input (every layer's experts have the same shape). */
  expertWidths: number[];
}

export interface PLEOptions extends CGCOptions {
  /** Number of extraction layers (default 2; 1 is CGC). */
  layers?: number;
}

/**
 * Task-specific experts, task gates and towers belong to their task; shared experts and
 * the shared gates are shared. In PLE a task's lower-layer experts also reach the other
 * tasks through the shared gates (as the paper intends), but they are still that task's.
 * The representation is the stacked shared experts [batch, shared, H] for a single layer
 * (CGC), which carries every shared gradient; with several layers there is none (null).
 * @example
 * const model = new PLE({ tasks, inputs: 32, sharedExperts: 2, taskExperts: 1, expertWidths: [16], layers: 2 });
 */
export class PLE extends MultiTaskModel {
  readonly taskNames: string[];
  layers: ExtractionLayer[];
  towers: Record<string, Sequential>;

  /** @param name label for errors (CGC reuses this class). */
  constructor(opts: PLEOptions, name = "PLE") {
    super();
    const cgc = name === "CGC";
    const tasks = checkCommon(name, opts, ["sharedExperts", "taskExperts", "expertWidths", ...(cgc ? [] : ["layers"])]);
    const ms = checkCount(name, "sharedExperts", opts.sharedExperts);
    const mt = taskCounts(name, tasks, opts.taskExperts);
    const widths = checkWidths(name, "expertWidths", opts.expertWidths);
    const depth = cgc ? 1 : checkCount(name, "layers", opts.layers ?? 2);
    this.taskNames = tasks.map((t) => t.name);
    const mo: MlpOptions = { activation: opts.activation, dropout: opts.dropout, rng: opts.rng };
    const out = widths[widths.length - 1];
    this.layers = Array.from({ length: depth }, (_, l) =>
      new ExtractionLayer(this.taskNames, l === 0 ? opts.inputs : out, ms, mt, widths, l === depth - 1, mo));
    this.towers = towers(out, opts.towers ?? [], tasks, { activation: opts.activation, rng: opts.rng });
  }

  // A task's experts in a lower layer also feed the shared gate, so every task reaches them:
  // only the last layer's task experts, the task's gates and its tower are its own.
  override sharedPrefixes(): string[] { return ["layers."]; }
  override taskPrefixes(task: string): string[] {
    const last = this.layers.length - 1;
    return [`layers.${last}.taskExperts.${task}.`, ...this.layers.map((_, l) => `layers.${l}.gates.${task}.`), `towers.${task}.`];
  }

  forward(x: Tensor, tasks?: string[]): MultiTaskOutput {
    const { outputs, representation } = this.run(x, this.checkTasks(tasks));
    return { outputs, representation };
  }

  /** Every layer's gate weights for a batch (rows sum to 1). */
  gateWeights(x: Tensor, tasks?: string[]): ExtractionGates[] { return this.run(x, this.checkTasks(tasks)).gates; }

  private run(x: Tensor, names: string[]): MultiTaskOutput & { gates: ExtractionGates[] } {
    let shared = x;
    let taskIn: Record<string, Tensor> = Object.fromEntries(this.taskNames.map((t) => [t, x]));
    let res!: ExtractionResult;
    const gates: ExtractionGates[] = [];
    for (let l = 0; l < this.layers.length; l++) {
      // Only the final layer can skip tasks: earlier shared gates read every task's experts.
      res = this.layers[l].forward(shared, taskIn, l === this.layers.length - 1 ? names : this.taskNames);
      gates.push(res.gates);
      taskIn = res.tasks;
      if (res.shared) shared = res.shared;
    }
    const outputs = perTask(names, (t) => this.towers[t].forward(res.tasks[t]));
    return { outputs, representation: this.layers.length === 1 ? res.sharedExperts : null, gates };
  }
}

/**
 * CGC: a single extraction layer (no shared gate).
 * @example
 * const model = new CGC({ tasks, inputs: 32, sharedExperts: 2, taskExperts: 2, expertWidths: [16], towers: [8] });
 */
export class CGC extends PLE {
  constructor(opts: CGCOptions) { super(opts, "CGC"); }
}

function taskCounts(owner: string, tasks: Task[], v: number | Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  if (typeof v === "object" && v !== null) {
    for (const k of Object.keys(v)) {
      if (!tasks.some((t) => t.name === k)) throw new Error(`${owner}: taskExperts names unknown task "${k}" (tasks: ${tasks.map((t) => t.name).join(", ")})`);
    }
    for (const t of tasks) out[t.name] = checkCount(owner, `taskExperts.${t.name}`, v[t.name]);
  } else {
    const n = checkCount(owner, "taskExperts", v);
    for (const t of tasks) out[t.name] = n;
  }
  return out;
}
