// The weighting plug-in interface: `backward(ctx)` accumulates one combined update and
// returns the task weights; learned parameters and state are optional. The contract
// itself (what the context offers, and the rules a method follows) is in ./context.ts.
import type { Tensor } from "../../tensor.js";
import type { WeightingContext } from "./context.js";

export type { WeightingContext } from "./context.js";
// the flat-vector helpers live in ops/ (the layer that touches memory); re-exported for methods
export { vdot, vnorm2, vaxpy, vclone, vcombine, vgram } from "../../ops/vector.js";

/** A loss-weighting or gradient-combination method: the trainer calls its hooks, never its name. */
export interface Weighting {
  readonly name: string;
  /** Accumulate the combined update into .grad; return the effective task weights (for logs). */
  backward(ctx: WeightingContext): number[];
  /**
   * A bilevel method (Auto-λ, MOML, FORUM): the trainer then needs fit's `validation`
   * data and gives the method `ctx.bilevel` (see ./context.ts).
   */
  readonly needsValidation?: boolean;
  /** Look-aheads (TaskAffinity; bilevel methods set both): `ctx.bilevel`, on the step's batch and, with needsValidation, on validation batches. */
  readonly needsLookahead?: boolean;
  /** The method's own learnable parameters (optimised with the model's); none if absent. */
  parameters?(): Tensor[];
  /** Called once by the trainer with its task names: reject weights or names given for tasks it does not have. */
  checkTasks?(taskNames: string[]): void;
  /** Called by the trainer at the end of each epoch with the mean loss of each task. */
  onEpochEnd?(meanLosses: Record<string, number>): void;
  /** Figures for the epoch's logs (EpochLogs.diagnostics), read after onEpochEnd. */
  epochDiagnostics?(): Record<string, unknown> | undefined;
  /** JSON-serialisable state (absent: stateless). */
  stateDict?(): Record<string, unknown>;
  /** Restore stateDict()'s output: validate everything, then apply. */
  loadStateDict?(state: Record<string, unknown>): void;
}
