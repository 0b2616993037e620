// The demo page: loads MNIST (mnist.bin), trains in a Web Worker through trainInWorker
// while charting every progress event, then predicts a drawn digit with every head on the
// main thread (a forward pass of a small model is well under a frame). Saves to IndexedDB
// or a file. window.demo exposes the state for the browser test (test/demo.test.ts).
// The main thread stays responsive: the one large piece of work it does (turning the
// images into floats for the worker) runs in slices of a few milliseconds, and the
// trained model is built in steps with a yield between them; the test measures long
// tasks and long animation frames while training.
import * as ph from "../../dist/index.js";
import { trainInWorker } from "../../dist/worker.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const LIMIT = Number(params.get("n") ?? 10000); // images used (the test trains on fewer)
const TASKS = [
  { name: "digit", kind: "classification", outputs: 10, metrics: ["accuracy"] },
  { name: "parity", kind: "binary", outputs: 1, metrics: ["accuracy"] },
  { name: "large", kind: "binary", outputs: 1, metrics: ["accuracy"] },
];
const COLORS = { digit: "#1f77b4", parity: "#ff7f0e", large: "#2ca02c" };
const ARCHS = {
  SharedBottom: { inputs: 784, trunk: [128], towers: [32] },
  MMoE: { inputs: 784, experts: 4, expertWidths: [64], towers: [32] },
};

const demo = window.demo = {
  state: "loading", epochs: 0, steps: 0, loss: { digit: [], parity: [], large: [] }, accuracy: { digit: [], parity: [], large: [] },
  conflicts: [], msPerStep: [], longTasks: [], longFrames: [], training: null, predictions: null, model: null, error: null,
};
try {
  new PerformanceObserver((list) => { for (const e of list.getEntries()) demo.longTasks.push({ start: e.startTime, ms: e.duration }); })
    .observe({ type: "longtask", buffered: true });
  // long animation frames name the scripts that ran in them (with their durations)
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      demo.longFrames.push({ start: e.startTime, ms: e.duration, scripts: e.scripts.map((s) => ({ ms: s.duration, invoker: s.invoker, source: s.sourceURL })) });
    }
  }).observe({ type: "long-animation-frame", buffered: true });
} catch { /* long-task timing is Chromium's */ }

/** Let the browser run other tasks (input, rendering, messages) before going on. */
const yieldToBrowser = () => new Promise((resolve) => setTimeout(resolve, 0));

if ("serviceWorker" in navigator) {
  demo.offlineReady = navigator.serviceWorker.register("sw.js").then(() => navigator.serviceWorker.ready).then(() => true);
}

// ---- data
async function loadMnist() {
  const buf = new Uint8Array(await (await fetch("mnist.bin")).arrayBuffer());
  if (String.fromCharCode(...buf.subarray(0, 4)) !== "MNST") throw new Error("mnist.bin: not an MNST file");
  const total = new DataView(buf.buffer).getUint32(4, true);
  const n = Math.min(LIMIT, total);
  return { total, n, pixels: buf.subarray(8, 8 + n * 784), labels: buf.subarray(8 + total * 784, 8 + total * 784 + n) };
}

/**
 * Rows [from, to) as the typed arrays trainInWorker moves to the worker, converted in
 * slices of at most SLICE_MS (by the clock, so a loaded machine gets smaller slices).
 */
const SLICE_MS = 8;
async function dataset(m, from, to) {
  const k = to - from;
  const x = new Float32Array(k * 784);
  let t0 = performance.now();
  for (let r = 0; r < k; r++) {
    for (let i = r * 784, end = i + 784, src = from * 784; i < end; i++) x[i] = m.pixels[src + i] / 255;
    if (performance.now() - t0 > SLICE_MS) { await yieldToBrowser(); t0 = performance.now(); }
  }
  const digit = new Int32Array(k), parity = new Float32Array(k), large = new Float32Array(k);
  for (let i = 0; i < k; i++) { const d = m.labels[from + i]; digit[i] = d; parity[i] = d % 2; large[i] = d >= 5 ? 1 : 0; }
  return { x, xShape: [784], labels: { digit, parity, large } };
}

