// Kernel benchmark: polyhead's Wasm `matmul` beside tfjs-backend-wasm (XNNPACK, SIMD,
// one thread) and tfjs-backend-cpu, in one Node process, on the same inputs.
//   node bench/kernels.mjs           full run (~3 min), writes bench/results/kernels.json
//   node bench/kernels.mjs --quick   short run for CI (< 30 s), prints only
// polyhead is timed at the kernel call (build/polyhead.wasm instantiated directly, buffers
// allocated once); tfjs at tf.matMul + dataSync + dispose, the cheapest way its API finishes
// the work. Samples of the implementations are interleaved per workload, so load from other
// processes hits them alike; the table reports medians with the range.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { setThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const quick = process.argv.includes("--quick");

// ------------------------------------------------------------------ workloads
// [m, k, n]: op(A) is (m,k), op(B) is (k,n). 256x512 . 512x512 is a training-step shape
// (batch 256 through a 512-wide layer).
const SHAPES = quick
  ? [[128, 128, 128], [256, 512, 512]]
  : [[128, 128, 128], [256, 256, 256], [512, 512, 512], [1024, 1024, 1024], [256, 512, 512]];
const COMBOS = [[false, false], [true, false], [false, true], [true, true]];
const BUDGET_MS = quick ? 120 : 900;  // per workload and implementation, after warm-up
const MIN_SAMPLES = 3;               // the slowest (tfjs-cpu at n = 1024: ~4 s a call) get just these
const WARM_MS = quick ? 40 : 150;
const MAX_SAMPLES = 61;
const SAMPLE_MS = quick ? 10 : 25;   // calls are batched until one sample takes about this long

const tag = ([tA, tB]) => (tA ? "T" : "N") + (tB ? "T" : "N");
const workloadName = ([m, k, n], combo) => `matmul ${m}x${k}@${k}x${n} ${tag(combo)}`;

// ------------------------------------------------------------------ polyhead
const wasmPath = join(root, "build/polyhead.wasm");
if (!existsSync(wasmPath)) {
  console.log("bench: build/polyhead.wasm missing, building it");
  execFileSync(process.execPath, [join(root, "build/build.mjs"), "--wasm-only"], { stdio: "inherit" });
}
const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath), {});
const ph = instance.exports;
let heapTop = Math.ceil(ph.heap_base() / 64) * 64;
function phAlloc(floats) {
  const p = heapTop;
  heapTop += Math.ceil((floats * 4) / 64) * 64;
  const short = heapTop - ph.memory.buffer.byteLength;
  if (short > 0) ph.memory.grow(Math.ceil(short / 65536));
  return p;
}

// ------------------------------------------------------------------ tfjs
const require = createRequire(import.meta.url);
const tfWasmDir = dirname(require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm"));
setWasmPaths(tfWasmDir + "/"); // local files, no network
setThreadsCount(1);
await tf.ready();
for (const b of ["wasm", "cpu"]) {
  if (!(await tf.setBackend(b))) throw new Error(`bench: tfjs backend "${b}" failed to initialise`);
}
tf.engine().backend.firstUse = false; // cpu backend: skip its "install tfjs-node" banner
if (!tf.env().getBool("WASM_HAS_SIMD_SUPPORT")) throw new Error("bench: tfjs-backend-wasm runs without SIMD here");
const wasmThreads = 1; // setThreadsCount(1); Node has no threaded tfjs-wasm build anyway

// ------------------------------------------------------------------ harness
function values(n, seed) {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; out[i] = s / 2 ** 31 - 1; }
  return out;
}

/** An implementation prepared for one workload: run() does the work once; result() reads C. */
function polyhead([m, k, n], [tA, tB], av, bv) {
  const mark = heapTop;
  const a = phAlloc(m * k), b = phAlloc(k * n), c = phAlloc(m * n);
  new Float32Array(ph.memory.buffer, a, m * k).set(av);
  new Float32Array(ph.memory.buffer, b, k * n).set(bv);
  const ta = +tA, tb = +tB;
  return {
    impl: "polyhead", threads: 1,
    run: () => ph.matmul(c, a, b, m, n, k, ta, tb, 1, 0),
    result: () => new Float32Array(ph.memory.buffer, c, m * n).slice(),
    free: () => { heapTop = mark; },
  };
}

