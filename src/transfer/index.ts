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
// The universal API's modules, whole, for their place in the module graph: in the edge set
// (one esbuild run with chunk splitting) an entry that reaches only some of them cuts the
// engine into more chunks, each gzipped on its own. In the universal set this is an import
// of dist/index.js itself (build/core-split.mjs). Users of this entry load polyhead anyway.
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
