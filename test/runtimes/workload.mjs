// The cross-runtime identity workload: a few SGD steps of a tiny two-head MLP, every
// unary kernel (and its gradient) over a spread of inputs, matmul, reductions and the
// RNG, then the whole training step through the Trainer (MMoE, PCGrad, dropout, Adam, a
// cosine learning-rate schedule, masked labels), each result reduced to an FNV-1a 64
// checksum of its raw float32 bytes; with polyhead/io, the trained MMoE is saved as
// safetensors (the bytes must be the same everywhere) and the file Node saved
// (mmoe-saved.mjs) is loaded into a fresh model, which must predict the trained model's
// bits. Plain ESM, importing only that fixture, with no platform APIs, so Node, Deno,
// Bun, browser pages, Web Workers and edge runtimes all run this same file; the
// checksums must agree bit for bit.
import { MMOE_SAVED_BY_NODE } from "./mmoe-saved.mjs";

/** The universal bundle, found beside this file (a file: or http: URL alike). */
export const BUNDLE_URL = new URL("../../dist/index.js", import.meta.url);

/** The polyhead/io entry of the same build (the universal one's; shares its engine chunk). */
export const IO_URL = new URL("../../dist/io.js", import.meta.url);

/** The polyhead/seq entry of the same build (its kernels: masked softmax, sinusoidal positions). */
export const SEQ_URL = new URL("../../dist/seq.js", import.meta.url);

/** Import the built library (the universal bundle unless another entry is given), polyhead/io and polyhead/seq, and run. */
export async function run(entry = BUNDLE_URL, ioEntry = IO_URL, seqEntry = SEQ_URL) {
  const ph = await import(String(entry));
  const io = await import(String(ioEntry));
  const seq = await import(String(seqEntry));
  return workload(ph, io, seq);
}

/** base64 to bytes in plain JS (atob is not everywhere the workload runs). */
export function fromBase64(s) {
  const A = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const clean = s.replace(/=+$/, ""), out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0, acc = 0, o = 0;
  for (const c of clean) {
    acc = (acc << 6) | A.indexOf(c); bits += 6;
    if (bits >= 8) { bits -= 8; out[o++] = (acc >> bits) & 255; }
  }
  return out;
}

/** bytes to base64 (for writing the fixture). */
export function toBase64(bytes) {
  const A = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  let s = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    s += A[(n >> 18) & 63] + A[(n >> 12) & 63] + (i + 1 < bytes.length ? A[(n >> 6) & 63] : "=") + (i + 2 < bytes.length ? A[n & 63] : "=");
  }
  return s;
}

// FNV-1a 64 in two 32-bit halves, integer math only (no BigInt, no WebCrypto: both are
// missing somewhere). prime = 2^40 + 0x1b3, so h * prime = h * 0x1b3 + (h << 40).
export function fnv1a64(bytes) {
  let lo = 0x84222325, hi = 0xcbf29ce4;
  for (let i = 0; i < bytes.length; i++) {
    lo = (lo ^ bytes[i]) >>> 0;
    const l = lo * 0x1b3; // < 2^41, exact in a double
    hi = (Math.imul(hi, 0x1b3) + Math.floor(l / 4294967296) + (lo << 8)) >>> 0;
    lo = l >>> 0;
  }
  return hi.toString(16).padStart(8, "0") + lo.toString(16).padStart(8, "0");
}

/** Checksum of a tensor's float32 bytes, prefixed by its shape. Wasm leaves the sign and
 * payload of a NaN result unspecified, so every NaN is hashed as the canonical 0x7fc00000. */
function checksum(t) {
  const f = t.f32();
  const u = new Uint32Array(f.buffer, f.byteOffset, f.length);
  for (let i = 0; i < f.length; i++) if (f[i] !== f[i]) u[i] = 0x7fc00000;
  const bytes = new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
  return `[${t.shape.join(",")}]:${fnv1a64(bytes)}`;
}

/** Checksum of JS numbers (loss values, learning rates) as float32, like a tensor of them. */
function checksumNumbers(values) {
  return checksum({ shape: [values.length], f32: () => Float32Array.from(values) });
}

/** Where this is running, for messages only (never part of a checksum). */
function runtimeName() {
  const g = globalThis;
  if (g.Deno?.version) return `deno ${g.Deno.version.deno}`;
  if (g.Bun?.version) return `bun ${g.Bun.version}`;
  if (g.process?.versions?.node) return `node ${g.process.versions.node}`;
  const ua = g.navigator?.userAgent ?? "unknown";
  if (ua === "Cloudflare-Workers") return "workerd";
  return (typeof g.WorkerGlobalScope === "function" ? "worker " : "page ") + ua;
}

