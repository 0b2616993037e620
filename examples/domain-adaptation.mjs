// Domain adaptation with polyhead/transfer: a model trained on labelled source data is
// adapted to a target domain whose labels it never sees, by training the trunk so that the
// two domains look alike to it, beside the labelled task:
//   - DANN (Ganin et al. 2016): a domain classifier behind a gradient reversal layer,
//     its lambda rising over training as 2 / (1 + exp(-10 p)) - 1;
//   - CORAL (Sun & Saenko 2016): the distance between the domains' feature covariances,
//     weighted 300 (the loss divides by 4 d^2 = 65536 for 128 features; Deep CORAL picks the
//     weight that makes it comparable to the classification loss; 1 gave 32.7%, 30 38.5%,
//     300 40.7% on seed 1).
// Two experiments, each against the same network trained on the source alone:
//   1. the DANN paper's two moons, the target rotated by 35 degrees;
//   2. MNIST digits -> the same digits rotated by 45 degrees (target labels unused).
//   node examples/domain-adaptation.mjs            (both, 3 seeds; minutes on 2 cores)
//   node examples/domain-adaptation.mjs --quick    (two moons and a small MNIST run, one seed)
//   --seeds N, --epochs N, --coral-weight W
import { createRequire } from "node:module";
import { cpus } from "node:os";
import { init, task, Rng, randn, MultiTaskDataset, Trainer, Adam, StaticWeighting } from "polyhead/node";
import { createModel } from "polyhead/io";
import { adapt, dannSchedule, domainDataset, coralTask } from "polyhead/transfer";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const arg = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? Number(args[i + 1]) : dflt; };
const seeds = Array.from({ length: arg("--seeds", quick ? 1 : 3) }, (_, i) => i + 1);

await init();

/** Mean and sample standard deviation. */
const stats = (v) => {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1)) : 0;
  return `${(100 * m).toFixed(1)} ± ${(100 * sd).toFixed(1)}%`;
};

/**
 * Train one way ("source", "dann", "coral") and return the target test accuracy.
 * source/target: MultiTaskDatasets with labels { label } (the target's are used only to test).
 */
async function run(method, { source, target, targetTest, trunk, inputs, classes, epochs, batchSize, lr, seed, domainHidden, coralWeight }) {
  const m = adapt(createModel("SharedBottom", { tasks: [task("label", { kind: "classification", outputs: classes })], inputs, trunk, seed }), { seed });
  let data = { label: source };
  const callbacks = [];
  if (method === "dann") {
    m.addTask(task("domain", { kind: "binary", outputs: 1 }), { reverseGradient: true, hidden: domainHidden });
    const domain = domainDataset(source, target, ["domain"]);
    data = { label: source, domain };
    const steps = Math.max(source.numBatches(batchSize), domain.numBatches(batchSize));
    callbacks.push(dannSchedule(m, { totalSteps: epochs * steps }));
  } else if (method === "coral") {
    m.addTask(coralTask("coral", { features: trunk[trunk.length - 1], weight: coralWeight }), { identity: true });
    data = { label: source, coral: domainDataset(source, target, ["coral"]) };
  }
  const trainer = new Trainer(m, { tasks: m.tasks, weighting: new StaticWeighting(), optimizer: (p) => new Adam(p, { lr }), seed });
  await trainer.fit(data, { epochs, batchSize, callbacks });
  return trainer.evaluate(targetTest).label.accuracy;
}

const only = args.includes("--methods") ? args[args.indexOf("--methods") + 1].split(",") : null;
async function compare(title, all, make) {
  const methods = only ? all.filter((k) => only.includes(k)) : all;
  if (methods.length === 0) return;
  console.log(`\n${title}`);
  const acc = Object.fromEntries(methods.map((k) => [k, []]));
  for (const seed of seeds) {
    const setup = make(seed);
    const line = [];
    for (const k of methods) { acc[k].push(await run(k, { ...setup, seed })); line.push(`${k} ${(100 * acc[k].at(-1)).toFixed(1)}%`); }
    console.log(`  seed ${seed}: ${line.join(", ")}`);
  }
  console.log(`  target accuracy over ${seeds.length} seed(s), mean ± sd: ${methods.map((k) => `${k} ${stats(acc[k])}`).join(", ")}`);
  return acc;
}

