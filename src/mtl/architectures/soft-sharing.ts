// Soft parameter sharing: every task has its own trunk and tower, and a penalty ties the
// trunks' parameters together (lambda * sum over task pairs of ||theta_i - theta_j||^2).
// Duong, Cohn, Bird, Cook, "Low Resource Dependency Parsing: Cross-lingual Parameter
// Sharing in a Neural Network Parser", ACL 2015. (Yang & Hospedales 2017 trace-norm
// variant not implemented.)
import { Sequential } from "../../nn/layers.js";
import { Tensor } from "../../tensor.js";
import { add, affine, square, sub } from "../../ops/elementwise.js";
import { sum } from "../../ops/reduce.js";
import { concat, reshape } from "../../ops/shape.js";
import {
  MultiTaskModel, mlp, towers, fork, checkCommon, checkWidths, perTask,
  type ArchitectureOptions, type MultiTaskOutput,
} from "./base.js";

const NAME = "SoftSharing";

export interface SoftSharingOptions extends ArchitectureOptions {
  /** Widths of each task's trunk after the input (an MLP; every trunk has the same shape). */
  trunk: number[];
  /** Strength of the tie between trunks (default 1e-3). */
  lambda?: number;
}

/**
 * @example
 * const model = new SoftSharing({ tasks, inputs: 32, trunk: [64, 32], lambda: 1e-3 });
 * loss = add(taskLoss, model.regularization()!);
 */
export class SoftSharing extends MultiTaskModel {
  readonly taskNames: string[];
  readonly lambda: number;
  trunks: Record<string, Sequential> = {};
  towers: Record<string, Sequential>;

  constructor(opts: SoftSharingOptions) {
    super();
    const tasks = checkCommon(NAME, opts, ["trunk", "lambda"]);
    const widths = checkWidths(NAME, "trunk", opts.trunk);
    this.lambda = opts.lambda ?? 1e-3;
    if (!(this.lambda >= 0) || !Number.isFinite(this.lambda)) throw new Error(`${NAME}: lambda must be a finite number >= 0, got ${opts.lambda}`);
    this.taskNames = tasks.map((t) => t.name);
    for (const t of tasks) {
      this.trunks[t.name] = mlp([opts.inputs, ...widths], { activation: opts.activation, activateLast: true, dropout: opts.dropout, rng: fork(opts.rng) });
    }
    this.towers = towers(widths[widths.length - 1], opts.towers ?? [], tasks, { activation: opts.activation, rng: opts.rng });
  }

  override sharedPrefixes(): string[] { return []; }
  override taskPrefixes(task: string): string[] { return [`trunks.${task}.`, `towers.${task}.`]; }

  forward(x: Tensor, tasks?: string[]): MultiTaskOutput {
    const outputs = perTask(this.checkTasks(tasks), (t) => this.towers[t].forward(this.trunks[t].forward(x)));
    // Each head reads its own trunk: there is no shared representation.
    return { outputs, representation: null };
  }

  /** lambda * sum over task pairs i < j of ||theta_i - theta_j||^2 over the trunks' parameters (null with one task). */
  override regularization(): Tensor | null {
    if (this.taskNames.length < 2) return null;
    // Trunks have identical shapes, so each one flattens to a vector in the same order,
    // and the sum over parameters of squared distances is one squared distance.
    const vecs = this.taskNames.map((t) => concat(this.trunks[t].parameters().map((p) => reshape(p, [-1]))));
    let total: Tensor | null = null;
    for (let i = 0; i < vecs.length; i++) {
      for (let j = i + 1; j < vecs.length; j++) {
        const d = sum(square(sub(vecs[i], vecs[j])));
        total = total ? add(total, d) : d;
      }
    }
    return affine(total!, this.lambda);
  }
}
