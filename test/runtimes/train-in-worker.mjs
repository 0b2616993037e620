// trainInWorker's cross-runtime check, plain ESM for Node, Deno, Bun and browser pages:
// one fixed run (MMoE, PCGrad, dropout, Adam, cosine schedule) trained in a worker
// through dist/worker.js; returns a checksum of every trained weight and the events seen.
// test/worker.test.ts compares them with the same run trained on the main thread.
import { fnv1a64 } from "./workload.mjs";

/** The run's description (everything but the data). */
export function description() {
  return {
    model: { architecture: "MMoE", options: { inputs: 6, experts: 3, expertWidths: [12], towers: [6], dropout: 0.2 }, seed: 99 },
    tasks: [
      { name: "kind", kind: "classification", outputs: 3 },
      { name: "score", kind: "regression", outputs: 1 },
      { name: "flag", kind: "binary", outputs: 1 },
    ],
    weighting: { method: "PCGrad" },
    optimizer: { name: "Adam", options: { lr: 0.01 } },
    lrSchedule: { name: "CosineAnnealingLR", options: { tMax: 4, etaMin: 0.001 } },
    seed: 7,
    fit: { epochs: 4, batchSize: 16, yieldEveryMs: 0 },
  };
}

/** n rows of 6 features and three tasks' labels, from integer arithmetic only (the same bits everywhere). */
export function data(n = 80, salt = 0) {
  const x = new Float32Array(n * 6), kind = new Int32Array(n), score = new Float32Array(n), flag = new Float32Array(n);
  let s = 12345 + salt;
  for (let i = 0; i < x.length; i++) { s = (Math.imul(s, 1103515245) + 12345) >>> 0; x[i] = ((s >>> 8) / 8388608 - 1) * 2; }
  for (let i = 0; i < n; i++) {
    const r = x.subarray(i * 6, i * 6 + 6);
    kind[i] = r[0] + r[1] > 0.5 ? 2 : r[0] + r[1] > -0.5 ? 1 : 0;
    score[i] = r[2] - 0.5 * r[3];
    flag[i] = r[4] > r[5] ? 1 : 0;
  }
  return { x, xShape: [6], labels: { kind, score, flag } };
}

/** Checksums of a state dict's values ({ name: { shape, data } } or { name: Tensor }). */
export function weightChecksums(weights) {
  const out = {};
  for (const [name, w] of Object.entries(weights)) {
    const d = typeof w.data === "function" ? w.data() : w.data;
    out[name] = `[${w.shape.join(",")}]:${fnv1a64(new Uint8Array(d.buffer, d.byteOffset, d.byteLength))}`;
  }
  return out;
}

/** Train the run in a worker through `worker` (the polyhead/worker namespace); counts events by type. */
export async function runInWorker(worker) {
  const events = {};
  const job = worker.trainInWorker({ ...description(), data: data(), validation: data(32, 1), onProgress: (e) => { events[e.type] = (events[e.type] ?? 0) + 1; } });
  const r = await job.result;
  return { checksums: weightChecksums(r.weights), events, steps: r.steps, validation: r.history.at(-1).validation };
}
