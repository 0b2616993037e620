// The benchmark suite (`npm run bench`): every workload in its own processes, polyhead
// beside TensorFlow.js (wasm stock and with explicit transposes, cpu), jax-js, PyTorch CPU
// on 1 and 2 threads (Debian's /usr/bin/python3) and numpy's OpenBLAS for matmul, and
// polyhead/threads on 1 and all cores for matmul and the batch-256 steps (default and fast
// kernels). Each
// implementation first shows that it computes the same losses or outputs as polyhead (a
// mismatch fails the run); then warm-up, medians, ratios. Workloads: bench/suite/workloads.mjs.
//   npm run bench                      full run, writes bench/results/suite.json (~10 min on 2 cores)
//   npm run bench -- --quick           CI: every check (PyTorch on 1 thread only), a few timed calls, no thresholds, no results file
//   npm run bench -- --only mmoe,cnn   a subset (writes no results file)
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { WORKLOADS } from "./suite/workloads.mjs";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const onlyArg = args.indexOf("--only");
const only = onlyArg >= 0 ? args[onlyArg + 1].split(",") : null;
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, "..");
const require = createRequire(import.meta.url);
const PY = "/usr/bin/python3";  // Debian's, with python3-torch and numpy
const THREADS = [1, 2];
const CORES = os.availableParallelism?.() ?? os.cpus().length;
// polyhead/threads runs these (matmul, and the training steps of batch 256) on 1 and all cores
const threaded = (spec) => CORES > 1 && (spec.kind === "matmul" || (spec.kind === "train" && spec.B === 256) || (spec.kind === "infer" && spec.rows >= 256));
const cpu = os.cpus()[0]?.model ?? "unknown CPU";
const dir = mkdtempSync(path.join(os.tmpdir(), "polyhead-suite-"));
if (!existsSync(path.join(root, "dist/index.js"))) execFileSync(process.execPath, [path.join(root, "build/build.mjs")], { stdio: "inherit" });

const started = performance.now();
const problems = [];
const rows = [];

/** Run a worker process; its last `RESULT <json>` line is the rows it measured. */
function runWorker(cmd, argv, env = {}) {
  const r = spawnSync(cmd, argv, { cwd: root, encoding: "utf8", env: { ...process.env, ...env }, maxBuffer: 64 << 20, stdio: ["ignore", "pipe", "inherit"] });
  const line = (r.stdout ?? "").split("\n").reverse().find((l) => l.startsWith("RESULT "));
  if (r.status !== 0 || !line) {
    problems.push(`${argv.filter((a) => !a.startsWith("-")).slice(0, 2).map((a) => path.basename(a)).join(" ")} ${env.OPENBLAS_NUM_THREADS ? `(${env.OPENBLAS_NUM_THREADS} threads) ` : ""}failed (exit ${r.status})${r.error ? ": " + r.error.message : ""}`);
    return [];
  }
  return JSON.parse(line.slice(7));
}

