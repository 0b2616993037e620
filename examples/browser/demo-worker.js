// The demo's own worker: everything heavy the page would otherwise do on its main thread.
// It holds the library (module evaluation and the Wasm compile happen here), fetches MNIST
// and turns its bytes into the float arrays that trainInWorker moves on to its training
// worker (started from here: a nested module worker), keeps the trained model, reads a
// drawn digit from an ImageBitmap and predicts it with every head, and saves and loads the
// model (IndexedDB, JSON files). The page (app.js) only draws: charts, pad and answers.
import * as ph from "../../dist/index.js";
import { trainInWorker } from "../../dist/worker.js";

const TASKS = [
  { name: "digit", kind: "classification", outputs: 10, metrics: ["accuracy"] },
  { name: "parity", kind: "binary", outputs: 1, metrics: ["accuracy"] },
  { name: "large", kind: "binary", outputs: 1, metrics: ["accuracy"] },
];
const ARCHS = {
  SharedBottom: { inputs: 784, trunk: [128], towers: [32] },
  MMoE: { inputs: 784, experts: 4, expertWidths: [64], towers: [32] },
};

let mnist = null, job = null, trained = null, model = null;
const ready = ph.init();

/** Rows [from, to) as the typed arrays trainInWorker transfers to the training worker. */
function dataset(m, from, to) {
  const k = to - from, x = new Float32Array(k * 784), src = m.pixels.subarray(from * 784, to * 784);
  for (let i = 0; i < x.length; i++) x[i] = src[i] / 255;
  const digit = new Int32Array(k), parity = new Float32Array(k), large = new Float32Array(k);
  for (let i = 0; i < k; i++) { const d = m.labels[from + i]; digit[i] = d; parity[i] = d % 2; large[i] = d >= 5 ? 1 : 0; }
  return { x, xShape: [784], labels: { digit, parity, large } };
}

/** The model that predicts here: built from saved weights (trainInWorker's result, IndexedDB or a file). */
function useModel(saved) {
  if (!Object.hasOwn(ARCHS, saved.architecture)) throw new Error(`unknown architecture ${JSON.stringify(saved.architecture)}`);
  const tasks = TASKS.map(({ name, ...spec }) => ph.task(name, spec));
  const m = new ph[saved.architecture]({ ...saved.options, tasks, rng: new ph.Rng(0) });
  m.loadStateDict(saved.weights);
  m.eval();
  model?.dispose?.();
  model = m; trained = saved;
}

/** The drawing (white on black) scaled into MNIST's 20x20 box inside 28x28, or null when the pad is empty. */
function pixels(bitmap) {
  const W = bitmap.width, H = bitmap.height, full = new OffscreenCanvas(W, H).getContext("2d");
  full.drawImage(bitmap, 0, 0);
  const img = full.getImageData(0, 0, W, H).data;
  let x0 = W, y0 = H, x1 = -1, y1 = -1;
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    if (img[(y * W + x) * 4] > 32) { if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y; }
  }
  if (x1 < 0) return null;
  const w = x1 - x0 + 1, h = y1 - y0 + 1, s = 20 / Math.max(w, h);
  const c = new OffscreenCanvas(28, 28).getContext("2d");
  c.fillStyle = "#000"; c.fillRect(0, 0, 28, 28); c.imageSmoothingQuality = "high";
  c.drawImage(bitmap, x0, y0, w, h, 14 - (w * s) / 2, 14 - (h * s) / 2, w * s, h * s);
  const d = c.getImageData(0, 0, 28, 28).data, out = new Float32Array(784);
  for (let i = 0; i < 784; i++) out[i] = d[i * 4] / 255;
  return out;
}

function predict(bitmap) {
  const x = model ? pixels(bitmap) : null;
  bitmap.close();
  if (!x) return null;
  const r = ph.scope(() => ph.noGrad(() => {
    const out = model.forward(ph.tensor(x, [1, 784])).outputs;
    return { probs: Array.from(ph.softmax(out.digit).data()), parity: ph.sigmoid(out.parity).item(), large: ph.sigmoid(out.large).item() };
  }));
  const digit = r.probs.indexOf(Math.max(...r.probs));
  return { digit, digitProbability: r.probs[digit], odd: r.parity, large: r.large, probs: r.probs };
}

