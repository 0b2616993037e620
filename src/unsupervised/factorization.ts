// Matrix factorisation for collaborative filtering as a multi-task model: shared user and
// item embeddings, and per task a scorer on the pair: "dot" (Koren, Bell, Volinsky,
// "Matrix Factorization Techniques for Recommender Systems", IEEE Computer 2009: p_u . q_i
// + b_u + b_i + b), "gmf" (a learned weighting of p_u * q_i) or "mlp" (NCF's MLP on
// [p_u, q_i]; He et al., "Neural Collaborative Filtering", WWW 2017). Tasks on the same
// users train jointly: a rating regression and a click classification share the factors.
import { Embedding } from "../nn/embedding.js";
import { Module } from "../nn/module.js";
import { Linear, Sequential } from "../nn/layers.js";
import { Tensor } from "../tensor.js";
import { zeros, full } from "../ops/creation.js";
import { add, mul } from "../ops/elementwise.js";
import { sum } from "../ops/reduce.js";
import { concat, reshape, slice } from "../ops/shape.js";
import { initializers } from "../nn/init.js";
import type { Rng } from "../random.js";
import type { Task } from "../mtl/tasks.js";
import { MultiTaskModel, mlp, checkCount, checkOptions, checkTaskList, type Activation, type MultiTaskOutput } from "../mtl/architectures/base.js";
import { show } from "../validate.js";
import { architectureNames, registerArchitecture } from "../io/registry.js";

export type Scorer = "dot" | "gmf" | "mlp";

export interface MatrixFactorizationOptions {
  tasks: Task[];
  users: number;
  items: number;
  /** Latent factors per user and item. */
  factors: number;
  /** The scorer of every task, or one per task (default "dot"). */
  scorer?: Scorer | Record<string, Scorer>;
  /** Hidden widths of the "mlp" scorers (default [2 x factors, factors]). */
  hidden?: number[];
  /** Per-task user and item biases (default true; "dot" and "gmf" only). */
  biases?: boolean;
  /** Std of the normal initialisation of the factors (default 0.1). */
  initStd?: number;
  activation?: Activation;
  rng?: Rng;
}

/** One task's scorer over (p_u, q_i), with its own biases. */
export class PairScorer extends Module {
  net: Sequential | Linear | null;
  userBias: Embedding | null;
  itemBias: Embedding | null;
  bias: Tensor | null;
  constructor(readonly kind: Scorer, factors: number, outputs: number, users: number, items: number, biases: boolean, hidden: number[], activation: Activation | undefined, rng: Rng | undefined) {
    super();
    if (kind === "dot" && outputs !== 1) throw new Error(`MatrixFactorization: the "dot" scorer gives one score; use "gmf" or "mlp" for ${outputs} outputs`);
    this.net = kind === "gmf" ? new Linear(factors, outputs, { bias: false, weightInit: (s) => full(s, 1), rng })
      : kind === "mlp" ? mlp([2 * factors, ...hidden, outputs], { activation, rng }) : null;
    const withBias = biases && kind !== "mlp";
    this.userBias = withBias ? new Embedding(users, outputs, { weightInit: (s) => zeros(s) }) : null;
    this.itemBias = withBias ? new Embedding(items, outputs, { weightInit: (s) => zeros(s) }) : null;
    this.bias = withBias ? this.param(zeros([outputs])) : null;
  }
  forward(p: Tensor, q: Tensor, u: Tensor, i: Tensor): Tensor {
    let y: Tensor;
    if (this.kind === "mlp") return (this.net as Sequential).forward(concat([p, q], 1));
    if (this.kind === "gmf") y = (this.net as Linear).forward(mul(p, q));
    else y = reshape(sum(mul(p, q), 1), [p.shape[0], 1]);
    if (this.userBias && this.itemBias && this.bias) y = add(add(add(y, this.userBias.forward(u)), this.itemBias.forward(i)), this.bias);
    return y;
  }
}

/**
 * Input x: int32 [batch, 2] of (user, item) indices. Parameters: `users.*` and `items.*`
 * shared (the factors), `towers.<task>.*` each task's scorer and biases. The representation
 * is [p_u, q_i] concatenated.
 * @example
 * const rating = task("rating", { kind: "regression", outputs: 1, metrics: ["rmse"] });
 * const click = task("click", { kind: "binary", outputs: 1 });
 * const mf = new MatrixFactorization({ tasks: [rating, click], users: 943, items: 1682, factors: 16, scorer: { rating: "dot", click: "mlp" } });
 * // or, to save and load it by config (polyhead/io's saveModel / loadModel):
 * const saved = createModel("MatrixFactorization", { tasks: [rating, click], users: 943, items: 1682, factors: 16 });
 */
export class MatrixFactorization extends MultiTaskModel {
  readonly taskNames: string[];
  readonly users: Embedding;
  readonly items: Embedding;
  towers: Record<string, PairScorer> = {};

  constructor(readonly options: MatrixFactorizationOptions) {
    super();
    const who = "MatrixFactorization";
    checkOptions(who, options, ["tasks", "users", "items", "factors", "scorer", "hidden", "biases", "initStd", "activation", "rng"]);
    const tasks = checkTaskList(who, options.tasks);
    const users = checkCount(who, "users", options.users), items = checkCount(who, "items", options.items), f = checkCount(who, "factors", options.factors);
    const std = options.initStd ?? 0.1;
    if (!(typeof std === "number" && std > 0 && Number.isFinite(std))) throw new Error(`${who}: initStd must be a finite number > 0, got ${show(options.initStd)}`);
    this.taskNames = tasks.map((t) => t.name);
    this.users = new Embedding(users, f, { weightInit: initializers.normal(0, std), rng: options.rng });
    this.items = new Embedding(items, f, { weightInit: initializers.normal(0, std), rng: options.rng });
    const sc = options.scorer ?? "dot";
    for (const t of tasks) {
      const kind = typeof sc === "string" ? sc : sc[t.name] ?? "dot";
      if (kind !== "dot" && kind !== "gmf" && kind !== "mlp") throw new Error(`${who}: scorer of task "${t.name}" must be "dot", "gmf" or "mlp", got ${show(kind)}`);
      this.towers[t.name] = new PairScorer(kind, f, t.outputs, users, items, options.biases ?? true, options.hidden ?? [2 * f, f], options.activation, options.rng);
    }
    if (typeof sc === "object") for (const k of Object.keys(sc)) if (!this.taskNames.includes(k)) throw new Error(`${who}: scorer has a key "${k}" that names no task`);
  }

  override sharedPrefixes(): string[] { return ["users.", "items."]; }

  forward(x: Tensor, tasks?: string[]): MultiTaskOutput {
    const names = this.checkTasks(tasks);
    if (x.rank !== 2 || x.shape[1] !== 2 || x.dtype !== "int32") throw new Error(`MatrixFactorization: x ${x.describe()} must be int32 [batch, 2] of (user, item) indices`);
    const n = x.shape[0];
    const u = reshape(slice(x, 1, 0, 1), [n]), i = reshape(slice(x, 1, 1, 2), [n]);
    const p = this.users.forward(u), q = this.items.forward(i);
    const outputs: Record<string, Tensor> = {};
    for (const t of names) outputs[t] = this.towers[t].forward(p, q, u, i);
    return { outputs, representation: concat([p, q], 1) };
  }
}

// configs name it (createModel / loadModel): registered when polyhead/unsupervised is imported
if (!architectureNames().includes("MatrixFactorization")) registerArchitecture("MatrixFactorization", (o) => new MatrixFactorization(o as never));
