// Fusion of per-task outputs into one final prediction: wraps a MultiTaskModel and adds a
// "fused" task computed from chosen task outputs, by a network over their concatenation,
// a weighted sum (fixed or learned weights), or their average. The wrapper is itself a
// MultiTaskModel, so the trainer trains the fused output like any other head.
import { scope } from "../engine/scope.js";
import { noGrad } from "../autograd/tape.js";
import { Module } from "../nn/module.js";
import { Sequential } from "../nn/layers.js";
import { Tensor } from "../tensor.js";
import { zeros } from "../ops/creation.js";
import { add, affine } from "../ops/elementwise.js";
import { concat, stack } from "../ops/shape.js";
import type { Rng } from "../random.js";
import type { Task } from "./tasks.js";
import {
  MultiTaskModel, mlp, checkOptions, softmaxRows, mixExperts,
  type Activation, type MultiTaskOutput,
} from "./architectures/base.js";

const NAME = "Fusion";

/** How a fusion head combines the task representations. */
export type FusionMethod = "mlp" | "weighted" | "average";

/** Options of a fusion head. */
export interface FusionOptions {
  /** The multi-task model whose outputs are fused. */
  model: MultiTaskModel;
  /** The fused output's declaration: its name (a new task name) and width. */
  task: Task;
  /** The task outputs to fuse: the declarations the model was built with (their widths matter). */
  sources: Task[];
  /**
   * "mlp": a network on the concatenated outputs; "weighted": sum_i w_i y_i; "average":
   * the mean of the outputs. Outputs are raw (logits for classification), so "average"
   * averages logits. "weighted" and "average" need every source as wide as the fused task.
   */
  method: FusionMethod;
  /** Hidden widths of the "mlp" network (default none: one Linear layer). */
  hidden?: number[];
  /** "weighted": fixed weights, one per source, or "learned" (default): softmax of a trained vector, starting uniform. */
  weights?: number[] | "learned";
  activation?: Activation;
  dropout?: number;
  rng?: Rng;
}

/** The learned mixing logits of a weighted fusion (a module so it is named `fusion.logits`). */
export class FusionWeights extends Module {
  logits: Tensor;
  constructor(n: number) { super(); this.logits = this.param(zeros([n])); }
  forward(): Tensor { return softmaxRows(this.logits); }
}

/**
 * The wrapped model's parameters are named `model.*` and keep its split; the fusion
 * network or learned weights (`fusion.*`) belong to the fused task. The fused loss also
 * trains the source towers and everything below them (the fusion is end-to-end).
 * @example
 * const fused = task("final", { kind: "regression", outputs: 1 });
 * const model = new Fusion({ model: base, task: fused, sources: tasks, method: "weighted" });
 * new Trainer(model, { tasks: [...tasks, fused] });
 */
export class Fusion extends MultiTaskModel {
  readonly taskNames: string[];
  readonly method: FusionMethod;
  readonly task: Task;
  model: MultiTaskModel;
  fusion: Sequential | FusionWeights | null;
  private readonly sourceNames: string[];
  private readonly fixed: number[] | null = null;
  private readonly sourceWidths: number[];

