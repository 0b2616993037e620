// One transformer-encoder training step side by side (bench:train runs it after the MLP
// workload): a post-norm nn.TransformerEncoderLayer (width 128, 4 heads, feed-forward 512,
// ReLU, dropout 0) over an embedded batch [32, 64, 128], mean over the sequence, a linear
// 4-class head and cross-entropy, Adam lr 1e-3; one thread. Every implementation starts
// from the same weights (drawn once by polyhead, in torch's layout) and trains on the same
// batch; the losses of the first steps are checked against each other before timing.
// PyTorch (Debian python3-torch, /usr/bin/python3) runs in a subprocess on the same arrays.
//   node bench/train-transformer.mjs            all implementations, results/train-transformer.json
//   node bench/train-transformer.mjs --quick    short run (checks the losses agree; writes no results)
//   node bench/train-transformer.mjs --only polyhead,pytorch   (tfjs-cpu, ~35 s a step, runs only when named)
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as ph from "../dist/index.js";
import { jaxAdam, loadTfjs, useBackend } from "./peers.mjs";
import * as seq from "../dist/seq.js";
import * as jax from "@jax-js/jax";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const only = (() => { const i = args.indexOf("--only"); return i >= 0 ? args[i + 1].split(",") : undefined; })();
const here = path.dirname(fileURLToPath(import.meta.url));

const WORKLOAD = "transformer-encoder-b32-l64-e128-h4";
const B = 32, L = 64, E = 128, NH = 4, FF = 512, C = 4, D = E / NH, LR = 1e-3, BETA1 = 0.9, BETA2 = 0.999, EPS = 1e-8, LN_EPS = 1e-5;
const CHECK_STEPS = quick ? 2 : 3;      // loss check; these steps are also the warm-up
const REPEATS = quick ? 0 : 20;         // timed steps (fewer when the time budget runs out); none in --quick
const BUDGET_MS = 15000;                // per implementation, for the timed steps
const MIN_REPEATS = quick ? 0 : 1;

// ------------------------------------------------------------------ weights and data
await ph.init();
const buildLayer = () => new seq.TransformerEncoderLayer(E, NH, { dimFeedforward: FF, dropout: 0, batchFirst: true, rng: new ph.Rng(3) });
const buildHead = () => new ph.Linear(E, C, { rng: new ph.Rng(4) });
const dict = (m, prefix) => ph.scope(() => Object.fromEntries(Object.entries(m.stateDict()).map(([n, t]) => [prefix + n, { shape: [...t.shape], data: t.f32() }])));
// torch's names: the layer's own, and head.* for the classifier
const INIT = { ...dict(buildLayer(), "layer."), ...dict(buildHead(), "head.") };
const data = ph.scope(() => {
  const rng = new ph.Rng(9);
  const x = ph.randn([B, L, E], 0, 1, rng).f32();
  const labels = Int32Array.from({ length: B }, (_, i) => (i * 7 + 3) % C);
  return { x, labels };
});
const onehot = new Float32Array(B * C);
data.labels.forEach((l, i) => { onehot[i * C + l] = 1; });

/** A [out, in] weight as [in, out] (x @ W layout). */
function inOut(name) {
  const { shape: [o, i], data: w } = INIT[name];
  const t = new Float32Array(i * o);
  for (let r = 0; r < o; r++) for (let c = 0; c < i; c++) t[c * o + r] = w[r * i + c];
  return { data: t, shape: [i, o] };
}
const DENSE = { qkv: "layer.self_attn.in_proj", out: "layer.self_attn.out_proj", l1: "layer.linear1", l2: "layer.linear2", head: "head" };
const biasOf = (k) => INIT[DENSE[k] === "layer.self_attn.in_proj" ? "layer.self_attn.in_proj_bias" : `${DENSE[k]}.bias`].data;
const weightOf = (k) => inOut(DENSE[k] === "layer.self_attn.in_proj" ? "layer.self_attn.in_proj_weight" : `${DENSE[k]}.weight`);

// ------------------------------------------------------------------ implementations
// Each setup returns step(): one training step returning the loss before the update.

function polyhead() {
  const layer = buildLayer(), head = buildHead();
  layer.loadStateDict(Object.fromEntries(Object.entries(INIT).filter(([k]) => k.startsWith("layer.")).map(([k, v]) => [k.slice(6), v])));
  head.loadStateDict({ weight: INIT["head.weight"], bias: INIT["head.bias"] });
  const opt = new ph.Adam([...layer.parameters(), ...head.parameters()], { lr: LR, betas: [BETA1, BETA2], eps: EPS });
  const x = ph.tensor(data.x, [B, L, E]).keep(), y = ph.tensor(data.labels, [B], "int32").keep();
  return {
    step: () => ph.scope(() => {
      const loss = ph.crossEntropy(head.forward(ph.mean(layer.forward(x), 1)), y);
      opt.zeroGrad();
      ph.backward(loss);
      opt.step();
      return loss.item();
    }),
  };
}