/**
 * Run everything on the library namespace `ph` (any entry: index.js, edge.js, node.js)
 * and, when given, polyhead/io's `io` and polyhead/seq's `seq` of the same build.
 * Returns { runtime, checksums: { name: "[shape]:hex" }, losses: number[], mmoeLosses, mmoeSaved? }.
 */
export async function workload(ph, io, seq) {
  await ph.init();
  const sums = {};
  const put = (name, t) => { sums[name] = checksum(t); };
  const rng = new ph.Rng(20240601);

  // ---- inputs: a grid over [-32, 32), Gaussian draws, and edge cases
  const grid = [];
  for (let i = 0; i < 512; i++) grid.push((i - 256) / 8);
  const special = [0, -0, 1e-30, -1e-30, 1e-45, -1e-45, 1e-38, 0.5, -0.5, 1, -1, 2, 3, 5, 10, 15, 19.9, 20, 20.1,
    30, 40, 80, 88.7, 89, -87.3, -104, -150, 1e10, -1e10, 1e30, -1e30, 3.4e38, -3.4e38, Infinity, -Infinity, NaN];
  const res = ph.scope(() => {
    const x = ph.tensor([...grid, ...special]).keep();
    const g = ph.mul(ph.randn([1000], 0, 4, rng), 1).keep();
    return { x, g };
  });
  const inputs = { grid: res.x, gauss: res.g };
  put("rng.randn", inputs.gauss);
  ph.scope(() => {
    put("rng.rand", ph.rand([257], -2, 3, rng));
    put("rng.randn.small", ph.randn([3], 1, 0.5, rng));
  });

  // ---- unary kernels, forward and gradient (gradients of sum(op(x)) w.r.t. x)
  const unary = {
    relu: (x) => ph.relu(x), leakyRelu: (x) => ph.leakyRelu(x, 0.1), elu: (x) => ph.elu(x, 1.5),
    gelu: (x) => ph.gelu(x), gelu_tanh: (x) => ph.gelu(x, "tanh"), sigmoid: (x) => ph.sigmoid(x),
    tanh: (x) => ph.tanh(x), softplus: (x) => ph.softplus(x), softplus_b2: (x) => ph.softplus(x, 2, 10),
    exp: (x) => ph.exp(x), log: (x) => ph.log(x), sqrt: (x) => ph.sqrt(x), abs: (x) => ph.abs(x),
    clamp: (x) => ph.clamp(x, -1.5, 2.5), neg: (x) => ph.neg(x), square: (x) => ph.square(x),
    affine: (x) => ph.affine(x, 0.3, -0.7),
  };
  for (const [inName, x0] of Object.entries(inputs)) {
    for (const [name, f] of Object.entries(unary)) {
      ph.scope(() => {
        const x = ph.mul(x0, 1); // a fresh leaf per op, so gradients start clean
        x.requiresGrad = true;
        const y = f(x);
        put(`${name}.${inName}`, y);
        put(`${name}.grad.${inName}`, ph.gradients(ph.sum(y), [x])[0]);
      });
    }
  }

  // ---- binary ops with broadcasting, reductions, matmul at sizes off the SIMD width
  ph.scope(() => {
    const a = ph.randn([7, 13], 0, 1, rng), b = ph.randn([13], 0, 1, rng), c = ph.add(ph.rand([7, 1], 0, 1, rng), 0.5);
    put("add.bcast", ph.add(a, b));
    put("sub.bcast", ph.sub(a, c));
    put("mul.bcast", ph.mul(a, b));
    put("div.bcast", ph.div(a, c));
    put("sum.all", ph.sum(inputs.gauss));
    put("sum.axis0", ph.sum(a, 0));
    put("sum.axis1", ph.sum(a, 1));
    put("mean.all", ph.mean(inputs.gauss));
    put("mean.axis1", ph.mean(a, 1, true));
    put("max.all", ph.max(inputs.gauss));
    put("max.axis0", ph.max(a, 0));
    const m = ph.randn([37, 53], 0, 1, rng), n = ph.randn([53, 29], 0, 1, rng);
    put("matmul.37x53x29", ph.matmul(m, n));
    const p = ph.randn([64, 128], 0, 1, rng), q = ph.randn([128, 64], 0, 1, rng);
    put("matmul.64x128x64", ph.matmul(p, q));
  });

  // ---- a tiny two-head MLP trained by hand: 8 -> 16 (gelu) -> {2 (sigmoid), 3 (tanh)}
  const init = (shape, std) => { const t = ph.randn(shape, 0, std, rng).keep(); t.requiresGrad = true; return t; };
  let params = [init([8, 16], 0.5), init([16], 0.1), init([16, 2], 0.5), init([2], 0.1), init([16, 3], 0.5), init([3], 0.1)];
  const data = ph.scope(() => ({
    x: ph.randn([32, 8], 0, 1, rng).keep(),
    y1: ph.rand([32, 2], 0, 1, rng).keep(),
    y2: ph.rand([32, 3], -0.9, 0.9, rng).keep(),
  }));
  const mse = (p, y) => { const e = ph.sub(p, y); return ph.mean(ph.mul(e, e)); };
  const lr = 0.25;
  const losses = [];
  for (let step = 0; step < 6; step++) {
    params = ph.scope(() => {
      const [w1, b1, w2, b2, w3, b3] = params;
      const h = ph.gelu(ph.add(ph.matmul(data.x, w1), b1));
      const o1 = ph.sigmoid(ph.add(ph.matmul(h, w2), b2));
      const o2 = ph.tanh(ph.add(ph.matmul(h, w3), b3));
      const loss = ph.add(mse(o1, data.y1), mse(o2, data.y2));
      losses.push(loss.item());
      put(`mlp.loss.${step}`, loss);
      const grads = ph.gradients(loss, params);
      if (step === 0) grads.forEach((g, i) => put(`mlp.grad0.${i}`, g));
      return ph.noGrad(() => params.map((p, i) => {
        const next = ph.sub(p, ph.mul(grads[i], lr)).keep();
        next.requiresGrad = true;
        p.dispose();
        return next;
      }));
    });
  }
  params.forEach((p, i) => put(`mlp.param.${i}`, p));

  for (const t of [...params, inputs.grid, inputs.gauss, data.x, data.y1, data.y2]) t.dispose();
  const { mmoeLosses, mmoeSaved } = await trainMMoE(ph, sums, io);
  moreKernels(ph, sums, seq);
  return { runtime: runtimeName(), checksums: sums, losses, mmoeLosses, ...(mmoeSaved ? { mmoeSaved } : {}) };
}

