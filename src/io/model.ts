// saveModel / loadModel: a model as its config plus safetensors weights, or as one
// archive (the weights file with the config in its __metadata__, so PyTorch tools still
// read the weights). Loading checks the config, the weights and their fit before the
// model is handed out.
import type { MultiTaskModel } from "../mtl/architectures/base.js";
import { buildModel, modelConfig, type ModelConfig } from "./config.js";
import { ModelConfigError } from "./errors.js";
import { parseSafetensors, Safetensors } from "./safetensors.js";
import { saveWeights, loadWeights, type LoadWeightsOptions } from "./weights.js";

/** The __metadata__ key of an archive's config. */
export const ARCHIVE_CONFIG_KEY = "polyhead.model";

/** saveModel's result: the config (JSON) and the weights (safetensors bytes). */
export interface SavedModel {
  config: ModelConfig;
  /** safetensors bytes of the parameters and buffers. */
  weights: Uint8Array;
}

/** The model's config and weights (made by createModel or buildModel). */
export function saveModel(model: MultiTaskModel): SavedModel {
  const config = modelConfig(model);
  return { config, weights: saveWeights(model, { metadata: { format: "pt" } }) };
}

/** The model as one safetensors file with its config in __metadata__["polyhead.model"]. */
export function saveModelArchive(model: MultiTaskModel): Uint8Array {
  const config = modelConfig(model);
  return saveWeights(model, { metadata: { format: "pt", [ARCHIVE_CONFIG_KEY]: JSON.stringify(config) } });
}

/** Options of loadModel (requireFinite: refuse NaN/Inf weights). */
export type LoadModelOptions = Pick<LoadWeightsOptions, "requireFinite">;

/**
 * Rebuild a model from saveModel's pair or saveModelArchive's bytes. The config is checked
 * (unknown fields refused), the weights validated and matched to the rebuilt model's
 * names and shapes; any problem throws a ModelConfigError or SafetensorsError.
 * @example const model = loadModel(await storage.read("model.safetensors"));
 */
export function loadModel(saved: SavedModel | Uint8Array, opts: LoadModelOptions = {}): MultiTaskModel {
  for (const k of Object.keys(opts)) if (k !== "requireFinite") throw new Error(`loadModel: unknown option "${k}" (known: requireFinite)`);
  let file: Safetensors, config: ModelConfig | string;
  if (saved instanceof Uint8Array) {
    file = parseSafetensors(saved);
    const text = file.metadata?.[ARCHIVE_CONFIG_KEY];
    if (text === undefined) throw new ModelConfigError("NoConfig", `the file is plain safetensors weights without a polyhead config (__metadata__["${ARCHIVE_CONFIG_KEY}"]); build the model, then loadWeights`);
    config = text;
  } else {
    if (!saved || typeof saved !== "object") throw new Error("loadModel: expected archive bytes or {config, weights}");
    for (const k of Object.keys(saved)) if (k !== "config" && k !== "weights") throw new Error(`loadModel: unknown field "${k}" (known: config, weights)`);
    if (!(saved.weights instanceof Uint8Array)) throw new Error("loadModel: weights must be a Uint8Array of safetensors bytes");
    file = parseSafetensors(saved.weights);
    config = saved.config;
  }
  if (typeof config === "string") {
    try { config = JSON.parse(config) as ModelConfig; } catch (e) { throw new ModelConfigError("InvalidJson", `not JSON (${(e as Error).message})`); }
  }
  checkDeclared(config, file);
  const model = buildModel(config);
  loadWeights(model, file, { strict: true, requireFinite: opts.requireFinite });
  return model;
}

/**
 * The config's tensor table against the weights, before anything is built: a model is
 * allocated only when the file holds its values (the build is what allocates).
 */
function checkDeclared(config: ModelConfig, file: Safetensors): void {
  const declared = config && typeof config === "object" ? (config as { tensors?: unknown }).tensors : undefined;
  if (!declared || typeof declared !== "object" || Array.isArray(declared)) return; // buildModel names the problem
  const problems: string[] = [];
  for (const [n, shape] of Object.entries(declared as Record<string, unknown>)) {
    if (!file.has(n)) { problems.push(`the config lists "${n}", the weights lack it`); continue; }
    const s = file.info(n).shape;
    if (!Array.isArray(shape) || shape.length !== s.length || shape.some((d, i) => d !== s[i])) problems.push(`"${n}": the config says ${JSON.stringify(shape)}, the weights hold [${s.join(", ")}]`);
  }
  for (const n of file.names) if (!(n in (declared as object))) problems.push(`the weights hold "${n}", the config does not list it`);
  if (problems.length) throw new ModelConfigError("ShapeMismatch", `config and weights disagree: ${problems.slice(0, 20).join("; ")}`);
}