function tfjs(backend, threads) {
  return ([m, k, n], [tA, tB], av, bv) => {
    tf.setBackend(backend);
    const a = tf.tensor2d(av, tA ? [k, m] : [m, k]), b = tf.tensor2d(bv, tB ? [n, k] : [k, n]);
    let last = null;
    return {
      impl: `tfjs-${backend}`, threads,
      run: () => { const c = tf.matMul(a, b, tA, tB); last = c.dataSync(); c.dispose(); },
      result: () => last,
      free: () => { a.dispose(); b.dispose(); },
    };
  };
}

const IMPLS = [polyhead, tfjs("wasm", wasmThreads), tfjs("cpu", 1)];

/** Make the tfjs backend an implementation runs on the current one (a no-op for polyhead). */
function use(r) { if (r.impl.startsWith("tfjs-")) tf.setBackend(r.impl.slice(5)); }

function median(xs) { const s = [...xs].sort((x, y) => x - y); return s[s.length >> 1]; }

/** Largest |x - y| relative to the largest |y|: a sanity check that every impl computes the same C. */
function relDiff(x, y) {
  let d = 0, s = 0;
  for (let i = 0; i < x.length; i++) { d = Math.max(d, Math.abs(x[i] - y[i])); s = Math.max(s, Math.abs(y[i])); }
  return d / (s || 1);
}

function bench(shape, combo) {
  const [m, k, n] = shape;
  const flop = 2 * m * n * k;
  const av = values(m * k, m + 3 * k), bv = values(k * n, n + 7 * k);
  const runs = IMPLS.map((make) => make(shape, combo, av, bv));
  // warm up (JIT tiers, tfjs kernel setup), check that results agree, calibrate the batch
  runs[0].run();
  const ref = runs[0].result();
  for (const r of runs) {
    use(r);
    let t = performance.now(), once = 0, spent = 0;
    r.run();
    const diff = relDiff(r.result(), ref);
    if (diff > 1e-4) throw new Error(`bench: ${r.impl} disagrees with polyhead on ${workloadName(shape, combo)} (relative difference ${diff})`);
    do {
      once = performance.now() - t; spent += once;
      if (spent >= WARM_MS) break;
      t = performance.now(); r.run();
    } while (true);
    r.batch = Math.max(1, Math.round(SAMPLE_MS / Math.max(once, 1e-3)));
    r.samples = []; r.spent = 0;
  }
  // interleaved sampling, each impl within its own time budget
  for (let round = 0; round < MAX_SAMPLES; round++) {
    let active = false;
    for (const r of runs) {
      if (r.samples.length >= MIN_SAMPLES && r.spent >= BUDGET_MS) continue;
      active = true;
      use(r);
      const t0 = performance.now();
      for (let i = 0; i < r.batch; i++) r.run();
      const dt = performance.now() - t0;
      r.spent += dt;
      r.samples.push(flop / (dt / r.batch) / 1e6); // GFLOP/s
    }
    if (!active) break;
  }
  for (const r of runs) r.free();
  const name = workloadName(shape, combo);
  return runs.map((r) => ({
    workload: name, impl: r.impl, threads: r.threads, metric: "GFLOP/s",
    median: +median(r.samples).toFixed(2), min: +Math.min(...r.samples).toFixed(2), max: +Math.max(...r.samples).toFixed(2),
    samples: r.samples.length,
  }));
}

// ------------------------------------------------------------------ run
const t0 = performance.now();
console.log(`bench: ${quick ? "quick" : "full"} run, Node ${process.version}, ${cpus()[0]?.model ?? "unknown CPU"} x${cpus().length}, ` +
  `tfjs ${tf.version_core} (wasm: SIMD, 1 thread)`);
const rows = [];
const fmt = (r) => `${r.median.toFixed(1).padStart(6)} (${r.min.toFixed(1)}–${r.max.toFixed(1)})`;
console.log(`${"workload".padEnd(30)} ${"impl".padEnd(10)} ${"GFLOP/s median (min–max)".padEnd(26)} polyhead ÷ impl`);
for (const shape of SHAPES) {
  for (const combo of COMBOS) {
    const res = bench(shape, combo);
    const ours = res[0].median;
    for (const r of res) {
      const ratio = r.impl === "polyhead" ? "" : `${(ours / r.median).toFixed(2)}x`;
      console.log(`${r.workload.padEnd(30)} ${r.impl.padEnd(10)} ${fmt(r).padEnd(26)} ${ratio}`);
      const { samples, ...row } = r;
      rows.push(row);
    }
  }
}
console.log(`bench: done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
if (!quick) {
  mkdirSync(join(root, "bench/results"), { recursive: true });
  writeFileSync(join(root, "bench/results/kernels.json"), JSON.stringify(rows, null, 2) + "\n");
  console.log("bench: wrote bench/results/kernels.json");
}
