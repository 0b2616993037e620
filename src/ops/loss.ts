// Loss ops: softmax cross-entropy with int32 labels, binary cross-entropy with logits,
// MSE, L1 and Huber. Each computes weighted per-example losses in one Wasm kernel
// (recorded under the kernel's name; rules in src/autograd/grads/loss.ts), then reduces:
//   "none" the per-example losses, "sum" their sum, "mean" sum(w l) / sum(w)
// over the examples counted, so a mask of 1 (labelled) / 0 (missing) averages over the
// labelled ones only, and an all-missing batch gives 0 with a zero gradient (not NaN).
// Weights and masks are constants (no gradient). Imbalance weights as torch's: per-class
// `classWeight` for cross-entropy (torch's `weight`, with its weighted mean), `posWeight`
// for binary cross-entropy (torch's `pos_weight`); both combine with `weight` and `mask`.
import { K } from "../engine/engine.js";
import { Tensor, type Shape, checkFloat, checkTensor, notTensor } from "../tensor.js";
import { needsGrad, noGrad, record } from "../autograd/tape.js";
import { broadcastShape } from "./broadcast.js";
import { add, affine, div, mul } from "./elementwise.js";
import { sum } from "./reduce.js";
import { reshape } from "./shape.js";
import { full, tensor, zeros } from "./creation.js";
import { logSoftmax } from "./softmax.js";
import { checkOptions } from "../validate.js";

/** How a loss reduces its per-element values: weighted mean, sum, or none. */
export type LossReduction = "mean" | "sum" | "none";

/** Options every loss op takes: reduction, per-example weights or a mask. */
export interface LossOptions {
  /** "mean" (default): sum(w l) / sum(w); "sum"; "none": per-element losses (times w). */
  reduction?: LossReduction;
  /** Per-element weights: the prediction's shape, a leading part of it (per example) or one that broadcasts to it. */
  weight?: Tensor | null;
  /** A 0/1 mask (1 = labelled), shaped as `weight`; elements with 0 are skipped, whatever their target. */
  mask?: Tensor | null;
}

function checkReduction(op: string, r: string): void {
  if (r !== "mean" && r !== "sum" && r !== "none") throw new Error(`${op}: reduction must be "mean", "sum" or "none", got "${r}"`);
}

function reduce(l: Tensor, reduction: LossReduction, total: number): Tensor {
  if (reduction === "none") return l;
  const s = sum(l);
  return reduction === "sum" ? s : div(s, total > 0 ? total : 1);
}

/** The weight or mask of `opts` as a float32 tensor of exactly `shape` (or null for none). */
function weightOf(op: string, opts: LossOptions, shape: Shape, what: string): Tensor | null {
  if (opts.weight && opts.mask) throw new Error(`${op}: give weight or mask, not both`);
  const w = opts.weight ?? opts.mask;
  return w ? fitted(op, opts.weight ? "weight" : "mask", w, shape, what) : null;
}

/**
 * A constant weight (a tensor, numbers, or one number) as a float32 tensor of exactly
 * `shape`: that shape, a leading part of it, or one that broadcasts to it; finite, >= 0.
 */
function fitted(op: string, name: string, w0: Tensor | ArrayLike<number> | number, shape: Shape, what: string, lead0 = true): Tensor {
  const w = w0 instanceof Tensor ? w0 : typeof w0 === "number" ? tensor([w0], [1])
    : w0 && typeof w0 === "object" && typeof w0.length === "number" ? tensor(Array.from(w0), [w0.length]) : null;
  if (!w) throw notTensor(op, name, w0, "a tensor, an array of numbers or a number");
  if (w.dtype !== "float32") throw new Error(`${op}: ${name} ${w.describe()} must be float32`);
  if (name !== "mask") {
    const v = w.data();
    for (let i = 0; i < v.length; i++) {
      if (!(v[i] >= 0 && v[i] < Infinity)) throw new Error(`${op}: ${name} ${w.describe()} holds ${v[i]} at ${i}; weights must be finite and >= 0`);
    }
  }
  if (w.rank === shape.length && w.shape.every((d, i) => d === shape[i])) return w;
  const bad = () => new Error(`${op}: ${name} ${w.describe()} does not fit ${what} [${shape.join(", ")}] ` +
    `(expected that shape, ${lead0 ? "a leading part of it, " : ""}or one that broadcasts to it)`);
  // a per-example weight [N] over [N, D]: the leading axes, broadcast over the rest
  const lead = lead0 && w.rank < shape.length && w.shape.every((d, i) => d === shape[i]);
  return noGrad(() => {
    const m = lead ? reshape(w, [...w.shape, ...shape.slice(w.rank).map(() => 1)]) : w;
    let b: number[];
    try { b = broadcastShape(m.shape, shape, op); } catch { throw bad(); }
    if (b.length !== shape.length || b.some((d, i) => d !== shape[i])) throw bad();
    return add(zeros(shape), m);
  });
}

