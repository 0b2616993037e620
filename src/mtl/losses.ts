// Task losses over the fused loss kernels (src/ops/loss.ts). With a label mask the loss
// is the masked mean sum(mask * l) / sum(mask): unlabelled examples add nothing to the
// loss or its gradient (partially labelled data), and a batch with no labels gives 0.
import type { Tensor } from "../tensor.js";
import { full } from "../ops/creation.js";
import { reshape } from "../ops/shape.js";
import { binaryCrossEntropyWithLogits, crossEntropy, huberLoss, l1Loss, mseLoss, type LossOptions } from "../ops/loss.js";
import type { Task } from "./tasks.js";

/** Labels shaped like the predictions (a [n] label vector for a [n, 1] head). */
function matched(task: Task, pred: Tensor, labels: Tensor): Tensor {
  if (labels.dtype !== "float32") throw new Error(`task "${task.name}": labels ${labels.describe()} must be float32 for a ${task.loss} loss`);
  if (labels.size !== pred.size || labels.shape[0] !== pred.shape[0]) {
    throw new Error(`task "${task.name}": labels ${labels.describe()} do not match predictions ${pred.describe()}`);
  }
  return labels.rank === pred.rank ? labels : reshape(labels, pred.shape);
}

/** The loss of one task on a batch: a scalar, masked mean over labelled examples. */
export function taskLoss(task: Task, pred: Tensor, labels: Tensor, mask?: Tensor | null): Tensor {
  if (typeof task.loss === "function") return task.loss(pred, labels, mask ?? full([pred.shape[0]], 1));
  const opts: LossOptions = { mask: mask ?? null };
  switch (task.loss) {
    case "cross_entropy": return crossEntropy(pred, labels, { ...opts, labelSmoothing: task.labelSmoothing });
    case "bce": return binaryCrossEntropyWithLogits(pred, matched(task, pred, labels), opts);
    case "mse": return mseLoss(pred, matched(task, pred, labels), opts);
    case "mae": return l1Loss(pred, matched(task, pred, labels), opts);
    case "huber": return huberLoss(pred, matched(task, pred, labels), { ...opts, delta: task.delta });
    default: throw new Error(`task "${task.name}": unknown loss "${String(task.loss)}"`);
  }
}
