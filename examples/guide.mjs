// The README's guide, runnable: each section is a self-contained use of polyhead.
//   npm run build && node examples/guide.mjs
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  init, Rng, randn, tensor, scope, matmul, add, relu, mean, mul, sub, backward, gradients, SGD, Linear, Sequential, ReLU,
  MultiTaskDataset, task, SharedBottom, MMoE, Trainer, Adam, UncertaintyWeighting, PCGrad,
  curriculum, sampled, earlyStopping, checkpoint, trainWithAveraging, writeCheckpoint, readCheckpoint,
} from "polyhead/node";

await init();
const log = (...a) => console.log(...a);

// Synthetic data: 8 features; "kind" (3 classes), "score" (regression), "flag" (binary).
function data(n, seed) {
  const x = randn([n, 8], 0, 1, new Rng(seed)).data();
  const kind = new Int32Array(n), score = new Float32Array(n), flag = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = x.subarray(i * 8, i * 8 + 8);
    kind[i] = r[0] > 0.5 ? 2 : r[0] > -0.5 ? 1 : 0;
    score[i] = r[1] - 0.5 * r[2];
    flag[i] = r[3] + r[0] > 0 ? 1 : 0;
  }
  return new MultiTaskDataset({ x, xShape: [8], labels: { kind, score, flag } });
}
const tasks = [
  task("kind", { kind: "classification", outputs: 3 }),
  task("score", { kind: "regression", outputs: 1 }),
  task("flag", { kind: "binary", outputs: 1 }),
];
const train = data(600, 1), val = data(200, 2), test = data(200, 3);

// 1. Tensors and autograd by hand: each step is a scope (its temporaries are freed when
//    it returns); parameters and data are kept. gradients() works w.r.t. any tensor.
{
  const rng = new Rng(0);
  const w = randn([8, 1], 0, 0.1, rng).keep(); w.requiresGrad = true;
  const x = randn([32, 8], 0, 1, rng).keep();
  const y = matmul(x, tensor([[1], [-1], [0.5], [0], [0], [2], [0], [0]])).keep();
  const opt = new SGD([w], { lr: 0.1 });
  const losses = [];
  for (let step = 0; step < 50; step++) {
    losses.push(scope(() => {
      opt.zeroGrad();
      const err = sub(matmul(x, w), y);
      const loss = mean(mul(err, err));
      backward(loss);
      opt.step();
      return loss.item();
    }));
  }
  const [gx] = scope(() => gradients(mean(relu(add(matmul(x, w), 1))), [x])); // returned: kept
  log(`1. by hand: loss ${losses[0].toFixed(3)} -> ${losses[49].toFixed(5)}; d/dx has shape [${gx.shape}]`);
}

// 2. MMoE with uncertainty weighting, early stopping on a validation metric.
{
  const model = new MMoE({ tasks, inputs: 8, experts: 4, expertWidths: [16], towers: [8], rng: new Rng(1) });
  const trainer = new Trainer(model, { tasks, weighting: new UncertaintyWeighting(["kind", "score", "flag"]),
    optimizer: (p) => new Adam(p, { lr: 3e-3 }), seed: 1 });
  const stop = earlyStopping({ task: "kind", metric: "accuracy", patience: 3 });
  await trainer.fit(train, { epochs: 30, batchSize: 32, validation: val, callbacks: [stop] });
  const r = trainer.evaluate(test);
  log(`2. MMoE + UW: stopped after ${trainer.history.length} epochs, kind accuracy ${r.kind.accuracy.toFixed(3)}, score r2 ${r.score.r2.toFixed(3)}`);
}

// 3. One dataset per task (different inputs and sizes), sampled by size, with PCGrad.
{
  const perTask = { kind: data(300, 4).withTasks(["kind"]), score: data(100, 5).withTasks(["score"]), flag: data(200, 6).withTasks(["flag"]) };
  const trainer = new Trainer(new SharedBottom({ tasks, inputs: 8, trunk: [32], towers: [8], rng: new Rng(2) }),
    { tasks, weighting: new PCGrad(), schedule: sampled({ temperature: 2 }), optimizer: (p) => new Adam(p, { lr: 3e-3 }) });
  await trainer.fit(perTask, { epochs: 10, batchSize: 16 });
  const r = trainer.evaluate(test);
  log(`3. per-task data, sampled, PCGrad: kind ${r.kind.accuracy.toFixed(3)}, flag ${r.flag.accuracy.toFixed(3)}`);
}

// 4. A curriculum (start with one task, add the others), checkpoint files, resume.
{
  const dir = mkdtempSync(join(tmpdir(), "polyhead-guide-"));
  const build = () => new SharedBottom({ tasks, inputs: 8, trunk: [32], towers: [8], rng: new Rng(3) });
  const trainer = new Trainer(build(), { tasks, schedule: curriculum({ 0: ["kind"], 2: ["score", "flag"] }) });
  await trainer.fit(train, { epochs: 4, batchSize: 32,
    callbacks: [checkpoint({ save: (state) => writeCheckpoint(join(dir, "last.json"), state) })] });
  const resumed = new Trainer(build(), { tasks, schedule: curriculum({ 0: ["kind"], 2: ["score", "flag"] }) });
  resumed.loadStateDict(readCheckpoint(join(dir, "last.json")));
  await resumed.fit(train, { epochs: 2, batchSize: 32 });
  log(`4. curriculum + checkpoint: resumed at epoch 4, now at ${resumed.epoch}; score mse ${resumed.evaluate(test).score.mse.toFixed(3)}`);
}

// 5. Parameter averaging (FedAvg with each task as a client).
{
  const build = () => new SharedBottom({ tasks, inputs: 8, trunk: [32], towers: [8], rng: new Rng(4) });
  const model = build();
  await trainWithAveraging(model, { tasks, optimizer: (p) => new Adam(p, { lr: 3e-3 }) }, train, { create: build, rounds: 4, batchSize: 32 });
  log(`5. parameter averaging: kind accuracy ${new Trainer(model, { tasks }).evaluate(test).kind.accuracy.toFixed(3)}`);
}

// 6. Layers by hand: a Sequential model and its state dict (PyTorch's names and layouts).
{
  const net = new Sequential(new Linear(8, 16), new ReLU(), new Linear(16, 1));
  log("6. state dict:", Object.entries(net.stateDict()).map(([k, t]) => `${k} [${t.shape}]`).join(", "));
}