const LOSS_KEYS = ["reduction", "weight", "mask"];

/** Options of crossEntropy. */
export interface CrossEntropyOptions extends LossOptions {
  /** Mix the one-hot target with the uniform distribution: (1 - s) onehot + s / classes. */
  labelSmoothing?: number;
  /** Rows with this label are skipped (not counted in the mean). Default -100, as torch. */
  ignoreIndex?: number;
  /**
   * Per-class weights [classes] (torch's `weight`): row i's loss is multiplied by
   * classWeight[label i] (and by its own weight), and "mean" divides by the sum of those
   * row weights, as torch. With label smoothing, the smoothing term weights each class by
   * its own weight, as torch.
   */
  classWeight?: Tensor | ArrayLike<number>;
}

/**
 * Softmax cross-entropy of logits [N, C] against int32 class labels [N], fused in one
 * kernel (stable: log-sum-exp with the row max). `weight` / `mask` are per example [N]
 * (torch's per-class weight is `classWeight`); they and `ignoreIndex` exclude unlabelled
 * rows, and "mean" is the weighted mean over the rest.
 * @example crossEntropy(logits, labels, { ignoreIndex: -1 }) // -1 marks a missing label
 * @example crossEntropy(logits, labels, { classWeight: [1, 4] }) // the rare class 1 counts 4 times
 */
export function crossEntropy(logits: Tensor, labels: Tensor | ArrayLike<number>, opts: CrossEntropyOptions = {}): Tensor {
  const op = "crossEntropy";
  checkOptions(op, opts, [...LOSS_KEYS, "labelSmoothing", "ignoreIndex", "classWeight"]);
  const reduction = opts.reduction ?? "mean";
  checkReduction(op, reduction);
  checkTensor(op, "logits", logits);
  if (!Array.isArray(labels) && !ArrayBuffer.isView(labels)) checkTensor(op, "labels", labels);
  if (logits.dtype !== "float32" || logits.rank !== 2) throw new Error(`${op}: logits ${logits.describe()} must be float32 [batch, classes]`);
  const [n, c] = logits.shape;
  const lab = labels instanceof Tensor ? labels : tensor(Array.from(labels), [labels.length], "int32");
  if (lab.dtype !== "int32") throw new Error(`${op}: labels ${lab.describe()} must be int32 class indices`);
  if (lab.rank !== 1 || lab.shape[0] !== n) {
    throw new Error(`${op}: labels ${lab.describe()} do not match logits ${logits.describe()}: expected labels [${n}]`);
  }
  const eps = opts.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps <= 1)) throw new Error(`${op}: labelSmoothing must be in [0, 1], got ${eps}`);
  const ignore = opts.ignoreIndex ?? -100;
  if (!Number.isInteger(ignore)) throw new Error(`${op}: ignoreIndex must be an integer, got ${ignore}`);
  const w = weightOf(op, opts, [n], "labels");
  const ys = lab.data(), ew = w?.data();
  // the weight each row counts with (0: skipped, whatever its label)
  const rowWeight = (i: number) => (ys[i] === ignore ? 0 : ew ? ew[i] : 1);
  for (let i = 0; i < n; i++) {
    if (rowWeight(i) !== 0 && !(ys[i] >= 0 && ys[i] < c)) {
      throw new Error(`${op}: label ${ys[i]} at position ${i} is out of range [0, ${c}) for logits ${logits.describe()} ` +
        `(use ignoreIndex, default -100, or a 0 in mask for a missing label)`);
    }
  }
  if (opts.classWeight == null) { const [l, total] = ceRows(logits, lab, w, eps, ignore); return reduce(l, reduction, total); }
  // torch's weighted cross-entropy: row i counts classWeight[y_i] (times its own weight)
  const cw = fitted(op, "classWeight", opts.classWeight, [c], "classes", false).data();
  const rw = Float32Array.from(ys, (y, i) => (rowWeight(i) === 0 ? 0 : rowWeight(i) * cw[y]));
  const [nll, total] = ceRows(logits, lab, tensor(rw, [n]), 0, ignore);
  if (eps === 0) return reduce(nll, reduction, total);
  // and its smoothing term weights every class by its own weight: sum_c cw[c] * -log p_c
  const m = new Float32Array(n * c);
  for (let i = 0; i < n; i++) for (let j = 0; j < c; j++) m[i * c + j] = -rowWeight(i) * cw[j];
  const smooth = sum(mul(logSoftmax(logits, 1), tensor(m, [n, c])), 1);
  return reduce(add(affine(nll, 1 - eps, 0), affine(smooth, eps / c, 0)), reduction, total);
}

