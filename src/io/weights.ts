// A model's parameters and buffers as safetensors, by their dotted names (PyTorch's
// state_dict layout: "trunk.0.weight"). Loading checks every name, shape, dtype and
// (optionally) value before it writes anything, so a refused file changes nothing.
import { Tensor } from "../tensor.js";
import type { Module } from "../nn/module.js";
import { SafetensorsError } from "./errors.js";
import { encodeSafetensors, parseSafetensors, Safetensors, type SafetensorsDType, type TensorData } from "./safetensors.js";

/** Options of saveWeights: metadata written into the safetensors header. */
export interface SaveWeightsOptions {
  /** Strings stored in the header's `__metadata__` (e.g. {format: "pt"}). */
  metadata?: Record<string, string>;
}

/** Options of loadWeights: strictness about missing or extra names, finiteness. */
export interface LoadWeightsOptions {
  /** Refuse missing and unexpected names (default true). */
  strict?: boolean;
  /** Refuse NaN and ±Infinity values (default false: values load exactly as stored). */
  requireFinite?: boolean;
}

/** Tensors by name as safetensors entries: float32 as F32, int32 as I32 (bits exactly). */
export function tensorsToSafetensors(tensors: Record<string, Tensor>, opts: SaveWeightsOptions = {}): Uint8Array {
  const entries: [string, TensorData][] = Object.entries(tensors).map(([n, t]) => [n, { dtype: t.dtype === "int32" ? "I32" : "F32", shape: t.shape, data: t.data() }]);
  return encodeSafetensors(entries, opts);
}

/**
 * A model's parameters and buffers (its stateDict) as safetensors bytes.
 * @example const bytes = saveWeights(model); // load in PyTorch with safetensors.torch.load
 */
export function saveWeights(model: Module, opts: SaveWeightsOptions = {}): Uint8Array {
  for (const k of Object.keys(opts)) if (k !== "metadata") throw new Error(`saveWeights: unknown option "${k}" (known: metadata)`);
  return tensorsToSafetensors(model.stateDict(), opts);
}

const FLOAT_DTYPES: readonly SafetensorsDType[] = ["F32", "F16", "BF16", "F64"];
const INT_DTYPES: readonly SafetensorsDType[] = ["I32", "I64", "I16", "I8", "U8", "U16", "U32", "BOOL"];

/**
 * Check that `file` can fill `targets` (names, shapes, dtypes, optionally finite values);
 * throws a SafetensorsError naming every problem, else returns the write plan.
 */
export function planLoad(file: Safetensors, targets: Record<string, Tensor>, opts: LoadWeightsOptions, where: string): [Tensor, string][] {
  const strict = opts.strict ?? true;
  const problems: string[] = [];
  let nonFinite = 0;
  const plan: [Tensor, string][] = [];
  for (const [name, t] of Object.entries(targets)) {
    if (!file.has(name)) { if (strict) problems.push(`missing "${name}" [${t.shape.join(", ")}]`); continue; }
    const info = file.info(name);
    if (info.shape.length !== t.shape.length || info.shape.some((d, i) => d !== t.shape[i])) {
      problems.push(`"${name}": shape [${info.shape.join(", ")}] in the file, the model has [${t.shape.join(", ")}]`);
      continue;
    }
    const ok = t.dtype === "float32" ? FLOAT_DTYPES : INT_DTYPES;
    if (!ok.includes(info.dtype)) {
      problems.push(`"${name}": dtype ${info.dtype} cannot load into a ${t.dtype} tensor (accepted: ${ok.join(", ")})`);
      continue;
    }
    if (t.dtype === "int32" && (info.dtype === "I64" || info.dtype === "U32")) {
      const v = file.read(name) as BigInt64Array | Uint32Array;
      for (let i = 0; i < v.length; i++) {
        const x = v[i];
        if (x > 2147483647 || x < -2147483648) { problems.push(`"${name}": value ${x} at ${i} does not fit int32`); break; }
      }
    }
    if (opts.requireFinite && t.dtype === "float32") {
      const bad = firstNonFinite(file, name);
      if (bad) { problems.push(`"${name}": ${bad}`); nonFinite++; }
    }
    plan.push([t, name]);
  }
  if (strict) for (const n of file.names) if (!(n in targets)) problems.push(`unexpected "${n}"`);
  if (problems.length) {
    const code = nonFinite === problems.length ? "NonFinite" : "ModelMismatch";
    throw new SafetensorsError(code, `${where}: ${problems.slice(0, 20).join("; ")}${problems.length > 20 ? `; and ${problems.length - 20} more` : ""}`);
  }
  return plan;
}

function firstNonFinite(file: Safetensors, name: string): string | null {
  const { dtype } = file.info(name);
  const raw = file.raw(name);
  let values: Float32Array | Float64Array;
  if (dtype === "F32") values = raw.byteOffset % 4 === 0 ? new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4) : new Float32Array(raw.slice().buffer);
  else values = file.read(name) as Float32Array | Float64Array;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (x - x !== 0) return `value ${x} at flat index ${i} (requireFinite refuses NaN and Infinity)`;
    if (dtype === "F64" && Math.fround(x) - Math.fround(x) !== 0) return `value ${x} at flat index ${i} overflows float32 to Infinity (requireFinite)`;
  }
  return null;
}

/** The tensor's values as the target's array type (f32 bits kept; halves widened; ints narrowed, checked before). */
function valuesFor(file: Safetensors, name: string, target: Tensor): Float32Array | Int32Array {
  const { dtype } = file.info(name);
  const raw = file.raw(name);
  if ((dtype === "F32" || dtype === "I32") && raw.byteOffset % 4 === 0) {
    return dtype === "F32" ? new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4) : new Int32Array(raw.buffer, raw.byteOffset, raw.length / 4);
  }
  const v = file.read(name);
  const out = target.dtype === "int32" ? new Int32Array(target.size) : new Float32Array(target.size);
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) for (let i = 0; i < v.length; i++) out[i] = Number(v[i]);
  else out.set(v);
  return out;
}

/** Write a checked plan into the tensors; cannot fail (names, shapes and values were checked). */
export function applyLoad(file: Safetensors, plan: [Tensor, string][]): void {
  for (const [t, name] of plan) t.write(valuesFor(file, name, t));
}

/**
 * Load safetensors bytes into a model's parameters and buffers by name. Every name,
 * shape and dtype is checked (and, with `requireFinite`, every value) before anything
 * is written: on any error the model is unchanged. F16, BF16 and F64 load as float32.
 * @example loadWeights(model, await (await fetch("model.safetensors")).bytes());
 */
export function loadWeights(model: Module, bytes: Uint8Array | Safetensors, opts: LoadWeightsOptions = {}): void {
  loadTensors(model.stateDict(), bytes, opts, "loadWeights");
}

/** loadWeights for tensors by name (a stateDict, or a part of one): checked whole, then written. */
export function loadTensors(targets: Record<string, Tensor>, bytes: Uint8Array | Safetensors, opts: LoadWeightsOptions = {}, where = "loadTensors"): void {
  for (const k of Object.keys(opts)) if (k !== "strict" && k !== "requireFinite") throw new Error(`${where}: unknown option "${k}" (known: strict, requireFinite)`);
  const file = bytes instanceof Safetensors ? bytes : parseSafetensors(bytes);
  applyLoad(file, planLoad(file, targets, opts, where));
}
