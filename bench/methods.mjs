// One training step of every registered method on the shared-bottom bench model
// (100 -> 256 -> 256 shared, ReLU; a 256 -> 64 -> 1 tower per regression task), batch 256,
// SGD (lr 1e-3), with 2, 5 and 10 tasks, beside the same step in PyTorch (Debian's torch
// 1.13 on 1 thread, bench/methods_torch.py: our own torch code of each method's rule, from
// the same initial weights and batch). Per method and task count:
//  - check: 3 steps from the initial weights on both sides (the torch side gets polyhead's
//    random draws where a rule is random); the per-step losses and the change of every
//    parameter must agree, or the run fails;
//  - timing: ms per step (median of the timed steps) and the memory the method's part of
//    the step allocates at its peak (polyhead: Wasm bytes in use above the level before the
//    method ran; torch: the profiler's CPU allocation events over the same part), and the
//    ratio polyhead / torch. Each Gram method also runs with { autogram: true } ("+autogram",
//    beside the same torch row). The torch side is one process that takes the jobs one by
//    one, and polyhead's timing of a job follows torch's at once (the same load on both).
//   npm run bench:methods                 all, writes bench/results/methods.json
//   npm run bench:methods -- --quick      CI: the checks only (T = 2 and 5), no timing, no file
//   node bench/methods.mjs --only MGDA,CAGrad
//   npm run bench:methods -- --mnist     the per-method MNIST table (./methods-mnist.mjs)
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
const PY = "/usr/bin/python3"; // Debian's, with python3-torch, numpy and scipy
const B = 256, IN = 100, LR = 1e-3, CHECK = 3, WARM = 2, STEPS = 5;
const TASKS = quick ? [2, 5] : [2, 5, 10];
const argNum = (name, d) => { const i = args.indexOf(name); return i >= 0 ? Number(args[i + 1]) : d; };
const cpu = `${os.cpus()[0]?.model ?? "unknown CPU"}, ${os.cpus().length} cores`;

await ph.init();
if (args.includes("--mnist")) {
  await mnistTable(ph, { epochs: argNum("--epochs", 2), limit: argNum("--limit", 10000), only, here });
  process.exit(0);
}
const rng = new ph.Rng(1);
const x = ph.randn([B, IN], 0, 1, rng).data();
const ys = Array.from({ length: 10 }, (_, t) => Float32Array.from({ length: B }, (_, r) => x[r * IN + t] - 0.5 * x[r * IN + t + 10]));

// ------------------------------------------------------------------ polyhead's side
function setup(name, T, autogram) {
  const names = Array.from({ length: T }, (_, i) => `t${i}`);
  const tasks = names.map((t) => ph.task(t, { kind: "regression", outputs: 1 }));
  const model = new ph.SharedBottom({ tasks, inputs: IN, trunk: [256, 256], towers: [64], rng: new ph.Rng(2) });
  const data = new ph.MultiTaskDataset({ x, xShape: [IN], labels: Object.fromEntries(names.map((t, i) => [t, ys[i]])) });
  const inner = autogram ? new (ph.createWeighting(name, names).constructor)({ autogram: true }) : ph.createWeighting(name, names);
  const m = { held: 0, peak: 0, rngStates: [] };
  const probe = {
    name: inner.name,
    parameters: () => inner.parameters?.() ?? [],
    needsValidation: inner.needsValidation, needsLookahead: inner.needsLookahead,
    backward: (ctx) => {
      m.rngStates.push(ctx.rng.state());
      const b0 = ph.memoryStats().bytesInUse;
      ph.resetMemoryPeak();
      const w = inner.backward(ctx);
      m.held = Math.max(m.held, ph.memoryStats().bytesInUse - b0);
      m.peak = Math.max(m.peak, ph.memoryStats().peakBytesInUse - b0);
      return w;
    },
    onEpochEnd: (l) => inner.onEpochEnd?.(l),
  };
  const tr = new ph.Trainer(model, { tasks, weighting: probe, optimizer: (p) => new ph.SGD(p, { lr: LR }) });
  const batch = () => data.batch(Array.from({ length: B }, (_, i) => i));
  // a bilevel method (Auto-λ, MOML, FORUM) also reads a validation batch: the same one here
  const step = (b) => tr.trainStep([{ tasks: names, batch: b }], inner.needsValidation ? batch() : undefined);
  return { names, model, step, batch, m };
}

const flatParams = (model) => {
  const ps = model.namedParameters().map(([, p]) => p.data());
  const out = new Float32Array(ps.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of ps) { out.set(p, o); o += p.length; }
  return out;
};