/** Per-row (weighted) cross-entropy through the fused kernel, and the weight it counted. */
function ceRows(logits: Tensor, lab: Tensor, w: Tensor | null, eps: number, ignore: number): [Tensor, number] {
  const [n, c] = logits.shape;
  const loss = new Tensor([n]), lse = new Tensor([n]);
  const total = K().cross_entropy(loss.ptr, lse.ptr, logits.ptr, lab.ptr, w?.ptr ?? 0, n, c, eps, ignore);
  if (needsGrad(logits)) record(loss, "cross_entropy", [logits], { labels: lab, w, lse, eps, ignore });
  return [loss, total];
}

type LossKernel = "binary_cross_entropy_with_logits" | "mse_loss" | "l1_loss" | "huber_loss";

function elementLoss(op: string, kernel: LossKernel, pred: Tensor, target: Tensor, opts: BceOptions & HuberOptions, p: number): Tensor {
  const bce = kernel === "binary_cross_entropy_with_logits";
  checkOptions(op, opts, bce ? [...LOSS_KEYS, "posWeight"] : kernel === "huber_loss" ? [...LOSS_KEYS, "delta"] : LOSS_KEYS);
  const reduction = opts.reduction ?? "mean";
  checkReduction(op, reduction);
  const name = bce ? "logits" : "pred";
  checkFloat(op, name, pred); checkFloat(op, "target", target);
  if (target.rank !== pred.rank || target.shape.some((d, i) => d !== pred.shape[i])) {
    throw new Error(`${op}: target ${target.describe()} does not match ${name} ${pred.describe()}`);
  }
  const w = weightOf(op, opts, pred.shape, name);
  let [loss, total] = elementRows(kernel, pred, target, w, p);
  if (opts.posWeight != null) {
    // torch's pos_weight: bce(x, t) + (posWeight - 1) t softplus(-x), and softplus(-x) = bce(x, 1)
    const pw = fitted(op, "posWeight", opts.posWeight, pred.shape, name, false).data(), ones = full(pred.shape, 1);
    if (target.requiresGrad) { // (posWeight - 1) t on the tape, for the target's gradient
      loss = add(loss, mul(elementRows(kernel, pred, ones, w, 0)[0], mul(target, tensor(pw.map((v) => v - 1), pred.shape))));
    } else { // a constant weight, so a skipped element's target may hold anything (NaN too)
      const t = target.data(), wv = w?.data();
      const v = Float32Array.from(t, (ti, i) => (wv?.[i] === 0 ? 0 : (wv ? wv[i] : 1) * (pw[i] - 1) * ti));
      loss = add(loss, elementRows(kernel, pred, ones, tensor(v, pred.shape), 0)[0]);
    }
  }
  return reduce(loss, reduction, total);
}

/** Per-element (weighted) losses through the fused kernel, and the weight it counted. */
function elementRows(kernel: LossKernel, pred: Tensor, target: Tensor, w: Tensor | null, p: number): [Tensor, number] {
  const loss = new Tensor(pred.shape);
  const total = K()[kernel](loss.ptr, pred.ptr, target.ptr, w?.ptr ?? 0, pred.size, p);
  if (needsGrad(pred, target)) record(loss, kernel, [pred, target], { w, p });
  return [loss, total];
}

/** Options of binaryCrossEntropyWithLogits. */
export interface BceOptions extends LossOptions {
  /**
   * Weight of the positive term (torch's `pos_weight`): a number, one per label (the last
   * axis, e.g. [labels] for logits [N, labels]) or any shape that broadcasts to the logits.
   * Above 1 it counts the positives more (recall), below 1 less (precision).
   */
  posWeight?: Tensor | ArrayLike<number> | number;
}

/**
 * Binary cross-entropy on logits, stable form max(x,0) - x t + log1p(exp(-|x|)).
 * @example binaryCrossEntropyWithLogits(logits, targets, { mask }) // multi-label, some missing
 * @example binaryCrossEntropyWithLogits(logits, targets, { posWeight: 9 }) // 1 positive in 10
 */
export function binaryCrossEntropyWithLogits(logits: Tensor, target: Tensor, opts: BceOptions = {}): Tensor {
  return elementLoss("binaryCrossEntropyWithLogits", "binary_cross_entropy_with_logits", logits, target, opts, 0);
}

/** Squared error (pred - target)^2. @example mseLoss(pred, y, { mask }) */
export function mseLoss(pred: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  return elementLoss("mseLoss", "mse_loss", pred, target, opts, 0);
}

/** Absolute error |pred - target| (gradient 0 where they are equal). */
export function l1Loss(pred: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  return elementLoss("l1Loss", "l1_loss", pred, target, opts, 0);
}

/** Options of huberLoss. */
export interface HuberOptions extends LossOptions { /** Where the loss turns from quadratic to linear (default 1). */ delta?: number }

/** Huber loss: 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta), d = pred - target. */
export function huberLoss(pred: Tensor, target: Tensor, opts: HuberOptions = {}): Tensor {
  const delta = opts.delta ?? 1;
  if (!(delta > 0)) throw new Error(`huberLoss: delta must be > 0, got ${delta}`);
  return elementLoss("huberLoss", "huber_loss", pred, target, opts, delta);
}
