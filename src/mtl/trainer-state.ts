// A trainer's resumable state: the model's values, the optimiser's and the weighting's
// state, the counters, the trainer's random stream and every module's own stream
// (Dropout masks), as one JSON-serialisable object, and loading it back. A run resumed
// from it continues bit-identically.
import type { RngState } from "../random.js";
import type { Trainer } from "./trainer.js";
import type { Module } from "../nn/module.js";

/** Trainer.stateDict(): everything needed to resume training, as plain data. */
export interface TrainerState {
  format: "polyhead-trainer"; version: 1; epoch: number; step: number;
  rng: RngState;
  model: Record<string, { shape: number[]; dtype?: string; data: ArrayLike<number> }>;
  optimizer: unknown; weighting: Record<string, unknown>;
  /** Random streams of modules that keep one (Module.rngState), by module path. */
  dropout?: Record<string, RngState>;
  /** The weighting method's name (checked on load: another method's state is refused). */
  weightingMethod?: string;
  /** Saved between the steps of an epoch: where in epoch `epoch` training is (fit resumes there). */
  position?: EpochPosition;
}

/** The position at an epoch's start. */
export const freshPosition = (batchSize: number): EpochPosition => ({ step: 0, batchSize, drawn: 0, sums: {}, counts: {}, weights: {} });

/**
 * Steps taken in the current epoch, with the batch size, the validation batches a bilevel
 * method drew, and the running sums its logs are made of.
 */
export interface EpochPosition {
  step: number; batchSize: number; drawn: number;
  sums: Record<string, number>; counts: Record<string, number>; weights: Record<string, number>;
}

/** The model's modules that keep a random stream of their own, by path. */
function streams(trainer: Trainer): [string, Module][] {
  return trainer.model.namedModules().filter(([, m]) => m.rngState() !== null);
}

/** Everything needed to resume (Trainer.stateDict). */
export function trainerState(trainer: Trainer): TrainerState {
  const model: TrainerState["model"] = {};
  for (const [k, t] of Object.entries(trainer.model.stateDict())) model[k] = { shape: [...t.shape], dtype: t.dtype, data: Array.from(t.data()) };
  return {
    format: "polyhead-trainer", version: 1, epoch: trainer.epoch, step: trainer.step, rng: trainer.rng.state(),
    model, optimizer: trainer.optimizer.stateDict(), weighting: trainer.weighting.stateDict?.() ?? {},
    // (the key keeps its first name so saved states stay loadable: Dropout was the first such module)
    dropout: Object.fromEntries(streams(trainer).map(([p, m]) => [p, m.rngState()!])),
    weightingMethod: trainer.weighting.name,
    ...(trainer.position.step > 0 ? { position: structuredClone(trainer.position) } : {}),
  };
}

const isCount = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
const isRng = (r: unknown) => { const k = (r as RngState)?.key; return Array.isArray(k) && k.length === 2 && k.every((x) => isCount(x) && x <= 0xffffffff) && isCount((r as RngState).counter); };
const isDict = (v: unknown) => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * Resume from trainerState()'s output (Trainer.loadStateDict). Every part is checked
 * before any is applied: the counters, the streams, the model's and the optimiser's
 * values (their planLoad checks), then the weighting plug-in's own loadStateDict, the
 * last step that may fail (put back from its stateDict if it fails part-way); only then
 * is the rest written. A bad entry anywhere leaves the trainer as it was.
 */
export function loadTrainerState(trainer: Trainer, state: Record<string, unknown>): void {
  const st = state as unknown as TrainerState, w = trainer.weighting;
  // each problem names the entry and its value: "bad rng {...}"
  const problems: string[] = [];
  const need = (ok: unknown, what: string, v: unknown) => { if (!ok) problems.push(`bad ${what} ${JSON.stringify(v)?.slice(0, 80)}`); };
  if (st?.format !== "polyhead-trainer" || st.version !== 1) need(0, "format/version (not a trainer state)", [st?.format, st?.version]);
  else {
    need(isCount(st.epoch), "epoch", st.epoch);
    need(isCount(st.step), "step", st.step);
    need(isRng(st.rng), "rng", st.rng);
    const pos = st.position, nums = (o: unknown) => isDict(o) && Object.values(o as object).every((v) => typeof v === "number");
    if (pos !== undefined) need(isDict(pos) && isCount(pos.step) && isCount(pos.batchSize) && isCount(pos.drawn ?? 0) && [pos.sums, pos.counts, pos.weights].every(nums), "position", pos);
    const saved = st.dropout ?? {}, paths = streams(trainer).map(([p]) => p);
    // every module stream, and no other: a missing one would draw other masks
    need(isDict(saved) && `${Object.keys(saved).sort()}` === `${paths.sort()}`, `dropout (streams of ${paths})`, saved && Object.keys(saved));
    for (const p of paths) need(isRng(saved[p]), `dropout "${p}"`, saved[p]);
    need(st.weightingMethod === undefined || st.weightingMethod === w.name, `weightingMethod (this trainer's is ${w.name})`, st.weightingMethod);
    need(isDict(st.weighting ?? {}) && (w.loadStateDict || !Object.keys(st.weighting ?? {}).length), "weighting", st.weighting);
  }
  if (problems.length) throw new Error(`Trainer.loadStateDict: ${problems.join("; ")}`);
  const writeModel = trainer.model.planLoad(st.model);
  const writeOptimizer = trainer.optimizer.planLoad(st.optimizer as never);
  const before = w.stateDict?.();
  try {
    w.loadStateDict?.(st.weighting ?? {});
  } catch (e) {
    if (before) w.loadStateDict!(before);
    throw e;
  }
  writeModel();
  writeOptimizer();
  for (const [p, m] of streams(trainer)) m.setRngState(st.dropout![p]);
  trainer.epoch = st.epoch; trainer.step = st.step;
  trainer.position = st.position ? structuredClone(st.position) : freshPosition(0);
  trainer.position.drawn ??= 0; // (states saved before it was counted)
  trainer.rng.key = [st.rng.key[0], st.rng.key[1]];
  trainer.rng.counter = st.rng.counter;
}
