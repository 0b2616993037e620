// A variational autoencoder head as an auxiliary task (Kingma & Welling, "Auto-Encoding
// Variational Bayes", ICLR 2014; beta as Higgins et al., "beta-VAE", ICLR 2017): from the
// wrapped model's representation an encoder gives mu and log sigma^2 of q(z|x), z = mu +
// sigma * eps with eps from the head's seeded stream (z = mu in eval mode), a decoder
// reconstructs x. The head's output is [x-hat | mu | logvar] so the task's loss (the
// negative ELBO, reconstruction + beta KL) sees all three.
import { Linear, Sequential } from "../nn/layers.js";
import { Tensor } from "../tensor.js";
import { randn } from "../ops/creation.js";
import { add, affine, exp, mul, sigmoid, square, sub } from "../ops/elementwise.js";
import { sum } from "../ops/reduce.js";
import { concat, reshape, slice } from "../ops/shape.js";
import { binaryCrossEntropyWithLogits } from "../ops/loss.js";
import { Rng, defaultRng, type RngState } from "../random.js";
import { task, type Task, type TaskSpec } from "../mtl/tasks.js";
import { MultiTaskModel, mlp, fork, checkCount, checkOptions, type Activation, type MultiTaskOutput } from "../mtl/architectures/base.js";
import { show } from "../validate.js";
import { wrapModel, flatRepresentation } from "./autoencoder.js";

export type Likelihood = "bernoulli" | "gaussian";

export interface VAELossOptions {
  /** Input features D (the reconstruction's width). */
  features: number;
  /** Latent dimensions L. */
  latent: number;
  /** Weight of the KL term (default 1: the ELBO). */
  beta?: number;
  /**
   * p(x|z): "bernoulli" (default; x in [0, 1], the decoder gives logits, the reconstruction
   * term is binary cross-entropy summed over features) or "gaussian" (unit variance: half
   * the squared error summed over features, constants dropped).
   */
  likelihood?: Likelihood;
}

export interface VAETask extends Task { vae: Required<VAELossOptions> }

function checkVae(owner: string, o: VAELossOptions): Required<VAELossOptions> {
  checkCount(owner, "features", o.features);
  checkCount(owner, "latent", o.latent);
  const beta = o.beta ?? 1, likelihood = o.likelihood ?? "bernoulli";
  if (!(typeof beta === "number" && beta >= 0 && Number.isFinite(beta))) throw new Error(`${owner}: beta must be a finite number >= 0, got ${show(o.beta)}`);
  if (likelihood !== "bernoulli" && likelihood !== "gaussian") throw new Error(`${owner}: likelihood must be "bernoulli" or "gaussian", got ${show(o.likelihood)}`);
  return { features: o.features, latent: o.latent, beta, likelihood };
}

/**
 * The per-example terms of the negative ELBO from a VAE head's output [batch, D + 2L]:
 * reconstruction -log p(x|z) and KL(q(z|x) || N(0, I)) = 1/2 sum(mu^2 + e^logvar - 1 - logvar).
 */
export function vaeTerms(pred: Tensor, x: Tensor, o: VAELossOptions): { reconstruction: Tensor; kl: Tensor } {
  const { features: d, latent: l, likelihood } = checkVae("vaeTerms", o);
  if (pred.rank !== 2 || pred.shape[1] !== d + 2 * l) throw new Error(`vaeTerms: prediction ${pred.describe()} must be [batch, ${d + 2 * l}] (features + 2 x latent)`);
  if (x.size !== pred.shape[0] * d) throw new Error(`vaeTerms: target ${x.describe()} does not hold ${d} features for each of ${pred.shape[0]} examples`);
  if (x.dtype !== "float32") throw new Error(`vaeTerms: target ${x.describe()} must be float32 (the inputs)`);
  const target = x.rank === 2 ? x : reshape(x, [pred.shape[0], d]);
  const out = slice(pred, 1, 0, d), mu = slice(pred, 1, d, d + l), logvar = slice(pred, 1, d + l, d + 2 * l);
  const reconstruction = likelihood === "bernoulli"
    ? sum(binaryCrossEntropyWithLogits(out, target, { reduction: "none" }), 1)
    : affine(sum(square(sub(out, target)), 1), 0.5);
  const kl = affine(sum(sub(add(square(mu), exp(logvar)), affine(logvar, 1, 1)), 1), 0.5);
  return { reconstruction, kl };
}

/**
 * The negative ELBO, reconstruction + beta KL per example, averaged over the labelled
 * (mask 1) examples: the loss of a vaeTask.
 */
export function vaeLoss(pred: Tensor, x: Tensor, mask: Tensor | null, o: VAELossOptions): Tensor {
  const { beta } = checkVae("vaeLoss", o);
  const { reconstruction, kl } = vaeTerms(pred, x, o);
  const per = beta === 0 ? reconstruction : add(reconstruction, affine(kl, beta));
  if (!mask) return affine(sum(per), 1 / pred.shape[0]);
  const m = mask.data();
  let n = 0;
  for (let i = 0; i < m.length; i++) n += m[i];
  return affine(sum(mul(per, mask)), n > 0 ? 1 / n : 0);
}

/**
 * Declare a VAE task: outputs D + 2L, loss the negative ELBO, labels the inputs (in [0, 1]
 * for the Bernoulli likelihood).
 * @example const vae = vaeTask("vae", { features: 784, latent: 16, beta: 1, weight: 1 / 784 });
 */
