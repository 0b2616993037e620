// Task declarations: a name, a kind, a loss (built-in by name, or a function), metrics,
// an optional static weight, and the output width its head must produce. The trainer
// reads only this; a label mask keeps unlabelled examples out of loss and metrics.
import type { Tensor } from "../tensor.js";
import { checkOptions, show } from "../validate.js";

/** What a task predicts; sets its default loss and metrics. */
export type TaskKind = "classification" | "binary" | "multilabel" | "regression" | "reconstruction";
/** Built-in losses by the name of their op's kernel (src/ops/loss.ts: crossEntropy, binaryCrossEntropyWithLogits, ...). */
export const BUILTIN_LOSSES = ["cross_entropy", "binary_cross_entropy_with_logits", "mse_loss", "l1_loss", "huber_loss"] as const satisfies readonly BuiltinLoss[];
/** A built-in loss by its kernel's name. */
export type BuiltinLoss = "cross_entropy" | "binary_cross_entropy_with_logits" | "mse_loss" | "l1_loss" | "huber_loss";

/**
 * A user loss: prediction, labels, mask (float32 [batch], 1 = labelled) and the examples'
 * weights (float32 [batch]: the dataset's per-example weights for the task, 1 where it
 * gives none) -> scalar.
 * @example const loss: LossFn = (pred, y, mask, weight) => mseLoss(pred, y, { weight: mul(mask, weight) });
 */
export type LossFn = (pred: Tensor, labels: Tensor, mask: Tensor, weight: Tensor) => Tensor;

/** What task(name, spec) takes. */
export interface TaskSpec {
  /** What the task predicts; sets the default loss and metrics. */
  kind: TaskKind;
  /** Output width of the head: classes for classification, targets for regression, labels for multi-label. */
  outputs: number;
  loss?: BuiltinLoss | LossFn;
  /** Metric names (see metrics.ts); the first is the task's headline metric. */
  metrics?: string[];
  /** Static loss weight used by the static weighting (default 1). */
  weight?: number;
  /** Huber's delta, when loss is "huber_loss". */
  delta?: number;
  /** Label smoothing for cross-entropy. */
  labelSmoothing?: number;
  /** Per-class weights for cross-entropy, one per output (torch's `weight`: a weighted mean over the rows' classes). */
  classWeight?: ArrayLike<number>;
  /** Weight of the positives for binary cross-entropy (torch's `pos_weight`): one number, or one per output. */
  posWeight?: number | ArrayLike<number>;
}

/** A declared task, with its defaults filled in (task() returns it). */
export interface Task extends Required<Pick<TaskSpec, "kind" | "outputs" | "weight">> {
  name: string;
  loss: BuiltinLoss | LossFn;
  metrics: string[];
  delta: number;
  labelSmoothing: number;
  classWeight?: Float32Array;
  posWeight?: Float32Array;
}

const DEFAULTS: Record<TaskKind, { loss: BuiltinLoss; metrics: string[] }> = {
  classification: { loss: "cross_entropy", metrics: ["accuracy"] },
  binary: { loss: "binary_cross_entropy_with_logits", metrics: ["accuracy", "auc"] },
  multilabel: { loss: "binary_cross_entropy_with_logits", metrics: ["f1"] },
  regression: { loss: "mse_loss", metrics: ["mse", "r2"] },
  reconstruction: { loss: "mse_loss", metrics: ["mse"] },
};

/**
 * Declare a task.
 * @example
 * const digit = task("digit", { kind: "classification", outputs: 10 });
 * const parity = task("parity", { kind: "binary", outputs: 1, weight: 0.5 });
 */
export function task(name: string, spec: TaskSpec): Task {
  if (!name || typeof name !== "string") throw new Error(`task: name must be a non-empty string, got ${show(name)}`);
  // names become parameter-path segments ("towers.<name>."): a dot would make one task's
  // prefix match another's parameters
  if (name.includes(".")) throw new Error(`task: name "${name}" must not contain "." (it is used in parameter names)`);
  const who = `task "${name}"`;
  if (!spec) throw new Error(`${who}: expected { kind, outputs, ... }, got ${show(spec)}`);
  checkOptions(who, spec, ["kind", "outputs", "loss", "metrics", "weight", "delta", "labelSmoothing", "classWeight", "posWeight"]);
  const d = Object.hasOwn(DEFAULTS, spec.kind) ? DEFAULTS[spec.kind] : undefined;
  if (!d) throw new Error(`${who}: kind must be one of ${Object.keys(DEFAULTS).join(", ")}, got ${show(spec.kind)}`);
  if (!(typeof spec.outputs === "number" && Number.isInteger(spec.outputs) && spec.outputs > 0)) throw new Error(`${who}: outputs must be a positive integer, got ${show(spec.outputs)}`);
  if (spec.kind === "binary" && spec.outputs !== 1) throw new Error(`task "${name}": a binary task has outputs: 1, got ${spec.outputs}`);
  const loss = spec.loss ?? d.loss;
  if (typeof loss !== "function" && !(BUILTIN_LOSSES as readonly string[]).includes(loss)) {
    throw new Error(`${who}: unknown loss ${typeof loss === "string" ? `"${loss}"` : show(loss)} (${BUILTIN_LOSSES.join(", ")}, or a function)`);
  }

  const weight = spec.weight ?? 1;
  if (!(typeof weight === "number" && weight >= 0 && Number.isFinite(weight))) throw new Error(`${who}: weight must be a finite number >= 0, got ${show(weight)}`);
  return {
    name, kind: spec.kind, outputs: spec.outputs, loss, metrics: spec.metrics ?? d.metrics, weight,
    delta: spec.delta ?? 1, labelSmoothing: spec.labelSmoothing ?? 0,
    classWeight: lossWeights(who, "classWeight", spec.classWeight, loss, "cross_entropy", spec.outputs),
    posWeight: lossWeights(who, "posWeight", spec.posWeight, loss, "binary_cross_entropy_with_logits", spec.outputs),
  };
}

/** A loss's weight option: only for `forLoss`, one finite number >= 0 per output (posWeight: or one for all). */
function lossWeights(who: string, name: string, v: unknown, loss: BuiltinLoss | LossFn, forLoss: BuiltinLoss, n: number): Float32Array | undefined {
  if (v === undefined) return undefined;
  if (loss !== forLoss) throw new Error(`${who}: ${name} is for the "${forLoss}" loss`);
  const w = Float32Array.from(typeof v === "number" ? [v] : typeof v === "object" && v ? v as ArrayLike<number> : []);
  if (!(w.length === n || (w.length === 1 && name === "posWeight")) || !w.every((x) => x >= 0 && x < Infinity)) {
    throw new Error(`${who}: ${name} must be ${name === "posWeight" && n > 1 ? `1 or ${n}` : n} finite numbers >= 0 (one per output), got ${show(v)}`);
  }
  return w;
}

/** Check that a list of tasks has unique names; returns them by name. */
export function taskMap(tasks: Task[]): Map<string, Task> {
  const m = new Map<string, Task>();
  for (const t of tasks) {
    if (m.has(t.name)) throw new Error(`tasks: the name "${t.name}" is used twice`);
    m.set(t.name, t);
  }
  if (m.size === 0) throw new Error("tasks: at least one task is needed");
  return m;
}
