// The weighting plug-in contract. Each step the trainer hands a method the task losses
// (on the tape) and a context that can produce per-task gradients with respect to the
// shared parameters or the shared representation; the method accumulates the combined
// update into the parameters' .grad and may keep state across steps. The trainer never
// asks which method it runs.
import { K } from "../../engine/engine.js";
import { Tensor } from "../../tensor.js";
import type { Rng } from "../../random.js";

export interface WeightingContext {
  /** Tasks active this step, in order; losses[i] belongs to tasks[i]. */
  readonly tasks: string[];
  /** Scalar loss per active task, still on the tape. */
  readonly losses: Tensor[];
  /** The tasks' static weights (TaskSpec.weight), aligned with `tasks`. */
  readonly staticWeights: number[];
  readonly step: number;
  readonly epoch: number;
  /** A stream for methods that draw random numbers (PCGrad's task order). */
  readonly rng: Rng;
  /** Backprop a scalar (built from the losses) into every trainable parameter. */
  backwardLoss(total: Tensor): void;
  /** Backprop sum_i w_i L_i into every trainable parameter. */
  backwardWeighted(weights: number[]): void;
  /** Backprop sum_i w_i L_i into the task-specific parameters only. */
  backwardTaskSpecific(weights: number[]): void;
  /** Per-task gradients of the shared parameters, each one flat vector [P] (computed once per step). */
  sharedGrads(): Tensor[];
  /** Add a flat vector [P] into the shared parameters' .grad. */
  addSharedGrad(flat: Tensor): void;
  /** Per-task gradients w.r.t. the shared representation (throws where there is none). */
  representationGrads(): Tensor[];
  /** Backprop a gradient at the shared representation into the shared parameters. */
  backwardRepresentation(grad: Tensor): void;
}

export interface Weighting {
  readonly name: string;
  /** The method's own learnable parameters (optimised with the model's). */
  parameters(): Tensor[];
  /** Accumulate the combined update into .grad; return the effective task weights (for logs). */
  backward(ctx: WeightingContext): number[];
  /** Called by the trainer at the end of each epoch with the mean loss of each task. */
  onEpochEnd?(meanLosses: Record<string, number>): void;
  stateDict(): Record<string, unknown>;
  loadStateDict(state: Record<string, unknown>): void;
}

// ---------------------------------------------------------------- flat-vector helpers
// Gradient vectors are flat float32 tensors; these run the blas kernels (fixed order).

/** Dot product of two flat vectors (Wasm, fixed order). */
export function vdot(a: Tensor, b: Tensor): number {
  if (a.size !== b.size) throw new Error(`vdot: sizes ${a.size} and ${b.size} differ`);
  return K().dot(a.ptr, b.ptr, a.size);
}
/** Squared Euclidean norm of a flat vector. */
export function vnorm2(a: Tensor): number { return K().sumsq(a.ptr, a.size); }
/** y += alpha * x, in place. */
export function vaxpy(y: Tensor, x: Tensor, alpha: number): void {
  if (y.size !== x.size) throw new Error(`vaxpy: sizes ${y.size} and ${x.size} differ`);
  K().axpy(y.ptr, x.ptr, y.size, alpha);
}
/** A fresh copy of a flat vector. */
export function vclone(a: Tensor): Tensor {
  const t = new Tensor(a.shape);
  K().copy(t.ptr, a.ptr, a.size);
  return t;
}
/** sum_i w_i v_i as a fresh vector. */
export function vcombine(vs: Tensor[], w: number[]): Tensor {
  const t = new Tensor(vs[0].shape);
  K().fill(t.ptr, t.size, 0);
  vs.forEach((v, i) => { if (w[i] !== 0) vaxpy(t, v, w[i]); });
  return t;
}