/**
 * The kernels the sections above leave out (test/runtimes/kernel-coverage.mjs lists which
 * each run reaches): elementwise max/min/equal, reductions and softmaxes along an axis,
 * losses, normalisation, convolution and pooling, embedding, transposes and slices,
 * batched matmul, truncated normals, the other optimisers and gradient clipping, and with
 * polyhead/seq its masked softmax and sinusoidal positions, each forward and, where it has
 * one, backward. A stream of its own, so nothing above moves.
 * Adds "k.*" checksums to `sums`.
 */
function moreKernels(ph, sums, seq) {
  const put = (name, t) => { sums[name] = checksum(t); };
  const rng = new ph.Rng(20241202);
  const leaf = (shape, lo = -2, hi = 2) => { const t = ph.rand(shape, lo, hi, rng); t.requiresGrad = true; return t; };
  // y = f(...xs) and the gradients of sum(y * w) for a random w, so every backward sees a non-uniform seed
  const both = (name, xs, f, stream = rng) => ph.scope(() => {
    const y = f(...xs);
    put(`k.${name}`, y);
    const w = ph.rand(y.shape, -1, 1, stream);
    ph.gradients(ph.sum(ph.mul(y, w)), xs).forEach((g, i) => put(`k.${name}.grad${i}`, g));
  });
  ph.scope(() => {
    both("maximum", [leaf([5, 7]), leaf([7])], (a, b) => ph.maximum(a, b));
    both("minimum", [leaf([5, 7]), leaf([5, 1])], (a, b) => ph.minimum(a, b));
    const ints = (n) => ph.tensor(Array.from({ length: n }, (_, i) => (i * 7) % 5));
    put("k.equal", ph.equal(ints(12), ph.tensor(Array.from({ length: 12 }, (_, i) => i % 3))));
    put("k.full.int32", ph.full([3, 5], -7, "int32"));
    both("max.axis1", [leaf([6, 9])], (a) => ph.max(a, 1));
    both("logSoftmax", [leaf([6, 11], -5, 5)], (a) => ph.logSoftmax(a, 1));
    both("logsumexp", [leaf([6, 11], -5, 5)], (a) => ph.logsumexp(a, 1));
    both("l1Loss", [leaf([8, 3]), leaf([8, 3])], (p, t) => ph.l1Loss(p, t));
    both("huberLoss", [leaf([8, 3]), leaf([8, 3])], (p, t) => ph.huberLoss(p, t, { delta: 0.5 }));
    both("layerNorm", [leaf([4, 10]), leaf([10]), leaf([10])], (x, w, b) => ph.layerNorm(x, 10, w, b));
    both("batchNorm", [leaf([8, 3, 2]), leaf([3]), leaf([3])], (x, w, b) => ph.batchNorm(x, { weight: w, bias: b, training: true }));
    both("conv2d", [leaf([2, 3, 7, 6]), leaf([4, 3, 3, 2]), leaf([4])], (x, w, b) => ph.conv2d(x, w, b, { stride: [2, 1], padding: 1, dilation: [1, 2] }));
    both("maxPool2d", [leaf([2, 3, 7, 6])], (x) => ph.maxPool2d(x, 3, { stride: 2, padding: 1 }));
    both("avgPool2d", [leaf([2, 3, 7, 6])], (x) => ph.avgPool2d(x, [2, 3], { stride: [2, 1], padding: 1, countIncludePad: false }));
    both("embedding", [leaf([9, 4])], (w) => ph.embedding([3, 0, 8, 3, 5], w));
    both("transpose", [leaf([2, 3, 4, 5])], (x) => ph.transpose(x, [0, 2, 1, 3]));
    both("slice", [leaf([4, 6, 3])], (x) => ph.slice(x, 1, 2, 5));
    both("bmm", [leaf([3, 4, 5]), leaf([3, 6, 5])], (a, b) => ph.bmm(a, b, { transB: true }));
    put("k.truncatedNormal", ph.truncatedNormal([300], 0.5, 2, 2, rng));
    sums["k.vnorm2"] = checksumNumbers([ph.vnorm2(ph.rand([77], -3, 3, rng))]);
  });
  // three steps of each optimiser on a quadratic, the gradient clipped to norm 1 before each
  const optimisers = {
    SGD: (p) => new ph.SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 }),
    RMSprop: (p) => new ph.RMSprop(p, { lr: 0.01, momentum: 0.5, centered: true, weightDecay: 0.01 }),
    Adagrad: (p) => new ph.Adagrad(p, { lr: 0.1, lrDecay: 0.01, weightDecay: 0.01 }),
  };
  for (const [name, make] of Object.entries(optimisers)) {
    const p = ph.rand([13], -1, 1, rng).keep();
    p.requiresGrad = true;
    const target = ph.rand([13], -1, 1, rng).keep();
    const opt = make([p]);
    const norms = [];
    for (let step = 0; step < 3; step++) {
      ph.scope(() => {
        opt.zeroGrad();
        ph.backward(ph.sum(ph.square(ph.sub(p, target))));
        norms.push(ph.clipGradNorm([p], 1));
        opt.step();
      });
    }
    put(`k.${name}.param`, p);
    sums[`k.${name}.gradNorms`] = checksumNumbers(norms);
    p.dispose(); target.dispose();
  }
  // polyhead/seq's kernels, on a stream of their own (a run without seq moves nothing else)
  if (seq) {
    const stream = new ph.Rng(20241203);
    const x = (shape) => { const t = ph.rand(shape, -4, 4, stream); t.requiresGrad = true; return t; };
    ph.scope(() => {
      both("maskedSoftmax.causal", [x([2, 3, 5, 5])], (s) => seq.maskedSoftmax(s, seq.causalMask(5)), stream);
      const keys = [[0, 0, 1, 0, 1], [0, 0, 0, 0, 1]]; // key padding per batch (nonzero masks out), the same for every head and query
      const pad = ph.tensor(keys.flatMap((k) => [k, k, k, k].flat()), [2, 1, 4, 5], "int32");
      both("maskedSoftmax.padding", [x([2, 3, 4, 5])], (s) => seq.maskedSoftmax(s, pad), stream);
      put("k.sinusoidalPositions", seq.sinusoidalPositions(37, 18));
    });
  }
}

