// The demo page's script: it only draws. The library, the data, the trained model, the
// predictions and saving/loading live in demo-worker.js, which trains through
// trainInWorker in a training worker of its own; this thread charts the progress events
// (at most once a frame, each series thinned to the canvas's width), keeps the drawing
// pad, and shows every head's prediction. So no library code, Wasm compile or large array
// ever runs here, and the main thread has no long tasks while training (the Chromium test,
// test/demo.test.ts, fails on any long task over 50 ms while training and predicting).
// window.demo exposes the state for that test.
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const LIMIT = Number(params.get("n") ?? 10000); // images used (the test trains on fewer)
const TASKS = ["digit", "parity", "large"];
const COLORS = { digit: "#1f77b4", parity: "#ff7f0e", large: "#2ca02c" };

const demo = window.demo = {
  state: "loading", epochs: 0, steps: 0, loss: { digit: [], parity: [], large: [] }, accuracy: { digit: [], parity: [], large: [] },
  conflicts: [], msPerStep: [], longTasks: [], longFrames: [], training: null, predictions: null, error: null,
};
try {
  new PerformanceObserver((list) => { for (const e of list.getEntries()) demo.longTasks.push({ start: e.startTime, ms: e.duration }); })
    .observe({ type: "longtask", buffered: true });
  // long animation frames name the scripts that ran in them (with their durations)
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      demo.longFrames.push({ start: e.startTime, ms: e.duration, renderStart: e.renderStart, styleAndLayoutStart: e.styleAndLayoutStart,
        scripts: e.scripts.map((s) => ({ ms: s.duration, invoker: s.invoker, source: s.sourceURL })) });
    }
  }).observe({ type: "long-animation-frame", buffered: true });
} catch { /* long-task timing is Chromium's */ }

if ("serviceWorker" in navigator) {
  demo.offlineReady = navigator.serviceWorker.register("sw.js").then(() => navigator.serviceWorker.ready).then(() => true);
}

// ---- the worker: requests with an id, answered once; progress events in between
const worker = new Worker("demo-worker.js", { type: "module" });
const waiting = new Map();
let nextId = 0, onProgress = () => {};
function call(type, args = {}, transfer = []) {
  const id = nextId++;
  worker.postMessage({ id, type, ...args }, transfer);
  return new Promise((resolve, reject) => waiting.set(id, { resolve, reject }));
}
worker.onmessage = ({ data }) => {
  if (data.type === "progress") { onProgress(data.event); return; }
  const w = waiting.get(data.id);
  waiting.delete(data.id);
  if (data.error !== undefined) w.reject(new Error(data.error)); else w.resolve(data.value);
};
worker.onerror = (e) => { demo.state = "failed"; demo.error = `the demo worker failed: ${e.message}`; status(demo.error); };

// ---- charts: plain canvas, redrawn at most once a frame; a series longer than the plot
// is thinned to about two points per pixel, so a frame's drawing stays small however long the run
function chart(canvas, series, { yMin, yMax, xLabel }) {
  const c = canvas.getContext("2d"), W = canvas.width, H = canvas.height, L = 38, B = 22, PW = W - L - 6;
  c.clearRect(0, 0, W, H);
  c.strokeStyle = "#bbb"; c.lineWidth = 1; c.strokeRect(L, 4, PW, H - B - 4);
  c.fillStyle = "#555"; c.font = "11px sans-serif";
  let min = Infinity, max = -Infinity;
  for (const ys of Object.values(series)) for (const y of ys) { if (y < min) min = y; if (y > max) max = y; }
  // accuracies crowd near 1: that chart starts a little below its lowest point
  const lo = yMin === "fit" ? Math.max(0, Math.floor((Math.min(1, min) - 0.05) * 20) / 20) : yMin ?? Math.min(0, min);
  const hi = yMax ?? Math.max(1e-6, max);
  c.fillText(hi.toFixed(2), 2, 12); c.fillText(lo.toFixed(2), 2, H - B); c.fillText(xLabel, W / 2 - 20, H - 6);
  for (const [name, ys] of Object.entries(series)) {
    if (!ys.length) continue;
    c.strokeStyle = COLORS[name] ?? "#9467bd"; c.lineWidth = 1.5; c.beginPath();
    const stride = Math.max(1, Math.floor(ys.length / (2 * PW)));
    for (let i = 0; i < ys.length; i += stride) {
      const px = L + (ys.length === 1 ? 0.5 : i / (ys.length - 1)) * PW, py = 4 + (1 - (ys[i] - lo) / (hi - lo || 1)) * (H - B - 4);
      i ? c.lineTo(px, py) : c.moveTo(px, py);
      if (ys.length < 30) c.fillRect(px - 2, py - 2, 4, 4);
    }
    c.stroke();
  }
}
let frameQueued = false, statusText = null;
function redraw() {
  if (frameQueued) return;
  frameQueued = true;
  requestAnimationFrame(() => {
    frameQueued = false;
    if (statusText !== null) { $("status").textContent = statusText; statusText = null; }
    chart($("loss"), demo.loss, { yMin: 0, xLabel: "batch" });
    chart($("acc"), demo.accuracy, { yMin: "fit", yMax: 1, xLabel: "epoch" });
    chart($("conflicts"), { conflicts: demo.conflicts }, { yMin: 0, xLabel: "batch" });
  });
}
/** The status line, written in the next frame with the charts (progress events come faster than frames). */
const status = (s) => { statusText = s; redraw(); };
for (const id of ["lossLegend", "accLegend"]) {
  $(id).innerHTML = TASKS.map((t) => `<span><i style="background:${COLORS[t]}"></i>${t}</span>`).join("");
}

// ---- training
let data = null, trained = false;

