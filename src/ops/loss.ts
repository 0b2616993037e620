// Loss ops: softmax cross-entropy with int32 labels, binary cross-entropy with logits,
// MSE, L1 and Huber. Each computes weighted per-example losses in one Wasm kernel
// (recorded under the kernel's name; rules in src/autograd/grads/loss.ts), then reduces:
//   "none" the per-example losses, "sum" their sum, "mean" sum(w l) / sum(w)
// over the examples counted, so a mask of 1 (labelled) / 0 (missing) averages over the
// labelled ones only, and an all-missing batch gives 0 with a zero gradient (not NaN).
// Weights and masks are constants (no gradient).
import { F32, I32, K } from "../engine/engine.js";
import { Tensor, type Shape } from "../tensor.js";
import { needsGrad, noGrad, record } from "../autograd/tape.js";
import { broadcastShape } from "./broadcast.js";
import { add, div } from "./elementwise.js";
import { sum } from "./reduce.js";
import { reshape } from "./shape.js";
import { tensor, zeros } from "./creation.js";

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
  if (!w) return null;
  const name = opts.weight ? "weight" : "mask";
  if (w.dtype !== "float32") throw new Error(`${op}: ${name} ${w.describe()} must be float32`);
  if (w.rank === shape.length && w.shape.every((d, i) => d === shape[i])) return w;
  const bad = () => new Error(`${op}: ${name} ${w.describe()} does not fit ${what} [${shape.join(", ")}] ` +
    "(expected that shape, a leading part of it, or one that broadcasts to it)");
  // a per-example weight [N] over [N, D]: the leading axes, broadcast over the rest
  const lead = w.rank < shape.length && w.shape.every((d, i) => d === shape[i]);
  return noGrad(() => {
    const m = lead ? reshape(w, [...w.shape, ...shape.slice(w.rank).map(() => 1)]) : w;
    let b: number[];
    try { b = broadcastShape(m.shape, shape, op); } catch { throw bad(); }
    if (b.length !== shape.length || b.some((d, i) => d !== shape[i])) throw bad();
    return add(zeros(shape), m);
  });
}

/** Options of crossEntropy. */
export interface CrossEntropyOptions extends LossOptions {
  /** Mix the one-hot target with the uniform distribution: (1 - s) onehot + s / classes. */
  labelSmoothing?: number;
  /** Rows with this label are skipped (not counted in the mean). Default -100, as torch. */
  ignoreIndex?: number;
}

/**
 * Softmax cross-entropy of logits [N, C] against int32 class labels [N], fused in one
 * kernel (stable: log-sum-exp with the row max). `weight` / `mask` are per example [N]
 * (not torch's per-class weight); they and `ignoreIndex` exclude unlabelled rows, and
 * "mean" averages over the rest.
 * @example crossEntropy(logits, labels, { ignoreIndex: -1 }) // -1 marks a missing label
 */
export function crossEntropy(logits: Tensor, labels: Tensor | ArrayLike<number>, opts: CrossEntropyOptions = {}): Tensor {
  const op = "crossEntropy";
  const reduction = opts.reduction ?? "mean";
  checkReduction(op, reduction);
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
  const lv = I32(), lp = lab.ptr >>> 2, wv = F32(), wp = w ? w.ptr >>> 2 : 0;
  for (let i = 0; i < n; i++) {
    const y = lv[lp + i];
    if (y === ignore || (w && wv[wp + i] === 0)) continue;
    if (!(y >= 0 && y < c)) {
      throw new Error(`${op}: label ${y} at position ${i} is out of range [0, ${c}) for logits ${logits.describe()} ` +
        `(use ignoreIndex, default -100, or a 0 in mask for a missing label)`);
    }
  }
  const loss = new Tensor([n]), lse = new Tensor([n]);
  const total = K().cross_entropy(loss.ptr, lse.ptr, logits.ptr, lab.ptr, w?.ptr ?? 0, n, c, eps, ignore);
  if (needsGrad(logits)) record(loss, "cross_entropy", [logits], { labels: lab, w, lse, eps, ignore });
  return reduce(loss, reduction, total);
}

type LossKernel = "binary_cross_entropy_with_logits" | "mse_loss" | "l1_loss" | "huber_loss";

function elementLoss(op: string, kernel: LossKernel, pred: Tensor, target: Tensor, opts: LossOptions, p: number): Tensor {
  const reduction = opts.reduction ?? "mean";
  checkReduction(op, reduction);
  const name = kernel === "binary_cross_entropy_with_logits" ? "logits" : "pred";
  if (pred.dtype !== "float32") throw new Error(`${op}: ${name} ${pred.describe()} must be float32`);
  if (target.dtype !== "float32") throw new Error(`${op}: target ${target.describe()} must be float32`);
  if (target.rank !== pred.rank || target.shape.some((d, i) => d !== pred.shape[i])) {
    throw new Error(`${op}: target ${target.describe()} does not match ${name} ${pred.describe()}`);
  }
  const w = weightOf(op, opts, pred.shape, name);
  const loss = new Tensor(pred.shape);
  const total = K()[kernel](loss.ptr, pred.ptr, target.ptr, w?.ptr ?? 0, pred.size, p);
  if (needsGrad(pred, target)) record(loss, kernel, [pred, target], { w, p });
  return reduce(loss, reduction, total);
}

/**
 * Binary cross-entropy on logits, stable form max(x,0) - x t + log1p(exp(-|x|)).
 * @example binaryCrossEntropyWithLogits(logits, targets, { mask }) // multi-label, some missing
 */
export function binaryCrossEntropyWithLogits(logits: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
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
