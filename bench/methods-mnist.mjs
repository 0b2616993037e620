// --mnist: every registered method trains the main job (MNIST, three tasks: digit,
// parity, >= 5; shared bottom 784-256-128, towers 64; Adam 1e-3, batch 64) for the same
// number of epochs, then a table of test accuracy per task, Delta_m against single-task
// baselines trained with the same budget, the change against equal weighting, and ms per
// step. Bilevel methods get the validation split. One run on a shared machine: ms are noisy.
//   npm run bench:methods -- --mnist [--epochs 2] [--limit 10000] [--only EW,MGDA]
import { writeFileSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadMnist } from "../examples/data/mnist.mjs";

export async function mnistTable(ph, { epochs, limit, only, here }) {
  const { x, labels } = loadMnist(limit);
  const all = new ph.MultiTaskDataset({ x, xShape: [784], labels });
  const { train, validation, test } = all.split({ train: 0.7, validation: 0.1, test: 0.2 }, new ph.Rng(7));
  const tasks = [
    ph.task("digit", { kind: "classification", outputs: 10, metrics: ["accuracy"] }),
    ph.task("parity", { kind: "binary", outputs: 1, metrics: ["accuracy"] }),
    ph.task("large", { kind: "binary", outputs: 1, metrics: ["accuracy"] }),
  ];
  const names = tasks.map((t) => t.name);
  const build = (ts) => new ph.SharedBottom({ tasks: ts, inputs: 784, trunk: [256, 128], towers: [64], rng: new ph.Rng(1) });
  const trainer = { optimizer: (params) => new ph.Adam(params, { lr: 1e-3 }), seed: 3 };
  console.log(`MNIST: ${train.size} training, ${validation.size} validation, ${test.size} test images; ${epochs} epoch(s) per method, batch 64`);
  const single = await ph.singleTaskBaselines(build, tasks, train, test, { trainer, fit: { epochs, batchSize: 64 } });
  console.log(`single-task baselines: ${names.map((t) => `${t} ${single[t].accuracy.toFixed(4)}`).join("  ")}`);
  const rows = [];
  for (const name of ph.weightingNames()) {
    if (only && !only.includes(name)) continue;
    try {
      const weighting = ph.createWeighting(name, names);
      const tr = new ph.Trainer(build(tasks), { ...trainer, tasks, weighting });
      const t0 = performance.now();
      await tr.fit(train, { epochs, batchSize: 64, ...(weighting.needsValidation ? { validation } : {}) });
      const ms = (performance.now() - t0) / tr.step;
      const multi = tr.evaluate(test);
      const cmp = ph.compareWithBaselines(tasks, multi, single);
      rows.push({ method: name, deltaM: cmp.deltaM, acc: Object.fromEntries(names.map((t) => [t, multi[t].accuracy])), ms });
    } catch (e) {
      rows.push({ method: name, error: String(e.message ?? e).slice(0, 160) });
    }
    const r = rows[rows.length - 1];
    console.log(r.error ? `${name}: error: ${r.error}` : `${name.padEnd(12)} Δm ${r.deltaM.toFixed(2).padStart(6)}%  ${names.map((t) => r.acc[t].toFixed(4)).join(" ")}  ${r.ms.toFixed(1)} ms/step`);
  }
  const ew = rows.find((r) => r.method === "EW" && !r.error);
  const fmt = (v, d) => (v >= 0 ? "+" : "") + v.toFixed(d);
  const lines = [
    `| method | Δm % vs single-task | Δm vs EW (pts) | ${names.map((t) => `${t} acc`).join(" | ")} | ms/step |`,
    `|---|---:|---:|${names.map(() => "---:").join("|")}|---:|`,
    ...rows.map((r) => r.error
      ? `| ${r.method} | error: ${r.error} |||||`
      : `| ${r.method} | ${fmt(r.deltaM, 2)} | ${ew ? fmt(r.deltaM - ew.deltaM, 2) : "-"} | ${names.map((t) => r.acc[t].toFixed(4)).join(" | ")} | ${r.ms.toFixed(1)} |`),
  ];
  const cpu = os.cpus()[0]?.model ?? "unknown";
  const beat = ew ? rows.filter((r) => !r.error && r.deltaM > ew.deltaM).map((r) => r.method) : [];
  console.log(`\n${lines.join("\n")}\n`);
  console.log(`single-task: ${names.map((t) => `${t} ${single[t].accuracy.toFixed(4)}`).join(", ")}; ${cpu}, ${os.cpus().length} cores (shared, noisy)`);
  if (ew) console.log(`beat equal weighting's Δm (${fmt(ew.deltaM, 2)}%): ${beat.length ? beat.join(", ") : "none"}; the rest did not (one seed: differences under ~0.5 pts are noise)`);
  if (!only) {
    mkdirSync(path.join(here, "results"), { recursive: true });
    writeFileSync(path.join(here, "results", "methods-mnist.json"), JSON.stringify({ workload: `MNIST ${limit} images, 3 tasks, shared bottom 784-256-128, towers 64, Adam 1e-3, batch 64, ${epochs} epoch(s)`, cpu, node: process.version, single, rows, table: lines }, null, 1) + "\n");
    console.log("wrote bench/results/methods-mnist.json");
  }
}
