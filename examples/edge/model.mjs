// The edge example's model logic, shared by the workerd worker (worker.mjs) and the test:
// load the model from its safetensors archive (polyhead/io's loadModel), predict, and
// fine-tune one task's head on a small batch with the rest frozen. `ph` and `io` are the
// polyhead and polyhead/io namespaces of whichever build the caller loaded (dist/edge.js
// and dist/edge/io.js in workerd, dist/index.js and dist/io.js in Node).

/** The limits one request may ask for, so a fine-tune stays within an edge runtime's CPU budget. */
export const LIMITS = { rows: 256, steps: 50 };

/**
 * The saved archive (saveModelArchive's bytes) as a live model in eval mode, its tasks
 * (task() declarations rebuilt from the stored config) and its config.
 */
export function loadModel(ph, io, bytes) {
  const model = io.loadModel(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes), { requireFinite: true });
  model.eval();
  const config = io.modelConfig(model);
  const tasks = config.tasks.map(({ name, ...spec }) => ph.task(name, spec));
  return { model, tasks, config };
}

/** Check rows of numbers: a non-empty list of `width`-long rows of finite numbers. */
export function checkRows(rows, width, what = "x") {
  if (!Array.isArray(rows) || rows.length === 0) throw new RangeError(`${what} must be a non-empty array of rows`);
  if (rows.length > LIMITS.rows) throw new RangeError(`${what} has ${rows.length} rows; at most ${LIMITS.rows} per request`);
  rows.forEach((r, i) => {
    if (!Array.isArray(r) || r.length !== width) throw new RangeError(`${what}[${i}] must be ${width} numbers, got ${Array.isArray(r) ? r.length : typeof r}`);
    if (!r.every((v) => typeof v === "number" && Number.isFinite(v))) throw new RangeError(`${what}[${i}] holds a value that is not a finite number`);
  });
}

/** Every head's raw outputs for the rows, as nested arrays. */
export function predict(ph, model, rows, inputs) {
  checkRows(rows, inputs);
  return ph.scope(() => {
    const out = ph.noGrad(() => model.forward(ph.tensor(rows.flat(), [rows.length, inputs])).outputs);
    const res = {};
    for (const [t, y] of Object.entries(out)) res[t] = rows.map((_, i) => Array.from(y.data().subarray(i * y.shape[1], (i + 1) * y.shape[1])));
    return res;
  });
}

/**
 * Fine-tune `task`'s own parameters (its tower) on one batch with Adam, everything else
 * frozen, in a fresh copy of the saved model (in eval mode: the shipped model has no
 * dropout, and a head-only tune should not draw masks). Returns the loss of every step (the first is
 * before any update), the head's new weights, and the batch's predictions after.
 */
export function fineTuneHead(ph, io, bytes, { task, x, y, steps = 10, lr = 0.01 }) {
  const { model, tasks, config } = loadModel(ph, io, bytes);
  const inputs = config.architecture.options.inputs;
  const t = tasks.find((k) => k.name === task);
  if (!t) throw new RangeError(`task must be one of ${tasks.map((k) => k.name).join(", ")}, got ${JSON.stringify(task)}`);
  checkRows(x, inputs);
  if (!Array.isArray(y) || y.length !== x.length) throw new RangeError(`y must hold one label per row of x (${x.length}), got ${Array.isArray(y) ? y.length : typeof y}`);
  if (!(Number.isInteger(steps) && steps >= 1 && steps <= LIMITS.steps)) throw new RangeError(`steps must be an integer in [1, ${LIMITS.steps}], got ${steps}`);
  if (!(typeof lr === "number" && lr > 0 && lr < 1)) throw new RangeError(`lr must be in (0, 1), got ${lr}`);
  const labels = t.kind === "classification" ? Int32Array.from(y) : Float32Array.from(y);
  const data = new ph.MultiTaskDataset({ x: Float32Array.from(x.flat()), xShape: [inputs], labels: { [task]: labels } });
  const head = model.taskParameters(task);
  const frozen = model.parameters().filter((p) => !head.includes(p));
  for (const p of frozen) p.requiresGrad = false;
  const opt = new ph.Adam(head, { lr });
  const batch = [...data.batches(x.length, { shuffle: false })][0];
  const losses = [];
  for (let s = 0; s < steps; s++) {
    losses.push(ph.scope(() => {
      opt.zeroGrad();
      const out = model.forward(batch.x, [task]).outputs[task];
      const loss = ph.taskLoss(t, out, batch.labels[task], batch.masks[task]);
      ph.backward(loss);
      opt.step();
      return loss.item();
    }));
  }
  const tuned = {};
  const names = new Map(model.namedParameters().map(([n, p]) => [p, n]));
  for (const p of head) tuned[names.get(p)] = { shape: [...p.shape], data: Array.from(p.data()) };
  return { task, losses, head: tuned, predictions: predict(ph, model, x, inputs)[task] };
}
