// Autoencoder and VAE heads (polyhead/unsupervised): the negative ELBO and its gradient
// against PyTorch (build/unsupervised_reference.py) and finite differences, the
// reparameterisation's gradient, denoising corruption, PCA-initialised and trained linear
// autoencoders against PCA's subspace, sampling and reconstruction helpers, and training
// through the Trainer with one dataset per task (the semi-supervised setup).
import { describe, it, expect, beforeAll } from "vitest";
import { readFileSync } from "node:fs";
import {
  init, task, tensor, randn, rand, gradients, Rng, Tensor, SharedBottom, Trainer, Adam, MultiTaskDataset, mseLoss, backward, scope, memoryStats,
} from "../src/index.js";
import { PCA, Autoencoder, VAE, vaeTask, vaeLoss, vaeTerms, corrupt } from "../src/unsupervised/index.js";
import { expectClose, gradCheck } from "./helpers.js";

beforeAll(async () => { await init(); });

interface VaeRef { name: string; likelihood: "bernoulli" | "gaussian"; beta: number; features: number; latent: number; pred: number[]; x: number[]; mask: number[]; shape: [number, number]; reconstruction: number[]; kl: number[]; loss: number; grad: number[] }
const ref = JSON.parse(readFileSync(new URL("./fixtures/unsupervised.json", import.meta.url), "utf8")) as { vae: VaeRef[] };

describe.each(ref.vae)("vaeLoss vs PyTorch: $name", (c) => {
  const opts = { features: c.features, latent: c.latent, beta: c.beta, likelihood: c.likelihood };
  const x = () => tensor(c.x, [c.shape[0], c.features]);
  it("reconstruction and KL terms, the masked loss and its gradient w.r.t. [x-hat | mu | logvar]", () => {
    const pred = tensor(c.pred, c.shape);
    const { reconstruction, kl } = vaeTerms(pred, x(), opts);
    expectClose(reconstruction, c.reconstruction, 1e-5, 1e-5, "reconstruction");
    expectClose(kl, c.kl, 1e-5, 1e-5, "kl");
    pred.requiresGrad = true;
    const loss = vaeLoss(pred, x(), tensor(c.mask), opts);
    expect(loss.item()).toBeCloseTo(c.loss, 4);
    const [g] = gradients(loss, [pred]);
    expectClose(g, c.grad, 1e-4, 1e-6, "d loss / d pred");
  });
  it("the gradient matches finite differences", () => {
    gradCheck((p) => vaeLoss(p, x(), tensor(c.mask), opts), [tensor(c.pred, c.shape)], { eps: 1e-2, rtol: 2e-2, atol: 2e-3 });
  });
});

const IN = 6;
const digit = task("digit", { kind: "classification", outputs: 3 });
const recon = task("recon", { kind: "reconstruction", outputs: IN });

