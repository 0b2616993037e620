// Feature alignment between a labelled source domain and an unlabelled target domain, as
// losses and as tasks of the multi-task trainer. CORAL (Sun & Saenko, "Deep CORAL", ECCV
// 2016 workshops): the distance between the two domains' feature covariances. MMD (Long et
// al., "Learning Transferable Features with Deep Adaptation Networks", ICML 2015): the
// multi-kernel Gaussian maximum mean discrepancy. Both are built from recorded ops, so
// autograd differentiates them. As tasks they read a "domain dataset": source and target
// inputs in one dataset whose label is the domain (0 source, 1 target); the trainer's
// per-task batch cycling then draws target batches beside the labelled source ones.
import { Tensor } from "../tensor.js";
import { tensor } from "../ops/creation.js";
import { add, affine, exp, square, sub } from "../ops/elementwise.js";
import { mean, sum } from "../ops/reduce.js";
import { reshape, take } from "../ops/shape.js";
import { matmul } from "../ops/matmul.js";
import { noGrad } from "../autograd/tape.js";
import { powInt } from "../optim/optimizer.js";
import { MultiTaskDataset } from "../data/dataset.js";
import { task, type Task } from "../mtl/tasks.js";
import { checkOptions, show } from "../validate.js";

function check2d(who: string, name: string, x: Tensor, min: number): void {
  if (!(x instanceof Tensor)) throw new Error(`${who}: ${name} must be a Tensor, got ${show(x)}`);
  if (x.rank !== 2) throw new Error(`${who}: ${name} must be [rows, features], got ${x.describe()}`);
  if (x.shape[0] < min) throw new Error(`${who}: ${name} needs at least ${min} rows, got ${x.describe()}`);
}

function checkPair(who: string, source: Tensor, target: Tensor, min: number): void {
  check2d(who, "source", source, min); check2d(who, "target", target, min);
  if (source.shape[1] !== target.shape[1]) throw new Error(`${who}: source ${source.describe()} and target ${target.describe()} have different feature widths`);
}

/** The unbiased feature covariance of x [n, d]: (x - mean)^T (x - mean) / (n - 1), [d, d]. */
export function covariance(x: Tensor): Tensor {
  check2d("covariance", "x", x, 2);
  const c = sub(x, mean(x, 0, true));
  return affine(matmul(c, c, { transA: true }), 1 / (x.shape[0] - 1));
}

/**
 * CORAL: ||C_source - C_target||_F^2 / (4 d^2) over the d features' covariances.
 * @example const l = coralLoss(trunk.forward(xs), trunk.forward(xt));
 */
export function coralLoss(source: Tensor, target: Tensor): Tensor {
  checkPair("coralLoss", source, target, 2);
  const d = source.shape[1];
  return affine(sum(square(sub(covariance(source), covariance(target)))), 1 / (4 * d * d));
}

/** The Gaussian kernels of mmdLoss and mmdTask. */
export interface MmdOptions {
  /** Number of Gaussian kernels (default 5). */
  kernels?: number;
  /** Ratio between neighbouring kernels' bandwidths (default 2). */
  kernelMul?: number;
  /**
   * The middle kernel's bandwidth (2 sigma^2); default: the mean squared distance between
   * the pooled samples, taken without gradient (as DAN's implementations do).
   */
  bandwidth?: number;
}

function checkMmd(who: string, opts: MmdOptions): void {
  checkOptions(who, opts, ["kernels", "kernelMul", "bandwidth"]);
  const { kernels, kernelMul, bandwidth } = opts;
  if (kernels !== undefined && !(Number.isInteger(kernels) && kernels >= 1)) throw new Error(`${who}: kernels must be a positive integer, got ${show(kernels)}`);
  if (kernelMul !== undefined && !(Number.isFinite(kernelMul) && kernelMul > 0)) throw new Error(`${who}: kernelMul must be a number > 0, got ${show(kernelMul)}`);
  if (bandwidth !== undefined && !(Number.isFinite(bandwidth) && bandwidth > 0)) throw new Error(`${who}: bandwidth must be a number > 0, got ${show(bandwidth)}`);
}

/** Squared distances between the rows of a [n, d] and b [m, d]: [n, m]. */
export function pairwiseSquaredDistances(a: Tensor, b: Tensor): Tensor {
  const na = reshape(sum(square(a), 1), [a.shape[0], 1]), nb = reshape(sum(square(b), 1), [1, b.shape[0]]);
  return add(sub(na, affine(matmul(a, b, { transB: true }), 2)), nb);
}

/**
 * Multi-kernel Gaussian MMD^2 (the biased estimate): mean k(s, s') + mean k(t, t') -
 * 2 mean k(s, t), with k the sum of exp(-|x - y|^2 / bw_i) over bandwidths
 * bw_i = bandwidth * kernelMul^(i - kernels/2).
 * @example const l = mmdLoss(fs, ft, { kernels: 5, kernelMul: 2 });
 */
export function mmdLoss(source: Tensor, target: Tensor, opts: MmdOptions = {}): Tensor {
  checkMmd("mmdLoss", opts);
  checkPair("mmdLoss", source, target, 1);
  const kernels = opts.kernels ?? 5, mulK = opts.kernelMul ?? 2;
  const dss = pairwiseSquaredDistances(source, source), dtt = pairwiseSquaredDistances(target, target);
  const dst = pairwiseSquaredDistances(source, target);
  const n = source.shape[0] + target.shape[0];
  let bw = opts.bandwidth;
  if (bw === undefined) {
    const total = noGrad(() => sum(dss).item() + sum(dtt).item() + 2 * sum(dst).item());
    bw = total / (n * n - n);
    if (!(bw > 0)) bw = 1; // every sample the same point: any bandwidth gives MMD 0
  }
  const half = Math.floor(kernels / 2);
  const base = bw / powInt(mulK, half);
  const k = (d: Tensor): Tensor => {
    let s: Tensor | null = null;
    for (let i = 0; i < kernels; i++) {
      const e = exp(affine(d, -1 / (base * powInt(mulK, i))));
      s = s ? add(s, e) : e;
    }
    return mean(s!);
  };
  return sub(add(k(dss), k(dtt)), affine(k(dst), 2));
}

