// Cross-stitch networks: one column of layers per task; after every layer a learned
// T x T cross-stitch matrix mixes the tasks' activations, x~_i = sum_j alpha_ij x_j.
// Misra, Shrivastava, Gupta, Hebert, "Cross-stitch Networks for Multi-task Learning",
// CVPR 2016.
import { Module } from "../../nn/module.js";
import { Sequential } from "../../nn/layers.js";
import { Tensor } from "../../tensor.js";
import { tensor } from "../../ops/creation.js";
import { matmul } from "../../ops/matmul.js";
import { concat, reshape, slice } from "../../ops/shape.js";
import {
  MultiTaskModel, mlp, towers, fork, checkCommon, checkWidths, perTask,
  type ArchitectureOptions, type MultiTaskOutput,
} from "./base.js";
import { independent } from "../../engine/engine.js";

const NAME = "CrossStitch";

/** One cross-stitch unit: alpha [T, T], row i the weights of task i's mixed activation. */
export class CrossStitchUnit extends Module {
  alpha: Tensor;
  constructor(readonly tasks: number, self: number) {
    super();
    // The paper starts from a convex combination close to independent columns (alpha_S
    // = 0.9, alpha_D = 0.1 worked best); with T tasks the rest is split evenly.
    const other = tasks > 1 ? (1 - self) / (tasks - 1) : 0;
    const a = new Array<number>(tasks * tasks);
    for (let i = 0; i < tasks; i++) for (let j = 0; j < tasks; j++) a[i * tasks + j] = i === j ? (tasks > 1 ? self : 1) : other;
    this.alpha = this.param(tensor(a, [tasks, tasks]));
  }

  /** Mix T activations of equal shape: xs[i] -> sum_j alpha[i, j] xs[j]. */
  forward(xs: Tensor[]): Tensor[] {
    if (xs.length !== this.tasks) throw new Error(`${this.label("CrossStitchUnit")}: got ${xs.length} activations, expected ${this.tasks}`);
    const shape = xs[0].shape;
    // One matmul over the flattened activations: [T, T] . [T, batch * width].
    const mixed = matmul(this.alpha, concat(xs.map((h) => reshape(h, [1, -1])), 0));
    return xs.map((_, i) => reshape(slice(mixed, 0, i, i + 1), shape));
  }
}

export interface CrossStitchOptions extends ArchitectureOptions {
  /** Widths of each task's column after the input; a cross-stitch unit follows every layer. */
  columns: number[];
  /**
   * Initial diagonal of every cross-stitch matrix (default 0.9); off-diagonal entries are
   * (1 - stitchInit) / (T - 1), so rows sum to 1. stitchInit: 1 starts from independent columns.
   */
  stitchInit?: number;
}

/**
 * Only the towers belong to one task: after the first cross-stitch unit every task's loss
 * reaches every column, so the columns and the units are shared parameters (gradient
 * methods such as PCGrad must see them). The paper trains the units with a larger learning rate
 * (10^2 to 10^3 times the base one): give `stitches.` its own parameter group.
 * @example
 * const model = new CrossStitch({ tasks, inputs: 32, columns: [64, 32], towers: [16] });
 */
export class CrossStitch extends MultiTaskModel {
  readonly taskNames: string[];
  columns: Record<string, Sequential[]> = {};
  stitches: CrossStitchUnit[] = [];
  towers: Record<string, Sequential>;

  constructor(opts: CrossStitchOptions) {
    super();
    const tasks = checkCommon(NAME, opts, ["columns", "stitchInit"]);
    const widths = checkWidths(NAME, "columns", opts.columns);
    const self = opts.stitchInit ?? 0.9;
    if (!(self >= 0 && self <= 1)) throw new Error(`${NAME}: stitchInit must be in [0, 1] (rows are convex combinations), got ${opts.stitchInit}`);
    this.taskNames = tasks.map((t) => t.name);
    const ins = [opts.inputs, ...widths];
    for (const t of tasks) {
      this.columns[t.name] = widths.map((w, l) => mlp([ins[l], w], { activation: opts.activation, activateLast: true, dropout: opts.dropout, rng: fork(opts.rng) }));
    }
    this.stitches = widths.map(() => new CrossStitchUnit(tasks.length, self));
    this.towers = towers(widths[widths.length - 1], opts.towers ?? [], tasks, { activation: opts.activation, rng: opts.rng });
  }

  override sharedPrefixes(): string[] { return ["columns.", "stitches."]; }
  override taskPrefixes(task: string): string[] { return [`towers.${task}.`]; }

  forward(x: Tensor, tasks?: string[]): MultiTaskOutput {
    const names = this.checkTasks(tasks);
    // Every column runs even for a subset of tasks: the stitches mix all of them.
    let hs = this.taskNames.map(() => x);
    this.stitches.forEach((unit, l) => {
      // each task's column reads its own input alone: independent work (see perTask)
      hs = unit.forward(independent(this.taskNames.length, (i) => this.columns[this.taskNames[i]][l].forward(hs[i])));
    });
    const outputs = perTask(names, (t) => this.towers[t].forward(hs[this.taskNames.indexOf(t)]));
    // Each head reads its own (mixed) column: there is no single shared representation.
    return { outputs, representation: null };
  }
}