/** CHECK steps from the initial weights: the losses of each step, the change of every parameter, the rng state each step gave the method. */
function checkRun(name, T) {
  const { names, model, step, batch, m } = setup(name, T, false);
  const before = flatParams(model);
  const losses = [];
  for (let k = 0; k < CHECK; k++) { const r = step(batch()); losses.push(names.map((t) => r.losses[t])); }
  const after = flatParams(model);
  return { losses, delta: after.map((v, i) => v - before[i]), rngStates: m.rngStates };
}

/** The random draws polyhead's method took in each check step, for the torch side to use (arrays go by key into the binary file). */
function drawsOf(name, T, states) {
  const fresh = (s) => ph.Rng.fromState(s);
  return states.map((s, k) => ph.scope(() => {
    if (name === "RLW") return { normals: Array.from(ph.randn([T], 0, 1, fresh(s)).data()) };
    if (name === "PCGrad" || name === "GradVac") { const r = fresh(s); return { orders: Array.from({ length: T }, () => Array.from(r.permutation(T))) }; }
    if (name === "GradDrop") { const key = `draw.${name}.${T}.${k}`; put(key, [B, 256], ph.rand([B, 256], 0, 1, fresh(s)).data()); return { u: "@" + key }; }
    return {};
  }));
}

function timeRun(name, T, autogram) {
  const { model, step, batch, m } = setup(name, T, autogram);
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
  return { ms: ms[ms.length >> 1], peakBytes: m.peak, heldBytes: m.held, P };
}

// ------------------------------------------------------------------ the torch side's inputs
const arrays = {};
function put(k, shape, data) { arrays[k] = { shape, data: Float32Array.from(data) }; }
put("x", [B, IN], x);
ys.forEach((y, t) => put(`y.t${t}`, [B], y));
const paramNames = {};
for (const T of TASKS) {
  const { model } = setup("EW", T, false);
  paramNames[T] = model.namedParameters().map(([n, p]) => { put(`p${T}.${n}`, [...p.shape], p.data()); return n; });
}

const methods = ph.weightingNames().filter((n) => !only || only.includes(n));
const gramOnly = (name) => { const w = ph.createWeighting(name, ["a", "b"]); return "autogram" in w && w.on === "shared"; };
// first every check run on polyhead's side (their random draws go into the torch side's inputs)
const jobs = [], ours = [];
for (const name of methods) {
  for (const T of TASKS) {
    const id = jobs.length;
    let c;
    try { c = checkRun(name, T); } catch (e) { c = { error: String(e.message ?? e).slice(0, 160) }; }
    const job = { id, method: name, T, time: !quick };
    if (!c.error) job.draws = drawsOf(name, T, c.rngStates);
    jobs.push(job);
    ours.push({ method: name, tasks: T, check: c, job: id });
  }
}

const dir = mkdtempSync(path.join(os.tmpdir(), "polyhead-methods-"));
const manifest = { lr: LR, check: CHECK, warm: WARM, steps: STEPS, params: paramNames, jobs, arrays: {}, excessEta: ph.createWeighting("ExcessMTL", ["a"]).eta };
let off = 0;
for (const [k, a] of Object.entries(arrays)) { manifest.arrays[k] = { shape: a.shape, offset: off, length: a.data.length }; off += a.data.length; }
const buf = new Float32Array(off);
for (const [k, a] of Object.entries(arrays)) buf.set(a.data, manifest.arrays[k].offset);
// the torch side reads "@key" draws from the binary file
for (const j of jobs) for (const d of j.draws ?? []) for (const [k, v] of Object.entries(d)) if (typeof v === "string" && v.startsWith("@")) d[k] = { array: v.slice(1) };
writeFileSync(path.join(dir, "inputs.bin"), new Uint8Array(buf.buffer));
writeFileSync(path.join(dir, "inputs.json"), JSON.stringify(manifest));

// then job by job: the torch side's check and timing, and right after polyhead's timing of the same step
const py = spawn(PY, [path.join(here, "methods_torch.py"), dir], { env: { ...process.env, GLOG_minloglevel: "2" }, stdio: ["pipe", "pipe", "inherit"] });
const replies = createInterface({ input: py.stdout })[Symbol.asyncIterator]();
const theirs = [];
for (const row of [...ours]) {
  py.stdin.write(`${row.job}\n`);
  let line;
  do { line = (await replies.next()).value; } while (line !== undefined && !line.startsWith("RESULT "));
  if (line === undefined) { console.error("bench:methods: the torch side stopped"); process.exit(1); }
  const t = theirs[row.job] = JSON.parse(line.slice(7));
  if (!quick) {
    for (const autogram of gramOnly(row.method) ? [false, true] : [false]) {
      let r;
      try { r = timeRun(row.method, row.tasks, autogram); } catch (e) { r = { error: String(e.message ?? e).slice(0, 160) }; }
      if (autogram) ours.splice(ours.indexOf(row) + 1, 0, { method: `${row.method}+autogram`, tasks: row.tasks, job: row.job, ...r, check: null });
      else Object.assign(row, r);
    }
  }
  console.error(`${row.method.padEnd(12)} T=${String(row.tasks).padStart(2)}${row.ms ? `  polyhead ${row.ms.toFixed(2)} ms` : ""}${t.ms ? `  torch ${t.ms.toFixed(2)} ms` : ""}${row.check.error ? "  polyhead: " + row.check.error : ""}${t.error ? "  torch: " + t.error : ""}`);
}
py.stdin.end();

