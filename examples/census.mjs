// Real tabular data: the 1985 Current Population Survey extract (534 workers, from
// Debian's r-cran-aer; see examples/data/README.md) read from CSV, with fitted column
// specs (standardised numbers, one-hot categories), two tasks trained jointly (hourly
// wage, regression on its log; union membership, binary), each task alone for
// comparison, then the model and its preprocessing saved in one checkpoint, read back,
// and used on raw CSV rows.
//   node examples/census.mjs            (--quick: fewer epochs, as CI runs it)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  init, Rng, tensor, scope, MultiTaskDataset, task, SharedBottom, Trainer, Adam,
  singleTaskBaselines, compareWithBaselines, readCsvFile, TabularSpec, writeCheckpoint, readCheckpoint,
} from "polyhead/node";

const quick = process.argv.includes("--quick");
const epochs = quick ? 15 : 40;
await init();

const table = await readCsvFile(fileURLToPath(new URL("data/cps1985.csv", import.meta.url)));
// the file is sorted by occupation: a seeded shuffle, then 80% to fit the spec and train on,
// so the test rows' statistics never reach the preprocessing
const pick = (idx) => ({ names: table.names, rows: idx.length, columns: Object.fromEntries(table.names.map((k) => [k, Array.from(idx, (i) => table.columns[k][i])])) });
const order = new Rng(7).permutation(table.rows);
const cut = Math.round(table.rows * 0.8);
const trainRows = pick(order.subarray(0, cut)), testRows = pick(order.subarray(cut));

const spec = TabularSpec.fit(trainRows, {
  features: {
    education: "numeric", experience: "numeric", age: "numeric",
    ethnicity: "categorical", region: "categorical", gender: "categorical",
    occupation: "categorical", sector: "categorical", married: "categorical",
  },
  labels: {
    wage: { kind: "regression", log: "log", scale: "standardize" },  // dollars per hour; decode() gives dollars back
    union: { kind: "binary", positive: "yes" },
  },
});
const train = new MultiTaskDataset(spec.transform(trainRows));
const test = new MultiTaskDataset(spec.transform(testRows));
console.log(`census: ${table.rows} rows, ${spec.width} features (${spec.featureNames().slice(0, 5).join(", ")}, ...); ${train.size} train, ${test.size} test`);

const tasks = [
  task("wage", { kind: "regression", outputs: 1, metrics: ["r2", "mse"] }),
  task("union", { kind: "binary", outputs: 1, metrics: ["auc", "accuracy"] }),
];
const build = (ts) => new SharedBottom({ tasks: ts, inputs: spec.width, trunk: [32], towers: [16], rng: new Rng(2) });
const trainerOptions = { optimizer: (p) => new Adam(p, { lr: 3e-3 }), seed: 3 };
const fit = { epochs, batchSize: 32 };

const trainer = new Trainer(build(tasks), { ...trainerOptions, tasks });
await trainer.fit(train, fit);
const multi = trainer.evaluate(test);
const single = await singleTaskBaselines(build, tasks, train, test, { trainer: trainerOptions, fit });
const cmp = compareWithBaselines(tasks, multi, single);
for (const r of cmp.rows) console.log(`${r.task.padEnd(6)} ${r.metric.padEnd(4)} single-task ${r.single.toFixed(4)}  multi-task ${r.multi.toFixed(4)}`);
console.log(`Delta_m = ${cmp.deltaM >= 0 ? "+" : ""}${cmp.deltaM.toFixed(2)}%`);

// one checkpoint holds the model and the fitted preprocessing; prediction starts from raw rows
const dir = mkdtempSync(join(tmpdir(), "polyhead-census-"));
const path = join(dir, "census.json");
writeCheckpoint(path, { trainer: trainer.stateDict(), preprocessing: spec.toJSON() });
const saved = readCheckpoint(path);
const restored = new Trainer(build(tasks), { ...trainerOptions, tasks });
restored.loadStateDict(saved.trainer);
const prep = TabularSpec.fromJSON(saved.preprocessing);
const fresh = pick(order.subarray(cut, cut + 3));
const pred = scope(() => {
  const out = restored.predict(tensor(prep.transform(fresh, { labels: false }).x, [fresh.rows, prep.width]));
  return { wage: prep.decode("wage", out.wage.data()), union: prep.decode("union", out.union.data()) };
});
for (let i = 0; i < fresh.rows; i++) {
  console.log(`row ${order[cut + i]}: predicted wage $${pred.wage[i].toFixed(2)} (actual $${fresh.columns.wage[i]}), union ${pred.union[i]} (actual ${fresh.columns.union[i]})`);
}
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({ multi, single }));
