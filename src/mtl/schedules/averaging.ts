// Parameter averaging: train a copy of the model per task (each on its own task) and
// average their parameters every round; with weights by data size this is federated
// averaging (McMahan et al., "Communication-Efficient Learning of Deep Networks from
// Decentralized Data", AISTATS 2017), each task standing for a client.
import { scope } from "../../engine/scope.js";
import { Tensor } from "../../tensor.js";
import { vaxpy, vcopy, vfill } from "../../ops/vector.js";
import type { Module } from "../../nn/module.js";
import type { MultiTaskModel } from "../architectures/base.js";
import { Trainer, type TrainerOptions, type EpochLogs } from "../trainer.js";
import { curriculum } from "./curriculum.js";
import { isPerTask, type TrainData } from "./base.js";

/**
 * Write the weighted mean of the models' parameters (those whose names pass `filter`)
 * into every model. All models must have the same parameter names and shapes.
 */
export function averageParameters(models: Module[], weights?: number[], filter: (name: string) => boolean = () => true): void {
  if (models.length === 0) throw new Error("averageParameters: no models");
  const w = weights ?? models.map(() => 1);
  if (w.length !== models.length || w.some((v) => !(v >= 0))) throw new Error(`averageParameters: need ${models.length} non-negative weights, got [${w.join(", ")}]`);
  const total = w.reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new Error("averageParameters: weights sum to 0");
  const lists = models.map((m) => m.namedParameters());
  lists.forEach((l, i) => {
    if (l.length !== lists[0].length || l.some(([n, t], j) => n !== lists[0][j][0] || t.size !== lists[0][j][1].size)) {
      throw new Error(`averageParameters: model ${i} does not have the same parameters as model 0`);
    }
  });
  scope(() => lists[0].forEach(([name, first], j) => {
    if (!filter(name)) return;
    // acc = sum_i (w_i / total) p_i in a fixed order (axpy in Wasm), then copied into every model
    const acc = new Tensor(first.shape);
    vfill(acc, 0);
    lists.forEach((l, i) => vaxpy(acc, l[j][1], w[i] / total));
    for (const l of lists) vcopy(l[j][1], acc);
  }));
}

/** Options of trainWithAveraging: the replicas, rounds and local training. */
export interface AveragingOptions {
  /** Builds a fresh model of the same architecture (the replicas). */
  create: () => MultiTaskModel;
  /** Averaging rounds. */
  rounds: number;
  /** Epochs each replica trains between averages (default 1). */
  localEpochs?: number;
  /** Average only the shared parameters (default), or all of them. */
  share?: "shared" | "all";
  /** Weight replicas equally or by their task's labelled examples (FedAvg; default "size"). */
  weighting?: "uniform" | "size";
  /** Batch size of the local training (default 64). */
  batchSize?: number;
  /** Called after each averaging round with each replica's history. */
  onRound?: (round: number, logs: Record<string, EpochLogs[]>) => void;
}

/**
 * Train per-task copies of `model` and average them each round; the result is written
 * into `model` (the shared parameters, or all parameters, as averaged; each task's own
 * parameters from the copy that trained it).
 */
export async function trainWithAveraging(model: MultiTaskModel, trainerOptions: Omit<TrainerOptions, "schedule">, data: TrainData, opts: AveragingOptions): Promise<void> {
  const tasks = model.taskNames;
  const replicas = tasks.map(() => opts.create());
  const state = model.stateDict();
  for (const r of replicas) r.loadStateDict(state);
  const trainers = replicas.map((r, i) => new Trainer(r, { ...trainerOptions, seed: (trainerOptions.seed ?? 0) + i, schedule: curriculum({ 0: [tasks[i]] }) }));
  const sizes = tasks.map((t) => (isPerTask(data) ? data[t].size : data.labelledCount(t)));
  const w = (opts.weighting ?? "size") === "size" ? sizes : tasks.map(() => 1);
  const sharedNames = new Set(model.namedParameters().filter(([, p]) => model.sharedParameters().includes(p)).map(([n]) => n));
  const filter = (opts.share ?? "shared") === "all" ? () => true : (n: string) => sharedNames.has(n);
  for (let round = 0; round < opts.rounds; round++) {
    const logs: Record<string, EpochLogs[]> = {};
    for (let i = 0; i < tasks.length; i++) {
      const d = isPerTask(data) ? { [tasks[i]]: data[tasks[i]] } : data;
      logs[tasks[i]] = await trainers[i].fit(d, { epochs: opts.localEpochs ?? 1, batchSize: opts.batchSize });
    }
    averageParameters(replicas, w, filter);
    opts.onRound?.(round, logs);
  }
  // the averaged shared part is in every replica; each task's own part from its replica
  const out = model.stateDict();
  const own = (n: string, i: number) => model.taskPrefixes(tasks[i]).some((p) => n.startsWith(p));
  for (const [name, t] of Object.entries(out)) {
    const i = tasks.findIndex((_, k) => own(name, k));
    t.write(replicas[Math.max(i, 0)].stateDict()[name].data());
  }
}
