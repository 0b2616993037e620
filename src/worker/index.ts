// polyhead/worker: train off the main thread. trainInWorker sends a run's description to
// a module Web Worker (browsers, Deno, Bun) or a worker thread (Node) running
// dist/train-worker.js, moves the data there as transferred buffers, streams progress and
// returns the trained weights: the same bits as training the same description in place
// (buildTraining, exported here, builds that on this thread).
/**
 * Training off the main thread: trainInWorker runs a serialisable description in a Web Worker or worker
 * thread, streams progress, and returns the same bits as training in place.
 * @module polyhead/worker
 */
import { spawnWorker, type Port } from "./platform.js";
import {
  checkKeys, DESCRIPTION_KEYS, transferList,
  type DataDescription, type FromWorker, type ToWorker, type TrainingDescription, type TrainingEvent, type TrainingResult,
} from "./protocol.js";

export type { DataDescription, TrainingDescription, TrainingEvent, TrainingResult, WeightEntry } from "./protocol.js";
// The same description built on this thread (one engine per process: the shared chunk),
// to load a worker's weights into, or to train in place and compare.
export { buildTraining, type BuiltTraining } from "./describe.js";

export interface TrainInWorkerOptions extends TrainingDescription {
  /**
   * One dataset, or one per task. Its typed arrays' buffers are transferred: afterwards
   * they are empty on this thread (pass copies, `x.slice()`, to keep them).
   */
  data: DataDescription | Record<string, DataDescription>;
  validation?: DataDescription;
  /** Progress: after every batch (losses, weights, conflicts) and epoch (losses, validation metrics), and on pause/resume. */
  onProgress?: (event: TrainingEvent) => void;
  /** Where dist/train-worker.js is served from (default: beside this module). */
  workerUrl?: URL | string;
}

/** A run started by trainInWorker: its result, and controls to pause, resume and stop it. */
export interface TrainingJob {
  /** The trained weights and history (also after stop(): the weights at that batch). */
  readonly result: Promise<TrainingResult>;
  /** Hold training after the batch in progress (within the run's yieldEveryMs). */
  pause(): void;
  /** Continue after pause(). */
  resume(): void;
  /** End training after the batch in progress; result resolves with `stopped: true`. */
  stop(): void;
  /** "starting", "running", "paused", "done" or "failed". */
  readonly state: string;
}

const OWN_KEYS = ["data", "validation", "onProgress", "workerUrl"];

/**
 * Run `Trainer.fit` in a worker from a serialisable description.
 * @example
 * const description = {
 *   model: { architecture: "MMoE", options: { inputs: 8, experts: 4, expertWidths: [16], towers: [8] }, seed: 1 },
 *   tasks: [{ name: "kind", kind: "classification", outputs: 3 }, { name: "score", kind: "regression", outputs: 1 }],
 *   weighting: { method: "PCGrad" }, optimizer: { name: "Adam", options: { lr: 3e-3 } }, seed: 1,
 *   fit: { epochs: 10, batchSize: 32 },
 * };
 * const job = trainInWorker({
 *   ...description,
 *   data: { x, xShape: [8], labels: { kind, score } },
 *   onProgress: (e) => e.type === "epoch" && console.log(e.logs.loss),
 * });
 * const { weights } = await job.result;
 * const { model } = buildTraining(description); model.loadStateDict(weights); // the trained model here
 */
export function trainInWorker(options: TrainInWorkerOptions): TrainingJob {
  if (!options || typeof options !== "object") throw new Error("trainInWorker: expected an options object");
  checkKeys("trainInWorker", options as unknown as Record<string, unknown>, [...DESCRIPTION_KEYS, ...OWN_KEYS]);
  if (options.onProgress !== undefined && typeof options.onProgress !== "function") throw new Error("trainInWorker: onProgress must be a function");
  const transfer = transferList(options.data, options.validation); // checks every array before anything moves
  const description = Object.fromEntries(Object.entries(options).filter(([k]) => !OWN_KEYS.includes(k))) as unknown as TrainingDescription;
  // a structured-clone failure (a function in an option) must surface here, not in the worker
  try { structuredClone(description); } catch (e) { throw new Error(`trainInWorker: the description must be plain data (names, numbers, arrays): ${(e as Error).message}`); }
  const url = options.workerUrl ?? new URL("./train-worker.js", import.meta.url);

  let state = "starting";
  let port: Port | null = null;
  const pending: ToWorker[] = [];
  const send = (m: ToWorker, t?: Transferable[]) => { if (port) port.post(m, t); else pending.push(m); };
  const result = new Promise<TrainingResult>((resolve, reject) => {
    const fail = (message: string) => {
      if (state === "done" || state === "failed") return;
      state = "failed";
      port?.terminate();
      reject(new Error(`trainInWorker: ${message}`));
    };
    spawnWorker(url).then((p) => {
      port = p;
      p.onError(fail);
      p.onMessage((raw) => {
        const m = raw as FromWorker;
        if (m.type === "built") {
          state = "running";
          p.post({ type: "start", data: options.data, validation: options.validation } satisfies ToWorker, transfer);
          for (const q of pending.splice(0)) p.post(q);
        } else if (m.type === "event") {
          if (m.event.type === "paused") state = "paused";
          else if (m.event.type === "resumed") state = "running";
          try { options.onProgress?.(m.event); } catch (e) { fail(`onProgress threw: ${(e as Error)?.message ?? e}`); }
        } else if (m.type === "done") {
          state = "done";
          p.terminate();
          resolve(m.result);
        } else if (m.type === "error") fail(m.message);
      });
      p.post({ type: "build", description } satisfies ToWorker);
    }, (e) => fail(`could not start the worker at ${String(url)}: ${(e as Error)?.message ?? e}`));
  });
  // control messages wait until the data has been sent, so they arrive after it
  const control = (type: "pause" | "resume" | "stop") => {
    if (state === "done" || state === "failed") return;
    if (state === "starting") pending.push({ type }); else send({ type });
  };
  return {
    result,
    pause: () => control("pause"),
    resume: () => control("resume"),
    stop: () => control("stop"),
    get state() { return state; },
  };
}