// ---- charts: plain canvas; redrawn at most once a frame
function chart(canvas, series, { yMin, yMax, xLabel }) {
  const c = canvas.getContext("2d"), W = canvas.width, H = canvas.height, L = 38, B = 22;
  c.clearRect(0, 0, W, H);
  c.strokeStyle = "#bbb"; c.lineWidth = 1; c.strokeRect(L, 4, W - L - 6, H - B - 4);
  c.fillStyle = "#555"; c.font = "11px sans-serif";
  const all = Object.values(series).flat();
  // accuracies crowd near 1: that chart starts a little below its lowest point
  const lo = yMin === "fit" ? Math.max(0, Math.floor((Math.min(1, ...all) - 0.05) * 20) / 20) : yMin ?? Math.min(0, ...all);
  const hi = yMax ?? Math.max(1e-6, ...all);
  c.fillText(hi.toFixed(2), 2, 12); c.fillText(lo.toFixed(2), 2, H - B); c.fillText(xLabel, W / 2 - 20, H - 6);
  for (const [name, ys] of Object.entries(series)) {
    if (!ys.length) continue;
    c.strokeStyle = COLORS[name] ?? "#9467bd"; c.lineWidth = 1.5; c.beginPath();
    ys.forEach((y, i) => {
      const px = L + (ys.length === 1 ? 0.5 : i / (ys.length - 1)) * (W - L - 6), py = 4 + (1 - (y - lo) / (hi - lo || 1)) * (H - B - 4);
      i ? c.lineTo(px, py) : c.moveTo(px, py);
      if (ys.length < 30) c.fillRect(px - 2, py - 2, 4, 4);
    });
    c.stroke();
  }
}
let drawQueued = false;
function redraw() {
  if (drawQueued) return;
  drawQueued = true;
  requestAnimationFrame(() => {
    drawQueued = false;
    chart($("loss"), demo.loss, { yMin: 0, xLabel: "batch" });
    chart($("acc"), demo.accuracy, { yMin: "fit", yMax: 1, xLabel: "epoch" });
    chart($("conflicts"), { conflicts: demo.conflicts }, { yMin: 0, xLabel: "batch" });
  });
}
for (const [id, names] of [["lossLegend", TASKS], ["accLegend", TASKS]]) {
  $(id).innerHTML = names.map((t) => `<span><i style="background:${COLORS[t.name]}"></i>${t.name}</span>`).join("");
}

// ---- training
let mnist = null, job = null, trained = null;
const status = (s) => { $("status").textContent = s; };

