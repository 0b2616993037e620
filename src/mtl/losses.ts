// Task losses over the fused loss kernels (src/ops/loss.ts). With a label mask the loss
// is the masked mean sum(mask * l) / sum(mask): unlabelled examples add nothing to the
// loss or its gradient (partially labelled data), and a batch with no labels gives 0.
// Per-example weights w make it sum(mask w l) / sum(mask w); the task's class and
// positive weights go to the loss as torch's weight / pos_weight.
import type { Tensor } from "../tensor.js";
import { full, tensor } from "../ops/creation.js";
import { mul } from "../ops/elementwise.js";
import { reshape } from "../ops/shape.js";
import { binaryCrossEntropyWithLogits, crossEntropy, huberLoss, l1Loss, mseLoss, type LossOptions } from "../ops/loss.js";
import type { Task } from "./tasks.js";

/**
 * Labels in the dtype the loss needs: class indices as int32 for cross-entropy, values as
 * float32 otherwise (data from plain arrays may arrive either way; integer-valued floats
 * are fine as class indices, anything else is an error naming the task).
 */
function asDtype(task: Task, labels: Tensor, dtype: "int32" | "float32"): Tensor {
  if (labels.dtype === dtype) return labels;
  const v = labels.data();
  if (dtype === "int32") {
    for (let i = 0; i < v.length; i++) {
      if (!Number.isInteger(v[i])) throw new Error(`task "${task.name}": label ${v[i]} at ${i} is not a class index`);
    }
  }
  return tensor(v, labels.shape, dtype);
}

/** Labels shaped like the predictions (a [n] label vector for a [n, 1] head). */
function matched(task: Task, pred: Tensor, labels0: Tensor): Tensor {
  const labels = asDtype(task, labels0, "float32");
  if (labels.size !== pred.size || labels.shape[0] !== pred.shape[0]) {
    throw new Error(`task "${task.name}": labels ${labels.describe()} do not match predictions ${pred.describe()}`);
  }
  return labels.rank === pred.rank ? labels : reshape(labels, pred.shape);
}

/**
 * The loss of one task on a batch: a scalar, the (weighted) mean over labelled examples.
 * `weight`: per-example weights [batch] (the dataset's, for tasks that have them).
 */
export function taskLoss(task: Task, pred: Tensor, labels: Tensor, mask?: Tensor | null, weight?: Tensor | null): Tensor {
  const n = pred.shape[0];
  if (typeof task.loss === "function") return task.loss(pred, labels, mask ?? full([n], 1), weight ?? full([n], 1));
  // a masked-out row has weight 0 whatever its own weight: the product is the row's weight
  const opts: LossOptions = weight ? { weight: mask ? mul(mask, weight) : weight } : { mask: mask ?? null };
  switch (task.loss) {
    case "cross_entropy": return crossEntropy(pred, asDtype(task, labels, "int32"), { ...opts, labelSmoothing: task.labelSmoothing, classWeight: task.classWeight });
    case "binary_cross_entropy_with_logits": return binaryCrossEntropyWithLogits(pred, matched(task, pred, labels), { ...opts, posWeight: task.posWeight });
    case "mse_loss": return mseLoss(pred, matched(task, pred, labels), opts);
    case "l1_loss": return l1Loss(pred, matched(task, pred, labels), opts);
    case "huber_loss": return huberLoss(pred, matched(task, pred, labels), { ...opts, delta: task.delta });
    default: throw new Error(`task "${task.name}": unknown loss "${String(task.loss)}"`);
  }
}

/**
 * The denominator of a task's batch mean: sum(mask w), times each row's class weight for
 * weighted cross-entropy. Averaging batches by it gives the mean over the whole data set.
 */
export function taskLossTotal(task: Task, labels: Tensor, mask: Tensor, weight?: Tensor | null): number {
  const m = mask.data(), w = weight?.data(), cw = task.loss === "cross_entropy" ? task.classWeight : undefined;
  const y = cw ? labels.data() : null;
  let s = 0;
  for (let i = 0; i < m.length; i++) if (m[i]) s += (w ? w[i] : 1) * (cw ? cw[y![i]] : 1);
  return s;
}
