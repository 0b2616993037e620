// polyhead/transfer: reusing a trained model for new tasks and new data. Task adaptation
// (heads added, removed, replaced; freezing by name or glob; discriminative fine-tuning and
// gradual unfreezing) and domain adaptation (gradient reversal and DANN's schedule, CORAL
// and multi-kernel MMD alignment as tasks of the multi-task trainer).
/**
 * Task adaptation (heads added, removed, replaced; freezing, discriminative fine-tuning,
 * gradual unfreezing) and domain adaptation (gradient reversal, DANN, CORAL, MMD).
 * Runnable examples: [task-adaptation.mjs](../../examples/task-adaptation.mjs),
 * [domain-adaptation.mjs](../../examples/domain-adaptation.mjs).
 * @module polyhead/transfer
 */
// The whole universal API is imported for its place in the module graph, not its names:
// an entry that reaches only part of it would split the universal entry's shared chunks
// into more, smaller ones, which gzip worse (+1 KB of the bundle budget when measured).
import "../api.js";
export { AdaptedModel, adapt, TRUNK, type HeadOptions } from "./adapt.js";
export {
  selectParameters, freeze, unfreeze, paramGroups, gradualUnfreezing, patternRegex,
  type NamePattern, type GroupSpec, type GradualUnfreezingOptions,
} from "./names.js";
export { gradientReversal, GradientReversal, dannLambda, dannSchedule, type DannScheduleOptions } from "./reversal.js";
export {
  coralLoss, mmdLoss, covariance, pairwiseSquaredDistances, coralTask, mmdTask, domainDataset,
  type MmdOptions, type AlignmentTaskOptions,
} from "./align.js";