async function train() {
  const architecture = $("arch").value, method = $("weighting").value, epochs = Number($("epochs").value);
  const nVal = Math.min(1000, Math.floor(mnist.n / 5));
  for (const s of [...Object.values(demo.loss), ...Object.values(demo.accuracy), demo.conflicts, demo.msPerStep]) s.length = 0;
  demo.epochs = 0; demo.steps = 0; demo.state = "training"; demo.training = { start: performance.now(), end: null };
  $("conflictNote").textContent = method === "PCGrad" ? "" : "only PCGrad reports conflicting gradient pairs; choose it to see them";
  setButtons();
  const smooth = {};
  let stepsPerEpoch = 0;
  job = trainInWorker({
    model: { architecture, options: ARCHS[architecture], seed: 1 },
    tasks: TASKS, weighting: { method }, optimizer: { name: "Adam", options: { lr: 2e-3 } }, seed: 1,
    fit: { epochs, batchSize: 64 },
    data: await dataset(mnist, 0, mnist.n - nVal), validation: await dataset(mnist, mnist.n - nVal, mnist.n),
    onProgress: (e) => {
      if (e.type === "batch") {
        demo.steps = e.step; stepsPerEpoch = e.steps;
        for (const [t, v] of Object.entries(e.batchLosses)) { smooth[t] = smooth[t] === undefined ? v : 0.9 * smooth[t] + 0.1 * v; demo.loss[t].push(smooth[t]); }
        if (e.conflicts !== undefined) demo.conflicts.push(e.conflicts);
        status(`epoch ${e.epoch + 1}/${epochs}, batch ${e.step - e.epoch * e.steps}/${e.steps}\nloss ${Object.entries(smooth).map(([t, v]) => `${t} ${v.toFixed(3)}`).join(", ")}`);
      } else if (e.type === "epoch") {
        demo.epochs = e.logs.epoch + 1;
        for (const t of TASKS) demo.accuracy[t.name].push(e.logs.validation[t.name].accuracy);
        demo.msPerStep.push((e.logs.seconds * 1000) / stepsPerEpoch);
      } else if (e.type === "paused") { demo.state = "paused"; status("paused"); setButtons(); }
      else if (e.type === "resumed") { demo.state = "training"; setButtons(); }
      redraw();
    },
  });
  try {
    const r = await job.result;
    demo.training.end = performance.now();
    trained = { architecture, options: ARCHS[architecture], weights: r.weights };
    await useModel(trained);
    const acc = demo.accuracy.digit.at(-1);
    status(`${r.stopped ? "stopped" : "done"} after ${demo.epochs} epoch(s), ${r.steps} steps; digit accuracy ${acc === undefined ? "n/a" : (acc * 100).toFixed(1) + "%"}; ` +
      `${demo.msPerStep.length ? demo.msPerStep.at(-1).toFixed(1) : "?"} ms per step in the worker`);
    demo.state = "trained";
  } catch (e) {
    demo.state = "failed"; demo.error = String(e?.message ?? e); status(`training failed: ${demo.error}`);
  }
  job = null;
  setButtons();
}

/** A main-thread model with the saved weights, for predictions: built, loaded and used in separate tasks. */
async function useModel(saved) {
  const tasks = TASKS.map(({ name, ...spec }) => ph.task(name, spec));
  const model = new ph[saved.architecture]({ ...saved.options, tasks, rng: new ph.Rng(0) });
  await yieldToBrowser();
  model.loadStateDict(saved.weights);
  model.eval();
  await yieldToBrowser();
  demo.model?.dispose?.();
  demo.model = model;
  trained = saved;
  predict();
}

function setButtons() {
  const busy = demo.state === "training" || demo.state === "paused";
  $("train").disabled = busy || !mnist;
  $("pause").disabled = !busy;
  $("pause").textContent = demo.state === "paused" ? "Resume" : "Pause";
  $("stop").disabled = !busy;
  $("save").disabled = $("download").disabled = !trained;
}
$("train").onclick = () => train();
$("pause").onclick = () => { if (demo.state === "paused") job?.resume(); else job?.pause(); };
$("stop").onclick = () => job?.stop();

// ---- drawing: white strokes on black, scaled into MNIST's 20x20 box inside 28x28
const pad = $("draw"), pen = pad.getContext("2d");
function clearPad() { pen.fillStyle = "#000"; pen.fillRect(0, 0, pad.width, pad.height); demo.predictions = null; predict(); }
clearPad();
let drawing = false;
pad.addEventListener("pointerdown", (e) => { drawing = true; pen.beginPath(); pen.moveTo(e.offsetX, e.offsetY); });
pad.addEventListener("pointermove", (e) => {
  if (!drawing) return;
  pen.strokeStyle = "#fff"; pen.lineWidth = 20; pen.lineCap = pen.lineJoin = "round";
  pen.lineTo(e.offsetX, e.offsetY); pen.stroke();
});
addEventListener("pointerup", () => { if (drawing) { drawing = false; predict(); } });
$("clear").onclick = clearPad;

function pixels() {
  const img = pen.getImageData(0, 0, pad.width, pad.height).data;
  let x0 = pad.width, y0 = pad.height, x1 = -1, y1 = -1;
  for (let y = 0; y < pad.height; y++) for (let x = 0; x < pad.width; x++) {
    if (img[(y * pad.width + x) * 4] > 32) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
  }
  if (x1 < 0) return null;
  const w = x1 - x0 + 1, h = y1 - y0 + 1, s = 20 / Math.max(w, h);
  const small = new OffscreenCanvas(28, 28), c = small.getContext("2d");
  c.fillStyle = "#000"; c.fillRect(0, 0, 28, 28); c.imageSmoothingQuality = "high";
  c.drawImage(pad, x0, y0, w, h, 14 - (w * s) / 2, 14 - (h * s) / 2, w * s, h * s);
  const d = c.getImageData(0, 0, 28, 28).data, out = new Float32Array(784);
  for (let i = 0; i < 784; i++) out[i] = d[i * 4] / 255;
  return out;
}

