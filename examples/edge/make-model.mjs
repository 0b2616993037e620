// Trains the model the edge example ships (examples/edge/model.safetensors): a
// shared-bottom network on synthetic data, three tasks (a class, a score, a flag), saved
// through polyhead/io as one safetensors archive (the weights, with the architecture, its
// options and the tasks in __metadata__, so PyTorch tools still read the weights).
// Run after `npm run build`:
//   node examples/edge/make-model.mjs
import { writeFileSync } from "node:fs";
import { init, Rng, randn, MultiTaskDataset, task, Trainer, Adam } from "../../dist/node.js";
import { createModel, saveModelArchive } from "../../dist/io.js";
import { syntheticRows } from "./data.mjs";

await init();
const tasks = [
  task("kind", { kind: "classification", outputs: 3 }),
  task("score", { kind: "regression", outputs: 1 }),
  task("flag", { kind: "binary", outputs: 1 }),
];
const model = createModel("SharedBottom", { tasks, inputs: 8, trunk: [16], towers: [8], seed: 5 });
const { x, kind, score, flag } = syntheticRows(randn([600, 8], 0, 1, new Rng(6)).data());
const data = new MultiTaskDataset({ x, xShape: [8], labels: { kind, score, flag } });
const trainer = new Trainer(model, { tasks, optimizer: (p) => new Adam(p, { lr: 5e-3 }), seed: 5 });
const history = await trainer.fit(data, { epochs: 20, batchSize: 32 });
const bytes = saveModelArchive(model);
writeFileSync(new URL("./model.safetensors", import.meta.url), bytes);
const last = history.at(-1).loss;
console.log(`wrote examples/edge/model.safetensors (${bytes.length} bytes); last epoch loss kind ${last.kind.toFixed(3)} score ${last.score.toFixed(3)} flag ${last.flag.toFixed(3)}`);