/** The labelled rows of a domain batch split by domain (0 source, 1 target), or null when a side has fewer than `min`. */
function byDomain(who: string, features: Tensor, labels: Tensor, mask: Tensor, min: number): [Tensor, Tensor] | null {
  const l = labels.data(), m = mask.data();
  if (l.length !== features.shape[0]) throw new Error(`${who}: ${l.length} domain labels for features ${features.describe()}`);
  const s: number[] = [], t: number[] = [];
  for (let i = 0; i < l.length; i++) {
    if (!(m[i] > 0)) continue;
    if (l[i] === 0) s.push(i); else if (l[i] === 1) t.push(i);
    else throw new Error(`${who}: domain label ${l[i]} at row ${i}; expected 0 (source) or 1 (target)`);
  }
  if (s.length < min || t.length < min) return null;
  const f = features.rank === 2 ? features : reshape(features, [features.shape[0], -1]);
  return [take(f, tensor(s, [s.length], "int32")), take(f, tensor(t, [t.length], "int32"))];
}

// a batch with too few rows of one domain contributes nothing (0, still on the graph)
const nothing = (features: Tensor): Tensor => affine(sum(features), 0);

/** What coralTask and mmdTask take: the aligned features' width and the term's weight. */
export interface AlignmentTaskOptions {
  /** Width of the features the task's head passes on (an identity head: addTask(..., { identity: true })). */
  features: number;
  /** The task's static weight, the alignment term's coefficient (with StaticWeighting; equal weighting counts every task 1). */
  weight?: number;
}

/**
 * A CORAL alignment task: its head's output is the features; its data a domainDataset.
 * @example
 * const coral = coralTask("coral", { features: 64, weight: 1 });
 * model.addTask(coral, { identity: true });
 */
export function coralTask(name: string, opts: AlignmentTaskOptions): Task {
  const o = checkAlignment("coralTask", opts, []);
  return task(name, {
    kind: "regression", outputs: o.features, weight: o.weight, metrics: [],
    loss: (f, labels, mask) => { const p = byDomain(`task "${name}"`, f, labels, mask, 2); return p ? coralLoss(p[0], p[1]) : nothing(f); },
  });
}

/**
 * An MMD alignment task (options as mmdLoss's).
 * @example const mmd = mmdTask("mmd", { features: 64, kernels: 5 });
 */
export function mmdTask(name: string, opts: AlignmentTaskOptions & MmdOptions): Task {
  const o = checkAlignment("mmdTask", opts, ["kernels", "kernelMul", "bandwidth"]);
  const { features, weight, ...mmd } = o as AlignmentTaskOptions & MmdOptions;
  checkMmd("mmdTask", mmd);
  return task(name, {
    kind: "regression", outputs: features, weight, metrics: [],
    loss: (f, labels, mask) => { const p = byDomain(`task "${name}"`, f, labels, mask, 1); return p ? mmdLoss(p[0], p[1], mmd) : nothing(f); },
  });
}

function checkAlignment(who: string, opts: AlignmentTaskOptions, extra: string[]): AlignmentTaskOptions {
  checkOptions(who, opts, ["features", "weight", ...extra]);
  if (!opts || !(Number.isInteger(opts.features) && opts.features > 0)) throw new Error(`${who}: features must be a positive integer (the aligned features' width), got ${show(opts?.features)}`);
  return opts;
}

/**
 * Source and target inputs in one dataset labelled by domain (0 source, 1 target) under
 * each of `tasks` (a DANN domain task, CORAL/MMD tasks): pass it as those tasks' data in
 * one-dataset-per-task training, beside the labelled source data of the other tasks.
 * @example
 * const dom = domainDataset(source, target, ["domain"]);
 * await trainer.fit({ digit: source, domain: dom }, { epochs: 10 });
 */
export function domainDataset(source: MultiTaskDataset, target: MultiTaskDataset, tasks: string[]): MultiTaskDataset {
  for (const [k, d] of [["source", source], ["target", target]] as const) {
    if (!(d instanceof MultiTaskDataset)) throw new Error(`domainDataset: ${k} must be a MultiTaskDataset, got ${show(d)}`);
  }
  if (`${source.xShape}` !== `${target.xShape}`) throw new Error(`domainDataset: source inputs [${source.xShape.join(", ")}] and target inputs [${target.xShape.join(", ")}] differ in shape`);
  if (source.xDtype !== target.xDtype) throw new Error(`domainDataset: source inputs are ${source.xDtype}, target inputs ${target.xDtype}`);
  if (!Array.isArray(tasks) || tasks.length === 0 || !tasks.every((t) => typeof t === "string" && t)) throw new Error(`domainDataset: tasks must be a non-empty list of task names, got ${show(tasks)}`);
  const xs = source.inputs(), xt = target.inputs();
  const x = new (xs.constructor as Float32ArrayConstructor)(xs.length + xt.length);
  x.set(xs); x.set(xt, xs.length);
  const domain = new Int32Array(source.size + target.size).fill(1, source.size);
  return new MultiTaskDataset({ x, xShape: [...source.xShape], labels: Object.fromEntries(tasks.map((t) => [t, domain])) });
}
