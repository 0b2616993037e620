// DSelect-k: a mixture of shared experts where each task's gate selects (at most) k of
// the E experts through k binary-encoded "single-expert selectors" built on a smooth-step
// function, mixed by a k-way softmax; differentiable, and exactly sparse once converged.
// Hazimeh, Zhao, Chowdhery, Sathiamoorthy, Chen, Mazumder, Hong, Chi, "DSelect-k:
// Differentiable Selection in the Mixture of Experts with Applications to Multi-Task
// Learning", NeurIPS 2021.
//
// Where the paper leaves details open we follow its reference TensorFlow implementation
// (google-research/dselect_k_moe):
// - smooth-step S(t) = 0 for t <= -g/2, 1 for t >= g/2, else -2t^3/g^3 + 3t/(2g) + 1/2;
// - m = ceil(log2 E) binary variables; expert i's code is i in binary, most significant
//   bit first; selector r_i = prod_j (S(z_j) if bit j of i is 1 else 1 - S(z_j));
// - expert weights = sum over the k selectors of softmax(w)_s * r^(s);
// - z initialised U(-g/100, g/100), w U(-0.05, 0.05) (weights and biases alike when the
//   gate is conditioned on the example);
// - the entropy regulariser is -sum r log(r + 1e-6), summed over selectors (and examples);
// - when E is not a power of two some codes name no expert, and the loss gains
//   sum 1 / sum_i r_i (per selector, per example) so the reachable experts keep weight;
//   the gate weights then sum to at most 1 (exactly 1 once that term is 1 per selector).
import { Module } from "../../nn/module.js";
import { Linear, Sequential } from "../../nn/layers.js";
import { initializers, resolveRng } from "../../nn/init.js";
import { Tensor } from "../../tensor.js";
import { isGradEnabled } from "../../autograd/tape.js";
import { rand, tensor } from "../../ops/creation.js";
import { add, affine, clamp, div, log, mul, neg, square } from "../../ops/elementwise.js";
import { sum } from "../../ops/reduce.js";
import { reshape, slice } from "../../ops/shape.js";
import type { Rng } from "../../random.js";
import {
  MultiTaskModel, mlp, towers, fork, checkCommon, checkCount, checkWidths, softmaxRows, mixExperts, runExperts, perTask,
  type ArchitectureOptions, type MultiTaskOutput,
} from "./base.js";

const NAME = "DSelectK";

/**
 * The smooth-step function with width gamma, from ops: a cubic of the logits clamped to
 * [-gamma/2, gamma/2]. The cubic is 0 and 1 with zero slope at the ends, so clamping first
 * gives the piecewise function and its gradient exactly.
 */
export function smoothStep(x: Tensor, gamma = 1): Tensor {
  const c = clamp(x, -gamma / 2, gamma / 2);
  const a3 = -2 / (gamma * gamma * gamma), a1 = 3 / (2 * gamma);
  return affine(mul(c, affine(square(c), a3, a1)), 1, 0.5);
}

/** A DSelect-k gate's output: expert weights and the k selectors. */
export interface DSelectKGateOutput {
  /** Expert weights: [batch, E] (example gating) or [E] (static gating). */
  weights: Tensor;
  /** The k single-expert selectors: [batch, k, E] or [k, E]. */
  selectors: Tensor;
}

/** One task's DSelect-k gate: k selectors over E experts, static or conditioned on the input. */
export class DSelectKGate extends Module {
  readonly bits: number;
  /** Selector logits z: a Linear to k*m (example gating) or a [k, m] parameter (static). */
  z: Linear | Tensor;
  /** Selector mixing logits w: a Linear to k, or a [k] parameter. */
  w: Linear | Tensor;
  // Per bit j, the code bit of every expert and its complement ([E] float constants; not
  // parameters or buffers, so they stay out of state dicts).
  private codeBits: Tensor[] = [];
  private codeZeros: Tensor[] = [];

