// The multi-task trainer: fit / evaluate / predict. Each step runs inside a memory
// scope: the schedule picks tasks and batches, the architecture computes the heads, each
// task's masked loss is taken, the weighting plug-in combines the update, the optimiser
// applies it. The trainer calls plug-in hooks and never asks which method it runs.
import { Tensor } from "../tensor.js";
import { countNonFinite } from "../ops/reduce.js";
import { zerosLike } from "../ops/creation.js";
import { vcopy } from "../ops/vector.js";
import type { Module } from "../nn/module.js";
import { scope } from "../engine/scope.js";
import { backward } from "../autograd/index.js";
import { Rng } from "../random.js";
import type { Batch, MultiTaskDataset } from "../data/index.js";
import type { MultiTaskModel } from "./architectures/base.js";
import { taskMap, type Task } from "./tasks.js";
import { taskLoss } from "./losses.js";
import type { Weighting } from "./weighting/base.js";
import { weightingContext } from "./weighting/context.js";
import { EqualWeighting } from "./weighting/ew.js";
import { joint } from "./schedules/joint.js";
import { type Schedule, type StepPlan, type TrainData } from "./schedules/base.js";
import { evaluateModel, predictModel, type TaskMetrics } from "./evaluate.js";
import { freshPosition, loadTrainerState, trainerState } from "./trainer-state.js";
import { Adam, clipGradNorm, type Optimizer as OptimizerBase, type BaseOptions } from "../optim/index.js";

/** Batches of `data` without end: shuffled passes, each from its own split of `rng`. */
function* cycleBatches(data: MultiTaskDataset, batchSize: number, rng: Rng): Generator<Batch> {
  for (let k = 0; ; k++) {
    let any = false;
    for (const b of data.batches(batchSize, { shuffle: true, rng: rng.split(k) })) { any = true; yield b; }
    if (!any) return;
  }
}

/** A streaming source: called once per epoch, yielding batches (see fromAsyncIterable). */
export type StreamSource = () => AsyncIterable<Batch>;

async function* streamPlans(source: AsyncIterable<Batch>, taskNames: string[]): AsyncGenerator<StepPlan> {
  for await (const batch of source) {
    const tasks = taskNames.filter((t) => batch.tasks.includes(t)); // reading labels here would make tensors outside the step's scope
    if (tasks.length === 0) throw new Error(`Trainer: a streamed batch has labels for none of the tasks (${taskNames.join(", ")})`);
    yield { parts: [{ tasks, batch }] };
  }
}
import { checkBatchOptions, checkDataset, checkFitOptions, checkTrainData, checkTrainerOptions } from "./check.js";
import { show } from "../validate.js";

/** Any optimiser (SGD, Adam, ...). */
export type Optimizer = OptimizerBase<BaseOptions>;

/** Options of the Trainer: tasks, optimiser, weighting, schedule, seed, clipping, NaN checks. */
export interface TrainerOptions {
  tasks: Task[];
  /** An optimiser over the given parameters (model + weighting's); default Adam(lr 1e-3). */
  optimizer?: (params: Tensor[]) => OptimizerBase<BaseOptions>;
  weighting?: Weighting;
  schedule?: Schedule;
  /** Seed of the trainer's stream (shuffling, sampling, PCGrad's order). */
  seed?: number;
  /** Clip the global gradient norm before each update. */
  clipGradNorm?: number;
  /** Stop with a clear error when a loss or gradient is NaN/Inf, before the update (default true). */
  nanCheck?: boolean;
}

/** Options of Trainer.fit. */
export interface FitOptions {
  epochs: number;
  batchSize?: number;
  validation?: MultiTaskDataset;
  callbacks?: Callback[];
  /** Called after every step with progress figures (for progress bars and UIs); a returned promise is awaited before the next step (pausing). */
  onProgress?: (p: Progress) => void | Promise<void>;
  /** Yield to the event loop at least this often (ms) so UIs stay responsive (default 50). */
  yieldEveryMs?: number;
  /** Drop each pass's last, smaller batch (batch norm cannot train on one example). */
  dropLast?: boolean;
}

/** A progress event of Trainer.fit (after every step, and once per epoch). */
export interface Progress {
  epoch: number; epochs: number; step: number; steps: number;
  /** Running mean loss per task this epoch. */
  losses: Record<string, number>;
  weights: Record<string, number>;
  /** True on the one event after each epoch's last step (and its validation, if any). */
  epochEnd?: boolean;
  /** On that event: the epoch's validation metrics per task, when validation data was given. */
  validation?: TaskMetrics;
  /** On that event: what the weighting method reports for the epoch (EpochLogs.diagnostics). */
  diagnostics?: Record<string, unknown>;
}