describe("VAE head", () => {
  const vt = vaeTask("vae", { features: IN, latent: 2, beta: 0.5, likelihood: "gaussian" });
  const build = (seed: number) => new VAE({ model: new SharedBottom({ tasks: [digit], inputs: IN, trunk: [5], activation: "tanh", rng: new Rng(seed) }), task: vt, width: 5, decoder: [4], activation: "tanh", rng: new Rng(seed + 1) });

  it("the reparameterisation z = mu + exp(logvar / 2) eps has the right gradient (eps held fixed)", () => {
    const m = build(1);
    const mu = randn([3, 2], 0, 1, new Rng(2)), logvar = randn([3, 2], 0, 0.5, new Rng(3));
    gradCheck((a, b) => m.reparameterize(a, b, new Rng(9)), [mu, logvar]);
    // the same stream gives the same draw; z's spread follows exp(logvar / 2)
    expectClose(m.reparameterize(mu, logvar, new Rng(9)), m.reparameterize(mu, logvar, new Rng(9)), 0, 0, "same seed");
    const big = m.reparameterize(tensor(new Float32Array(4000), [2000, 2]), tensor(new Float32Array(4000).fill(2 * Math.log(3)), [2000, 2]), new Rng(4)).f32();
    const sd = Math.sqrt(big.reduce((s, v) => s + v * v, 0) / big.length);
    expect(sd).toBeGreaterThan(2.85); expect(sd).toBeLessThan(3.15);
  });

  it("output is [x-hat | mu | logvar]; eval mode decodes mu, training draws from the head's seeded stream", () => {
    const m = build(2), x = randn([4, IN], 0, 1, new Rng(5));
    const out = m.forward(x).outputs;
    expect([...out.vae.shape]).toEqual([4, IN + 4]);
    expect([...out.digit.shape]).toEqual([4, 3]);
    const a = m.forward(x, ["vae"]).outputs.vae.f32(), b = m.forward(x, ["vae"]).outputs.vae.f32();
    expect(Array.from(a).some((v, i) => v !== b[i]), "two training draws differ").toBe(true);
    m.eval();
    const e1 = m.forward(x, ["vae"]).outputs.vae;
    expectClose(e1, m.forward(x, ["vae"]).outputs.vae, 0, 0, "eval is deterministic");
    const { mu } = m.encode(x);
    expectClose(m.reconstruct(x), m.decoder.forward(mu), 0, 0, "reconstruct (gaussian: the decoder output at mu)");
    expect([...m.sample(7, new Rng(1)).shape]).toEqual([7, IN]);
    expectClose(m.sample(3, new Rng(1)), m.sample(3, new Rng(1)), 0, 0, "sample is seeded");
    // restoring the head's stream replays the training draw
    m.train();
    const s = m.rngState();
    const d1 = m.forward(x, ["vae"]).outputs.vae;
    m.setRngState(s);
    expectClose(m.forward(x, ["vae"]).outputs.vae, d1, 0, 0, "stream restored");
  });

  it("bernoulli: reconstruct and sample are probabilities; beta 0 leaves the reconstruction term alone", () => {
    const bt = vaeTask("v", { features: IN, latent: 3 });
    const m = new VAE({ model: new SharedBottom({ tasks: [digit], inputs: IN, trunk: [4], rng: new Rng(3) }), task: bt, width: 4, rng: new Rng(4) });
    const r = m.reconstruct(rand([5, IN], 0, 1, new Rng(1))).f32();
    expect(r.every((v) => v > 0 && v < 1)).toBe(true);
    const pred = randn([4, IN + 6], 0, 1, new Rng(2)), x = rand([4, IN], 0, 1, new Rng(3));
    const rec = vaeTerms(pred, x, bt.vae).reconstruction.f32();
    expect(vaeLoss(pred, x, null, { ...bt.vae, beta: 0 }).item()).toBeCloseTo(rec.reduce((s, v) => s + v, 0) / 4, 5);
  });

  it("bad options and inputs are named", () => {
    expect(() => vaeTask("v", { features: IN, latent: 0 })).toThrow(/latent must be >= 1, got 0/);
    expect(() => vaeTask("v", { features: IN, latent: 2, likelyhood: "gaussian" } as never)).toThrow(/did you mean "likelihood"/);
    expect(() => vaeTask("v", { features: IN, latent: 2, beta: -1 })).toThrow(/beta must be a finite number >= 0, got -1/);
    const base = new SharedBottom({ tasks: [digit], inputs: IN, trunk: [4] });
    expect(() => new VAE({ model: base, task: recon as never, width: 4 })).toThrow(/must come from vaeTask/);
    expect(() => new VAE({ model: base, task: vt, width: 5 }).forward(randn([2, IN]))).toThrow(/representation .* has 4 features per example, width says 5/);
    expect(() => vaeTerms(randn([2, 5]), randn([2, IN]), vt.vae)).toThrow(/must be \[batch, 10\]/);
  });
});