// ---- 1. two moons (scikit-learn's make_moons with noise 0.1), target rotated by 35 degrees
function moons(n, degrees, seed) {
  const noise = randn([n, 2], 0, 0.1, new Rng(seed)).data();
  const order = new Rng(seed + 1).permutation(n);
  const c = Math.cos((degrees * Math.PI) / 180), s = Math.sin((degrees * Math.PI) / 180);
  const x = new Float32Array(n * 2), y = new Int32Array(n), half = n / 2;
  for (let k = 0; k < n; k++) {
    const i = order[k], lower = i >= half, a = (Math.PI * (lower ? i - half : i)) / (half - 1);
    const px = (lower ? 1 - Math.cos(a) : Math.cos(a)) + noise[2 * k] - 0.5;
    const py = (lower ? 0.5 - Math.sin(a) : Math.sin(a)) + noise[2 * k + 1] - 0.25;
    x[2 * k] = c * px - s * py; x[2 * k + 1] = s * px + c * py;
    y[k] = lower ? 1 : 0;
  }
  return new MultiTaskDataset({ x, xShape: [2], labels: { label: y } });
}
await compare("two moons, 300 labelled source points, 300 unlabelled target points rotated 35 degrees (test: 1000 more target points):", ["source", "dann"], (seed) => ({
  source: moons(300, 0, 10 + seed), target: moons(300, 35, 20 + seed), targetTest: moons(1000, 35, 30 + seed),
  inputs: 2, trunk: [32, 32], classes: 2, epochs: 40, batchSize: 32, lr: 5e-3, domainHidden: [32, 32],
}));

// ---- 2. MNIST -> MNIST rotated by 45 degrees (the `mnist` package: 10,000 digits)
const require = createRequire(import.meta.url);
const perDigit = Array.from({ length: 10 }, (_, d) => require(`mnist/src/digits/${d}.json`).data);

/** A 28x28 image rotated by `degrees` about its centre (bilinear, zero outside). */
function rotate(img, degrees) {
  const out = new Float32Array(784), c = Math.cos((degrees * Math.PI) / 180), s = Math.sin((degrees * Math.PI) / 180);
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      const dx = x - 13.5, dy = y - 13.5;
      const sx = c * dx + s * dy + 13.5, sy = -s * dx + c * dy + 13.5;
      const x0 = Math.floor(sx), y0 = Math.floor(sy), fx = sx - x0, fy = sy - y0;
      const at = (xx, yy) => (xx >= 0 && xx < 28 && yy >= 0 && yy < 28 ? img[yy * 28 + xx] : 0);
      out[y * 28 + x] = (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) + fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
    }
  }
  return out;
}

/** Images [from, to) of every digit (a per-digit range: each part holds every class), rotated by `degrees`. */
function digits(from, to, degrees) {
  const rows = [], labels = [];
  for (let i = from; i < to; i++) {
    for (let d = 0; d < 10; d++) {
      if ((i + 1) * 784 > perDigit[d].length) continue;
      const img = perDigit[d].slice(i * 784, (i + 1) * 784);
      rows.push(degrees ? rotate(img, degrees) : Float32Array.from(img));
      labels.push(d);
    }
  }
  const x = new Float32Array(rows.length * 784);
  rows.forEach((r, k) => x.set(r, k * 784));
  return new MultiTaskDataset({ x, xShape: [784], labels: { label: new Int32Array(labels) } });
}

// disjoint images per digit: source (upright, labelled), target (rotated, labels unused), target test (rotated)
const [nSource, nTarget, nTest] = quick ? [60, 30, 30] : [450, 250, 150];
const mnist = { source: digits(0, nSource, 0), target: digits(nSource, nSource + nTarget, 45), targetTest: digits(nSource + nTarget, nSource + nTarget + nTest, 45) };
const epochs = arg("--epochs", quick ? 2 : 8);
await compare(`MNIST -> rotated 45 degrees: ${mnist.source.size} labelled upright digits, ${mnist.target.size} unlabelled rotated ones, ` +
  `tested on ${mnist.targetTest.size} other rotated digits; MLP 784-256-128, ${epochs} epochs:`, ["source", "dann", "coral"], () => ({
  ...mnist, inputs: 784, trunk: [256, 128], classes: 10, epochs, batchSize: 64, lr: 1e-3, domainHidden: [128], coralWeight: arg("--coral-weight", 300),
}));
console.log(`\n(${cpus()[0]?.model ?? "unknown CPU"}; command: node examples/domain-adaptation.mjs ${args.join(" ")})`);
