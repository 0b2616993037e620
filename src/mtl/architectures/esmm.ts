// Entire Space Multi-task Model: a CTR tower and a CVR tower over a shared bottom; the
// conversion head is pCTCVR = pCTR x pCVR, so both losses (click, and click-and-convert)
// are taken over every impression, and pCVR is learned without the sample-selection bias
// of training it on clicked impressions only.
// Ma, Zhao, Huang, Wang, Hu, Zhu, Gai, "Entire Space Multi-Task Model: An Effective
// Approach for Estimating Post-Click Conversion Rate", SIGIR 2018.
import { Sequential } from "../../nn/layers.js";
import { Tensor } from "../../tensor.js";
import { add, clamp, log, mul, neg, sigmoid, softplus, sub } from "../../ops/elementwise.js";
import type { Task } from "../tasks.js";
import type { Rng } from "../../random.js";
import { MultiTaskModel, mlp, fork, checkOptions, checkTaskList, checkWidths, type Activation, type MultiTaskOutput } from "./base.js";
import { show } from "../../validate.js";

const NAME = "ESMM";

/** Options of ESMM: the click and click-and-convert tasks, the shared bottom and the towers. */
export interface ESMMOptions {
  /** The click task (binary: clicked or not, over all impressions). */
  ctr: Task;
  /** The click-and-convert task (binary: clicked and converted, over all impressions). */
  ctcvr: Task;
  inputs: number;
  /** Widths of the shared bottom (the paper shares the embedding layer). */
  bottom: number[];
  /** Hidden widths of the CTR and CVR towers (default none). */
  towers?: number[];
  activation?: Activation;
  dropout?: number;
  rng?: Rng;
}

/**
 * logit(sigmoid(a) sigmoid(b)) without cancellation: log s(a) + log s(b) - log(1 - s(a) s(b)),
 * with 1 - s(a) s(b) = s(-a) + s(a) s(-b) (a sum of positives) and log s(a) = -softplus(-a).
 */
export function productLogit(a: Tensor, b: Tensor): Tensor {
  const logP = neg(add(softplus(neg(a)), softplus(neg(b))));
  const rest = add(sigmoid(neg(a)), mul(sigmoid(a), sigmoid(neg(b))));
  return sub(logP, log(clamp(rest, 1e-30, 1)));
}

/**
 * Outputs are logits, as every binary head here: the ctcvr head's sigmoid is exactly
 * pCTR x pCVR, so its task takes the usual binary cross-entropy with logits over the
 * entire space. The CTR tower is trained by both losses, so it is shared; the CVR tower
 * (`cvrTower.*`) belongs to the ctcvr task; pCVR itself is `cvrLogits(x)`.
 * @example
 * const ctr = task("ctr", { kind: "binary", outputs: 1 }), ctcvr = task("ctcvr", { kind: "binary", outputs: 1 });
 * const model = new ESMM({ ctr, ctcvr, inputs: 32, bottom: [64], towers: [32] });
 * // by config (polyhead/io's saveModel / loadModel), the tasks in the order [ctr, ctcvr]:
 * const saved = createModel("ESMM", { tasks: [ctr, ctcvr], inputs: 32, bottom: [64], towers: [32] });
 */
export class ESMM extends MultiTaskModel {
  readonly taskNames: string[];
  readonly ctr: string;
  readonly ctcvr: string;
  bottom: Sequential;
  ctrTower: Sequential;
  cvrTower: Sequential;

  constructor(opts: ESMMOptions) {
    super();
    checkOptions(NAME, opts, ["ctr", "ctcvr", "inputs", "bottom", "towers", "activation", "dropout", "rng"]);
    const [ctr, ctcvr] = checkTaskList(NAME, [opts.ctr, opts.ctcvr]);
    for (const t of [ctr, ctcvr]) if (t.outputs !== 1) throw new Error(`${NAME}: task "${t.name}" must have one output (a binary task), got ${t.outputs}`);
    if (!(Number.isInteger(opts.inputs) && opts.inputs > 0)) throw new Error(`${NAME}: inputs must be a positive integer, got ${show(opts.inputs)}`);
    const bottom = checkWidths(NAME, "bottom", opts.bottom);
    const hidden = opts.towers === undefined ? [] : opts.towers.length === 0 ? [] : checkWidths(NAME, "towers", opts.towers);
    this.ctr = ctr.name; this.ctcvr = ctcvr.name;
    this.taskNames = [ctr.name, ctcvr.name];
    this.bottom = mlp([opts.inputs, ...bottom], { activation: opts.activation, activateLast: true, dropout: opts.dropout, rng: fork(opts.rng) });
    const w = bottom[bottom.length - 1];
    this.ctrTower = mlp([w, ...hidden, 1], { activation: opts.activation, rng: fork(opts.rng) });
    this.cvrTower = mlp([w, ...hidden, 1], { activation: opts.activation, rng: fork(opts.rng) });
  }

  override sharedPrefixes(): string[] { return ["bottom.", "ctrTower."]; }
  override taskPrefixes(task: string): string[] { return task === this.ctcvr ? ["cvrTower."] : []; }

  forward(x: Tensor, tasks?: string[]): MultiTaskOutput {
    const names = this.checkTasks(tasks);
    const h = this.bottom.forward(x);
    const outputs: Record<string, Tensor> = {};
    const ctr = this.ctrTower.forward(h);
    if (names.includes(this.ctr)) outputs[this.ctr] = ctr;
    if (names.includes(this.ctcvr)) outputs[this.ctcvr] = productLogit(ctr, this.cvrTower.forward(h));
    return { outputs, representation: h };
  }

  /** pCVR's logits, [batch, 1]: the conversion rate given a click, for every impression. */
  cvrLogits(x: Tensor): Tensor { return this.cvrTower.forward(this.bottom.forward(x)); }
}
