// optim: optimisers over parameter groups, gradient clipping.
export { Optimizer, powInt, type BaseOptions, type ParamGroup, type ParamGroupSpec, type Params, type ParamState,
  type OptimizerStateDict, type OptimizerStateDictLike, type SavedTensor } from "./optimizer.js";
export { SGD, type SGDOptions } from "./sgd.js";
export { Adam, AdamW, type AdamOptions } from "./adam.js";
export { RMSprop, type RMSpropOptions } from "./rmsprop.js";
export { Adagrad, type AdagradOptions } from "./adagrad.js";
export { clipGradNorm, clipGradValue } from "./clip.js";
