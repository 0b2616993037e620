// Multi-Task Attention Network: a shared convolutional trunk of blocks, and per task a soft
// attention module at each block, a mask in (0, 1) learned from the block's shared features
// (and the task's features from the block before), multiplied into them; the task's
// features pass a shared 3x3 convolution and pooling on to the next block's attention.
// Liu, Johns, Davison, "End-to-End Multi-Task Learning with Attention", CVPR 2019.
import { Module } from "../../nn/module.js";
import { Conv2d } from "../../nn/conv.js";
import { Sequential } from "../../nn/layers.js";
import { Tensor } from "../../tensor.js";
import { mul, sigmoid } from "../../ops/elementwise.js";
import { maxPool2d } from "../../ops/conv.js";
import { mean } from "../../ops/reduce.js";
import { concat } from "../../ops/shape.js";
import type { Task } from "../tasks.js";
import type { Rng } from "../../random.js";
import { MultiTaskModel, activation, towers, perTask, checkOptions, checkTaskList, checkTowers, checkWidths, checkCount, type Activation, type MultiTaskOutput } from "./base.js";

const NAME = "MTAN";

/** Options of MTAN: the shared convolutional trunk's channels, the activation and the per-task heads. */
export interface MTANOptions {
  tasks: Task[];
  /** Input channels of the [batch, channels, height, width] images. */
  inChannels: number;
  /** Channels of each shared block (a 3x3 convolution and activation; 2x2 max pooling between blocks). */
  channels: number[];
  /** Tower hidden widths after global average pooling of each task's attended features. */
  towers?: number[] | Record<string, number[]>;
  activation?: Activation;
  rng?: Rng;
}

/** A conv layer then the activation. */
class ConvAct extends Module {
  conv: Conv2d;
  act: Module;
  constructor(inC: number, outC: number, k: number, act: Activation, rng?: Rng) {
    super();
    this.conv = new Conv2d(inC, outC, k, { padding: (k - 1) / 2, rng });
    this.act = activation(act);
  }
  forward(x: Tensor): Tensor { return (this.act as unknown as { forward(t: Tensor): Tensor }).forward(this.conv.forward(x)); }
}

/** The paper's attention module: two 1x1 convolutions, the second through a sigmoid. */
class Attention extends Module {
  a: ConvAct;
  b: Conv2d;
  constructor(inC: number, outC: number, act: Activation, rng?: Rng) {
    super();
    this.a = new ConvAct(inC, outC, 1, act, rng);
    this.b = new Conv2d(outC, outC, 1, { rng });
  }
  forward(x: Tensor): Tensor { return sigmoid(this.b.forward(this.a.forward(x))); }
}

/**
 * Parameters: `blocks.*` (the shared trunk) and `blockAtt.*` (the 3x3 convolutions between a
 * task's attended features and the next block, shared by the tasks as in the authors'
 * code) are shared; `attention.<task>.*` and `towers.<task>.*` are each task's. The paper's
 * batch normalisation is left out (plain convolutions keep the module small and exact
 * under finite differences); put a normalised trunk in by subclassing if needed.
 * @example
 * const model = new MTAN({ tasks, inChannels: 1, channels: [8, 16], towers: [32] }); // x: [batch, 1, 28, 28]
 */
export class MTAN extends MultiTaskModel {
  readonly taskNames: string[];
  /** @internal */
  blocks: ConvAct[];
  /** @internal */
  blockAtt: ConvAct[];
  /** @internal */
  attention: Record<string, Attention[]> = {};
  towers: Record<string, Sequential>;
  private readonly inChannels: number;

  constructor(opts: MTANOptions) {
    super();
    checkOptions(NAME, opts, ["tasks", "inChannels", "channels", "towers", "activation", "rng"]);
    const tasks = checkTaskList(NAME, opts.tasks);
    this.inChannels = checkCount(NAME, "inChannels", opts.inChannels);
    const ch = checkWidths(NAME, "channels", opts.channels);
    checkTowers(NAME, opts.towers, tasks);
    const act = opts.activation ?? "relu";
    this.taskNames = tasks.map((t) => t.name);
    this.blocks = ch.map((c, j) => new ConvAct(j === 0 ? this.inChannels : ch[j - 1], c, 3, act, opts.rng));
    this.blockAtt = ch.slice(0, -1).map((c, j) => new ConvAct(c, ch[j + 1], 3, act, opts.rng));
    for (const t of tasks) this.attention[t.name] = ch.map((c, j) => new Attention(j === 0 ? c : 2 * c, c, act, opts.rng));
    this.towers = towers(ch[ch.length - 1], opts.towers ?? [], tasks, { activation: act, rng: opts.rng });
  }

  override sharedPrefixes(): string[] { return ["blocks.", "blockAtt."]; }
  override taskPrefixes(task: string): string[] { return [`attention.${task}.`, `towers.${task}.`]; }

  forward(x: Tensor, tasks?: string[]): MultiTaskOutput {
    const names = this.checkTasks(tasks);
    if (x.rank !== 4 || x.shape[1] !== this.inChannels) throw new Error(`${NAME}: input ${x.describe()} must be [batch, ${this.inChannels}, height, width]`);
    const shared: Tensor[] = [];
    let h = x;
    for (let j = 0; j < this.blocks.length; j++) {
      if (j > 0) h = maxPool2d(h, 2);
      h = this.blocks[j].forward(h);
      shared.push(h);
    }
    const outputs = perTask(names, (t) => {
      let prev: Tensor | null = null, attended: Tensor | null = null;
      for (let j = 0; j < shared.length; j++) {
        const input: Tensor = prev ? concat([shared[j], prev], 1) : shared[j];
        attended = mul(this.attention[t][j].forward(input), shared[j]);
        if (j + 1 < shared.length) prev = maxPool2d(this.blockAtt[j].forward(attended), 2);
      }
      return this.towers[t].forward(mean(attended!, [2, 3]));
    });
    // no single representation: each task reads its own attended features of every block
    return { outputs, representation: null };
  }

  /** Each task's attention masks, one [batch, channels, h, w] tensor per block (for inspection). */
  masks(x: Tensor, task: string): Tensor[] {
    this.checkTasks([task]);
    const out: Tensor[] = [];
    let h = x, prev: Tensor | null = null;
    for (let j = 0; j < this.blocks.length; j++) {
      if (j > 0) h = maxPool2d(h, 2);
      h = this.blocks[j].forward(h);
      const a = this.attention[task][j].forward(prev ? concat([h, prev], 1) : h);
      out.push(a);
      if (j + 1 < this.blocks.length) prev = maxPool2d(this.blockAtt[j].forward(mul(a, h)), 2);
    }
    return out;
  }
}
