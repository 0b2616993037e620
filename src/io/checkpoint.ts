// Binary checkpoints: any state made of plain data and typed arrays (a Trainer's
// stateDict: weights, optimiser and weighting state, random streams, position, step) as
// one safetensors file. Typed arrays and long number arrays become tensors (exact bits);
// the rest is a small JSON in __metadata__["polyhead.checkpoint"] pointing at them.
// saveCheckpoint/loadLatestCheckpoint keep the last N in any Storage.
import { IoError, SafetensorsError } from "./errors.js";
import { encodeSafetensors, parseSafetensors, type SafetensorsDType, type TensorData } from "./safetensors.js";
import type { Storage } from "./storage.js";

/** The safetensors __metadata__ key under which a checkpoint's JSON state is stored. */
export const CHECKPOINT_KEY = "polyhead.checkpoint";
const VERSION = 1;
/** Number arrays at least this long go to the binary part (shorter ones stay readable JSON). */
const MIN_BINARY = 8;

type Typed = Float32Array | Float64Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array | BigInt64Array | BigUint64Array;
const TYPED: Record<string, [SafetensorsDType, new (b: ArrayBuffer) => Typed]> = {
  Float32Array: ["F32", Float32Array], Float64Array: ["F64", Float64Array], Int32Array: ["I32", Int32Array], Uint32Array: ["U32", Uint32Array],
  Int16Array: ["I16", Int16Array], Uint16Array: ["U16", Uint16Array], Int8Array: ["I8", Int8Array], Uint8Array: ["U8", Uint8Array],
  BigInt64Array: ["I64", BigInt64Array], BigUint64Array: ["U64", BigUint64Array],
};

const bad = (msg: string): never => { throw new IoError("InvalidCheckpoint", `checkpoint: ${msg}`); };

function typedName(v: unknown): string | null {
  if (!ArrayBuffer.isView(v) || v instanceof DataView) return null;
  const n = Object.getPrototypeOf(v)?.constructor?.name as string | undefined;
  return n && n in TYPED ? n : null;
}

/** The state as checkpoint bytes (safetensors; the JSON part in its metadata). */
export function encodeCheckpoint(state: unknown): Uint8Array {
  const tensors: [string, TensorData][] = [];
  const walk = (v: unknown, path: string, depth: number): unknown => {
    if (depth > 64) bad(`${path || "state"} nests deeper than 64 levels`);
    if (v === null || typeof v === "string" || typeof v === "boolean") return v;
    if (typeof v === "number") {
      // JSON has no NaN, infinities or -0: spell them out
      if (Number.isNaN(v)) return { $num: "NaN" };
      if (v === Infinity || v === -Infinity) return { $num: String(v) };
      if (Object.is(v, -0)) return { $num: "-0" };
      return v;
    }
    const tn = typedName(v);
    if (tn) {
      const t = v as Typed;
      tensors.push([path, { dtype: TYPED[tn][0], shape: [t.length], data: t }]);
      return { $tensor: path, $type: tn };
    }
    if (Array.isArray(v)) {
      if (v.length >= MIN_BINARY && v.every((x) => typeof x === "number")) {
        // float32 when that is exact for every value (model weights copied out of tensors), else float64
        const f32 = v.every((x) => Object.is(Math.fround(x), x) || Number.isNaN(x));
        tensors.push([path, { dtype: f32 ? "F32" : "F64", shape: [v.length], data: f32 ? Float32Array.from(v) : Float64Array.from(v) }]);
        return { $tensor: path, $type: "Array" };
      }
      return v.map((x, i) => walk(x, `${path}.${i}`, depth + 1));
    }
    if (typeof v === "object" && v !== undefined) {
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) bad(`${path || "state"} is a ${proto?.constructor?.name ?? "non-plain object"}; checkpoints hold plain data and typed arrays`);
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as object)) {
        if (k.startsWith("$")) bad(`key "${k}" at ${path || "state"}: keys starting with "$" are reserved`);
        if (x !== undefined) out[k] = walk(x, path ? `${path}.${k}` : k, depth + 1);
      }
      return out;
    }
    return bad(`${path || "state"} is a ${typeof v}; checkpoints hold plain data and typed arrays`);
  };
  const json = JSON.stringify(walk(state, "", 0));
  const sum = checksum(json, tensors.map(([n, t]) => [n, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)]));
  return encodeSafetensors(tensors, { metadata: { format: "polyhead", [CHECKPOINT_KEY]: `{"version":${VERSION},"checksum":"${sum}","state":${json}}` } });
}

