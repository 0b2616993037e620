// The weighting contract: what the trainer hands a loss-weighting or gradient-combination
// method each step, and how it is built.
//
// A method is `backward(ctx) -> weights`: it reads the task losses (still on the tape)
// and, if it needs them, per-task gradients, then accumulates ONE update into the
// parameters' .grad and returns the effective task weights (for logs). Then:
// - Loss weighting (EW, UW, DWA ...): `ctx.backwardWeighted(w)` (or `backwardLoss(total)`
//   for a total built from the losses) trains every parameter; nothing else to do.
// - Gradient combination on the shared parameters (PCGrad, MGDA, CAGrad ...): read
//   `ctx.sharedGrads()` (one flat [P] vector per task, fixed order) or just `ctx.gram()`
//   (their T x T inner products), build the shared update d, then call
//   `ctx.applySharedUpdate(d, w)`: it adds d to the shared parameters' .grad AND
//   backpropagates sum_i w_i L_i into the task-specific parameters (the heads). The low
//   level `addSharedGrad` + `backwardTaskSpecific` pair does the same in two calls; a
//   method that updates the shared part and forgets the heads fails the step loudly.
// - The same on the shared representation z (MGDA-UB, IMTL-G ...): `representationGrads()`
//   or `gram("representation")`, then `ctx.applyRepresentationUpdate(dz, w)`.
// - State: `parameters()` (learned, optimised with the model), `stateDict()` and
//   `loadStateDict()` are optional; a stateless method leaves them out. State must
//   round-trip through JSON so a resumed run continues bit-identically.
// - Randomness only from `ctx.rng` (a per-step stream of the trainer's seed).
// - Bilevel methods (Auto-λ, MOML, FORUM) set `needsValidation` and `needsLookahead` and get `ctx.bilevel`:
//   every trainable parameter, the optimiser's learning rate, fresh forwards of the
//   step's training batch and of a validation batch (from fit's `validation`) with the
//   parameters' current values (a method may move them for a look-ahead and must put them
//   back), and `addGrad` for an update over all parameters.
// Register a method with registerWeighting (./registry.ts) and test/weighting.test.ts
// trains it, checks the heads train and round-trips its state. PCGrad (./pcgrad.ts) is a
// short example of the gradient-combination kind.
import { Tensor } from "../../tensor.js";
import { independent } from "../../engine/engine.js";
import type { Rng } from "../../random.js";
import { backward, gradients, accumulateGrad } from "../../autograd/index.js";
import { add, affine } from "../../ops/elementwise.js";
import { zeros } from "../../ops/creation.js";
import { concat, reshape } from "../../ops/shape.js";
import { vgram, vscatterAdd } from "../../ops/vector.js";

/** What a weighting method receives each step: the losses and ways to get per-task gradients. */
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

  /** Per-task gradients of the shared parameters, each one flat vector [P] (computed once per step). */
  sharedGrads(): Tensor[];
  /**
   * T x T inner products of the per-task gradients (of the shared parameters by default,
   * or of the shared representation), computed once per step, exactly symmetric.
   */
  gram(of?: "shared" | "representation"): number[][];
  /** Add the flat shared update [P] to the shared parameters' .grad, and backprop sum_i w_i L_i into the task-specific ones. */
  applySharedUpdate(update: Tensor, taskWeights: number[]): void;
  /** The shared parameters (for polyhead/methods' Gram-only path, ./autogram.ts). */
  sharedParameters(): Tensor[];

  /** Per-task gradients w.r.t. the shared representation (throws where there is none). */
  representationGrads(): Tensor[];
  /** Backprop `grad` at the shared representation into the shared parameters, and sum_i w_i L_i into the task-specific ones. */
  applyRepresentationUpdate(grad: Tensor, taskWeights: number[]): void;

  // The low-level halves of the two apply calls.
  /** Backprop sum_i w_i L_i into the task-specific parameters only. */
  backwardTaskSpecific(weights: number[]): void;
  /** Add a flat vector [P] into the shared parameters' .grad. */
  addSharedGrad(flat: Tensor): void;
  /** Backprop a gradient at the shared representation into the shared parameters. */
  backwardRepresentation(grad: Tensor): void;

  /** Only for a method with `needsValidation` or `needsLookahead` (./bilevel.ts has the helpers). */
  readonly bilevel?: BilevelAccess;
}

/** What a bilevel (validation-driven) method may do beyond the rest of the context. */
export interface BilevelAccess {
  /** Every trainable parameter the step trains: the shared ones, then each active task's, in that order. */
  readonly parameters: Tensor[];
  /** The optimiser's current learning rate (its first group), for a look-ahead step. */
  readonly lr: number;
  /** A fresh forward of the step's training batch with the parameters' current values: one loss per active task (on the tape). */
  trainLosses(): Tensor[];
  /**
   * The same on this step's validation batch (drawn from fit's `validation`, the same
   * batch for every call in a step): one loss per active task, null where the batch has
   * no label for it.
   */
  validationLosses(): (Tensor | null)[];
  /** Add a flat vector over `parameters` into their .grad (the whole update, heads included). */
  addGrad(flat: Tensor): void;
}

/** What the trainer knows about one step, to build a context from. */
export interface StepInputs {
  /** The method's name, for error messages. */
  method: string;
  tasks: string[];
  losses: Tensor[];
  /** The shared representation of each forward pass of the step (null where the model has none). */
  representations: (Tensor | null)[];
  staticWeights: number[];
  step: number;
  epoch: number;
  rng: Rng;
  sharedParameters: () => Tensor[];
  taskParameters: (task: string) => Tensor[];
  /** For a method with needsValidation or needsLookahead: the trainer's side of BilevelAccess. */
  bilevel?: Omit<BilevelAccess, "parameters" | "addGrad">;
}