// ------------------------------------------------------------------ checks
const groupBy = (xs, key) => { const g = {}; for (const x of xs) (g[key(x)] ??= []).push(x); return g; };
const fastImpl = (r) => r.impl === "polyhead-fast" || r.impl === "polyhead-threads-fast";
const rel = (a, b) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
function check(workload, spec, got) {
  const ref = got.find((r) => r.impl === "polyhead");
  if (!ref) { problems.push(`${workload}: no polyhead result to check against`); return; }
  for (const r of got) {
    const who = `${workload}: ${r.impl}${r.threads > 1 ? ` (${r.threads} threads)` : ""}`;
    if (!Number.isFinite(r.median)) problems.push(`${who}: no timing`);
    if (!r.check) continue;
    // the thread count never changes a bit: every step's loss is one thread's exactly
    // ... and on the fast kernels, polyhead/fast's (the same build's matmul, on this machine)
    const same = r.impl === "polyhead-threads" ? ref : r.impl === "polyhead-threads-fast" ? got.find((g) => g.impl === "polyhead-fast") : null;
    if (r.impl === "polyhead-threads-fast" && !same) problems.push(`${who}: no polyhead-fast result to check against`);
    if (same && !(r.check.length === same.check.length && r.check.every((v, i) => Object.is(v, same.check[i])))) {
      problems.push(`${who}: losses ${r.check.slice(0, 3)}... are not ${same.impl}'s bits (${same.check.slice(0, 3)}...)`);
    }
    if (spec.kind === "train") {
      const first = r.check[0], last = r.check[r.check.length - 1];
      const rf = ref.check[0], rl = ref.check[ref.check.length - 1];
      if (!r.check.every(Number.isFinite)) problems.push(`${who}: a loss is not finite`);
      if (!(last < first)) problems.push(`${who}: the loss did not fall (${first} -> ${last})`);
      if (!(rel(first, rf) < (fastImpl(r) ? 1e-3 : 1e-4))) problems.push(`${who}: first loss ${first} differs from polyhead's ${rf} (same weights and batch)`);
      const tol = spec.lastTol ?? 1e-2;
      if (!(rel(last, rl) < tol)) problems.push(`${who}: loss after ${r.check.length} steps ${last} is more than ${tol * 100}% from polyhead's ${rl}`);
    } else if (spec.kind === "infer") {
      const tol = fastImpl(r) ? 1e-3 : 1e-4;
      const bad = r.check.findIndex((v, i) => !(Math.abs(v - ref.check[i]) <= tol * Math.abs(ref.check[i]) + 1e-5));
      if (r.check.length !== ref.check.length || bad >= 0) problems.push(`${who}: outputs differ from polyhead's (check value ${bad}: ${r.check[bad]} vs ${ref.check[bad]})`);
    }
  }
}
function checkMatmul(got) {
  const byWorkload = groupBy(got.filter((r) => r.check), (r) => r.workload);
  for (const [w, rs] of Object.entries(byWorkload)) {
    const ref = rs.find((r) => r.impl === "polyhead");
    for (const r of rs) {
      // the fast build's FMA rounds once per product: it differs from the default in the last bits only
      const tol = fastImpl(r) ? 1e-3 : 1e-4;
      if (r.impl === "polyhead-threads" && !(r.agree === 0 && r.check.every((v, i) => v === ref.check[i]))) problems.push(`${w}: polyhead-threads (${r.threads} threads) is not one thread's bits`);
      const fast = rs.find((f) => f.impl === "polyhead-fast");
      if (r.impl === "polyhead-threads-fast" && !(r.agree === 0 && fast && r.check.every((v, i) => v === fast.check[i]))) problems.push(`${w}: polyhead-threads-fast (${r.threads} threads) is not polyhead-fast's bits`);
      if (r.agree !== undefined && !(r.agree < tol)) problems.push(`${w}: ${r.impl} differs from polyhead by ${r.agree} (relative to max |C|)`);
      if (!(Math.abs(r.check[0] - ref.check[0]) <= tol * ref.check[0] && Math.abs(r.check[1] - ref.check[1]) <= tol * ref.check[0])) {
        problems.push(`${w}: ${r.impl} (${r.threads} threads) fingerprint ${r.check} differs from polyhead's ${ref.check}`);
      }
    }
  }
}

// ------------------------------------------------------------------ workloads
const names = Object.keys(WORKLOADS).filter((w) => !only || only.includes(w));
for (const w of names) {
  const spec = WORKLOADS[w];
  console.log(`suite: ${w} ...`);
  // relaxed SIMD is behind a flag in Node 20 (on by default from Node 22, Deno, Chrome): on here, for polyhead-fast
  const got = runWorker(process.execPath, ["--experimental-wasm-relaxed-simd", path.join(here, "suite/js.mjs"), w, dir, ...(quick ? ["--quick"] : [])]);
  if (spec.kind !== "matmul") {  // polyhead on the fast kernels, in a process of its own (the engine loads one build)
    got.push(...runWorker(process.execPath, ["--experimental-wasm-relaxed-simd", path.join(here, "suite/js.mjs"), w, dir, "--fast", ...(quick ? ["--quick"] : [])]));
  }
  if (threaded(spec)) {
    got.push(...runWorker(process.execPath, [path.join(here, "suite/js.mjs"), w, dir, "--threads", String(CORES), ...(quick ? ["--quick"] : [])]));
    got.push(...runWorker(process.execPath, ["--experimental-wasm-relaxed-simd", path.join(here, "suite/js.mjs"), w, dir, "--threads", String(CORES), "--fast", ...(quick ? ["--quick"] : [])]));
  }
  if (existsSync(path.join(dir, `${w}.json`))) {
    for (const t of quick ? [1] : THREADS) got.push(...runWorker(PY, [path.join(here, "suite/torch_peer.py"), w, dir, String(t)], { OPENBLAS_NUM_THREADS: String(t), OMP_NUM_THREADS: String(t) }));
  }
  if (spec.kind === "matmul") checkMatmul(got); else check(w, spec, got);
  rows.push(...got);
}

