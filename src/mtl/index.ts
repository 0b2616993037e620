// The multi-task toolkit: tasks, architectures, weighting methods, schedules, trainer.
export { task, taskMap, type Task, type TaskSpec, type TaskKind, type BuiltinLoss, type LossFn } from "./tasks.js";
export { MultiTaskModel, mlp, towers, activation, type MultiTaskOutput, type Activation, type MlpOptions } from "./architectures/base.js";
export { SharedBottom, type SharedBottomOptions } from "./architectures/shared-bottom.js";
export { type ArchitectureOptions } from "./architectures/base.js";
export { SoftSharing, type SoftSharingOptions } from "./architectures/soft-sharing.js";
export { CrossStitch, CrossStitchUnit, type CrossStitchOptions } from "./architectures/cross-stitch.js";
export { MMoE, type MMoEOptions } from "./architectures/mmoe.js";
export { CGC, PLE, ExtractionLayer, type CGCOptions, type PLEOptions, type ExtractionGates } from "./architectures/ple.js";
export { DSelectK, DSelectKGate, smoothStep, type DSelectKOptions, type DSelectKGateOutput } from "./architectures/dselect-k.js";
export { Fusion, type FusionOptions, type FusionMethod } from "./fusion.js";
