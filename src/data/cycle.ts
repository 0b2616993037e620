// Endless per-task batch streams: each pass over a dataset is a fresh seeded shuffle,
// and each task's stream is split from a parent stream by the task's NAME, so adding or
// reordering tasks leaves every other task's batches unchanged. The schedules that take
// one dataset per task (joint, alternating, sampled, curriculum) draw from these.
import { defaultRng, Rng, type RngState } from "../random.js";
import type { Batch, MultiTaskDataset } from "./dataset.js";
import type { TaskDatasets } from "./per-task.js";

/** Where a cycle is, for checkpoints: the stream state before the current pass was drawn. */
export interface CycleState { epoch: number; position: number; rng: RngState }

/** Options of a batch cycle (endless passes over a dataset). */
export interface CycleOptions {
  /** Reshuffle each pass (default true). */
  shuffle?: boolean;
  /** Drop each pass's last short batch (default false). */
  dropLast?: boolean;
  /** The stream for the shuffles (default: the global seeded stream). */
  rng?: Rng;
  /** Resume from a `state()`; the rng option is then ignored. */
  state?: CycleState;
}

/**
 * An endless stream of batches over one dataset: each pass is a new seeded shuffle.
 * `nextBatch()` never ends; `epoch` counts completed passes.
 */
export class BatchCycle implements IterableIterator<Batch> {
  /** Passes completed. */
  epoch = 0;
  /** Batches taken from the current pass. */
  position = 0;
  readonly batchesPerEpoch: number;
  private rng: Rng;
  private passStart!: RngState;
  private order!: Int32Array;

  constructor(readonly dataset: MultiTaskDataset, readonly batchSize: number, private readonly opts: CycleOptions = {}) {
    this.batchesPerEpoch = dataset.numBatches(batchSize, opts.dropLast);
    if (this.batchesPerEpoch === 0) {
      throw new Error(`BatchCycle: a dataset of ${dataset.size} examples gives no batches of ${batchSize}${opts.dropLast ? " with dropLast" : ""}`);
    }
    this.rng = opts.state ? Rng.fromState(opts.state.rng) : opts.rng ?? defaultRng();
    this.draw();
    if (opts.state) { this.epoch = opts.state.epoch; this.position = opts.state.position; }
  }

  private draw(): void {
    this.passStart = this.rng.state();
    const n = this.dataset.size;
    this.order = this.opts.shuffle === false ? Int32Array.from({ length: n }, (_, i) => i) : this.rng.permutation(n);
  }

  /** The next batch, starting a freshly shuffled pass when one ends. */
  nextBatch(): Batch {
    if (this.position === this.batchesPerEpoch) { this.epoch++; this.position = 0; this.draw(); }
    const s = this.position++ * this.batchSize;
    return this.dataset.batch(this.order.subarray(s, Math.min(s + this.batchSize, this.order.length)));
  }

  /** The next batch (the cycle never ends). */
  next(): IteratorResult<Batch> { return { value: this.nextBatch(), done: false }; }
  /** The cycle is its own iterator. */
  [Symbol.iterator](): this { return this; }

  /** Where the cycle is, for checkpoints. */
  state(): CycleState { return { epoch: this.epoch, position: this.position, rng: { ...this.passStart, key: [...this.passStart.key] } }; }
}

// FNV-1a over UTF-16 code units (Math.imul only): a stream label from a task's name
function nameLabel(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The stream of task `name` split from `rng` (the same whatever the other tasks are). */
export function taskRng(rng: Rng, name: string): Rng { return rng.split(nameLabel(name)); }

/**
 * One BatchCycle per task, each shuffling with its own stream split from `rng` by the
 * task's name.
 * @example
 * const cycles = taskCycles(tds, 32, { rng: new Rng(0) });
 * const b = cycles.sentiment.nextBatch();
 */
export function taskCycles(tasks: TaskDatasets, batchSize: number | Record<string, number>,
  opts: Omit<CycleOptions, "state"> = {}): Record<string, BatchCycle> {
  const rng = opts.rng ?? defaultRng();
  const out: Record<string, BatchCycle> = {};
  for (const t of Object.keys(tasks)) {
    const bs = typeof batchSize === "number" ? batchSize : batchSize[t];
    if (bs === undefined) throw new Error(`taskCycles: no batch size for task "${t}" (sizes given for: ${Object.keys(batchSize).join(", ")})`);
    out[t] = new BatchCycle(tasks[t], bs, { ...opts, rng: taskRng(rng, t) });
  }
  return out;
}