export function vaeTask(name: string, spec: VAELossOptions & Pick<TaskSpec, "weight" | "metrics">): VAETask {
  checkOptions(`vaeTask "${name}"`, spec, ["features", "latent", "beta", "likelihood", "weight", "metrics"]);
  const vae = checkVae(`vaeTask "${name}"`, spec);
  const t = task(name, {
    kind: "reconstruction", outputs: vae.features + 2 * vae.latent, weight: spec.weight, metrics: spec.metrics ?? [],
    loss: (pred, labels, mask) => vaeLoss(pred, labels, mask, vae),
  });
  return { ...t, vae };
}

export interface VAEOptions {
  /** The multi-task model whose representation the encoder reads. */
  model: MultiTaskModel;
  task: VAETask;
  /** Width of the model's representation, flattened per example. */
  width: number;
  /** Decoder hidden widths (default none). */
  decoder?: number[];
  activation?: Activation;
  rng?: Rng;
}

/**
 * Parameters: `model.*` (the wrapped model's split), `encoder.*` (mu and logvar, one Linear
 * of 2L outputs) and `decoder.*`, both owned by the VAE task.
 * @example
 * const model = new VAE({ model: base, task: vae, width: 64, decoder: [256] });
 * model.sample(8);          // [8, 784] decoder means of z ~ N(0, I)
 * model.reconstruct(x);     // decoder mean at z = mu
 */
export class VAE extends MultiTaskModel {
  readonly taskNames: string[];
  readonly task: VAETask;
  readonly width: number;
  model: MultiTaskModel;
  encoder: Linear;
  decoder: Sequential;
  private rng: Rng;

  constructor(opts: VAEOptions) {
    super();
    checkOptions("VAE", opts, ["model", "task", "width", "decoder", "activation", "rng"]);
    const w = wrapModel("VAE", opts.model, opts.task, opts.width);
    if (!(w.task as VAETask).vae) throw new Error(`VAE: task "${w.task.name}" must come from vaeTask() (its loss needs mu and logvar)`);
    this.model = w.model; this.task = opts.task; this.width = w.width;
    this.taskNames = [...this.model.taskNames, this.task.name];
    const { features, latent } = this.task.vae;
    this.encoder = new Linear(this.width, 2 * latent, { rng: opts.rng });
    this.decoder = mlp([latent, ...(opts.decoder ?? []), features], { activation: opts.activation, rng: opts.rng });
    this.rng = fork(opts.rng);
  }

  override sharedPrefixes(): string[] | null { return this.model.sharedPrefixes()?.map((p) => `model.${p}`) ?? null; }
  override taskPrefixes(task: string): string[] {
    return task === this.task.name ? ["encoder.", "decoder."] : this.model.taskPrefixes(task).map((p) => `model.${p}`);
  }
  override regularization(): Tensor | null { return this.model.regularization(); }
  override rngState(): RngState { return this.rng.state(); }
  override setRngState(s: RngState): void { this.rng = Rng.fromState(s); }

  forward(x: Tensor, tasks?: string[]): MultiTaskOutput {
    const names = this.checkTasks(tasks);
    const inner = this.model.forward(x, names.filter((t) => t !== this.task.name));
    const outputs = { ...inner.outputs };
    if (names.includes(this.task.name)) {
      const { mu, logvar } = this.encodeRepresentation(inner.representation);
      const z = this.training ? this.reparameterize(mu, logvar, this.rng) : mu;
      outputs[this.task.name] = concat([this.decoder.forward(z), mu, logvar], 1);
    }
    return { outputs, representation: inner.representation };
  }

  /** q(z|x)'s parameters: mu and logvar, [batch, latent] each. */
  encode(x: Tensor): { mu: Tensor; logvar: Tensor } { return this.encodeRepresentation(this.model.forward(x, []).representation); }

  /** z = mu + exp(logvar / 2) * eps, eps ~ N(0, I) from `rng` (the reparameterisation trick). */
  reparameterize(mu: Tensor, logvar: Tensor, rng: Rng = defaultRng()): Tensor {
    return add(mu, mul(exp(affine(logvar, 0.5)), randn(mu.shape, 0, 1, rng)));
  }

  /** The decoder's mean of p(x|z): sigmoid of the logits (Bernoulli) or the output (Gaussian). */
  decode(z: Tensor): Tensor {
    const out = this.decoder.forward(z);
    return this.task.vae.likelihood === "bernoulli" ? sigmoid(out) : out;
  }

  /** The decoder's mean at z = mu: a deterministic reconstruction, [batch, features]. */
  reconstruct(x: Tensor): Tensor { return this.decode(this.encode(x).mu); }

  /** n draws of the decoder's mean at z ~ N(0, I) from `rng`: [n, features]. */
  sample(n: number, rng: Rng = defaultRng()): Tensor {
    checkCount("VAE.sample", "n", n);
    return this.decode(randn([n, this.task.vae.latent], 0, 1, rng));
  }

  private encodeRepresentation(rep: Tensor | null): { mu: Tensor; logvar: Tensor } {
    const h = this.encoder.forward(flatRepresentation("VAE", rep, this.width));
    const l = this.task.vae.latent;
    return { mu: slice(h, 1, 0, l), logvar: slice(h, 1, l, 2 * l) };
  }
}
