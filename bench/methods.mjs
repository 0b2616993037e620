// One training step of every registered weighting method on the shared-bottom bench
// model (100 -> 256 -> 256 shared, ReLU; a 256 -> 64 -> 1 tower per regression task),
// batch 256, SGD, with 2, 5 and 10 tasks: ms per step (median of the timed steps) and
// the Wasm memory a method's step holds at its end (per-task gradients, update, .grad) and
// its peak during the step; each Gram method also with { autogram: true } ("+autogram").
//   npm run bench:methods                 results/methods.json
//   npm run bench:methods -- --quick      short run (2 timed steps, T = 2 and 5 only)
//   node bench/methods.mjs --only MGDA,CAGrad
//   npm run bench:methods -- --mnist     the per-method MNIST table (./methods-mnist.mjs)
import { writeFileSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as ph from "../dist/index.js";
import "../dist/methods.js";
import { mnistTable } from "./methods-mnist.mjs";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const only = (() => { const i = args.indexOf("--only"); return i >= 0 ? args[i + 1].split(",") : null; })();
const here = path.dirname(fileURLToPath(import.meta.url));
const B = 256, IN = 100, WARM = quick ? 1 : 2, STEPS = quick ? 2 : 5;
const TASKS = quick ? [2, 5] : [2, 5, 10];
const argNum = (name, d) => { const i = args.indexOf(name); return i >= 0 ? Number(args[i + 1]) : d; };

await ph.init();
if (args.includes("--mnist")) {
  await mnistTable(ph, { epochs: argNum("--epochs", 2), limit: argNum("--limit", 10000), only, here });
  process.exit(0);
}
const rng = new ph.Rng(1);
const x = ph.randn([B, IN], 0, 1, rng).data();
const ys = Array.from({ length: 10 }, (_, t) => Float32Array.from({ length: B }, (_, r) => x[r * IN + t] - 0.5 * x[r * IN + t + 10]));

function bench(name, T, autogram = false) {
  const names = Array.from({ length: T }, (_, i) => `t${i}`);
  const tasks = names.map((t) => ph.task(t, { kind: "regression", outputs: 1 }));
  const model = new ph.SharedBottom({ tasks, inputs: IN, trunk: [256, 256], towers: [64], rng: new ph.Rng(2) });
  const data = new ph.MultiTaskDataset({ x, xShape: [IN], labels: Object.fromEntries(names.map((t, i) => [t, ys[i]])) });
  const inner = autogram ? new (ph.createWeighting(name, names).constructor)({ autogram: true }) : ph.createWeighting(name, names);
  let held = 0, peak = 0;
  const probe = {
    name: inner.name,
    parameters: () => inner.parameters?.() ?? [],
    needsValidation: inner.needsValidation, needsLookahead: inner.needsLookahead,
    backward: (ctx) => {
      const b0 = ph.memoryStats().bytesInUse;
      ph.resetMemoryPeak();
      const w = inner.backward(ctx);
      held = Math.max(held, ph.memoryStats().bytesInUse - b0);
      peak = Math.max(peak, ph.memoryStats().peakBytesInUse - b0);
      return w;
    },
    onEpochEnd: (l) => inner.onEpochEnd?.(l),
  };
  const tr = new ph.Trainer(model, { tasks, weighting: probe, optimizer: (p) => new ph.SGD(p, { lr: 1e-3 }) });
  const batch = () => data.batch(Array.from({ length: B }, (_, i) => i));
  // a bilevel method (Auto-λ, MOML, FORUM) also reads a validation batch: the same one here
  const step = (b) => tr.trainStep([{ tasks: names, batch: b }], inner.needsValidation ? batch() : undefined);
  for (let i = 0; i < WARM; i++) step(batch());
  const ms = [];
  for (let i = 0; i < STEPS; i++) {
    const b = batch();
    const t0 = performance.now();
    step(b);
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  const P = model.sharedParameters().reduce((n, p) => n + p.size, 0);
  return { method: autogram ? `${name}+autogram` : name, tasks: T, ms: +ms[ms.length >> 1].toFixed(2), heldMB: +(held / 2 ** 20).toFixed(2), heldOverP: +(held / (4 * P)).toFixed(2), peakOverP: +(peak / (4 * P)).toFixed(2) };
}

const rows = [];
const gramOnly = (name) => { const w = ph.createWeighting(name, ["a", "b"]); return "autogram" in w && w.on === "shared"; };
for (const name of ph.weightingNames()) {
  if (only && !only.includes(name)) continue;
  for (const autogram of gramOnly(name) ? [false, true] : [false]) {
    for (const T of TASKS) {
      try { rows.push(bench(name, T, autogram)); } catch (e) { rows.push({ method: name, tasks: T, error: String(e.message ?? e).slice(0, 160) }); }
      const r = rows[rows.length - 1];
      console.log(`${r.method.padEnd(21)} T=${String(T).padStart(2)}  ${r.error ? "error: " + r.error : `${String(r.ms).padStart(8)} ms  held ${r.heldMB} MB (${r.heldOverP} x P), peak ${r.peakOverP} x P`}`);
    }
  }
}
if (!only) {
  mkdirSync(path.join(here, "results"), { recursive: true });
  const cpu = os.cpus()[0]?.model ?? "unknown";
  writeFileSync(path.join(here, "results", "methods.json"), JSON.stringify({ workload: "shared-bottom 100-256-256, towers 64, batch 256, SGD", cpu, node: process.version, quick, rows }, null, 1) + "\n");
  console.log(`wrote bench/results/methods.json (${cpu}; a shared machine: figures are noisy)`);
}