// PyTorch in a subprocess: the arrays go through a temporary directory as raw float32.
const PY = String.raw`
import json, sys, time, torch, torch.nn as nn, torch.nn.functional as F
d = sys.argv[1]; meta = json.load(open(d + "/meta.json"))
torch.set_num_threads(1)
def arr(name, shape, dtype=torch.float32):
    return torch.frombuffer(bytearray(open(d + "/" + name, "rb").read()), dtype=dtype).reshape(shape).clone()
m = meta["model"]
layer = nn.TransformerEncoderLayer(m["E"], m["H"], m["FF"], dropout=0.0, batch_first=True)
head = nn.Linear(m["E"], m["C"])
sd = {k: arr(k, v) for k, v in meta["shapes"].items()}
layer.load_state_dict({k[6:]: v for k, v in sd.items() if k.startswith("layer.")})
head.load_state_dict({k[5:]: v for k, v in sd.items() if k.startswith("head.")})
x = arr("x", [m["B"], m["L"], m["E"]]); y = arr("labels", [m["B"]], torch.int32).long()
opt = torch.optim.Adam(list(layer.parameters()) + list(head.parameters()), lr=m["lr"], betas=(0.9, 0.999), eps=1e-8)
def step():
    opt.zero_grad()
    loss = F.cross_entropy(head(layer(x).mean(1)), y)
    loss.backward()
    opt.step()
    return float(loss)
losses = [step() for _ in range(meta["check"])]
times = []; t0 = time.perf_counter()
while len(times) < meta["repeats"] and (len(times) < meta["min"] or (time.perf_counter() - t0) * 1000 < meta["budget"]):
    s = time.perf_counter(); step(); times.append((time.perf_counter() - s) * 1000)
print(json.dumps({"losses": losses, "times": times, "torch": torch.__version__}))
`;