/**
 * FNV-1a over the state's JSON text and every tensor's name and bytes (in name order), 32
 * bits at a time: not a defence against forgery, a check that no byte changed on disk.
 */
function checksum(json: string, tensors: [string, Uint8Array][]): string {
  let h = 0x811c9dc5;
  const mix = (b: Uint8Array) => {
    const n4 = b.length >>> 2;
    const words = b.byteOffset % 4 === 0 ? new Uint32Array(b.buffer, b.byteOffset, n4) : new Uint32Array(b.slice(0, n4 * 4).buffer);
    for (let i = 0; i < n4; i++) h = Math.imul(h ^ words[i], 0x01000193);
    for (let i = n4 * 4; i < b.length; i++) h = Math.imul(h ^ b[i], 0x01000193);
    h = Math.imul(h ^ b.length, 0x01000193);
  };
  const enc = new TextEncoder();
  mix(enc.encode(json));
  for (const [name, bytes] of [...tensors].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) { mix(enc.encode(name)); mix(bytes); }
  return (h >>> 0).toString(16).padStart(8, "0");
}

/**
 * The state encodeCheckpoint stored, typed arrays and all. A damaged or foreign file is a
 * SafetensorsError or an IoError ("InvalidCheckpoint").
 */
export function decodeCheckpoint(bytes: Uint8Array): unknown {
  const file = parseSafetensors(bytes);
  const text = file.metadata?.[CHECKPOINT_KEY];
  if (text === undefined) bad(`not a polyhead checkpoint (no __metadata__["${CHECKPOINT_KEY}"])`);
  let doc: { version?: unknown; checksum?: unknown; state?: unknown };
  try { doc = JSON.parse(text!); } catch (e) { return bad(`its JSON part does not parse (${(e as Error).message})`); }
  if (!doc || typeof doc !== "object" || doc.version !== VERSION || !("state" in doc)) bad(`unsupported checkpoint version ${JSON.stringify(doc?.version)} (this polyhead reads ${VERSION})`);
  const used = new Set<string>();
  const revive = (v: unknown, depth: number): unknown => {
    if (depth > 64) bad("the JSON part nests deeper than 64 levels");
    if (Array.isArray(v)) return v.map((x) => revive(x, depth + 1));
    if (!v || typeof v !== "object") return v;
    const o = v as Record<string, unknown>;
    if ("$num" in o) {
      const m: Record<string, number> = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity, "-0": -0 };
      if (Object.keys(o).length !== 1 || typeof o.$num !== "string" || !(o.$num in m)) bad(`bad number ${JSON.stringify(o)}`);
      return m[o.$num as string];
    }
    if ("$tensor" in o) {
      const name = o.$tensor, type = o.$type;
      if (Object.keys(o).length !== 2 || typeof name !== "string" || typeof type !== "string" || (type !== "Array" && !(type in TYPED))) bad(`bad tensor reference ${JSON.stringify(o).slice(0, 80)}`);
      if (!file.has(name as string)) bad(`the JSON part refers to tensor "${name}", which the file lacks`);
      if (used.has(name as string)) bad(`tensor "${name}" is referred to twice`);
      used.add(name as string);
      const info = file.info(name as string);
      if (type === "Array") {
        if (info.dtype !== "F32" && info.dtype !== "F64") bad(`tensor "${name}" is ${info.dtype}, a number array must be F32 or F64`);
        return Array.from(file.read(name as string) as Float32Array | Float64Array);
      }
      const [dtype, Ctor] = TYPED[type as string];
      if (info.dtype !== dtype) bad(`tensor "${name}" is ${info.dtype}, its ${type} needs ${dtype}`);
      const raw = file.raw(name as string).slice();
      return new Ctor(raw.buffer);
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) Object.defineProperty(out, k, { value: revive(x, depth + 1), enumerable: true, writable: true, configurable: true });
    return out;
  };
  const state = revive(doc.state, 0);
  for (const n of file.names) if (!used.has(n)) bad(`tensor "${n}" is not referred to by the JSON part`);
  const sum = checksum(JSON.stringify(doc.state), file.names.map((n) => [n, file.raw(n)]));
  if (sum !== doc.checksum) throw new IoError("ChecksumMismatch", `checkpoint: damaged: its checksum is ${sum}, the file records ${JSON.stringify(doc.checksum)}`);
  return state;
}