  constructor(readonly experts: number, readonly k: number, readonly gamma: number, inputs: number | null, rng: Rng) {
    super();
    let m = 0;
    while ((1 << m) < experts) m++;
    this.bits = m;
    const zi = initializers.uniform(-gamma / 100, gamma / 100), wi = initializers.uniform(-0.05, 0.05);
    if (inputs === null) {
      this.z = this.param(rand([k, m], -gamma / 100, gamma / 100, rng));
      this.w = this.param(rand([k], -0.05, 0.05, rng));
    } else {
      this.z = new Linear(inputs, k * m, { weightInit: zi, biasInit: zi, rng });
      this.w = new Linear(inputs, k, { weightInit: wi, biasInit: wi, rng });
    }
    for (let j = 0; j < m; j++) {
      const b = Array.from({ length: experts }, (_, i) => (i >> (m - 1 - j)) & 1);
      this.codeBits.push(tensor(b, [experts]).keep());
      this.codeZeros.push(tensor(b.map((v) => 1 - v), [experts]).keep());
    }
  }

  /** Gate for a batch x [batch, inputs] (example gating), or the static gate (no x). */
  forward(x?: Tensor): DSelectKGateOutput {
    const { k, bits: m } = this;
    const example = this.z instanceof Linear;
    if (example && !x) throw new Error(`${this.label("DSelectKGate")}: an example-conditioned gate needs the input batch`);
    const zl = this.z instanceof Linear ? reshape(this.z.forward(x!), [x!.shape[0], k, m]) : this.z;
    const s = smoothStep(zl, this.gamma); // [.., k, m]
    let r: Tensor | null = null; // [.., k, E]
    for (let j = 0; j < m; j++) {
      const sj = slice(s, -1, j, j + 1); // [.., k, 1]
      // b * S + (1 - b) * (1 - S): exact for b in {0, 1}, no select op needed.
      const f = add(mul(this.codeBits[j], sj), mul(this.codeZeros[j], affine(sj, -1, 1)));
      r = r ? mul(r, f) : f;
    }
    const selectors = r!;
    const a = softmaxRows(this.w instanceof Linear ? this.w.forward(x!) : this.w); // [.., k]
    const weights = example
      ? mixExperts(a, selectors) // sum_s a[b, s] r[b, s, :]
      : reshape(mixExperts(a, reshape(selectors, [1, k, this.experts])), [this.experts]);
    return { weights, selectors };
  }
}

export interface DSelectKOptions extends ArchitectureOptions {
  /** Number of experts E (>= 2). */
  experts: number;
  /** Widths of each expert MLP after the input (its last width feeds the towers). */
  expertWidths: number[];
  /** How many experts each task's gate selects (1 <= k <= E). */
  k: number;
  /** Width of the smooth-step's cubic region (default 1). */
  gamma?: number;
  /** Weight of the selectors' entropy in regularization() (default 0: off). */
  entropyReg?: number;
  /** "example": the gate is a function of the input (default, as MMoE's gates); "static": one gate per task. */
  gating?: "example" | "static";
}

/**
 * Experts are shared; each task owns its gate (`gates.<task>`) and tower. The
 * representation is the stack of expert outputs [batch, E, H].
 *
 * regularization() returns the entropy term (when entropyReg > 0) and, when E is not a
 * power of two, the reachability term. With example gating both read the selectors of
 * each task's most recent forward pass in training mode, so call it in the same step
 * (scope) as forward, as the trainer does. It is null when neither term applies.
 * @example
 * const model = new DSelectK({ tasks, inputs: 32, experts: 8, k: 2, expertWidths: [16], towers: [8] });
 */
export class DSelectK extends MultiTaskModel {
  readonly taskNames: string[];
  readonly entropyReg: number;
  readonly staticGating: boolean;
  readonly numExperts: number;
  experts: Sequential[];
  gates: Record<string, DSelectKGate> = {};
  towers: Record<string, Sequential>;
  private lastSelectors = new Map<string, Tensor>();

