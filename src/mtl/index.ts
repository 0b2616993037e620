// The multi-task toolkit: tasks, architectures, weighting methods, schedules, trainer.
export { task, taskMap, type Task, type TaskSpec, type TaskKind, type BuiltinLoss, type LossFn } from "./tasks.js";
export { MultiTaskModel, mlp, towers, activation, type MultiTaskOutput, type Activation, type MlpOptions } from "./architectures/base.js";
export { SharedBottom, type SharedBottomOptions } from "./architectures/shared-bottom.js";
export * from "./metrics/index.js";
export { taskLoss } from "./losses.js";
export * from "./weighting/index.js";
export { joint } from "./schedules/joint.js";
export { alternating } from "./schedules/alternating.js";
export { sampled, samplingProbabilities, type SampledOptions } from "./schedules/sampled.js";
export { curriculum } from "./schedules/curriculum.js";
export { averageParameters, trainWithAveraging, type AveragingOptions } from "./schedules/averaging.js";
export type { Schedule, ScheduleContext, StepPlan, StepPart, TrainData } from "./schedules/base.js";
export { Trainer, type TrainerOptions, type FitOptions, type Progress, type EpochLogs, type Callback, type TaskMetrics, type StreamSource, type TrainerState, type EpochPosition } from "./trainer.js";
export { earlyStopping, checkpoint, lrSchedule, type EarlyStoppingOptions, type CheckpointOptions, type SteppableSchedule } from "./callbacks.js";
export { singleTaskBaselines, compareWithBaselines, type BaselineOptions, type Comparison } from "./baselines.js";
export { type ArchitectureOptions } from "./architectures/base.js";
export { MMoE, type MMoEOptions } from "./architectures/mmoe.js";
// SoftSharing, CrossStitch, CGC/PLE, DSelect-k and Fusion live in polyhead/architectures (src/architectures/).