export type { TaskMetrics } from "./evaluate.js";
export type { TrainerState, EpochPosition } from "./trainer-state.js";

/** One epoch of a training history: losses, task weights, validation metrics, diagnostics. */
export interface EpochLogs {
  epoch: number;
  /** Mean training loss per task. */
  loss: Record<string, number>;
  /** Effective task weights of the last step. */
  weights: Record<string, number>;
  /** Validation metrics per task (with "loss"), when validation data was given. */
  validation?: TaskMetrics;
  seconds: number;
  /** What the weighting method reports for the epoch (e.g. ConflictMonitor's `conflicts`). */
  diagnostics?: Record<string, unknown>;
}

/** Hooks the trainer calls during fit (early stopping, checkpoints, logging). */
export interface Callback {
  /** Before the first epoch. */
  onTrainBegin?(trainer: Trainer): void;
  /** Before each epoch. */
  onEpochBegin?(epoch: number, trainer: Trainer): void;
  /** Before each step, with the tasks it will train. */
  onBatchBegin?(step: number, tasks: string[], trainer: Trainer): void;
  /** After each step, with the tasks' losses. */
  onBatchEnd?(step: number, losses: Record<string, number>, trainer: Trainer): void;
  /** Return "stop" (or set trainer.stopTraining) to end training after this epoch. */
  onEpochEnd?(logs: EpochLogs, trainer: Trainer): void | "stop" | Promise<void | "stop">;
  /** After the last epoch (or an early stop), with the history. */
  onTrainEnd?(history: EpochLogs[], trainer: Trainer): void | Promise<void>;
}

/**
 * Trains a multi-task model: fit / evaluate / predict, with a weighting plug-in, a schedule,
 * callbacks and progress events; every step runs in a memory scope.
 * @example
 * const trainer = new Trainer(model, { tasks, weighting: new PCGrad() });
 * await trainer.fit(train, { epochs: 10, batchSize: 64, validation: val });
 * trainer.evaluate(test); // { task: { loss, accuracy, ... } }
 */
export class Trainer {
  readonly tasks: Map<string, Task>;
  readonly weighting: Weighting;
  readonly schedule: Schedule;
  readonly optimizer: OptimizerBase<BaseOptions>;
  readonly rng: Rng;
  readonly history: EpochLogs[] = [];
  stopTraining = false;
  /** Epochs completed (the epoch under way while fitting). */
  epoch = 0;
  /** Optimisation steps taken. */
  step = 0;
  /** @internal Where training is inside `epoch` (steps taken, running loss sums), saved with the state for a mid-epoch resume. */
  position = freshPosition(0);
  private readonly nanCheck: boolean;
  private validationBatches: Iterator<Batch> | null = null;
  // the validation batch drawn for the step under way: taken (position.drawn counts it) once
  // the step updates, kept for the next step if this one fails
  private valNext?: Batch | null;

  constructor(readonly model: MultiTaskModel, readonly options: TrainerOptions) {
    checkTrainerOptions(options as never);
    this.tasks = taskMap(options.tasks);
    for (const t of this.tasks.keys()) {
      if (!model.taskNames.includes(t)) throw new Error(`Trainer: task "${t}" has no head in the model (model tasks: ${model.taskNames.join(", ")})`);
    }
    for (const t of model.taskNames) {
      if (!this.tasks.has(t)) throw new Error(`Trainer: the model has a head "${t}" with no task declaration`);
    }
    this.weighting = options.weighting ?? new EqualWeighting();
    this.weighting.checkTasks?.(this.taskNames);
    this.schedule = options.schedule ?? joint();
    this.rng = new Rng(options.seed ?? 0);
    this.nanCheck = options.nanCheck ?? true;
    const params = [...model.parameters(), ...(this.weighting.parameters?.() ?? [])];
    this.optimizer = options.optimizer ? options.optimizer(params) : new Adam(params, { lr: 1e-3 }) as unknown as Optimizer;
    model.namedParameters(); // names every parameter for error messages
    model.checkOwnership();
  }

  get taskNames(): string[] { return [...this.tasks.keys()]; }