/** A step's context, and `finish()`, which throws when a method updated the shared parameters but not the heads. */
export function weightingContext(s: StepInputs): { ctx: WeightingContext; finish(): void } {
  const { tasks, losses } = s;
  // found on first use: most weightings (EW, static) never ask for them
  let sharedList: Tensor[] | null = null;
  const shared = (): Tensor[] => (sharedList ??= s.sharedParameters());
  let taskList: Tensor[] | null = null;
  const taskOwn = (): Tensor[] => (taskList ??= tasks.flatMap((t) => s.taskParameters(t)));
  let sharedCache: Tensor[] | null = null, repCache: Tensor[] | null = null;
  const grams: Record<string, number[][]> = {};
  let sharedTouched = false, headsTouched = false;

  const checkWeights = (what: string, w: number[]): void => {
    if (w == null || w.length !== tasks.length) {
      throw new Error(`${s.method}: ${what} needs one weight per active task (${tasks.length}: ${tasks.join(", ")}), got ${w == null ? String(w) : w.length}`);
    }
  };
  const weighted = (w: number[]): Tensor => {
    let total: Tensor | null = null;
    losses.forEach((l, i) => { if (w[i] !== 0) total = total ? add(total, affine(l, w[i])) : affine(l, w[i]); });
    return total ?? affine(losses[0], 0);
  };
  const accumulate = (params: Tensor[], gs: Tensor[]) => params.forEach((p, i) => accumulateGrad(p, gs[i]));
  const rep = (): Tensor => {
    const r = s.representations;
    if (r.length !== 1 || !r[0]) throw new Error(`${s.method}: needs one shared representation per step; this model/schedule gives ${r.length === 1 ? "none" : r.length}`);
    return r[0];
  };

  const ctx: WeightingContext = {
    tasks, losses, staticWeights: s.staticWeights, step: s.step, epoch: s.epoch, rng: s.rng,
    backwardLoss: (total) => { sharedTouched = headsTouched = true; backward(total); },
    backwardWeighted: (w) => { checkWeights("backwardWeighted", w); sharedTouched = headsTouched = true; backward(weighted(w)); },
    backwardTaskSpecific: (w) => {
      checkWeights("backwardTaskSpecific", w);
      headsTouched = true;
      const ps = taskOwn();
      if (ps.length) accumulate(ps, gradients(weighted(w), ps));
    },
    sharedGrads: () => {
      // each task's per-parameter gradients are freed once concatenated, so the T flat
      // vectors are all a step holds: (T + 2) x P at most with the update (test/methods-memory.test.ts).
      // independent: with polyhead/threads, the tasks' backward passes run at once (same bits);
      // then each task's per-parameter gradients are held until all have run: about P more per task
      sharedCache ??= independent(losses.length, (i) => {
        const gs = gradients(losses[i], shared());
        if (gs.length === 0) return new Tensor([0]);
        const flat = concat(gs.map((g) => reshape(g, [-1])));
        for (const g of gs) g.dispose();
        return flat;
      });
      return sharedCache;
    },
    gram: (of = "shared") => {
      if (of !== "shared" && of !== "representation") throw new Error(`${s.method}: gram of "${String(of)}"? (shared or representation)`);
      return (grams[of] ??= vgram(of === "shared" ? ctx.sharedGrads() : ctx.representationGrads()));
    },
    sharedParameters: () => shared(),
    addSharedGrad: (flat) => {
      const ps = shared();
      const total = ps.reduce((n, p) => n + p.size, 0);
      if (total !== flat.size) throw new Error(`${s.method}: addSharedGrad: vector has ${flat.size} values, shared parameters have ${total}`);
      sharedTouched = true;
      // a missing .grad becomes a zeroed persistent buffer directly (no second copy: see the memory bound)
      for (const p of ps) if (!p.grad || p.grad.isDisposed) p.grad = zeros(p.shape).keep();
      vscatterAdd(ps.map((p) => p.grad!), flat);
    },
    applySharedUpdate: (update, w) => { checkWeights("applySharedUpdate", w); ctx.addSharedGrad(update); ctx.backwardTaskSpecific(w); },
    representationGrads: () => {
      if (!repCache) { const z = rep(); repCache = independent(losses.length, (i) => gradients(losses[i], [z])[0]); }
      return repCache;
    },
    backwardRepresentation: (g) => {
      const z = rep();
      sharedTouched = true;
      const ps = shared();
      if (ps.length) accumulate(ps, gradients([z], ps, [g]));
    },
    applyRepresentationUpdate: (g, w) => { checkWeights("applyRepresentationUpdate", w); ctx.backwardRepresentation(g); ctx.backwardTaskSpecific(w); },
  };
  if (s.bilevel) {
    const b = s.bilevel;
    let all: Tensor[] | null = null;
    const parameters = (): Tensor[] => (all ??= [...shared(), ...taskOwn()]); // both trainable only
    (ctx as { bilevel?: BilevelAccess }).bilevel = {
      ...b,
      get parameters() { return parameters(); },
      addGrad: (flat) => {
        const ps = parameters();
        for (const p of ps) if (!p.grad || p.grad.isDisposed) p.grad = zeros(p.shape).keep();
        vscatterAdd(ps.map((p) => p.grad!), flat); // checks the length
        sharedTouched = headsTouched = true;
      },
    };
  }
  const finish = (): void => {
    if (sharedTouched && !headsTouched && taskOwn().length > 0) {
      throw new Error(`${s.method}: updated the shared parameters but not the task-specific ones (the heads would stop training); ` +
        `use ctx.applySharedUpdate / applyRepresentationUpdate, or call ctx.backwardTaskSpecific`);
    }
  };
  return { ctx, finish };
}
