// Trains the model the edge example ships (examples/edge/model.json): a shared-bottom
// network on synthetic data, three tasks (a class, a score, a flag), saved as plain JSON
// (architecture, options, tasks and the state dict). Run after `npm run build`:
//   node examples/edge/make-model.mjs
// The persistence work (safetensors, saveModel) is not on main yet; when it is, this
// should save through it instead of JSON.
import { writeFileSync } from "node:fs";
import { init, Rng, randn, MultiTaskDataset, task, SharedBottom, Trainer, Adam } from "../../dist/node.js";
import { syntheticRows } from "./data.mjs";

await init();
const options = { inputs: 8, trunk: [16], towers: [8] };
const specs = [
  { name: "kind", kind: "classification", outputs: 3 },
  { name: "score", kind: "regression", outputs: 1 },
  { name: "flag", kind: "binary", outputs: 1 },
];
const tasks = specs.map(({ name, ...s }) => task(name, s));
const model = new SharedBottom({ ...options, tasks, rng: new Rng(5) });
const { x, kind, score, flag } = syntheticRows(randn([600, 8], 0, 1, new Rng(6)).data());
const data = new MultiTaskDataset({ x, xShape: [8], labels: { kind, score, flag } });
const trainer = new Trainer(model, { tasks, optimizer: (p) => new Adam(p, { lr: 5e-3 }), seed: 5 });
const history = await trainer.fit(data, { epochs: 20, batchSize: 32 });
const weights = Object.fromEntries(Object.entries(model.stateDict()).map(([k, t]) => [k, { shape: [...t.shape], data: Array.from(t.data()) }]));
const saved = { format: "polyhead-edge-model", architecture: "SharedBottom", options, tasks: specs, weights };
writeFileSync(new URL("./model.json", import.meta.url), JSON.stringify(saved) + "\n");
const last = history.at(-1).loss;
console.log(`wrote examples/edge/model.json (${Object.keys(weights).length} tensors); last epoch loss kind ${last.kind.toFixed(3)} score ${last.score.toFixed(3)} flag ${last.flag.toFixed(3)}`);