  /**
   * Train for `epochs` over `data`: one dataset with several labels, one dataset per
   * task, or a function returning an async iterable of batches (streaming; called once
   * per epoch; each batch trains the tasks it has labels for, jointly).
   * @example
   * const history = await trainer.fit(train, { epochs: 5, batchSize: 128, validation: val });
   */
  async fit(data: TrainData | StreamSource, opts: FitOptions): Promise<EpochLogs[]> {
    // a second fit would interleave its steps with the first's at every await
    if (this.fitting) throw new Error("fit: this trainer is already fitting; await that fit first");
    this.fitting = true;
    try { return await this.run(data, opts); } finally { this.fitting = false; }
  }
  private fitting = false;

  private async run(data: TrainData | StreamSource, opts: FitOptions): Promise<EpochLogs[]> {
    checkFitOptions(opts);
    data = checkTrainData(data, this.tasks);
    const validation = opts.validation && checkDataset("fit: validation", opts.validation, this.tasks, false);
    if (this.weighting.needsValidation && !validation) {
      throw new Error(`Trainer: ${this.weighting.name} needs validation data`);
    }
    const batchSize = opts.batchSize ?? 64;
    const cbs = opts.callbacks ?? [];
    const yieldMs = opts.yieldEveryMs ?? 50;
    this.stopTraining = false;
    for (const cb of cbs) cb.onTrainBegin?.(this);
    const startEpoch = this.epoch;
    const resume = `fit: the state was saved at step ${this.position.step} of epoch ${this.epoch}; resume with the same data and batchSize`;
    if (this.position.step > 0 && this.position.batchSize !== batchSize) throw new Error(`${resume} (${this.position.batchSize}, not ${batchSize})`);
    for (let e = startEpoch; e < startEpoch + opts.epochs && !this.stopTraining; e++) {
      this.epoch = e;
      for (const cb of cbs) cb.onEpochBegin?.(e, this);
      const t0 = Date.now();
      let lastYield = t0;
      // resumed mid-epoch (loadStateDict of a state saved between steps): the epoch's plans
      // are a function of its context (the epoch's stream split from the trainer's), so
      // replaying them and skipping the ones already trained continues it exactly
      if (e !== startEpoch || this.position.step === 0) this.position = freshPosition(batchSize);
      const pos = this.position, { sums, counts } = pos;
      let skip = pos.step;
      let plans: Iterable<StepPlan> | AsyncIterable<StepPlan>;
      let steps = 0;
      if (typeof data === "function") {
        plans = streamPlans(data(), this.taskNames);
      } else {
        const ctx = { data, batchSize, epoch: e, rng: this.rng.split(e + 1), taskNames: this.taskNames, dropLast: opts.dropLast };
        steps = this.schedule.stepsPerEpoch?.(ctx) ?? 0;
        plans = this.schedule.epoch(ctx);
      }
      let s = skip;
      // bilevel methods draw validation batches: a seeded cycle per epoch, so a resumed run draws the same ones
      this.validationBatches = validation && this.weighting.needsValidation ? cycleBatches(validation, batchSize, this.rng.split(0xb11e + e)) : null;
      this.valNext = undefined;
      for (let i = 0; i < pos.drawn; i++) this.validationBatches?.next(); // (batches make no tensors until read)
      this.model.train();
      for await (const plan of plans) {
        if (skip > 0) { skip--; continue; }
        if (cbs.length) {
          const tasks = [...new Set(plan.parts.flatMap((p) => p.tasks))];
          for (const cb of cbs) cb.onBatchBegin?.(this.step, tasks, this);
        }
        const r = this.trainStep(plan.parts);
        for (const [t, v] of Object.entries(r.losses)) { sums[t] = (sums[t] ?? 0) + v; counts[t] = (counts[t] ?? 0) + 1; }
        pos.weights = r.weights;
        pos.step = ++s;
        for (const cb of cbs) cb.onBatchEnd?.(this.step, r.losses, this);
        if (opts.onProgress) {
          const losses: Record<string, number> = {};
          for (const t of Object.keys(sums)) losses[t] = sums[t] / counts[t];
          const wait = opts.onProgress({ epoch: e, epochs: startEpoch + opts.epochs, step: s, steps: Math.max(steps, s), losses, weights: pos.weights });
          if (wait) await wait;
        }
        if (Date.now() - lastYield >= yieldMs) { await new Promise((res) => setTimeout(res, 0)); lastYield = Date.now(); }
      }
      if (skip > 0) throw new Error(`${resume} (this epoch has ${pos.step - skip} steps)`);
      const loss: Record<string, number> = {};
      for (const t of Object.keys(sums)) loss[t] = sums[t] / counts[t];
      const weights = pos.weights;
      this.weighting.onEpochEnd?.(loss);
      const logs: EpochLogs = { epoch: e, loss, weights, seconds: (Date.now() - t0) / 1000 };
      const diagnostics = this.weighting.epochDiagnostics?.();
      if (diagnostics) logs.diagnostics = diagnostics;
      if (validation) logs.validation = this.evaluate(validation, { batchSize });
      await opts.onProgress?.({ epoch: e, epochs: startEpoch + opts.epochs, step: s, steps: Math.max(steps, s), losses: loss, weights, epochEnd: true, validation: logs.validation, diagnostics: logs.diagnostics });
      this.history.push(logs);
      this.position = freshPosition(batchSize);
      this.epoch = e + 1;
      for (const cb of cbs) if ((await cb.onEpochEnd?.(logs, this)) === "stop") this.stopTraining = true;
    }
    for (const cb of cbs) await cb.onTrainEnd?.(this.history, this);
    return this.history;
  }