describe("Autoencoder head", () => {
  it("denoising: masking zeroes about rate of the inputs, gaussian adds noise of std; seeded; eval passes are clean", () => {
    const x = tensor(new Float32Array(20000).fill(1), [2000, 10]);
    const m = corrupt(x, { kind: "mask", rate: 0.3 }, new Rng(1)).f32();
    const zeros = m.filter((v) => v === 0).length / m.length;
    expect(zeros).toBeGreaterThan(0.28); expect(zeros).toBeLessThan(0.32);
    expect(m.every((v) => v === 0 || v === 1)).toBe(true);
    const g = corrupt(x, { kind: "gaussian", std: 0.5 }, new Rng(2)).f32();
    const sd = Math.sqrt(g.reduce((s, v) => s + (v - 1) ** 2, 0) / g.length);
    expect(sd).toBeGreaterThan(0.48); expect(sd).toBeLessThan(0.52);
    expectClose(corrupt(x, { kind: "mask", rate: 0.3 }, new Rng(1)), m, 0, 0, "same seed, same mask");
    const ae = new Autoencoder({ model: new SharedBottom({ tasks: [digit], inputs: IN, trunk: [4], rng: new Rng(1) }), task: recon, width: 4, denoise: { kind: "mask", rate: 0.5 }, rng: new Rng(2) });
    const xi = randn([8, IN], 0, 1, new Rng(3));
    const t1 = ae.forward(xi, ["recon"]).outputs.recon.f32(), t2 = ae.forward(xi, ["recon"]).outputs.recon.f32();
    expect(Array.from(t1).some((v, i) => v !== t2[i]), "training passes are corrupted").toBe(true);
    // a pass without the reconstruction task is not corrupted
    expectClose(ae.forward(xi, ["digit"]).outputs.digit, ae.model.forward(xi).outputs.digit, 0, 0, "digit pass clean");
    ae.eval();
    expectClose(ae.forward(xi, ["recon"]).outputs.recon, ae.reconstruct(xi), 0, 0, "eval clean");
    expect(() => new Autoencoder({ model: ae.model, task: recon, width: 4, denoise: { kind: "mask", rate: 1 } })).toThrow("Autoencoder: denoise rate must be in [0, 1), got 1");
    expect(() => new Autoencoder({ model: ae.model, task: recon, width: 4, denoise: { kind: "gaussian", sd: 1 } as never })).toThrow(/unknown option "sd".*did you mean "std"/);
    expect(() => new Autoencoder({ model: ae.model, task: digit, width: 4 })).toThrow(/"digit" is already a task of the model/);
  });

  // correlated data with distinct variances (the PCA fixture's recipe, smaller)
  const data = () => {
    const z = randn([200, IN], 0, 1, new Rng(7)).f32(), mix = randn([IN, IN], 0, 1, new Rng(8)).f32();
    const scale = [3, 2, 0.6, 0.4, 0.2, 0.1], out = new Float32Array(200 * IN);
    for (let i = 0; i < 200; i++) for (let j = 0; j < IN; j++) { let s = 0; for (let k = 0; k < IN; k++) s += z[i * IN + k] * scale[k] * mix[k * IN + j]; out[i * IN + j] = s + j; }
    return tensor(out, [200, IN]);
  };
  const linearAe = (seed: number) => new Autoencoder({ model: new SharedBottom({ tasks: [digit], inputs: IN, trunk: [2], activation: "none", rng: new Rng(seed) }), task: recon, width: 2, rng: new Rng(seed + 1) });
  const decoderLayer = (ae: Autoencoder) => ae.decoder.layers[0] as unknown as { weight: Tensor; bias: Tensor };

  it("initialised from PCA, a linear autoencoder reconstructs exactly as PCA's inverse transform", () => {
    const x = data(), pca = new PCA({ components: 2 }).fit(x);
    const ae = linearAe(1);
    // encoder z = C (x - mean), decoder x-hat = C^T z + mean: PCA's projection and inverse
    const c = pca.componentsTensor(), cd = c.f32(), mean = pca.mean;
    ae.loadStateDict({
      ...ae.stateDict(),
      "model.trunk.0.weight": c,
      "model.trunk.0.bias": tensor([0, 1].map((j) => -mean.reduce((s, m, f) => s + m * cd[j * IN + f], 0))),
      "decoder.0.weight": tensor(Array.from({ length: IN * 2 }, (_, i) => cd[(i % 2) * IN + Math.floor(i / 2)]), [IN, 2]),
      "decoder.0.bias": tensor(Array.from(mean)),
    } as never);
    expectClose(ae.reconstruct(x), pca.inverseTransform(pca.transform(x)), 1e-4, 1e-4, "reconstruction");
  });

  it("trained from random weights, a linear autoencoder's decoder spans the PCA subspace", () => {
    const x = data(), pca = new PCA({ components: 2 }).fit(x);
    const ae = linearAe(3);
    const params = ae.parameters();
    const opt = new Adam(params, { lr: 0.02 });
    for (let s = 0; s < 800; s++) scope(() => { opt.zeroGrad(); backward(mseLoss(ae.forward(x, ["recon"]).outputs.recon, x)); opt.step(); });
    // projection onto the decoder's column space, U (U^T U)^-1 U^T, against C^T C
    const u = decoderLayer(ae).weight.f32(); // [IN, 2]
    const g = [0, 0, 0, 0];
    for (let f = 0; f < IN; f++) { g[0] += u[f * 2] ** 2; g[1] += u[f * 2] * u[f * 2 + 1]; g[3] += u[f * 2 + 1] ** 2; }
    g[2] = g[1];
    const det = g[0] * g[3] - g[1] * g[2], gi = [g[3] / det, -g[1] / det, -g[2] / det, g[0] / det];
    const c = pca.components;
    let worst = 0;
    for (let a = 0; a < IN; a++) for (let b = 0; b < IN; b++) {
      let pu = 0;
      for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) pu += u[a * 2 + i] * gi[i * 2 + j] * u[b * 2 + j];
      const pc = c[a] * c[b] + c[IN + a] * c[IN + b];
      worst = Math.max(worst, Math.abs(pu - pc));
    }
    expect(worst, "max |P_decoder - P_pca|").toBeLessThan(0.02);
    // and its error is PCA's: the discarded variance per feature (divisor n - 1 vs n aside)
    const mse = mseLoss(ae.forward(x, ["recon"]).outputs.recon, x).item();
    const all = new PCA().fit(x).explainedVariance;
    const discarded = (all.slice(2).reduce((s, v) => s + v, 0) * 199) / 200 / IN;
    expect(mse).toBeGreaterThan(discarded * 0.99);
    expect(mse).toBeLessThan(discarded * 1.05);
  });

  it("trains through the Trainer beside a supervised task, one dataset per task, freeing every temporary", async () => {
    const n = 60, x = randn([n, IN], 0, 1, new Rng(11)), xv = x.f32();
    const labels = Int32Array.from({ length: n }, (_, i) => (xv[i * IN] > 0.5 ? 2 : xv[i * IN] > -0.5 ? 1 : 0));
    const all = new MultiTaskDataset({ x: xv, xShape: [IN], labels: { digit: labels, recon: { values: xv, shape: [IN] } } });
    const labelled = all.subset(Int32Array.from({ length: 10 }, (_, i) => i)).withTasks(["digit"]);
    const ae = new Autoencoder({ model: new SharedBottom({ tasks: [digit], inputs: IN, trunk: [8], rng: new Rng(1) }), task: recon, width: 8, decoder: [8], denoise: { kind: "gaussian", std: 0.1 }, rng: new Rng(2) });
    const trainer = new Trainer(ae, { tasks: [digit, recon], optimizer: (p) => new Adam(p, { lr: 0.01 }), seed: 1 });
    const before = trainer.evaluate(all.withTasks(["recon"])).recon.loss;
    await trainer.fit({ digit: labelled, recon: all.withTasks(["recon"]) }, { epochs: 2, batchSize: 10 });
    const live = memoryStats().liveAllocations;
    await trainer.fit({ digit: labelled, recon: all.withTasks(["recon"]) }, { epochs: 20, batchSize: 10 });
    expect(memoryStats().liveAllocations).toBe(live);
    expect(trainer.evaluate(all.withTasks(["recon"])).recon.loss).toBeLessThan(before * 0.5);
    expect(trainer.history.at(-1)!.loss.digit).toBeLessThan(trainer.history[0].loss.digit);
  });
});