function pytorch() {
  if (!existsSync("/usr/bin/python3")) throw new Error("pytorch: /usr/bin/python3 (Debian python3-torch) not found");
  const dir = mkdtempSync(path.join(os.tmpdir(), "polyhead-bench-tf-"));
  try {
    const shapes = {};
    for (const [k, v] of Object.entries(INIT)) { shapes[k] = v.shape; writeFileSync(path.join(dir, k), Buffer.from(v.data.buffer)); }
    writeFileSync(path.join(dir, "x"), Buffer.from(data.x.buffer));
    writeFileSync(path.join(dir, "labels"), Buffer.from(data.labels.buffer));
    writeFileSync(path.join(dir, "meta.json"), JSON.stringify({
      shapes, model: { B, L, E, H: NH, FF, C, lr: LR }, check: CHECK_STEPS, repeats: REPEATS, min: MIN_REPEATS, budget: BUDGET_MS,
    }));
    const out = execFileSync("/usr/bin/python3", ["-c", PY, dir], { encoding: "utf8", env: { ...process.env, OMP_NUM_THREADS: "1" } });
    return { external: JSON.parse(out) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let tf = null;

/** The same layer written with tfjs ops (weights [in, out], so every product is a plain matMul). */
async function tfjs(backend) {
  tf ??= await loadTfjs();
  await useBackend(tf, backend);
  const w = {};
  for (const k of Object.keys(DENSE)) { const { data: d, shape } = weightOf(k); w[k] = { w: tf.variable(tf.tensor2d(d, shape)), b: tf.variable(tf.tensor1d(biasOf(k))) }; }
  const ln = (n) => ({ g: tf.variable(tf.tensor1d(INIT[`layer.${n}.weight`].data)), b: tf.variable(tf.tensor1d(INIT[`layer.${n}.bias`].data)) });
  const n1 = ln("norm1"), n2 = ln("norm2");
  const x = tf.tensor2d(data.x, [B * L, E]), y = tf.tensor2d(onehot, [B, C]);
  const dense = (h, l) => tf.add(tf.matMul(h, l.w), l.b);
  const norm = (h, n) => { const { mean, variance } = tf.moments(h, -1, true); return tf.add(tf.mul(tf.div(tf.sub(h, mean), tf.sqrt(tf.add(variance, LN_EPS))), n.g), n.b); };
  const heads = (t) => tf.reshape(tf.transpose(tf.reshape(t, [B, L, NH, D]), [0, 2, 1, 3]), [B * NH, L, D]);
  const loss = () => {
    const [q, k, v] = tf.split(dense(x, w.qkv), 3, 1);
    const p = tf.softmax(tf.matMul(tf.div(heads(q), Math.sqrt(D)), heads(k), false, true));
    const a = tf.reshape(tf.transpose(tf.reshape(tf.matMul(p, heads(v)), [B, NH, L, D]), [0, 2, 1, 3]), [B * L, E]);
    const h1 = norm(tf.add(x, dense(a, w.out)), n1);
    const h2 = norm(tf.add(h1, dense(tf.relu(dense(h1, w.l1)), w.l2)), n2);
    return tf.losses.softmaxCrossEntropy(y, dense(tf.mean(tf.reshape(h2, [B, L, E]), 1), w.head));
  };
  const opt = tf.train.adam(LR, BETA1, BETA2, EPS);
  return {
    step() { const cost = opt.minimize(loss, true); const v = cost.dataSync()[0]; cost.dispose(); return v; },
    dispose() { opt.dispose(); tf.dispose([x, y, n1.g, n1.b, n2.g, n2.b, ...Object.values(w).flatMap((l) => [l.w, l.b])]); },
  };
}

/** jax-js on its Wasm backend: the same layer, valueAndGrad and an Adam update in one jit-compiled step. */
async function jaxJs() {
  const { numpy: np, nn, tree } = jax;
  const devices = await jax.init("wasm");
  if (!devices.includes("wasm")) throw new Error(`jax-js: the wasm backend is unavailable (got ${devices.join(", ")})`);
  jax.defaultDevice("wasm");
  let params = {};
  for (const k of Object.keys(DENSE)) { const { data: d, shape } = weightOf(k); params[k] = { w: np.array(d).reshape(shape), b: np.array(biasOf(k)) }; }
  for (const n of ["norm1", "norm2"]) params[n] = { g: np.array(INIT[`layer.${n}.weight`].data), b: np.array(INIT[`layer.${n}.bias`].data) };
  let m = tree.map((p) => np.zerosLike(p.ref), params), v = tree.map((p) => np.zerosLike(p.ref), params);
  const x = np.array(data.x).reshape([B * L, E]), y = np.array(onehot).reshape([B, C]);
  // jax-js arrays are reference-counted: every use but the last takes `.ref`
  const dense = (h, l) => np.matmul(h, l.w).add(l.b);
  const norm = (h, n) => nn.standardize(h, -1, { epsilon: LN_EPS }).mul(n.g).add(n.b);
  const heads = (t) => np.transpose(t.reshape([B, L, NH, D]), [0, 2, 1, 3]);
  const loss = (p, x, y) => {
    const qkv = dense(x.ref, p.qkv);
    const [q, k, vv] = np.split(qkv, 3, 1);
    const s = np.matmul(heads(q).div(Math.sqrt(D)), np.transpose(heads(k), [0, 1, 3, 2]));
    const a = np.transpose(np.matmul(nn.softmax(s, -1), heads(vv)), [0, 2, 1, 3]).reshape([B * L, E]);
    const h1 = norm(x.add(dense(a, p.out)), p.norm1);
    const h2 = norm(h1.ref.add(dense(nn.relu(dense(h1, p.l1)), p.l2)), p.norm2);
    const logits = dense(h2.reshape([B, L, E]).mean(1), p.head);
    return nn.logSoftmax(logits, -1).mul(y).sum().mul(-1 / B);
  };
  const step = jax.jit((p, m, v, x, y, stepSize, bc2Sqrt) => {
    const [l, g] = jax.valueAndGrad(loss)(tree.ref(p), x, y);
    return [l, ...jaxAdam(np, tree, p, m, v, g, stepSize, bc2Sqrt, { beta1: BETA1, beta2: BETA2, eps: EPS })];
  });
  let t = 0;
  return {
    async step() {
      t++;
      let l;
      [l, params, m, v] = step(params, m, v, x.ref, y.ref, np.array(LR / (1 - BETA1 ** t)), np.array(Math.sqrt(1 - BETA2 ** t)));
      await jax.blockUntilReady([params, m, v]);
      return (await l.data())[0];
    },
    dispose() { tree.dispose([params, m, v, x, y]); step.dispose(); },
  };
}

const IMPLS = [
  { impl: "polyhead", label: "polyhead (TransformerEncoderLayer + Adam)", setup: polyhead },
  { impl: "pytorch", label: "PyTorch (nn.TransformerEncoderLayer, subprocess)", setup: pytorch },
  { impl: "tfjs-wasm", label: "tfjs-wasm (ops)", setup: () => tfjs("wasm") },
  // ~35 s a step here (plain JS kernels): only when asked for by --only
  { impl: "tfjs-cpu", label: "tfjs-cpu (ops)", setup: () => tfjs("cpu"), slow: true },
  { impl: "jax-js-wasm", label: "jax-js (wasm, jit)", setup: jaxJs },
].filter((d) => (only ? only.includes(d.impl) : !d.slow));
if (IMPLS.length === 0) throw new Error(`--only ${only}: no such implementation`);

// ------------------------------------------------------------------ run
const now = () => performance.now();
const median = (t) => { const s = [...t].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const results = [], skipped = [];
console.log(`\n${WORKLOAD}: post-norm encoder layer (E ${E}, ${NH} heads, FF ${FF}, ReLU), mean pool, ${C}-class head, batch ${B} x ${L}, Adam${quick ? " (--quick)" : ""}`);
for (const d of IMPLS) {
  process.stdout.write(`${d.label} ... `);
  let impl;
  try { impl = await d.setup(); } catch (e) { console.log(`cannot run: ${e.message.split("\n")[0]}`); skipped.push([d.impl, e.message.split("\n")[0]]); continue; }
  let losses, times;
  if (impl.external) ({ losses, times } = impl.external);
  else {
    losses = [];
    for (let i = 0; i < CHECK_STEPS; i++) { const v = impl.step(); losses.push(v instanceof Promise ? await v : v); }
    times = [];
    const start = now();
    for (let r = 0; r < REPEATS && (r < MIN_REPEATS || now() - start < BUDGET_MS); r++) {
      const s = now(), v = impl.step();
      if (v instanceof Promise) await v;
      times.push(now() - s);
    }
    impl.dispose?.();
  }
  const med = times.length ? median(times) : NaN;
  results.push({ ...d, losses, times, median: med, min: Math.min(...times), max: Math.max(...times) });
  console.log(times.length ? `${med.toFixed(1)} ms/step (${times.length} timed)` : `${CHECK_STEPS} checked steps (not timed in --quick)`);
}

// ------------------------------------------------------------------ checks and report
const problems = [];
const ref = results[0];
console.log(`\ncross-entropy over ${CHECK_STEPS} steps on the same batch:`);
for (const r of results) {
  const d0 = Math.abs(r.losses[0] - ref.losses[0]) / Math.abs(ref.losses[0]);
  const dN = Math.abs(r.losses.at(-1) - ref.losses.at(-1)) / Math.abs(ref.losses.at(-1));
  console.log(`  ${r.impl.padEnd(12)} ${r.losses.map((v) => v.toFixed(6)).join(" ")}   vs ${ref.impl}: first ${d0.toExponential(1)}, last ${dN.toExponential(1)}`);
  if (!r.losses.every(Number.isFinite)) problems.push(`${r.impl}: a loss is not finite`);
  if (!(d0 < 1e-4)) problems.push(`${r.impl}: first loss ${r.losses[0]} differs from ${ref.impl}'s ${ref.losses[0]} (same weights and batch)`);
  if (!(dN < 1e-3)) problems.push(`${r.impl}: loss after ${CHECK_STEPS} steps differs from ${ref.impl}'s by ${dN.toExponential(1)}`);
}
if (!(ref.losses.at(-1) < ref.losses[0])) problems.push(`${ref.impl}: the loss did not fall over ${CHECK_STEPS} steps`);
const base = results.find((r) => r.impl === "polyhead");
console.log("");
for (const r of quick ? [] : results) {
  const q = base && r !== base ? r.median / base.median : null;
  const vs = q === null ? "" : q >= 1 ? `polyhead is ${q.toFixed(2)}× faster` : `polyhead is ${(1 / q).toFixed(2)}× slower`;
  console.log(`  ${r.label.padEnd(50)} ${r.median.toFixed(1).padStart(9)} ms/step  ${vs}`);
}
for (const [impl, why] of skipped) console.log(`  ${impl}: not run (${why})`);

const out = path.join(here, "results", "train-transformer.json");
if (only || quick) console.log(`\n${quick ? "--quick" : "--only"}: ${path.relative(process.cwd(), out)} left as it was`);
else {
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(results.map((r) => ({
    workload: WORKLOAD, impl: r.impl, threads: 1, metric: "ms/step", median: +r.median.toFixed(3), min: +r.min.toFixed(3), max: +r.max.toFixed(3),
  })), null, 2) + "\n");
  console.log(`\nwrote ${path.relative(process.cwd(), out)}`);
}
if (problems.length) {
  console.error(`\nCHECK FAILED (${WORKLOAD}):\n  ${problems.join("\n  ")}`);
  process.exitCode = 1;
}
