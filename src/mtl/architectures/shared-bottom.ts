// Hard parameter sharing: one shared trunk, one tower per task.
// Caruana, "Multitask Learning", Machine Learning 28 (1997).
import { Module } from "../../nn/module.js";
import { Sequential } from "../../nn/layers.js";
import { Tensor } from "../../tensor.js";
import type { Task } from "../tasks.js";
import type { Rng } from "../../random.js";
import { MultiTaskModel, mlp, towers, perTask, checkOptions, checkTaskList, checkTowers, type Activation, type MultiTaskOutput } from "./base.js";

/** Options of SharedBottom: the tasks, input width, shared trunk and per-task towers. */
export interface SharedBottomOptions {
  tasks: Task[];
  /** Input features (with an MLP trunk). */
  inputs?: number;
  /** Trunk widths after the input (an MLP), or any Module with `trunkOutputs` given. */
  trunk: number[] | Module;
  trunkOutputs?: number;
  /** Tower hidden widths, shared by all tasks or per task. */
  towers?: number[] | Record<string, number[]>;
  activation?: Activation;
  dropout?: number;
  rng?: Rng;
}

/**
 * @example
 * const model = new SharedBottom({ tasks, inputs: 784, trunk: [256, 128], towers: [64] });
 * const { outputs } = model.forward(x); // outputs.digit: [batch, 10]
 */
export class SharedBottom extends MultiTaskModel {
  readonly taskNames: string[];
  trunk: Module;
  towers: Record<string, Sequential>;

  constructor(opts: SharedBottomOptions) {
    super();
    checkOptions("SharedBottom", opts, ["tasks", "inputs", "trunk", "trunkOutputs", "towers", "activation", "dropout", "rng"]);
    this.taskNames = checkTaskList("SharedBottom", opts.tasks).map((t) => t.name);
    checkTowers("SharedBottom", opts.towers, opts.tasks);
    let width: number;
    if (opts.trunk instanceof Module) {
      if (!opts.trunkOutputs) throw new Error("SharedBottom: a Module trunk needs trunkOutputs (its output width)");
      for (const k of ["inputs", "dropout"] as const) {
        if (opts[k] !== undefined) throw new Error(`SharedBottom: ${k} applies to an MLP trunk only (build it into the Module trunk)`);
      }
      this.trunk = opts.trunk;
      width = opts.trunkOutputs;
    } else {
      if (!opts.inputs) throw new Error("SharedBottom: an MLP trunk needs inputs (the input width)");
      if (opts.trunk.length === 0) throw new Error("SharedBottom: trunk needs at least one width");
      this.trunk = mlp([opts.inputs, ...opts.trunk], { activation: opts.activation, activateLast: true, dropout: opts.dropout, rng: opts.rng });
      width = opts.trunk[opts.trunk.length - 1];
    }
    this.towers = towers(width, opts.towers ?? [], opts.tasks, { activation: opts.activation, rng: opts.rng });
  }

  override sharedPrefixes(): string[] { return ["trunk."]; }

  forward(x: Tensor, tasks?: string[]): MultiTaskOutput {
    const names = this.checkTasks(tasks);
    const h = (this.trunk as unknown as { forward(t: Tensor): Tensor }).forward(x);
    const outputs = perTask(names, (t) => this.towers[t].forward(h));
    return { outputs, representation: h };
  }
}