  /**
   * One optimisation step over the parts of a plan (with a bilevel method's validation
   * batch; fit draws them). Returns loss values and weights. A step
   * that throws (the NaN guard, a bad batch) changes no state: see saveStepState.
   */
  trainStep(parts: { tasks: string[]; batch: Batch }[], validation?: Batch): { losses: Record<string, number>; weights: Record<string, number> } {
    const undo = this.saveStepState();
    let updating = false;
    try {
      return this.runStep(parts, () => { updating = true; }, validation);
    } catch (e) {
      if (!updating) undo();
      throw e;
    }
  }

  // What a step changes before the update, which moves parameters and optimiser state only
  // once every check has passed: batch-norm running statistics (in the forward pass), the
  // modules' random streams (dropout masks) and the weighting plug-in's state (its
  // backward). A copy is kept (Wasm copies into buffers kept for it, the streams' positions,
  // the plug-in's stateDict) and put back when the step fails before the update.
  private saveStepState(): () => void {
    const bufs = this.stepBuffers ??= this.model.namedBuffers().map(([, t]) => [t, zerosLike(t).keep()]);
    for (const [t, copy] of bufs) vcopy(copy, t);
    const mods = this.stepStreams ??= this.model.namedModules().map(([, m]) => m).filter((m) => m.rngState() !== null);
    const rngs = mods.map((m) => m.rngState()!);
    const w = this.weighting.stateDict?.();
    return () => {
      for (const [t, copy] of bufs) vcopy(t, copy);
      mods.forEach((m, i) => m.setRngState(rngs[i]));
      if (w) this.weighting.loadStateDict?.(w);
    };
  }
  private stepBuffers?: [Tensor, Tensor][];
  private stepStreams?: Module[];

  private runStep(parts: { tasks: string[]; batch: Batch }[], updating: () => void, validation?: Batch): { losses: Record<string, number>; weights: Record<string, number> } {
    return scope(() => {
      const { names, losses, reps } = this.forwardLosses(parts);
      if (losses.length === 0) return { losses: {}, weights: {} };
      const values = losses.map((l) => l.item());
      if (this.nanCheck) {
        values.forEach((v, i) => {
          if (!Number.isFinite(v)) {
            throw new Error(`Trainer: loss of task "${names[i]}" is ${v} at epoch ${this.epoch}, step ${this.step}; ` +
              `parameters were not updated (lower the learning rate, clip gradients, or check the labels)`);
          }
        });
      }
      this.optimizer.zeroGrad();
      const { ctx, finish } = this.context(names, losses, reps, parts, validation);
      const w = this.weighting.backward(ctx);
      finish();
      const reg = this.model.regularization();
      if (reg) backward(reg);
      if (this.nanCheck) this.checkGrads();
      if (this.options.clipGradNorm) clipGradNorm(this.optimizer.paramGroups.flatMap((g) => g.params), this.options.clipGradNorm);
      updating();
      if (this.valNext !== undefined) { this.valNext = undefined; this.position.drawn++; }
      this.optimizer.step();
      this.step++;
      const lossOut: Record<string, number> = {}, weights: Record<string, number> = {};
      names.forEach((t, i) => { lossOut[t] = values[i]; weights[t] = w[i]; });
      return { losses: lossOut, weights };
    });
  }

  // Checks what the optimiser is about to apply, by the names given in the constructor
  // (walking the module tree for them every step cost more than the check itself).
  private checkGrads(): void {
    for (const group of this.optimizer.paramGroups) {
      for (const p of group.params) {
        if (p.grad && !p.grad.isDisposed && countNonFinite(p.grad) > 0) {
          throw new Error(`Trainer: gradient of "${p.name ?? p.describe()}" has NaN/Inf at epoch ${this.epoch}, step ${this.step}; parameters were not updated`);
        }
      }
    }
  }