function predict() {
  const x = demo.model ? pixels() : null;
  if (!x) { $("pred").innerHTML = `<tr><td>${demo.model ? "draw a digit" : "train or load a model, then draw"}</td></tr>`; return; }
  const r = ph.scope(() => ph.noGrad(() => {
    const out = demo.model.forward(ph.tensor(x, [1, 784])).outputs;
    const probs = Array.from(ph.softmax(out.digit).data());
    return { probs, parity: ph.sigmoid(out.parity).item(), large: ph.sigmoid(out.large).item() };
  }));
  const digit = r.probs.indexOf(Math.max(...r.probs));
  demo.predictions = { digit, digitProbability: r.probs[digit], odd: r.parity, large: r.large, probs: r.probs };
  $("pred").innerHTML = `<tr><th>head</th><th>prediction</th></tr>` +
    `<tr><td>digit</td><td><b style="font-size:22px">${digit}</b> (${(r.probs[digit] * 100).toFixed(1)}%)</td></tr>` +
    `<tr><td>parity</td><td>${r.parity > 0.5 ? "odd" : "even"} (${(Math.max(r.parity, 1 - r.parity) * 100).toFixed(1)}%)</td></tr>` +
    `<tr><td>large (&ge; 5)</td><td>${r.large > 0.5 ? "yes" : "no"} (${(Math.max(r.large, 1 - r.large) * 100).toFixed(1)}%)</td></tr>`;
}

// ---- save / load: IndexedDB (structured clone keeps the typed arrays) and JSON files
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
    tx.oncomplete = () => resolve(req.result); tx.onerror = () => reject(tx.error);
  });
}
demo.save = async () => { await idb("readwrite", (s) => s.put(trained, "latest")); status("saved to IndexedDB"); };
demo.load = async () => {
  const saved = await idb("readonly", (s) => s.get("latest"));
  if (!saved) { status("nothing saved in IndexedDB yet"); return false; }
  await useModel(saved); demo.state = "loaded"; setButtons(); status(`loaded ${saved.architecture} from IndexedDB`); return true;
};
$("save").onclick = () => demo.save();
$("load").onclick = () => demo.load();
$("download").onclick = () => {
  const json = { format: "polyhead-demo-model", architecture: trained.architecture, options: trained.options,
    weights: Object.fromEntries(Object.entries(trained.weights).map(([k, w]) => [k, { shape: w.shape, dtype: w.dtype, data: Array.from(w.data) }])) };
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([JSON.stringify(json)], { type: "application/json" }));
  a.download = "polyhead-mnist.json"; a.click(); URL.revokeObjectURL(a.href);
};
$("file").onchange = async () => {
  const f = $("file").files[0];
  if (!f) return;
  try {
    const j = JSON.parse(await f.text());
    if (j.format !== "polyhead-demo-model") throw new Error("not a polyhead demo model file");
    const weights = Object.fromEntries(Object.entries(j.weights).map(([k, w]) => [k, { ...w, data: Float32Array.from(w.data) }]));
    await useModel({ architecture: j.architecture, options: j.options, weights }); demo.state = "loaded"; setButtons(); status(`loaded ${f.name}`);
  } catch (e) { status(`could not load ${f.name}: ${e.message}`); }
};

Promise.all([loadMnist(), ph.init()]).then(([m]) => {
  mnist = m; demo.state = "ready"; setButtons(); redraw();
  status(`MNIST: ${m.n} of ${m.total} images ready (${Math.min(1000, Math.floor(m.n / 5))} held out for validation). Press Train.`);
}, (e) => { demo.state = "failed"; demo.error = String(e); status(`could not load MNIST: ${e.message}`); });
