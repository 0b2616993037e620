// The worker side of trainInWorker (built as dist/train-worker.js, the library inlined):
// builds the described model and trainer, receives the data, runs fit, streams progress,
// honours pause / resume / stop between batches, and sends back the trained weights.
import { init } from "../index.js"; // the universal entry: sets the inlined Wasm as the source
import { buildTraining, datasetFrom, type BuiltTraining } from "./describe.js";
import { parentPort } from "./platform.js";
import type { FromWorker, ToWorker, TrainingEvent, TrainingResult, WeightEntry } from "./protocol.js";
import type { Callback } from "../mtl/trainer.js";
import type { TrainData } from "../mtl/schedules/base.js";
import type { DataDescription } from "./protocol.js";

const port = await parentPort();
const send = (m: FromWorker, transfer?: Transferable[]) => port.post(m, transfer);
const emit = (event: TrainingEvent) => send({ type: "event", event });

/** Thrown from the progress hook to end fit between two batches. */
const STOP = Symbol("stop");
let built: BuiltTraining | null = null;
let paused = false, stopping = false;
let release: (() => void) | null = null;

port.onMessage((raw) => {
  const msg = raw as ToWorker;
  if (msg.type === "pause") paused = true;
  else if (msg.type === "resume") { paused = false; release?.(); }
  else if (msg.type === "stop") { stopping = true; release?.(); }
  else if (msg.type === "build" || msg.type === "start") void handle(msg).catch((e) => send({ type: "error", message: String((e as Error)?.message ?? e) }));
});

async function handle(msg: Extract<ToWorker, { type: "build" | "start" }>): Promise<void> {
  if (msg.type === "build") {
    await init();
    built = buildTraining(msg.description);
    send({ type: "built" });
    return;
  }
  if (!built) throw new Error("train-worker: start before build");
  const { model, trainer, callbacks, fit: fitOpts } = built;
  const data: TrainData = isOne(msg.data) ? datasetFrom(msg.data)
    : Object.fromEntries(Object.entries(msg.data).map(([t, d]) => [t, datasetFrom(d)]));
  const validation = msg.validation ? datasetFrom(msg.validation) : undefined;
  let batchLosses: Record<string, number> = {};
  const conflicts = () => (trainer.weighting as { lastConflicts?: unknown }).lastConflicts;
  const stream: Callback = {
    onBatchEnd: (_step, losses) => { batchLosses = losses; },
    onEpochEnd: (logs) => emit({ type: "epoch", logs }),
  };
  let stopped = false;
  try {
    await trainer.fit(data, {
      ...fitOpts, validation, callbacks: [stream, ...callbacks],
      onProgress: (p) => {
        const c = conflicts();
        emit({ type: "batch", epoch: p.epoch, step: trainer.step, steps: p.steps, batchLosses, losses: p.losses, weights: p.weights,
          ...(typeof c === "number" ? { conflicts: c } : {}) });
        if (stopping) throw STOP;
        if (!paused) return;
        emit({ type: "paused", step: trainer.step });
        return new Promise<void>((r) => { release = r; }).then(() => {
          release = null;
          if (stopping) throw STOP;
          emit({ type: "resumed", step: trainer.step });
        });
      },
    });
  } catch (e) {
    if (e !== STOP) throw e;
    stopped = true;
  }
  const weights: Record<string, WeightEntry> = {};
  const transfer: ArrayBuffer[] = [];
  for (const [name, t] of Object.entries(model.stateDict())) {
    const d = t.data() as Float32Array | Int32Array;
    weights[name] = { shape: [...t.shape], dtype: t.dtype as WeightEntry["dtype"], data: d };
    transfer.push(d.buffer as ArrayBuffer);
  }
  const result: TrainingResult = { weights, history: trainer.history, stopped, steps: trainer.step };
  send({ type: "done", result }, transfer);
}

function isOne(d: DataDescription | Record<string, DataDescription>): d is DataDescription {
  return "x" in d && "labels" in d;
}