  // Each part's forward and the masked loss of each task it has labels for.
  private forwardLosses(parts: { tasks: string[]; batch: Batch }[]): { names: string[]; losses: Tensor[]; reps: (Tensor | null)[] } {
    const names: string[] = [];
    const losses: Tensor[] = [];
    const reps: (Tensor | null)[] = [];
    for (const part of parts) {
      // a task with no labelled example in this batch sits the step out: its masked loss
      // would be 0 and still move weighting state (uncertainty weights) and the averages
      const tasks = part.tasks.filter((t) => part.batch.labelledCount(t) > 0);
      if (tasks.length === 0) continue;
      const out = this.model.forward(part.batch.x, tasks);
      for (const t of tasks) {
        const task = this.tasks.get(t)!;
        const lbl = part.batch.labels[t], mask = part.batch.masks[t];
        if (!lbl) throw new Error(`Trainer: the batch has no labels for task "${t}"`);
        names.push(t);
        losses.push(taskLoss(task, out.outputs[t], lbl, mask, part.batch.weights?.[t]));
      }
      reps.push(out.representation);
    }
    return { names, losses, reps };
  }

  // What a bilevel method sees beyond the step's losses: forwards of the same batch and of
  // one validation batch per step, with the parameters' values at the time of the call.
  private bilevelInputs(tasks: string[], parts: { tasks: string[]; batch: Batch }[], given?: Batch) {
    let val: Batch | null | undefined = given;
    return {
      lr: this.optimizer.paramGroups[0].lr,
      trainLosses: () => {
        const r = this.forwardLosses(parts);
        return tasks.map((t) => r.losses[r.names.indexOf(t)]);
      },
      validationLosses: () => {
        if (val === undefined) {
          if (this.valNext === undefined) {
            const next = this.validationBatches?.next();
            if (!next) throw new Error(`Trainer: ${this.weighting.name} needs validation data`);
            this.valNext = next.done ? null : next.value;
          }
          val = this.valNext;
        }
        if (!val) return tasks.map(() => null);
        const r = this.forwardLosses([{ tasks, batch: val }]);
        return tasks.map((t) => r.losses[r.names.indexOf(t)] ?? null);
      },
    };
  }

  private context(tasks: string[], losses: Tensor[], reps: (Tensor | null)[], parts: { tasks: string[]; batch: Batch }[], validation?: Batch) {
    return weightingContext({
      bilevel: this.weighting.needsLookahead ? this.bilevelInputs(tasks, parts, validation) : undefined,
      method: this.weighting.name, tasks, losses, representations: reps,
      staticWeights: tasks.map((t) => this.tasks.get(t)!.weight),
      step: this.step, epoch: this.epoch, rng: this.rng.split(0x5eed + this.step),
      sharedParameters: () => this.model.sharedParameters(),
      taskParameters: (t) => this.model.taskParameters(t),
    });
  }

  /** Metrics per task (the task's metrics plus "loss") over a dataset, in eval mode. */
  evaluate(data: MultiTaskDataset, opts: { batchSize?: number } = {}): TaskMetrics {
    data = checkDataset("evaluate", data, this.tasks, false);
    checkBatchOptions("evaluate", opts);
    return evaluateModel(this.model, this.tasks, data, opts.batchSize ?? 256);
  }

  /** Head outputs for inputs `x` (all tasks), in eval mode without the tape, in blocks of `batchSize` rows (default 4096; the block changes no bits). */
  predict(x: Tensor, opts: { batchSize?: number; tasks?: string[] } = {}): Record<string, Tensor> {
    if (!(x instanceof Tensor)) throw new Error(`predict: x must be a Tensor, got ${show(x)} (make one with tensor(values, [rows, features]))`);
    checkBatchOptions("predict", opts, this.taskNames);
    return predictModel(this.model, x, opts.tasks ?? this.taskNames, opts.batchSize ?? 4096);
  }

  /**
   * Resume from stateDict(): the model's values, optimiser and weighting state, counters
   * and the random streams. Everything is validated before anything changes.
   */
  loadStateDict(state: Record<string, unknown>): void { loadTrainerState(this, state); }

  /** Everything needed to resume: model, optimiser, weighting, counters and the streams. */
  stateDict(): Record<string, unknown> { return trainerState(this) as unknown as Record<string, unknown>; }
}
