// Datasets for multi-task training: partially labelled multi-task data, per-task data
// sets, streams, seeded splits and batching, and input transforms.
export { MultiTaskDataset, type Batch, type BatchOptions, type DatasetSpec, type EpochBatches, type InputArray, type TaskLabels, type PlainArray } from "./dataset.js";
export { taskDatasets, type TaskDatasets, type TaskDataSpec } from "./per-task.js";
export { taskCycles, taskRng, BatchCycle, type CycleOptions, type CycleState } from "./cycle.js";
export { fromAsyncIterable, type StreamExample, type StreamOptions, type StreamTask } from "./stream.js";
export { splitIndices, trainValTestSplit, type SplitParts } from "./split.js";
export { standardize, minMaxScale, oneHot, FeatureScaler } from "./transforms.js";
