// optim: optimisers over parameter groups, learning-rate schedules, gradient clipping.
export { Optimizer, powInt, type BaseOptions, type ParamGroup, type ParamGroupSpec, type Params, type ParamState,
  type OptimizerStateDict, type OptimizerStateDictLike, type SavedTensor } from "./optimizer.js";
export { SGD, type SGDOptions } from "./sgd.js";
export { Adam, AdamW, type AdamOptions } from "./adam.js";
export { RMSprop, type RMSpropOptions } from "./rmsprop.js";
export { Adagrad, type AdagradOptions } from "./adagrad.js";
export { clipGradNorm, clipGradValue } from "./clip.js";
export { LRSchedule, StepLR, ExponentialLR, CosineAnnealingLR, LinearWarmup, ReduceLROnPlateau,
  type HasParamGroups, type ScheduleStateDict, type StepLROptions, type ExponentialLROptions,
  type CosineAnnealingOptions, type LinearWarmupOptions, type ReduceLROnPlateauOptions, type PlateauStateDict } from "./schedules.js";