/** Options of saveCheckpoint: the step it names and how many checkpoints to keep. */
export interface SaveCheckpointOptions {
  /** The step it was taken at (default: state.step); names the key, so later sorts last. */
  step?: number;
  /** Keep this many most recent checkpoints (default 3); older ones are removed after a save. */
  keepLast?: number;
  /** Key prefix (default "ckpt"): keys are `<prefix>-<step, 12 digits>.safetensors`. */
  prefix?: string;
}

const keyRe = (prefix: string) => new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-(\\d{12})\\.safetensors$`);

/**
 * Write a checkpoint of `state` (e.g. trainer.stateDict()) to storage, then remove all but
 * the last `keepLast`. With an atomic storage (fileStorage, OPFS, IndexedDB) a crash at
 * any moment leaves the previous checkpoints loadable.
 * @example await saveCheckpoint(fileStorage("runs/a"), trainer.stateDict(), { keepLast: 3 });
 */
export async function saveCheckpoint(storage: Storage, state: unknown, opts: SaveCheckpointOptions = {}): Promise<string> {
  for (const k of Object.keys(opts)) if (!["step", "keepLast", "prefix"].includes(k)) throw new Error(`saveCheckpoint: unknown option "${k}" (known: step, keepLast, prefix)`);
  const step = opts.step ?? (state as { step?: unknown })?.step;
  if (!Number.isSafeInteger(step) || (step as number) < 0) throw new Error(`saveCheckpoint: step must be a non-negative integer (give opts.step or a state with .step), got ${String(step)}`);
  const keep = opts.keepLast ?? 3;
  if (!Number.isInteger(keep) || keep < 1) throw new Error(`saveCheckpoint: keepLast must be an integer >= 1, got ${keep}`);
  const prefix = opts.prefix ?? "ckpt";
  if (!/^[A-Za-z0-9_-]+$/.test(prefix)) throw new Error(`saveCheckpoint: prefix must be letters, digits, "_" or "-", got ${JSON.stringify(prefix)}`);
  const key = `${prefix}-${String(step).padStart(12, "0")}.safetensors`;
  await storage.write(key, encodeCheckpoint(state));
  const re = keyRe(prefix);
  const keys = (await storage.list()).filter((k) => re.test(k)).sort();
  for (const k of keys.slice(0, Math.max(0, keys.length - keep))) await storage.remove(k);
  return key;
}

/**
 * The newest checkpoint that decodes, or null when there is none. A damaged newest one
 * (not written by saveCheckpoint's atomic path) is skipped for the one before it; the
 * keys skipped are reported in `skipped`.
 */
export async function loadLatestCheckpoint(storage: Storage, opts: { prefix?: string } = {}): Promise<{ key: string; step: number; state: unknown; skipped: string[] } | null> {
  for (const k of Object.keys(opts)) if (k !== "prefix") throw new Error(`loadLatestCheckpoint: unknown option "${k}" (known: prefix)`);
  const re = keyRe(opts.prefix ?? "ckpt");
  const keys = (await storage.list()).filter((k) => re.test(k)).sort().reverse();
  const skipped: string[] = [];
  for (const key of keys) {
    try {
      return { key, step: Number(re.exec(key)![1]), state: decodeCheckpoint(await storage.read(key)), skipped };
    } catch (e) {
      if (!(e instanceof IoError || e instanceof SafetensorsError)) throw e;
      skipped.push(key);
    }
  }
  return null;
}