  constructor(opts: FusionOptions) {
    super();
    checkOptions(NAME, opts, ["model", "task", "sources", "method", "hidden", "weights", "activation", "dropout", "rng"]);
    if (!(opts.model instanceof MultiTaskModel)) throw new Error(`${NAME}: model must be a MultiTaskModel`);
    const { model, task, method } = opts;
    if (!task || typeof task.name !== "string" || !Number.isInteger(task.outputs)) throw new Error(`${NAME}: task must be a task() declaration`);
    if (model.taskNames.includes(task.name)) throw new Error(`${NAME}: the fused task "${task.name}" is already a task of the model (${model.taskNames.join(", ")})`);
    if (!Array.isArray(opts.sources) || opts.sources.length === 0) throw new Error(`${NAME}: sources must be a non-empty list of the model's tasks`);
    const names = opts.sources.map((t) => t.name);
    for (const n of names) {
      if (!model.taskNames.includes(n)) throw new Error(`${NAME}: source "${n}" is not a task of the model (${model.taskNames.join(", ")})`);
    }
    if (new Set(names).size !== names.length) throw new Error(`${NAME}: sources name a task twice`);
    if (method !== "mlp" && method !== "weighted" && method !== "average") {
      throw new Error(`${NAME}: method must be "mlp", "weighted" or "average", got ${JSON.stringify(method)}`);
    }
    if (method !== "mlp" && opts.hidden !== undefined) throw new Error(`${NAME}: hidden applies to method "mlp" only`);
    if (method !== "weighted" && opts.weights !== undefined) throw new Error(`${NAME}: weights apply to method "weighted" only`);
    if (method !== "mlp") {
      for (const s of opts.sources) {
        if (s.outputs !== task.outputs) {
          throw new Error(`${NAME}: method "${method}" needs every source as wide as the fused task "${task.name}" (${task.outputs}); "${s.name}" has ${s.outputs}`);
        }
      }
    }
    this.model = model;
    this.task = task;
    this.method = method;
    this.sourceNames = names;
    this.taskNames = [...model.taskNames, task.name];
    if (method === "mlp" && !(opts.hidden?.length) && (opts.dropout !== undefined || opts.activation !== undefined)) {
      throw new Error(`${NAME}: dropout and activation need hidden layers (method "mlp" without hidden is one Linear layer)`);
    }
    this.sourceWidths = opts.sources.map((t) => t.outputs);
    if (method === "mlp") {
      const width = opts.sources.reduce((s, t) => s + t.outputs, 0);
      this.fusion = mlp([width, ...(opts.hidden ?? []), task.outputs], { activation: opts.activation, dropout: opts.dropout, rng: opts.rng });
    } else if (method === "weighted" && (opts.weights ?? "learned") === "learned") {
      this.fusion = new FusionWeights(names.length);
    } else {
      this.fusion = null;
      if (method === "weighted") {
        const w = opts.weights as number[];
        if (!Array.isArray(w) || w.length !== names.length || !w.every(Number.isFinite)) {
          throw new Error(`${NAME}: weights must be "learned" or ${names.length} finite numbers (one per source), got ${JSON.stringify(opts.weights)}`);
        }
        this.fixed = [...w];
      }
    }
  }

  // The fused loss trains the sources' heads too, so a source task owns nothing alone.
  override sharedPrefixes(): string[] { return ["model."]; }
  override taskPrefixes(task: string): string[] {
    if (task === this.task.name) return this.fusion ? ["fusion."] : [];
    if (this.sourceNames.includes(task)) return [];
    return this.model.taskPrefixes(task).map((p) => `model.${p}`);
  }

  override regularization(): Tensor | null { return this.model.regularization(); }

  forward(x: Tensor, tasks?: string[]): MultiTaskOutput {
    const names = this.checkTasks(tasks);
    const fused = names.includes(this.task.name);
    const base = names.filter((t) => t !== this.task.name);
    const need = fused ? [...base, ...this.sourceNames.filter((t) => !base.includes(t))] : base;
    const inner = this.model.forward(x, need);
    const outputs: Record<string, Tensor> = {};
    for (const t of base) outputs[t] = inner.outputs[t];
    if (fused) {
      const ys = this.sourceNames.map((t, i) => {
        const y = inner.outputs[t], w = y.shape[y.rank - 1];
        if (w !== this.sourceWidths[i]) throw new Error(`${NAME}: source "${t}" was declared with ${this.sourceWidths[i]} outputs, its head gives ${w}`);
        return y;
      });
      outputs[this.task.name] = this.fuse(ys);
    }
    return { outputs, representation: inner.representation };
  }

  /** The fusion weights in source order (fixed, learned after softmax, or 1/n for "average"); null for "mlp". */
  weights(): number[] | null {
    if (this.method === "mlp") return null;
    if (this.fixed) return [...this.fixed];
    const f = this.fusion;
    if (f instanceof FusionWeights) return scope(() => noGrad(() => Array.from(f.forward().data())));
    return this.sourceNames.map(() => 1 / this.sourceNames.length);
  }

  private fuse(ys: Tensor[]): Tensor {
    if (this.fusion instanceof Sequential) return this.fusion.forward(concat(ys, -1));
    if (this.fusion instanceof FusionWeights) return mixExperts(this.fusion.forward(), stack(ys, 1));
    const w = this.fixed ?? ys.map(() => 1 / ys.length);
    let total = affine(ys[0], w[0]);
    for (let i = 1; i < ys.length; i++) total = add(total, affine(ys[i], w[i]));
    return total;
  }
}
