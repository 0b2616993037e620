// Masked task losses. Each built-in loss gives a per-example value l_i; the task loss is
// the masked mean sum(mask_i * l_i) / max(sum(mask_i), 1), so unlabelled examples add
// nothing to the loss or its gradient (partially labelled data).
import { Tensor } from "../tensor.js";
import { K } from "../engine/engine.js";
import { abs, affine, add, minimum, mul, neg, relu, softplus, square, sub } from "../ops/elementwise.js";
import { max, mean, sum } from "../ops/reduce.js";
import { reshape, take } from "../ops/shape.js";
import { full, tensor } from "../ops/creation.js";
import { log, exp } from "../ops/elementwise.js";
import type { Task } from "./tasks.js";

/** Per-example cross-entropy from logits [n, c] and int32 labels [n] (masked rows may hold any label). */
export function crossEntropyPerExample(logits: Tensor, labels: Tensor, labelSmoothing = 0): Tensor {
  const [n, c] = logits.shape;
  if (labels.dtype !== "int32" || labels.rank !== 1 || labels.shape[0] !== n) {
    throw new Error(`cross_entropy: labels ${labels.describe()} must be int32 [${n}] for logits ${logits.describe()}`);
  }
  const raw = labels.data();
  const safe = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const y = raw[i];
    if (y >= c) throw new Error(`cross_entropy: label ${y} at row ${i} is out of range for ${c} classes`);
    safe[i] = y < 0 ? 0 : y;
  }
  const m = max(logits, 1, true);
  const lse = add(log(sum(exp(sub(logits, m)), 1, true)), m);       // [n, 1]
  const logp = sub(logits, lse);                                     // [n, c]
  const onehot = take(eye(c), tensor(safe, [n], "int32"));           // [n, c]
  const target = labelSmoothing > 0 ? affine(onehot, 1 - labelSmoothing, labelSmoothing / c) : onehot;
  return neg(sum(mul(logp, target), 1));
}

function eye(c: number): Tensor {
  const t = full([c, c], 0);
  const v = new Float32Array(K().memory.buffer, t.ptr, c * c);
  for (let i = 0; i < c; i++) v[i * c + i] = 1;
  return t;
}

/** Per-example binary cross-entropy with logits, stable: max(x,0) - x t + log(1 + e^-|x|). */
export function bceWithLogitsPerElement(logits: Tensor, targets: Tensor): Tensor {
  return add(sub(relu(logits), mul(logits, targets)), softplus(neg(abs(logits))));
}

function asRows(pred: Tensor, labels: Tensor, what: string): [Tensor, Tensor] {
  const n = pred.shape[0];
  const p = pred.rank === 1 ? reshape(pred, [n, 1]) : reshape(pred, [n, -1]);
  if (labels.dtype !== "float32") throw new Error(`${what}: labels ${labels.describe()} must be float32`);
  const y = reshape(labels, [labels.shape[0], -1]);
  if (y.shape[0] !== n || y.shape[1] !== p.shape[1]) {
    throw new Error(`${what}: labels ${labels.describe()} do not match predictions ${pred.describe()}`);
  }
  return [p, y];
}

/** The per-example loss of a task (shape [n]). */
export function perExampleLoss(task: Task, pred: Tensor, labels: Tensor): Tensor {
  const what = `task "${task.name}" (${typeof task.loss === "string" ? task.loss : "custom"} loss)`;
  switch (task.loss) {
    case "cross_entropy": return crossEntropyPerExample(pred, labels, task.labelSmoothing);
    case "bce": { const [p, y] = asRows(pred, labels, what); return mean(bceWithLogitsPerElement(p, y), 1); }
    case "mse": { const [p, y] = asRows(pred, labels, what); return mean(square(sub(p, y)), 1); }
    case "mae": { const [p, y] = asRows(pred, labels, what); return mean(abs(sub(p, y)), 1); }
    case "huber": {
      const [p, y] = asRows(pred, labels, what);
      const a = abs(sub(p, y));
      const q = minimum(a, task.delta);
      return mean(add(affine(square(q), 0.5), affine(sub(a, q), task.delta)), 1);
    }
    default: throw new Error(`${what}: not a built-in loss`);
  }
}

/** The scalar, masked loss of one task on a batch. */
export function taskLoss(task: Task, pred: Tensor, labels: Tensor, mask?: Tensor | null): Tensor {
  if (typeof task.loss === "function") {
    return task.loss(pred, labels, mask ?? full([pred.shape[0]], 1));
  }
  const l = perExampleLoss(task, pred, labels);
  if (!mask) return mean(l);
  if (mask.size !== l.size) throw new Error(`task "${task.name}": mask ${mask.describe()} does not match ${l.size} examples`);
  const count = sum(mask).item();
  return affine(sum(mul(l, mask)), 1 / Math.max(count, 1));
}

