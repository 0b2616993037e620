// One training step side by side: forward, backward and Adam update of a shared-bottom
// two-task MLP (100→256→256 shared, ReLU after each; towers 256→64→1, one BCE-with-logits
// task and one MSE task, losses summed), batch 256, Adam lr 1e-3, one thread, one Node
// process. Every implementation starts from the same weights (PyTorch's default init,
// drawn once by polyhead) and trains on the same batch; their losses over the first steps
// are checked against each other before anything is timed, since a fast broken step is
// worth nothing.
//   npm run bench:train                 all implementations, results/train.json
//   npm run bench:train -- --quick      short run for CI (< 30 s; 10 checked steps, 10 timed)
//   node bench/train.mjs --only polyhead,tfjs-wasm   (a subset, e.g. under --cpu-prof; writes no results)
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as ph from "../dist/index.js";
import { jaxAdam, loadTfjs, useBackend } from "./peers.mjs";
import * as jax from "@jax-js/jax";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const only = argValue("--only")?.split(",");
const here = path.dirname(fileURLToPath(import.meta.url));
const tf = await loadTfjs();  // bench/peers.mjs: one copy, shared with the transformer workload

const WORKLOAD = "shared-bottom-mlp-b256";
const B = 256, IN = 100, H = 256, T = 64, LR = 1e-3, BETA1 = 0.9, BETA2 = 0.999, EPS = 1e-8;
const CHECK_STEPS = quick ? 10 : 20;      // loss check; these steps are also the warm-up
const REPEATS = quick ? 10 : 50;          // timed steps (fewer when the time budget runs out)
const BUDGET_MS = quick ? 2500 : 20000;   // per implementation, for the timed steps
const MIN_REPEATS = 5;