/**
 * The whole training step: an MMoE (3 experts with dropout, 3 tasks of three kinds, some
 * labels missing) trained by the Trainer with PCGrad, Adam and a cosine schedule for 3
 * epochs of 3 shuffled batches. Streams of its own, so the entries above never move.
 * Adds "mmoe.*" checksums to `sums`; returns the mean loss (over tasks) of each epoch.
 */
async function trainMMoE(ph, sums, io) {
  const n = 48, f = 6;
  const x = ph.scope(() => ph.randn([n, f], 0, 1, new ph.Rng(777)).data());
  const kind = new Int32Array(n), score = new Float32Array(n), flag = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = x.subarray(i * f, i * f + f);
    kind[i] = i % 7 === 3 ? -1 : r[0] + r[1] > 0.6 ? 2 : r[0] + r[1] > -0.6 ? 1 : 0; // -1: missing
    score[i] = i % 5 === 2 ? NaN : r[2] - 0.5 * r[3] + 0.25 * r[0] * r[4]; // NaN: missing
    flag[i] = r[5] - r[1] > 0 ? 1 : 0;
  }
  const tasks = [
    ph.task("kind", { kind: "classification", outputs: 3 }),
    ph.task("score", { kind: "regression", outputs: 1 }),
    ph.task("flag", { kind: "binary", outputs: 1 }),
  ];
  const dataset = new ph.MultiTaskDataset({ x, xShape: [f], labels: { kind, score, flag } });
  const arch = { tasks, inputs: f, experts: 3, expertWidths: [12], towers: [6], dropout: 0.25 };
  const model = new ph.MMoE({ ...arch, rng: new ph.Rng(31337) });
  const weighting = new ph.PCGrad();
  const trainer = new ph.Trainer(model, { tasks, weighting, optimizer: (p) => new ph.Adam(p, { lr: 0.02 }), seed: 4242 });
  const schedule = new ph.CosineAnnealingLR(trainer.optimizer, { tMax: 3, etaMin: 0.002 });
  const stepLosses = [], conflicts = [], lrs = [];
  const record = {
    onBatchEnd(_step, l) { stepLosses.push(l.kind ?? 0, l.score ?? 0, l.flag ?? 0); conflicts.push(weighting.lastConflicts); },
    onEpochEnd(logs) {
      lrs.push(trainer.optimizer.paramGroups[0].lr);
      sums[`mmoe.losses.epoch${logs.epoch}`] = checksumNumbers(stepLosses.splice(0));
      if (logs.epoch === 0) for (const [name, p] of model.namedParameters()) sums[`mmoe.epoch0.${name}`] = checksum(p);
    },
  };
  const history = await trainer.fit(dataset, { epochs: 3, batchSize: 16, callbacks: [record, ph.lrSchedule(schedule)] });
  sums["mmoe.lr"] = checksumNumbers(lrs);
  sums["mmoe.conflicts"] = checksumNumbers(conflicts);
  for (const [name, p] of model.namedParameters()) sums[`mmoe.param.${name}`] = checksum(p);
  ph.scope(() => {
    const out = trainer.predict(ph.tensor(x, [n, f])); // eval mode: dropout off
    for (const t of ["kind", "score", "flag"]) sums[`mmoe.predict.${t}`] = checksum(out[t]);
  });
  const mmoeLosses = history.map((h) => (h.loss.kind + h.loss.score + h.loss.flag) / 3);
  if (!io) return { mmoeLosses };
  // save -> load across runtimes: this runtime's file must be Node's byte for byte, and
  // Node's file (committed) must load here into a model that predicts the trained bits
  const saved = io.saveWeights(model);
  sums["mmoe.saved.safetensors"] = `[${saved.length}]:${fnv1a64(saved)}`;
  if (MMOE_SAVED_BY_NODE) { // empty only until run.mjs --write first writes the fixture
    const fresh = new ph.MMoE({ ...arch, rng: new ph.Rng(1) }); // other initial weights: the file must overwrite every one
    io.loadWeights(fresh, fromBase64(MMOE_SAVED_BY_NODE), { strict: true, requireFinite: true });
    fresh.eval();
    ph.scope(() => ph.noGrad(() => {
      const out = fresh.forward(ph.tensor(x, [n, f])).outputs;
      for (const t of ["kind", "score", "flag"]) sums[`mmoe.loaded.predict.${t}`] = checksum(out[t]);
    }));
  }
  return { mmoeLosses, mmoeSaved: toBase64(saved) };
}