  constructor(opts: DSelectKOptions) {
    super();
    const tasks = checkCommon(NAME, opts, ["experts", "expertWidths", "k", "gamma", "entropyReg", "gating"]);
    const n = checkCount(NAME, "experts", opts.experts, 2);
    const k = checkCount(NAME, "k", opts.k);
    if (k > n) throw new Error(`${NAME}: k must be <= experts (${n}), got ${k}`);
    const widths = checkWidths(NAME, "expertWidths", opts.expertWidths);
    const gamma = opts.gamma ?? 1;
    if (!(gamma > 0) || !Number.isFinite(gamma)) throw new Error(`${NAME}: gamma must be a finite number > 0, got ${opts.gamma}`);
    this.entropyReg = opts.entropyReg ?? 0;
    if (!(this.entropyReg >= 0) || !Number.isFinite(this.entropyReg)) throw new Error(`${NAME}: entropyReg must be a finite number >= 0, got ${opts.entropyReg}`);
    const gating = opts.gating ?? "example";
    if (gating !== "example" && gating !== "static") throw new Error(`${NAME}: gating must be "example" or "static", got ${JSON.stringify(opts.gating)}`);
    this.staticGating = gating === "static";
    this.taskNames = tasks.map((t) => t.name);
    this.numExperts = n;
    this.experts = Array.from({ length: n }, () =>
      mlp([opts.inputs, ...widths], { activation: opts.activation, activateLast: true, dropout: opts.dropout, rng: fork(opts.rng) }));
    const rng = resolveRng(opts.rng);
    for (const t of tasks) this.gates[t.name] = new DSelectKGate(n, k, gamma, this.staticGating ? null : opts.inputs, rng);
    this.towers = towers(widths[widths.length - 1], opts.towers ?? [], tasks, { activation: opts.activation, rng: opts.rng });
  }

  /** The tasks of the last training forward pass (regularization() covers those only). */
  private lastTasks: string[] = [];

  override sharedPrefixes(): string[] { return ["experts."]; }
  override taskPrefixes(task: string): string[] { return [`gates.${task}.`, `towers.${task}.`]; }

  forward(x: Tensor, tasks?: string[]): MultiTaskOutput {
    const names = this.checkTasks(tasks);
    const experts = runExperts(this.experts, x);
    const record = this.training && isGradEnabled();
    const outputs = perTask(names, (t) => {
      const g = this.gates[t].forward(x);
      if (record) this.lastSelectors.set(t, g.selectors);
      return this.towers[t].forward(mixExperts(g.weights, experts));
    });
    if (record) this.lastTasks = names; // regularization() covers the tasks this step trained
    return { outputs, representation: experts };
  }

  /** Each task's expert weights: [batch, E] (example gating) or [E] (static). */
  gateWeights(x: Tensor, tasks?: string[]): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const t of this.checkTasks(tasks)) out[t] = this.gates[t].forward(x).weights;
    return out;
  }

  override regularization(): Tensor | null {
    const pow2 = (this.numExperts & (this.numExperts - 1)) === 0;
    if (this.entropyReg === 0 && pow2) return null;
    const selectors: Tensor[] = [];
    for (const t of this.lastTasks) {
      if (this.staticGating) { selectors.push(this.gates[t].forward().selectors); continue; }
      const s = this.lastSelectors.get(t);
      if (s && !s.isDisposed) selectors.push(s);
    }
    if (selectors.length === 0) {
      throw new Error(`${NAME}: regularization() reads the gates' selectors of the last training forward pass; call it after forward, in the same step`);
    }
    let total: Tensor | null = null;
    const acc = (t: Tensor) => { total = total ? add(total, t) : t; };
    for (const r of selectors) {
      if (this.entropyReg > 0) acc(affine(neg(sum(mul(r, log(affine(r, 1, 1e-6))))), this.entropyReg));
      if (!pow2) acc(sum(div(1, sum(r, -1))));
    }
    return total;
  }
}
