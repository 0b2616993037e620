// The README's first example, runnable: two tasks, one with missing labels, PCGrad.
//   node examples/quickstart.mjs
import { init, randn, MultiTaskDataset, task, SharedBottom, Trainer, Adam, PCGrad, Rng } from "polyhead";

await init();

const x = randn([1000, 20], 0, 1, new Rng(0)).data();  // features, seeded
const kind = new Int32Array(1000).map((_, i) => (x[i * 20] > 0.5 ? 2 : x[i * 20] > -0.5 ? 1 : 0));
const score = new Float32Array(1000).map((_, i) => (i % 5 === 0 ? NaN : x[i * 20 + 1] - x[i * 20 + 2]));
const data = new MultiTaskDataset({ x, xShape: [20], labels: { kind, score } });
const { train, test } = data.split({ train: 0.8, test: 0.2 }, new Rng(1));

const tasks = [
  task("kind", { kind: "classification", outputs: 3 }),
  task("score", { kind: "regression", outputs: 1 }),
];
const model = new SharedBottom({ tasks, inputs: 20, trunk: [64, 32], towers: [16] });
const trainer = new Trainer(model, {
  tasks,
  optimizer: (params) => new Adam(params, { lr: 1e-3 }),
  weighting: new PCGrad(),
});
await trainer.fit(train, { epochs: 10, batchSize: 32 });
console.log(JSON.stringify(trainer.evaluate(test)));