// ---- IndexedDB (structured clone keeps the typed arrays)
function db() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open("polyhead-demo", 1);
    req.onupgradeneeded = () => req.result.createObjectStore("models");
    req.onsuccess = () => resolve(req.result); req.onerror = () => reject(req.error);
  });
}
async function idb(mode, fn) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const tx = d.transaction("models", mode), req = fn(tx.objectStore("models"));
    tx.oncomplete = () => { d.close(); resolve(req.result); }; tx.onerror = () => { d.close(); reject(tx.error); };
  });
}

async function train({ architecture, method, epochs }) {
  if (!Object.hasOwn(ARCHS, architecture)) throw new Error(`unknown architecture ${JSON.stringify(architecture)}`);
  const nVal = Math.min(1000, Math.floor(mnist.n / 5));
  job = trainInWorker({
    model: { architecture, options: ARCHS[architecture], seed: 1 },
    tasks: TASKS, weighting: { method }, optimizer: { name: "Adam", options: { lr: 2e-3 } }, seed: 1,
    fit: { epochs, batchSize: 64 },
    data: dataset(mnist, 0, mnist.n - nVal), validation: dataset(mnist, mnist.n - nVal, mnist.n),
    onProgress: (event) => postMessage({ type: "progress", event }),
  });
  try {
    const r = await job.result;
    useModel({ architecture, options: ARCHS[architecture], weights: r.weights });
    return { steps: r.steps, stopped: r.stopped };
  } finally { job = null; }
}

const handlers = {
  async init({ limit }) {
    // fetched here: assembling a response body into an ArrayBuffer costs its thread ~30 ms
    const [buffer] = await Promise.all([fetch("mnist.bin").then((r) => r.arrayBuffer()), ready]);
    const buf = new Uint8Array(buffer);
    if (String.fromCharCode(...buf.subarray(0, 4)) !== "MNST") throw new Error("mnist.bin: not an MNST file");
    const total = new DataView(buffer).getUint32(4, true), n = Math.min(limit, total);
    mnist = { total, n, pixels: buf.subarray(8, 8 + n * 784), labels: buf.subarray(8 + total * 784, 8 + total * 784 + n) };
    return { total, n, nVal: Math.min(1000, Math.floor(n / 5)) };
  },
  train,
  pause() { job?.pause(); }, resume() { job?.resume(); }, stop() { job?.stop(); },
  predict: ({ bitmap }) => predict(bitmap),
  async save() { await idb("readwrite", (s) => s.put(trained, "latest")); },
  async load() {
    const saved = await idb("readonly", (s) => s.get("latest"));
    if (!saved) return null;
    useModel(saved);
    return saved.architecture;
  },
  download() {
    const json = { format: "polyhead-demo-model", architecture: trained.architecture, options: trained.options,
      weights: Object.fromEntries(Object.entries(trained.weights).map(([k, w]) => [k, { shape: w.shape, dtype: w.dtype, data: Array.from(w.data) }])) };
    return new Blob([JSON.stringify(json)], { type: "application/json" });
  },
  async file({ file }) {
    const j = JSON.parse(await file.text());
    if (j.format !== "polyhead-demo-model") throw new Error("not a polyhead demo model file");
    const weights = Object.fromEntries(Object.entries(j.weights).map(([k, w]) => [k, { ...w, data: (w.dtype === "int32" ? Int32Array : Float32Array).from(w.data) }]));
    useModel({ architecture: j.architecture, options: j.options, weights });
    return j.architecture;
  },
};

// requests carry an id; the reply echoes it with a value or an error message
onmessage = async ({ data: { id, type, ...args } }) => {
  try {
    const handler = Object.hasOwn(handlers, type) ? handlers[type] : null;
    if (!handler) throw new Error(`demo-worker: unknown request ${JSON.stringify(type)}`);
    postMessage({ id, value: await handler(args) });
  } catch (e) { postMessage({ id, error: String(e?.message ?? e) }); }
};