// ------------------------------------------------------------------ start-up and size
// Start-up: a fresh process each time, timed inside it from before the import to a ready
// backend (so Node's or Python's own boot is not counted).
if (!only || only.includes("startup")) {
  console.log("suite: startup ...");
  const dist = path.join(root, "dist/index.js");
  const tfWasm = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")) + "/dist/";
  const probes = [
    ["polyhead", process.execPath, ["--input-type=module", "-e", `const t = performance.now(); const ph = await import(${JSON.stringify(dist)}); await ph.init(); console.log("RESULT " + (performance.now() - t));`]],
    ["tfjs-wasm", process.execPath, ["--input-type=module", "-e", `const t = performance.now(); const tf = await import("@tensorflow/tfjs-core"); const w = await import("@tensorflow/tfjs-backend-wasm"); w.setWasmPaths(${JSON.stringify(tfWasm)}); w.setThreadsCount(1); await tf.setBackend("wasm"); await tf.ready(); console.log("RESULT " + (performance.now() - t));`]],
    ["jax-js", process.execPath, ["--input-type=module", "-e", `const t = performance.now(); const jax = await import("@jax-js/jax"); await jax.init("wasm"); console.log("RESULT " + (performance.now() - t));`]],
    ["pytorch", PY, ["-c", "import time; t = time.perf_counter(); import torch; torch.zeros(1); print('RESULT', (time.perf_counter() - t) * 1000)"]],
  ];
  for (const [impl, cmd, argv] of probes) {
    const times = [];
    for (let i = 0; i < (quick ? 1 : 7); i++) {
      const r = spawnSync(cmd, argv, { cwd: root, encoding: "utf8" });
      const line = (r.stdout ?? "").split("\n").find((l) => l.startsWith("RESULT "));
      if (r.status !== 0 || !line) { problems.push(`startup: ${impl} failed: ${(r.stderr ?? "").slice(0, 300)}`); break; }
      times.push(+line.slice(7));
    }
    if (!times.length) continue;
    times.sort((a, b) => a - b);
    rows.push({ workload: "startup (import + init)", impl, threads: 1, metric: "ms", median: times[times.length >> 1], min: times[0], max: times[times.length - 1], n: times.length });
  }
}
if (!only || only.includes("bundle")) {
  console.log("suite: bundle ...");
  const sizes = JSON.parse(readFileSync(path.join(root, "dist/sizes.json"), "utf8"));
  const kb = (files) => { let b = 0, g = 0; for (const f of files) { const buf = readFileSync(f); b += buf.length; g += gzipSync(buf, { level: 9 }).length; } return { bytes: b, gzip: g }; };
  const size = (workload, impl, s) => rows.push({ workload, impl, threads: 1, metric: "KB gzipped", median: s.gzip / 1024, min: s.gzip / 1024, max: s.gzip / 1024, minifiedKB: s.bytes / 1024 });
  size("bundle (minified, gzipped)", "polyhead", sizes["index.js"]);
  if (sizes["fast.js"]) size("bundle (minified, gzipped)", "polyhead/fast (extra)", sizes["fast.js"]);
  const tfCore = path.dirname(require.resolve("@tensorflow/tfjs-core/package.json")), tfW = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json"));
  size("bundle (minified, gzipped)", "tfjs-core + tfjs-backend-wasm (+ SIMD .wasm)", kb([`${tfCore}/dist/tf-core.min.js`, `${tfW}/dist/tf-backend-wasm.min.js`, `${tfW}/dist/tfjs-backend-wasm-simd.wasm`]));
  const out = path.join(dir, "jax.min.js");
  await esbuild.build({ entryPoints: [require.resolve("@jax-js/jax")], bundle: true, minify: true, format: "esm", platform: "browser", outfile: out, logLevel: "error" });
  size("bundle (minified, gzipped)", "jax-js (esbuild, minified)", kb([out]));
}
rmSync(dir, { recursive: true, force: true });

