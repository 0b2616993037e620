// Multi-gate Mixture-of-Experts: E shared expert MLPs; each task has a softmax gate on
// the input and reads the gated sum of the experts, then its tower.
// Ma, Zhao, Yi, Chen, Hong, Chi, "Modeling Task Relationships in Multi-task Learning with
// Multi-gate Mixture-of-Experts", KDD 2018.
import { Linear, Sequential } from "../../nn/layers.js";
import { Tensor } from "../../tensor.js";
import {
  MultiTaskModel, mlp, towers, fork, checkCommon, checkCount, checkWidths, softmaxRows, mixExperts, runExperts, perTask,
  type ArchitectureOptions, type MultiTaskOutput,
} from "./base.js";

const NAME = "MMoE";

export interface MMoEOptions extends ArchitectureOptions {
  /** Number of experts E. */
  experts: number;
  /** Widths of each expert MLP after the input (its last width feeds the towers). */
  expertWidths: number[];
}

/**
 * Experts are shared; each task owns its gate (`gates.<task>`) and tower. The
 * representation is the stack of expert outputs [batch, E, H], which every gate reads.
 * @example
 * const model = new MMoE({ tasks, inputs: 32, experts: 8, expertWidths: [16], towers: [8] });
 */
export class MMoE extends MultiTaskModel {
  readonly taskNames: string[];
  experts: Sequential[];
  gates: Record<string, Linear> = {};
  towers: Record<string, Sequential>;

  constructor(opts: MMoEOptions) {
    super();
    const tasks = checkCommon(NAME, opts, ["experts", "expertWidths"]);
    const n = checkCount(NAME, "experts", opts.experts);
    const widths = checkWidths(NAME, "expertWidths", opts.expertWidths);
    this.taskNames = tasks.map((t) => t.name);
    this.experts = Array.from({ length: n }, () =>
      mlp([opts.inputs, ...widths], { activation: opts.activation, activateLast: true, dropout: opts.dropout, rng: fork(opts.rng) }));
    // g_k(x) = softmax(W_gk x): the paper's gate is linear without a bias.
    for (const t of tasks) this.gates[t.name] = new Linear(opts.inputs, n, { bias: false, rng: opts.rng });
    this.towers = towers(widths[widths.length - 1], opts.towers ?? [], tasks, { activation: opts.activation, rng: opts.rng });
  }

  override sharedPrefixes(): string[] { return ["experts."]; }
  override taskPrefixes(task: string): string[] { return [`gates.${task}.`, `towers.${task}.`]; }

  forward(x: Tensor, tasks?: string[]): MultiTaskOutput {
    const names = this.checkTasks(tasks);
    const experts = runExperts(this.experts, x);
    const outputs = perTask(names, (t) => this.towers[t].forward(mixExperts(this.gate(t, x), experts)));
    return { outputs, representation: experts };
  }

  /** Each task's gate weights for a batch: [batch, E], rows summing to 1. */
  gateWeights(x: Tensor, tasks?: string[]): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const t of this.checkTasks(tasks)) out[t] = this.gate(t, x);
    return out;
  }

  private gate(t: string, x: Tensor): Tensor { return softmaxRows(this.gates[t].forward(x)); }
}
