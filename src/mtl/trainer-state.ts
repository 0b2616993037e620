// A trainer's resumable state: the model's values, the optimiser's and the weighting's
// state, the counters, the trainer's random stream and every module's own stream
// (Dropout masks), as one JSON-serialisable object, and loading it back. A run resumed
// from it continues bit-identically.
import type { RngState } from "../random.js";
import type { Trainer } from "./trainer.js";

/** Trainer.stateDict(): everything needed to resume training, as plain data. */
export interface TrainerState {
  format: "polyhead-trainer"; version: 1; epoch: number; step: number;
  rng: RngState;
  model: Record<string, { shape: number[]; dtype?: string; data: ArrayLike<number> }>;
  optimizer: unknown; weighting: Record<string, unknown>;
  /** Random streams of modules that keep one (Module.rngState), by module path. */
  dropout?: Record<string, RngState>;
}

/** The model's modules that keep a random stream of their own, by path. */
function streams(trainer: Trainer): [string, RngState][] {
  const out: [string, RngState][] = [];
  for (const [path, m] of trainer.model.namedModules()) {
    const s = m.rngState();
    if (s) out.push([path, s]);
  }
  return out;
}

/** Everything needed to resume (Trainer.stateDict). */
export function trainerState(trainer: Trainer): TrainerState {
  const model: TrainerState["model"] = {};
  for (const [k, t] of Object.entries(trainer.model.stateDict())) model[k] = { shape: [...t.shape], dtype: t.dtype, data: Array.from(t.data()) };
  return {
    format: "polyhead-trainer", version: 1, epoch: trainer.epoch, step: trainer.step, rng: trainer.rng.state(),
    model, optimizer: trainer.optimizer.stateDict(), weighting: trainer.weighting.stateDict?.() ?? {},
    // (the key keeps its first name so saved states stay loadable: Dropout was the first such module)
    dropout: Object.fromEntries(streams(trainer)),
  };
}

/** Resume from trainerState()'s output (Trainer.loadStateDict). */
export function loadTrainerState(trainer: Trainer, state: Record<string, unknown>): void {
  const st = state as unknown as TrainerState;
  if (st?.format !== "polyhead-trainer" || st.version !== 1) {
    throw new Error(`Trainer.loadStateDict: not a trainer state (format ${JSON.stringify(st?.format)}, version ${st?.version})`);
  }
  if (!(Number.isInteger(st.epoch) && Number.isInteger(st.step) && Array.isArray(st.rng?.key))) {
    throw new Error("Trainer.loadStateDict: epoch, step or rng is missing or malformed");
  }
  // model first with a dry run (loadStateDict validates every name and shape before writing)
  const snapshot = Object.fromEntries(Object.entries(trainer.model.stateDict()).map(([k, t]) => [k, { shape: [...t.shape], data: t.data() }]));
  trainer.model.loadStateDict(st.model);
  try {
    trainer.optimizer.loadStateDict(st.optimizer as never);
    trainer.weighting.loadStateDict?.(st.weighting ?? {});
  } catch (e) {
    trainer.model.loadStateDict(snapshot);
    throw e;
  }
  const mods = new Map(trainer.model.namedModules());
  for (const [path] of streams(trainer)) {
    const r = st.dropout?.[path];
    if (r) mods.get(path)!.setRngState(r);
  }
  trainer.epoch = st.epoch; trainer.step = st.step;
  trainer.rng.key = [st.rng.key[0] >>> 0, st.rng.key[1] >>> 0];
  trainer.rng.counter = st.rng.counter;
}