// ------------------------------------------------------------------ compare, table
const problems = [];
const rel = (a, b) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
let worst = 0, worstAt = "";
for (const row of ours.filter((o) => o.check)) {
  const t = theirs[row.job], who = `${row.method} T=${row.tasks}`;
  if (row.check.error) { problems.push(`${who}: polyhead: ${row.check.error}`); continue; }
  if (t.error) { problems.push(`${who}: torch: ${t.error}`); continue; }
  const lossErr = Math.max(...row.check.losses.flatMap((ls, k) => ls.map((l, i) => rel(l, t.losses[k][i]))));
  const d = new Float32Array(readFileSync(t.delta).buffer.slice(0));
  let num = 0, den = 0;
  for (let i = 0; i < d.length; i++) { num += (row.check.delta[i] - d[i]) ** 2; den += d[i] ** 2; }
  const updErr = d.length === row.check.delta.length ? Math.sqrt(num / Math.max(den, 1e-300)) : Infinity;
  row.agree = { loss: lossErr, update: updErr };
  if (updErr > worst) { worst = updErr; worstAt = who; }
  if (!(lossErr < 1e-4)) problems.push(`${who}: losses differ from torch's by ${lossErr.toExponential(2)} (relative)`);
  // float32 on both sides; a ReLU unit whose input sits within rounding of 0 at some sample can
  // flip between them and move a later step's gradient by ~0.1% (seen with GradNorm, T = 2)
  if (!(updErr < 1e-2)) problems.push(`${who}: the change of the parameters after ${CHECK} steps differs from torch's by ${updErr.toExponential(2)} (relative, 2-norm)`);
}
rmSync(dir, { recursive: true, force: true });

const mb = (b) => (b / 2 ** 20).toFixed(2);
const rows = ours.map((o) => {
  const t = theirs[o.job];
  const out = { method: o.method, tasks: o.tasks };
  if (o.error) return { ...out, error: o.error };
  if (o.agree) out.agree = { loss: +o.agree.loss.toExponential(2), update: +o.agree.update.toExponential(2) };
  if (o.ms !== undefined) {
    Object.assign(out, { ms: +o.ms.toFixed(2), peakMB: +mb(o.peakBytes), peakOverP: +(o.peakBytes / (4 * o.P)).toFixed(2), heldOverP: +(o.heldBytes / (4 * o.P)).toFixed(2) });
    if (t.ms !== undefined) Object.assign(out, { torchMs: +t.ms.toFixed(2), torchPeakMB: +mb(t.peakBytes), ratio: +(o.ms / t.ms).toFixed(2) });
  }
  return out;
});
if (quick) {
  console.log(`bench:methods --quick: ${rows.filter((r) => r.agree).length} method x task-count checks against torch; the largest difference of the parameters' change after ${CHECK} steps: ${worst.toExponential(2)} (relative, ${worstAt})`);
} else {
  const lines = [
    "| method | T | polyhead ms | torch ms | polyhead / torch | polyhead peak MB (x P) | torch peak MB | update vs torch |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map((r) => r.error ? `| ${r.method} | ${r.tasks} | error: ${r.error} ||||||`
      : `| ${r.method} | ${r.tasks} | ${r.ms ?? "-"} | ${r.torchMs ?? "-"} | ${r.ratio ?? "-"} | ${r.peakMB ?? "-"} (${r.peakOverP ?? "-"}) | ${r.torchPeakMB ?? "-"} | ${r.agree ? r.agree.update.toExponential(1) : "(as above)"} |`),
  ];
  console.log(`\n${lines.join("\n")}\n`);
  console.log(`${cpu}; polyhead and torch 1.13 each on one thread, a row's two timings one right after the other; a shared, loaded machine: figures are noisy, ratios from this one run`);
  if (!only) {
    mkdirSync(path.join(here, "results"), { recursive: true });
    writeFileSync(path.join(here, "results", "methods.json"), JSON.stringify({ workload: "shared-bottom 100-256-256, towers 64, batch 256, SGD 1e-3; one step", cpu, node: process.version, torch: "Debian python3-torch 1.13, 1 thread", rows, table: lines }, null, 1) + "\n");
    console.log("wrote bench/results/methods.json");
  }
}
if (problems.length) { console.error(`bench:methods: ${problems.length} problem(s):\n  ${problems.join("\n  ")}`); process.exit(1); }