function argValue(name) {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

// ------------------------------------------------------------------ data and weights
// Drawn once with polyhead's seeded stream and handed to every implementation as arrays.
await ph.init();
const TASKS = [ph.task("click", { kind: "binary", outputs: 1 }), ph.task("value", { kind: "regression", outputs: 1 })];
const buildModel = () => new ph.SharedBottom({ tasks: TASKS, inputs: IN, trunk: [H, H], towers: [T], rng: new ph.Rng(1) });

const data = ph.scope(() => {
  const rng = new ph.Rng(7);
  const x = ph.randn([B, IN], 0, 1, rng).f32();
  const u = ph.randn([IN], 0, 1, rng).f32(), w = ph.randn([IN], 0, 1, rng).f32();
  const click = new Float32Array(B), value = new Float32Array(B);
  for (let i = 0; i < B; i++) {
    let a = 0, b = 0;
    for (let j = 0; j < IN; j++) { a += x[i * IN + j] * u[j]; b += x[i * IN + j] * w[j]; }
    click[i] = a > 0 ? 1 : 0;
    value[i] = b / 10;  // about unit variance
  }
  return { x, click, value };
});

// name -> { shape, data } in PyTorch's layout (Linear weight [out, in])
const INIT = ph.scope(() => Object.fromEntries(buildModel().namedParameters().map(([n, t]) => [n, { shape: [...t.shape], data: t.f32() }])));
// the six dense layers by role, with polyhead's parameter names
const LAYERS = { l1: "trunk.0", l2: "trunk.2", a1: "towers.click.0", a2: "towers.click.2", r1: "towers.value.0", r2: "towers.value.2" };

/** A layer's weight transposed to [in, out] (the layout of tf dense kernels and x @ W). */
function weightInOut(layer) {
  const { shape: [o, i], data: w } = INIT[`${layer}.weight`];
  const t = new Float32Array(i * o);
  for (let r = 0; r < o; r++) for (let c = 0; c < i; c++) t[c * o + r] = w[r * i + c];
  return { data: t, shape: [i, o] };
}

// ------------------------------------------------------------------ implementations
// Each setup returns step(): one full training step that returns the loss as a number
// (reading it back is what makes asynchronous backends finish the step).

function polyheadTrainer() {
  const model = buildModel();
  model.loadStateDict(INIT);
  const trainer = new ph.Trainer(model, { tasks: TASKS, optimizer: (p) => new ph.Adam(p, { lr: LR, betas: [BETA1, BETA2], eps: EPS }) });
  const ds = new ph.MultiTaskDataset({ x: data.x, xShape: [IN], labels: { click: data.click, value: data.value } });
  const rows = Int32Array.from({ length: B }, (_, i) => i);
  const names = TASKS.map((t) => t.name);
  return {
    // a fresh Batch each step: its tensors are made lazily inside the step's scope and freed with it
    step() {
      const { losses } = trainer.trainStep([{ tasks: names, batch: ds.batch(rows) }]);
      return losses.click + losses.value;
    },
  };
}

function polyheadManual() {
  const { Linear, Adam, tensor, relu, add, sub, mul, neg, abs, softplus, square, mean, backward, scope } = ph;
  const L = {};
  for (const [k, name] of Object.entries(LAYERS)) {
    const [o, i] = INIT[`${name}.weight`].shape;
    L[k] = new Linear(i, o);
    L[k].weight.write(INIT[`${name}.weight`].data);
    L[k].bias.write(INIT[`${name}.bias`].data);
  }
  const params = Object.values(L).flatMap((l) => l.parameters());
  const opt = new Adam(params, { lr: LR, betas: [BETA1, BETA2], eps: EPS });
  const x = tensor(data.x, [B, IN]).keep(), yb = tensor(data.click, [B, 1]).keep(), yr = tensor(data.value, [B, 1]).keep();
  return {
    step: () => scope(() => {
      const h = relu(L.l2.forward(relu(L.l1.forward(x))));
      const zb = L.a2.forward(relu(L.a1.forward(h)));
      const zr = L.r2.forward(relu(L.r1.forward(h)));
      const bce = mean(add(sub(relu(zb), mul(zb, yb)), softplus(neg(abs(zb)))));
      const loss = add(bce, mean(square(sub(zr, yr))));
      opt.zeroGrad();
      backward(loss);
      opt.step();
      return loss.item();
    }),
  };
}

const tfBackend = (name) => useBackend(tf, name);

/** tfjs weights as variables: W [in, out], b [out]. */
function tfWeights() {
  const w = {};
  for (const [k, name] of Object.entries(LAYERS)) {
    const { data: d, shape } = weightInOut(name);
    w[k] = { w: tf.variable(tf.tensor2d(d, shape)), b: tf.variable(tf.tensor1d(INIT[`${name}.bias`].data)) };
  }
  return w;
}

/** The model and losses in tfjs, with a dense layer given (stock or custom gradient). */
function tfLoss(w, x, yb, yr, dense) {
  const h = tf.relu(dense(tf.relu(dense(x, w.l1)), w.l2));
  const zb = dense(tf.relu(dense(h, w.a1)), w.a2);
  const zr = dense(tf.relu(dense(h, w.r1)), w.r2);
  return tf.add(tf.losses.sigmoidCrossEntropy(yb, zb), tf.losses.meanSquaredError(yr, zr));
}

/** A tfjs training step (variables, optimizer.minimize) with the given dense layer. */
async function tfRunner(backend, makeDense) {
  await tfBackend(backend);
  const w = tfWeights();
  const x = tf.tensor2d(data.x, [B, IN]), yb = tf.tensor2d(data.click, [B, 1]), yr = tf.tensor2d(data.value, [B, 1]);
  const opt = tf.train.adam(LR, BETA1, BETA2, EPS);
  const dense = makeDense();
  return {
    step() {
      const cost = opt.minimize(() => tfLoss(w, x, yb, yr, dense), true);
      const v = cost.dataSync()[0];
      cost.dispose();
      return v;
    },
    dispose() { opt.dispose(); tf.dispose([x, yb, yr, ...Object.values(w).flatMap((l) => [l.w, l.b])]); },
  };
}

/** Stock tfjs: tf.matMul's own gradient. */
function tfStock(backend) {
  return tfRunner(backend, () => (h, l) => tf.add(tf.matMul(h, l.w), l.b));
}

/**
 * tfjs-wasm at its best. tfjs-wasm hands a matMul to XNNPACK only when neither operand
 * is transposed; with transposeA or transposeB it runs a slow generic loop (10-40× slower
 * at these sizes), and the stock gradient of matMul asks for both (dx = dy W^T, dW = x^T dy).
 * This dense layer's custom gradient transposes explicitly so that every product is a
 * plain XNNPACK call: dx = dy (W^T), dW = (x^T) dy, db = sum(dy).
 */
function tfTransposed() {
  return tfRunner("wasm", () => {
    const denseGrad = tf.customGrad((h, W, b, save) => {
      save([h, W]);
      return {
        value: tf.add(tf.matMul(h, W), b),
        gradFunc: (dy, [hs, Ws]) => [tf.matMul(dy, tf.transpose(Ws)), tf.matMul(tf.transpose(hs), dy), tf.sum(dy, 0)],
      };
    });
    return (h, l) => denseGrad(h, l.w, l.b);
  });
}

/** jax-js on its Wasm backend: valueAndGrad of the loss and an Adam update, one jit-compiled step. */
async function jaxJs() {
  const { numpy: np, nn, tree } = jax;
  const devices = await jax.init("wasm");
  if (!devices.includes("wasm")) throw new Error(`jax-js: the wasm backend is unavailable (got ${devices.join(", ")})`);
  jax.defaultDevice("wasm");
  // jax-js starts a worker pool only where a Web Worker global exists; Node has none, so it runs on one thread
  if (typeof globalThis.Worker !== "undefined") throw new Error("jax-js: a Worker global exists here, so it would run multi-threaded");
  let params = {};
  for (const [k, name] of Object.entries(LAYERS)) {
    const { data: d, shape } = weightInOut(name);
    params[k] = { w: np.array(d).reshape(shape), b: np.array(INIT[`${name}.bias`].data) };
  }
  let m = tree.map((p) => np.zerosLike(p.ref), params), v = tree.map((p) => np.zerosLike(p.ref), params);
  const x = np.array(data.x).reshape([B, IN]), yb = np.array(data.click).reshape([B, 1]), yr = np.array(data.value).reshape([B, 1]);
  // jax-js arrays are reference-counted: every use but the last takes `.ref`
  const dense = (h, l) => np.matmul(h, l.w).add(l.b);
  const loss = (p, x, yb, yr) => {
    const h = nn.relu(dense(nn.relu(dense(x, p.l1)), p.l2));
    const zb = dense(nn.relu(dense(h.ref, p.a1)), p.a2);
    const zr = dense(nn.relu(dense(h, p.r1)), p.r2);
    const bce = nn.relu(zb.ref).sub(zb.ref.mul(yb)).add(np.log1p(np.exp(np.negative(np.abs(zb))))).mean();
    const d = zr.sub(yr);
    return bce.add(d.ref.mul(d).mean());
  };
  // Adam as torch.optim.Adam (bench/peers.mjs jaxAdam)
  const step = jax.jit((p, m, v, x, yb, yr, stepSize, bc2Sqrt) => {
    const [l, g] = jax.valueAndGrad(loss)(tree.ref(p), x, yb, yr);
    return [l, ...jaxAdam(np, tree, p, m, v, g, stepSize, bc2Sqrt, { beta1: BETA1, beta2: BETA2, eps: EPS })];
  });
  let t = 0;
  return {
    async step() {
      t++;
      const bc1 = 1 - BETA1 ** t, bc2 = 1 - BETA2 ** t;
      let l;
      [l, params, m, v] = step(params, m, v, x.ref, yb.ref, yr.ref, np.array(LR / bc1), np.array(Math.sqrt(bc2)));
      await jax.blockUntilReady([params, m, v]);  // the update, not only the loss, is finished
      return (await l.data())[0];                 // data() also releases l
    },
    dispose() { tree.dispose([params, m, v, x, yb, yr]); step.dispose(); },
  };
}

const IMPLS = [
  { impl: "polyhead", label: "polyhead (Trainer.trainStep)", setup: polyheadTrainer },
  { impl: "polyhead-manual", label: "polyhead (Linear + ops + Adam)", setup: polyheadManual },
  { impl: "tfjs-wasm", label: "tfjs-wasm (stock)", setup: () => tfStock("wasm") },
  { impl: "tfjs-wasm-transposed", label: "tfjs-wasm (explicit transposes)", setup: tfTransposed },
  { impl: "tfjs-cpu", label: "tfjs-cpu (stock)", setup: () => tfStock("cpu") },
  { impl: "jax-js-wasm", label: "jax-js (wasm, jit)", setup: jaxJs },
].filter((d) => !only || only.includes(d.impl));
if (IMPLS.length === 0) throw new Error(`--only ${only}: no such implementation`);

// ------------------------------------------------------------------ run
const now = () => performance.now();
async function call(step) {
  const v = step();
  return v instanceof Promise ? await v : v;
}

const results = [];
for (const d of IMPLS) {
  const impl = await d.setup();
  process.stdout.write(`${d.label} ... `);
  const losses = [];
  const t0 = now();
  for (let i = 0; i < CHECK_STEPS; i++) losses.push(await call(impl.step));
  const warm = now() - t0;
  const times = [];
  const start = now();
  for (let r = 0; r < REPEATS && (r < MIN_REPEATS || now() - start < BUDGET_MS); r++) {
    const s = now();
    await call(impl.step);
    times.push(now() - s);
  }
  impl.dispose?.();
  times.sort((a, b) => a - b);
  const median = times.length % 2 ? times[(times.length - 1) / 2] : (times[times.length / 2 - 1] + times[times.length / 2]) / 2;
  results.push({ ...d, losses, times, median, min: times[0], max: times[times.length - 1] });
  console.log(`${median.toFixed(2)} ms/step (${times.length} timed steps after ${CHECK_STEPS} in ${(warm / 1000).toFixed(1)} s)`);
}

// ------------------------------------------------------------------ checks
// Same weights, same batch, same math: the first loss must agree everywhere (float32
// round-off only), every implementation must train, and after CHECK_STEPS Adam steps the
// trajectories must still be close.
const problems = [];
const ref = results[0];
console.log(`\nloss (BCE + MSE) over ${CHECK_STEPS} steps on the same batch:`);
for (const r of results) {
  const first = r.losses[0], last = r.losses[r.losses.length - 1];
  const d0 = Math.abs(first - ref.losses[0]) / Math.abs(ref.losses[0]);
  const dN = Math.abs(last - ref.losses[ref.losses.length - 1]) / Math.abs(ref.losses[ref.losses.length - 1]);
  console.log(`  ${r.impl.padEnd(22)} ${first.toFixed(6)} -> ${last.toFixed(6)}   vs ${ref.impl}: first ${d0.toExponential(1)}, last ${dN.toExponential(1)}`);
  if (!r.losses.every(Number.isFinite)) problems.push(`${r.impl}: a loss is not finite`);
  if (!(last < 0.9 * first)) problems.push(`${r.impl}: loss did not fall by 10% in ${CHECK_STEPS} steps (${first} -> ${last})`);
  if (!(d0 < 1e-4)) problems.push(`${r.impl}: first loss ${first} differs from ${ref.impl}'s ${ref.losses[0]} (same weights and batch)`);
  if (!(dN < 1e-2)) problems.push(`${r.impl}: loss after ${CHECK_STEPS} steps ${last} is more than 1% from ${ref.impl}'s`);
}

// ------------------------------------------------------------------ report
const fmt = (v) => v.toFixed(2);
const base = results.find((r) => r.impl === "polyhead");
const rows = results.map((r) => {
  let vs = "";
  if (base && r !== base) {
    const q = r.median / base.median;
    const f = (v) => v.toFixed(v < 10 ? 2 : 1);
    vs = q >= 1 ? `polyhead is ${f(q)}× faster` : `polyhead is ${f(1 / q)}× slower`;
  }
  return [r.label, fmt(r.median), `${fmt(r.min)}–${fmt(r.max)}`, vs];
});
const head = ["implementation (1 thread)", "ms/step median", "min–max", "polyhead (trainer) vs this"];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) => cells.map((c, i) => (i === 1 || i === 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ");
console.log(`\n${WORKLOAD}: ${IN}→${H}→${H} shared, towers ${H}→${T}→1 ×2, batch ${B}, Adam; one step = forward + backward + update` +
  `${quick ? " (--quick)" : ""}`);
console.log(line(head));
console.log(widths.map((w) => "-".repeat(w)).join("  "));
for (const r of rows) console.log(line(r));

const out = path.join(here, "results", "train.json");
if (only || quick) {
  console.log(`\n${quick ? "--quick" : "--only"}: ${path.relative(process.cwd(), out)} left as it was`);
} else {
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(results.map((r) => ({
    workload: WORKLOAD, impl: r.impl, threads: 1, metric: "ms/step",
    median: +r.median.toFixed(3), min: +r.min.toFixed(3), max: +r.max.toFixed(3),
  })), null, 2) + "\n");
  console.log(`\nwrote ${path.relative(process.cwd(), out)}`);
}

// the transformer-encoder workload, in the same run (it reads --quick itself; --only is this file's)
if (!only) await import("./train-transformer.mjs");

if (problems.length) {
  console.error(`\nCHECK FAILED:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
