// Consistency regularisation as an unlabelled auxiliary task (the Π-model): a training pass
// of the consistency task runs the wrapped model's target head twice on the same inputs,
// each time under its own draw of input noise, and outputs the difference of the two
// predictions (class probabilities for a classification target); the task's loss, mean
// squared error against zero labels, asks the head to agree with itself under noise, which
// needs no label. Laine, Aila, "Temporal Ensembling for Semi-Supervised Learning", ICLR
// 2017; Sajjadi, Javanmardi, Tasdizen, "Regularization With Stochastic Transformations and
// Perturbations for Deep Semi-Supervised Learning", NeurIPS 2016.
import { Tensor } from "../tensor.js";
import { sigmoid, sub } from "../ops/elementwise.js";
import { softmax } from "../ops/softmax.js";
import { Rng, type RngState } from "../random.js";
import type { Task } from "../mtl/tasks.js";
import { MultiTaskModel, fork, checkOptions, type MultiTaskOutput } from "../mtl/architectures/base.js";
import { checkDenoise, corrupt, type Denoise } from "./corrupt.js";
import { wrapModel } from "./autoencoder.js";
import { show } from "../validate.js";

export interface ConsistencyOptions {
  /** The multi-task model whose head must agree with itself (its heads are kept). */
  model: MultiTaskModel;
  /** The consistency task: outputs = the target head's outputs, loss "mse_loss", labels zeros. */
  task: Task;
  /** The task of the wrapped model whose predictions are compared. */
  target: string;
  /** The perturbation of each of the two views (masking or Gaussian noise). */
  noise: Denoise;
  /** What is compared: the head's softmax (default; a classification head), its sigmoid (binary) or its raw outputs (regression). */
  compare?: "softmax" | "sigmoid" | "raw";
  rng?: Rng;
}

/**
 * Parameters: the wrapped model's as `model.*`; the consistency task owns none (it trains
 * the trunk and the target head). Outside training (eval) both views are clean and the
 * output is zero.
 * @example
 * const digit = task("digit", { kind: "classification", outputs: 10 });
 * const agree = task("agree", { kind: "regression", outputs: 10, loss: "mse_loss", weight: 10 });
 * const base = new SharedBottom({ tasks: [digit], inputs: 784, trunk: [256, 64] });
 * const model = new Consistency({ model: base, task: agree, target: "digit", noise: { kind: "gaussian", std: 0.3 } });
 * const trainer = new Trainer(model, { tasks: [digit, agree] });
 * // one dataset per task: trainer.fit({ digit: labelled, agree: unlabelled }, ...), agree's labels zeros [n, 10]
 */
export class Consistency extends MultiTaskModel {
  readonly taskNames: string[];
  readonly task: Task;
  readonly target: string;
  readonly noise: Denoise;
  readonly compare: "softmax" | "sigmoid" | "raw";
  model: MultiTaskModel;
  private rng: Rng;

  constructor(opts: ConsistencyOptions) {
    super();
    checkOptions("Consistency", opts, ["model", "task", "target", "noise", "compare", "rng"]);
    const w = wrapModel("Consistency", opts.model, opts.task, 1);
    this.model = w.model; this.task = w.task;
    if (typeof opts.target !== "string" || !this.model.taskNames.includes(opts.target)) {
      throw new Error(`Consistency: target must name a task of the model (${this.model.taskNames.join(", ")}), got ${show(opts.target)}`);
    }
    this.target = opts.target;
    const noise = checkDenoise("Consistency", opts.noise);
    if (!noise) throw new Error("Consistency: noise is required ({ kind: \"gaussian\", std } or { kind: \"mask\", rate }): without it the two views are the same");
    this.noise = noise;
    const c = opts.compare ?? "softmax";
    if (c !== "softmax" && c !== "sigmoid" && c !== "raw") throw new Error(`Consistency: compare must be "softmax", "sigmoid" or "raw", got ${show(opts.compare)}`);
    this.compare = c;
    this.taskNames = [...this.model.taskNames, this.task.name];
    this.rng = fork(opts.rng);
  }

  override sharedPrefixes(): string[] | null { return this.model.sharedPrefixes()?.map((p) => `model.${p}`) ?? null; }
  override taskPrefixes(task: string): string[] {
    return task === this.task.name ? [] : this.model.taskPrefixes(task).map((p) => `model.${p}`);
  }
  override regularization(): Tensor | null { return this.model.regularization(); }
  override rngState(): RngState { return this.rng.state(); }
  override setRngState(s: RngState): void { this.rng = Rng.fromState(s); }

  forward(x: Tensor, tasks?: string[]): MultiTaskOutput {
    const names = this.checkTasks(tasks);
    const others = names.filter((t) => t !== this.task.name);
    const inner = this.model.forward(x, others);
    const outputs = { ...inner.outputs };
    if (names.includes(this.task.name)) outputs[this.task.name] = this.disagreement(x);
    return { outputs, representation: inner.representation };
  }

  /** The target head under two noise draws, minus each other: [batch, outputs]. */
  private disagreement(x: Tensor): Tensor {
    const view = () => {
      const out = this.model.forward(this.training ? corrupt(x, this.noise, this.rng) : x, [this.target]).outputs[this.target];
      return this.compare === "softmax" ? softmax(out, -1) : this.compare === "sigmoid" ? sigmoid(out) : out;
    };
    const a = view(), b = view();
    if (a.shape.length !== 2 || a.shape[1] !== this.task.outputs) throw new Error(`Consistency: task "${this.task.name}" has ${this.task.outputs} outputs, the target head gives ${a.describe()}`);
    return sub(a, b);
  }
}
