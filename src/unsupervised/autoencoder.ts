// Autoencoder reconstruction as an auxiliary task on a multi-task model's shared trunk: a
// decoder head reads the wrapped model's representation and reconstructs the input, with
// an optional denoising corruption of the input while training. The wrapper is itself a
// MultiTaskModel, so the trainer trains the reconstruction like any other task.
import { Sequential } from "../nn/layers.js";
import { Tensor } from "../tensor.js";
import { reshape } from "../ops/shape.js";
import { Rng, type RngState } from "../random.js";
import type { Task } from "../mtl/tasks.js";
import { MultiTaskModel, mlp, fork, checkCount, checkOptions, type Activation, type MultiTaskOutput } from "../mtl/architectures/base.js";
import { checkDenoise, corrupt, type Denoise } from "./corrupt.js";

export interface AutoencoderOptions {
  /** The multi-task model whose representation the decoder reads (its heads are kept). */
  model: MultiTaskModel;
  /** The reconstruction task: outputs = the input's features; its labels are the (clean) inputs. */
  task: Task;
  /** Width of the model's representation, flattened per example (SharedBottom: the trunk's last width). */
  width: number;
  /** Decoder hidden widths (default none: one Linear layer). */
  decoder?: number[];
  activation?: Activation;
  /**
   * Corrupt the input of a training forward pass that includes the reconstruction task
   * (eval passes see clean input). Heads computed in the same pass see the corrupted input
   * too; train with one dataset per task (the semi-supervised setup) to keep them apart.
   */
  denoise?: Denoise;
  rng?: Rng;
}

/** Wrap `model`, check the task and width, and return the parts both heads share. */
export function wrapModel(owner: string, model: unknown, task: Task | undefined, width: unknown): { model: MultiTaskModel; task: Task; width: number } {
  if (!(model instanceof MultiTaskModel)) throw new Error(`${owner}: model must be a MultiTaskModel (SharedBottom, MMoE, ...)`);
  if (!task || typeof task.name !== "string" || !Number.isInteger(task.outputs)) throw new Error(`${owner}: task must be a task() declaration`);
  if (model.taskNames.includes(task.name)) throw new Error(`${owner}: the task "${task.name}" is already a task of the model (${model.taskNames.join(", ")})`);
  return { model, task, width: checkCount(owner, "width", width) };
}

/** The representation flattened to [batch, width], with a clear error when it is missing or has another width. */
export function flatRepresentation(owner: string, rep: Tensor | null, width: number): Tensor {
  if (!rep) throw new Error(`${owner}: the wrapped model returns no shared representation to decode`);
  const w = rep.size / rep.shape[0];
  if (w !== width) throw new Error(`${owner}: the representation ${rep.describe()} has ${w} features per example, width says ${width}`);
  return rep.rank === 2 ? rep : reshape(rep, [rep.shape[0], width]);
}

/**
 * Parameters: the wrapped model's as `model.*` (its split kept), the decoder's as
 * `decoder.*`, owned by the reconstruction task.
 * @example
 * const recon = task("recon", { kind: "reconstruction", outputs: 784 });
 * const base = new SharedBottom({ tasks: [digit], inputs: 784, trunk: [256, 64] });
 * const model = new Autoencoder({ model: base, task: recon, width: 64, decoder: [256], denoise: { kind: "mask", rate: 0.3 } });
 * new Trainer(model, { tasks: [digit, recon] }); // recon's labels: the inputs themselves
 */
export class Autoencoder extends MultiTaskModel {
  readonly taskNames: string[];
  readonly task: Task;
  readonly width: number;
  readonly denoise: Denoise | null;
  model: MultiTaskModel;
  decoder: Sequential;
  private rng: Rng;

  constructor(opts: AutoencoderOptions) {
    super();
    checkOptions("Autoencoder", opts, ["model", "task", "width", "decoder", "activation", "denoise", "rng"]);
    const w = wrapModel("Autoencoder", opts.model, opts.task, opts.width);
    this.model = w.model; this.task = w.task; this.width = w.width;
    this.denoise = checkDenoise("Autoencoder", opts.denoise);
    this.taskNames = [...this.model.taskNames, this.task.name];
    this.decoder = mlp([this.width, ...(opts.decoder ?? []), this.task.outputs], { activation: opts.activation, rng: opts.rng });
    this.rng = fork(opts.rng);
  }

  override sharedPrefixes(): string[] | null { return this.model.sharedPrefixes()?.map((p) => `model.${p}`) ?? null; }
  override taskPrefixes(task: string): string[] {
    return task === this.task.name ? ["decoder."] : this.model.taskPrefixes(task).map((p) => `model.${p}`);
  }
  override regularization(): Tensor | null { return this.model.regularization(); }
  override rngState(): RngState { return this.rng.state(); }
  override setRngState(s: RngState): void { this.rng = Rng.fromState(s); }

  forward(x: Tensor, tasks?: string[]): MultiTaskOutput {
    const names = this.checkTasks(tasks);
    const recon = names.includes(this.task.name);
    const input = recon && this.training && this.denoise ? corrupt(x, this.denoise, this.rng) : x;
    const inner = this.model.forward(input, names.filter((t) => t !== this.task.name));
    const outputs = { ...inner.outputs };
    if (recon) outputs[this.task.name] = this.decoder.forward(flatRepresentation("Autoencoder", inner.representation, this.width));
    return { outputs, representation: inner.representation };
  }

  /** The decoder's output for inputs x (clean, whatever the mode): [batch, features]. */
  reconstruct(x: Tensor): Tensor {
    return this.decoder.forward(flatRepresentation("Autoencoder", this.model.forward(x, []).representation, this.width));
  }
}
