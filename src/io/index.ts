// polyhead/io: safetensors weights, model configs, checkpoints and storage adapters.
// Node file helpers live in polyhead/node; everything here runs in every runtime.
export { IoError, SafetensorsError, ModelConfigError } from "./errors.js";
export {
  parseSafetensors, encodeSafetensors, Safetensors, DTYPE_SIZE, MAX_HEADER_BYTES,
  type SafetensorsDType, type TensorInfo, type TensorData, type TensorValues,
} from "./safetensors.js";
export { saveWeights, loadWeights, loadTensors, tensorsToSafetensors, type SaveWeightsOptions, type LoadWeightsOptions } from "./weights.js";
