// polyhead/io: safetensors weights, model configs, checkpoints and storage adapters.
// Node file helpers live in polyhead/node; everything here runs in every runtime.
/**
 * Persistence in every runtime: safetensors weights, model configs, checkpoints, storage adapters, torch export.
 * @module polyhead/io
 */
export { IoError, SafetensorsError, ModelConfigError } from "./errors.js";
export {
  parseSafetensors, encodeSafetensors, Safetensors, DTYPE_SIZE, MAX_HEADER_BYTES,
  type SafetensorsDType, type TensorInfo, type TensorData, type TensorValues,
} from "./safetensors.js";
export { saveWeights, loadWeights, loadTensors, tensorsToSafetensors, type SaveWeightsOptions, type LoadWeightsOptions } from "./weights.js";
export {
  createModel, buildModel, modelConfig, registerArchitecture, architectureNames,
  MODEL_CONFIG_FORMAT, MODEL_CONFIG_VERSION, type ModelConfig, type TaskConfig, type ArchitectureBuilder, type Json,
} from "./config.js";
export { saveModel, saveModelArchive, loadModel, ARCHIVE_CONFIG_KEY, type SavedModel, type LoadModelOptions } from "./model.js";
export { memoryStorage, indexedDBStorage, opfsStorage, downloadBytes, uploadBytes, type Storage } from "./storage.js";
export { exportTorch } from "./torch-export.js";
export {
  encodeCheckpoint, decodeCheckpoint, saveCheckpoint, loadLatestCheckpoint, CHECKPOINT_KEY, type SaveCheckpointOptions,
} from "./checkpoint.js";

// The universal API's modules, whole, for their place in the module graph: in the edge set
// (one esbuild run with chunk splitting) an entry that reaches only some of them cuts the
// engine into more chunks, each gzipped on its own. In the universal set this is an import
// of dist/index.js itself (build/core-split.mjs). Users of this entry load polyhead anyway.
import "../api.js";
