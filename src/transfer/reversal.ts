// The gradient reversal layer and DANN's schedule for it (Ganin et al., "Domain-Adversarial
// Training of Neural Networks", JMLR 17, 2016): identity forward, -lambda * gradient
// backward, so a domain classifier behind it trains to tell the domains apart while the
// features before it train to make them indistinguishable. lambda rises from 0 to 1 as
// 2 / (1 + exp(-gamma p)) - 1 over the training progress p, the exp taken by the Wasm kernel.
import { Tensor, checkFloat } from "../tensor.js";
import { needsGrad } from "../autograd/tape.js";
import { clone, full } from "../ops/creation.js";
import { add, affine, exp, sub } from "../ops/elementwise.js";
import { scope } from "../engine/scope.js";
import { Module } from "../nn/module.js";
import type { Callback, Trainer } from "../mtl/trainer.js";
import { checkOptions, show } from "../validate.js";

/**
 * x forward; -lambda * dL/dy backward. Composed of table ops, so it adds nothing to the
 * core: stop(x) + (z - stop(z)) with z = -lambda x and stop a copy the tape does not see.
 * The forward is x + 0, exactly x; only z carries a gradient, -lambda times dy.
 * @example const d = domainHead.forward(gradientReversal(features, 0.5));
 */
export function gradientReversal(x: Tensor, lambda = 1): Tensor {
  checkFloat("gradientReversal", "x", x);
  if (!Number.isFinite(lambda)) throw new Error(`gradientReversal: lambda must be a finite number, got ${show(lambda)}`);
  if (!needsGrad(x)) return clone(x);
  const z = affine(x, -lambda);
  return add(clone(x), sub(z, clone(z)));
}

/** A gradient reversal layer; `lambda` may change between steps (dannSchedule sets it). */
export class GradientReversal extends Module {
  constructor(public lambda = 1) {
    super();
    if (!Number.isFinite(lambda)) throw new Error(`GradientReversal: lambda must be a finite number, got ${show(lambda)}`);
  }
  forward(x: Tensor): Tensor { return gradientReversal(x, this.lambda); }
}

/**
 * DANN's lambda at training progress p in [0, 1]: 2 / (1 + exp(-gamma p)) - 1 (gamma 10 in
 * the paper), times `max`. The exp runs in Wasm, so every runtime gets the same bits.
 */
export function dannLambda(p: number, gamma = 10, max = 1): number {
  if (!(Number.isFinite(p) && p >= 0)) throw new Error(`dannLambda: progress must be a number >= 0, got ${show(p)}`);
  const e = scope(() => exp(full([1], -gamma * Math.min(p, 1))).item());
  return max * (2 / (1 + e) - 1);
}

/** Options of dannSchedule: lambda = max (2 / (1 + exp(-gamma p)) - 1). */
export interface DannScheduleOptions {
  /** Steps over which lambda rises (progress p = step / totalSteps); required. */
  totalSteps: number;
  /** The schedule's steepness (default 10, the paper's). */
  gamma?: number;
  /** lambda's final value (default 1). */
  max?: number;
}

/**
 * A trainer callback that sets every GradientReversal layer of the model to dannLambda of
 * the training progress before each step.
 * @example trainer.fit(data, { epochs, callbacks: [dannSchedule(model, { totalSteps: epochs * stepsPerEpoch })] })
 */
export function dannSchedule(model: Module, opts: DannScheduleOptions): Callback & { lambda: number } {
  checkOptions("dannSchedule", opts, ["totalSteps", "gamma", "max"]);
  const total = opts?.totalSteps;
  if (!(Number.isInteger(total) && total > 0)) throw new Error(`dannSchedule: totalSteps must be a positive integer, got ${show(total)}`);
  const gamma = opts.gamma ?? 10, max = opts.max ?? 1;
  for (const [k, v] of [["gamma", gamma], ["max", max]] as const) if (!Number.isFinite(v)) throw new Error(`dannSchedule: ${k} must be a finite number, got ${show(v)}`);
  const layers = () => model.namedModules().map(([, m]) => m).filter((m): m is GradientReversal => m instanceof GradientReversal);
  if (layers().length === 0) throw new Error("dannSchedule: the model has no GradientReversal layer (add the domain head with reverseGradient: true)");
  // progress counts from the first fit this callback sees, so several fit calls continue it
  let start: number | null = null;
  let found = layers();
  const cb = {
    lambda: 0,
    onTrainBegin(trainer: Trainer): void { start ??= trainer.step; found = layers(); },
    onBatchBegin(step: number): void {
      cb.lambda = dannLambda((step - (start ?? 0)) / total, gamma, max);
      for (const l of found) l.lambda = cb.lambda;
    },
  };
  return cb;
}