// ------------------------------------------------------------------ report
const lowerIsBetter = (r) => r.metric.startsWith("ms") || r.metric.startsWith("KB");
const ratio = (r, base) => {
  if (!base || r === base) return "";
  const q = lowerIsBetter(r) ? r.median / base.median : base.median / r.median;
  const f = q.toFixed(q < 10 ? 2 : 1);
  return q >= 1 ? `polyhead ${f}× better` : `polyhead ${(1 / q).toFixed(1 / q < 10 ? 2 : 1)}× worse`;
};
const num = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(v >= 1 ? 2 : 3));
const table = [];
for (const [w, rs] of Object.entries(groupBy(rows, (r) => r.workload))) {
  const base = rs.find((r) => r.impl === "polyhead" && r.threads === 1);
  for (const r of rs) table.push([w, r.impl, String(r.threads), `${num(r.median)} ${r.metric}`, `${num(r.min)}–${num(r.max)}`, ratio(r, base)]);
}
const head = ["workload", "implementation", "thr", "median", "min–max", "vs polyhead (1 thread)"];
const widths = head.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
console.log(`\npolyhead suite${quick ? " (--quick: checks only; timings are a few calls, not figures)" : ""}: ${cpu} ×${os.cpus().length}, Node ${process.version}, load average ${os.loadavg().map((v) => v.toFixed(1)).join(" ")}`);
console.log(head.map((h, i) => h.padEnd(widths[i])).join("  "));
console.log(widths.map((n) => "-".repeat(n)).join("  "));
for (const r of table) console.log(r.map((c, i) => (i === 3 || i === 4 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  "));

// The issue's targets, from this run's figures (only reported, never enforced).
const get = (w, impl, t = 1) => rows.find((r) => r.workload === w && r.impl === impl && r.threads === t);
const targets = [];
const JS_PEERS = ["tfjs-wasm", "tfjs-wasm-transposed", "tfjs-cpu", "jax-js"];
for (const w of names.filter((n) => WORKLOADS[n].kind === "train")) {
  const ph = get(w, "polyhead"), peers = rows.filter((r) => r.workload === w && JS_PEERS.includes(r.impl));
  if (!ph) continue;
  if (peers.length) {
    const best = peers.reduce((a, b) => (a.median < b.median ? a : b));
    const q = best.median / ph.median;
    targets.push([`${w}: 1 thread >= 2x the fastest JS peer (${best.impl})`, `${q.toFixed(2)}x`, q >= 2]);
  }
  for (const t of THREADS) {
    const pt = get(w, "pytorch", t);
    if (pt) targets.push([`${w}: polyhead (1 thread) vs PyTorch ${t} thread${t > 1 ? "s" : ""}`, `${(pt.median / ph.median).toFixed(2)}x as fast`, pt.median >= ph.median]);
  }
}
// all cores: polyhead/threads on every core against its own pool on one thread (the same
// process), and against PyTorch on as many threads
for (const w of names.filter((n) => WORKLOADS[n].kind === "train")) {
  const one = get(w, "polyhead-threads", 1), all = get(w, "polyhead-threads", CORES), pt = get(w, "pytorch", CORES);
  if (one && all) targets.push([`${w}: ${CORES} threads >= 1.8x one thread`, `${(one.median / all.median).toFixed(2)}x`, one.median >= 1.8 * all.median]);
  if (all && pt) targets.push([`${w}: polyhead on ${CORES} threads vs PyTorch on ${CORES}`, `${(pt.median / all.median).toFixed(2)}x as fast`, pt.median >= all.median]);
}
// "all cores and fast mode at or under PyTorch on the same core count": polyhead/threads'
// fast kernels on t threads against PyTorch on t; a step that is not threaded (tabular,
// batch 32) on polyhead/fast (1 thread) against PyTorch on 1 and on 2 threads
for (const w of ["shared-bottom", "mmoe", "tabular"].filter((n) => names.includes(n))) {
  for (const t of THREADS) {
    const pt = get(w, "pytorch", t), tf = get(w, "polyhead-threads-fast", t), f = tf ?? get(w, "polyhead-fast");
    const who = tf ? `${t === CORES ? "all cores" : `${t} thread${t > 1 ? "s" : ""}`} + fast mode (polyhead-threads-fast)` : "polyhead-fast (1 thread)";
    if (f && pt) targets.push([`${w}: ${who} at or under PyTorch on ${t} thread${t > 1 ? "s" : ""}`, `${f.median.toFixed(2)} vs ${pt.median.toFixed(2)} ms`, f.median <= pt.median]);
  }
}
// matmul against the peaks: the best 512/1024 NN row as a share of the peak timed in turn
// with it (same load), with the share of the peak measured on its own beside it
const peak = get("matmul peak (128-bit SIMD)", "peak mul+add"), peakF = get("matmul peak (128-bit SIMD)", "peak fma");
const sq = rows.filter((r) => /^matmul (512|1024)x/.test(r.workload) && r.workload.endsWith(" NN"));
const share = (impl, key, alone, want, what) => {
  const rs = sq.filter((r) => r.impl === impl && r[key]);
  if (!rs.length) return;
  const r = rs.reduce((a, b) => (b.median / b[key] > a.median / a[key] ? b : a));
  const s = r.median / r[key];
  targets.push([`${what} (${r.workload.slice(7)}, peak timed in turn)`, `${(100 * s).toFixed(0)}% (${r.median.toFixed(1)} of ${r[key].toFixed(1)} GFLOP/s${alone ? `; ${(100 * r.median / alone.median).toFixed(0)}% of the peak timed alone` : ""})`, s >= want]);
};
share("polyhead", "peakMulAdd", peak, 0.9, "matmul >= 90% of the mul+add peak");
share("polyhead-fast", "peakFma", peakF, 0.85, "fast matmul >= 85% of the FMA peak");
const bundle = get("bundle (minified, gzipped)", "polyhead");
if (bundle) targets.push(["universal bundle < 60 KB gzipped", `${bundle.median.toFixed(1)} KB`, bundle.median < 60]);
if (targets.length) {
  console.log(`\ntargets (issue 13; ratios from this run${quick ? ", --quick: meaningless" : ""}):`);
  for (const [what, v, ok] of targets) console.log(`  ${ok ? "met    " : "NOT met"}  ${what}: ${v}`);
}
console.log(`\nsuite: ${((performance.now() - started) / 1000).toFixed(0)} s. A shared machine gives noisy figures: compare ratios within one run.`);

if (!quick && !only) {
  const out = path.join(here, "results", "suite.json");
  mkdirSync(path.dirname(out), { recursive: true });
  const torch = spawnSync(PY, ["-c", "import torch, numpy; print(torch.__version__, numpy.__version__)"], { encoding: "utf8" }).stdout.trim();
  writeFileSync(out, JSON.stringify({
    date: new Date().toISOString(), cpu, cores: os.cpus().length, node: process.version, torchNumpy: torch, loadavg: os.loadavg(),
    note: "one run on a shared, noisy machine: compare ratios within the run",
    rows: rows.map(({ check, agree, ...r }) => ({ ...r, median: +r.median.toFixed(4), min: +r.min.toFixed(4), max: +r.max.toFixed(4) })),
    targets: targets.map(([what, value, met]) => ({ what, value, met })),
  }, null, 1) + "\n");
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}
if (problems.length) {
  console.error(`\nCHECK FAILED:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