async function train() {
  const architecture = $("arch").value, method = $("weighting").value, epochs = Number($("epochs").value);
  for (const s of [...Object.values(demo.loss), ...Object.values(demo.accuracy), demo.conflicts, demo.msPerStep]) s.length = 0;
  demo.epochs = 0; demo.steps = 0; demo.state = "training"; demo.training = { start: performance.now(), end: null };
  $("conflictNote").textContent = method === "PCGrad" ? "" : "only PCGrad reports conflicting gradient pairs; choose it to see them";
  setButtons();
  const smooth = {};
  let stepsPerEpoch = 0;
  onProgress = (e) => {
    if (e.type === "batch") {
      demo.steps = e.step; stepsPerEpoch = e.steps;
      for (const [t, v] of Object.entries(e.batchLosses)) { smooth[t] = smooth[t] === undefined ? v : 0.9 * smooth[t] + 0.1 * v; demo.loss[t].push(smooth[t]); }
      if (e.conflicts !== undefined) demo.conflicts.push(e.conflicts);
      status(`epoch ${e.epoch + 1}/${epochs}, batch ${e.step - e.epoch * e.steps}/${e.steps}\nloss ${Object.entries(smooth).map(([t, v]) => `${t} ${v.toFixed(3)}`).join(", ")}`);
    } else if (e.type === "epoch") {
      demo.epochs = e.logs.epoch + 1;
      for (const t of TASKS) demo.accuracy[t].push(e.logs.validation[t].accuracy);
      demo.msPerStep.push((e.logs.seconds * 1000) / stepsPerEpoch);
      redraw();
    } else if (e.type === "paused") { demo.state = "paused"; status("paused"); setButtons(); }
    else if (e.type === "resumed") { demo.state = "training"; setButtons(); }
  };
  try {
    const r = await call("train", { architecture, method, epochs });
    demo.training.end = performance.now();
    trained = true;
    const acc = demo.accuracy.digit.at(-1);
    status(`${r.stopped ? "stopped" : "done"} after ${demo.epochs} epoch(s), ${r.steps} steps; digit accuracy ${acc === undefined ? "n/a" : (acc * 100).toFixed(1) + "%"}; ` +
      `${demo.msPerStep.length ? demo.msPerStep.at(-1).toFixed(1) : "?"} ms per step in the worker`);
    demo.state = "trained";
    predict();
  } catch (e) {
    demo.state = "failed"; demo.error = String(e?.message ?? e); status(`training failed: ${demo.error}`);
  }
  setButtons();
}

function setButtons() {
  const busy = demo.state === "training" || demo.state === "paused";
  $("train").disabled = busy || !data;
  $("pause").disabled = !busy;
  $("pause").textContent = demo.state === "paused" ? "Resume" : "Pause";
  $("stop").disabled = !busy;
  $("save").disabled = $("download").disabled = !trained;
}
$("train").onclick = () => train();
$("pause").onclick = () => call(demo.state === "paused" ? "resume" : "pause");
$("stop").onclick = () => call("stop");

// ---- drawing: white strokes on black; the worker crops and scales it into MNIST's 28x28
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

let asked = 0; // only the latest drawing's answer is shown
async function predict() {
  const mine = ++asked;
  const bitmap = await createImageBitmap(pad);
  let r;
  try { r = await call("predict", { bitmap }, [bitmap]); } catch (e) { status(`prediction failed: ${e.message}`); return; }
  if (mine !== asked) return;
  if (!r) { $("pred").innerHTML = `<tr><td>${trained ? "draw a digit" : "train or load a model, then draw"}</td></tr>`; return; }
  demo.predictions = r;
  $("pred").innerHTML = `<tr><th>head</th><th>prediction</th></tr>` +
    `<tr><td>digit</td><td><b style="font-size:22px">${r.digit}</b> (${(r.digitProbability * 100).toFixed(1)}%)</td></tr>` +
    `<tr><td>parity</td><td>${r.odd > 0.5 ? "odd" : "even"} (${(Math.max(r.odd, 1 - r.odd) * 100).toFixed(1)}%)</td></tr>` +
    `<tr><td>large (&ge; 5)</td><td>${r.large > 0.5 ? "yes" : "no"} (${(Math.max(r.large, 1 - r.large) * 100).toFixed(1)}%)</td></tr>`;
}

// ---- save / load: the worker holds the model; IndexedDB and files are read and written there
const loaded = (what) => { trained = true; demo.state = "loaded"; setButtons(); status(what); return predict(); };
demo.save = async () => { await call("save"); status("saved to IndexedDB"); };
demo.load = async () => {
  const architecture = await call("load");
  if (!architecture) { status("nothing saved in IndexedDB yet"); return false; }
  await loaded(`loaded ${architecture} from IndexedDB`);
  return true;
};
$("save").onclick = () => demo.save();
$("load").onclick = () => demo.load();
/** The model as the JSON file Download saves (a Blob made in the worker). */
demo.modelFile = () => call("download");
$("download").onclick = async () => {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(await demo.modelFile());
  a.download = "polyhead-mnist.json"; a.click(); URL.revokeObjectURL(a.href);
};
$("file").onchange = async () => {
  const file = $("file").files[0];
  if (!file) return;
  try { await loaded(`loaded ${file.name} (${await call("file", { file })})`); } catch (e) { status(`could not load ${file.name}: ${e.message}`); }
};

call("init", { limit: LIMIT }).then((m) => {
  data = m; demo.state = "ready"; setButtons(); redraw();
  status(`MNIST: ${m.n} of ${m.total} images ready (${m.nVal} held out for validation). Press Train.`);
}, (e) => { demo.state = "failed"; demo.error = String(e?.message ?? e); status(`could not load MNIST: ${demo.error}`); });
