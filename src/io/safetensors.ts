// The safetensors format, read and written by us: 8-byte little-endian header length, a
// JSON header ({name: {dtype, shape, data_offsets}}, optional "__metadata__" of strings),
// then the raw little-endian data. The reader validates by the reference Rust reader's
// rules before it touches any data, and allocates nothing the file does not justify.
import { SafetensorsError } from "./errors.js";

/** The dtypes of the safetensors format (F32, I32, F16, BF16, ...). */
export type SafetensorsDType =
  | "BOOL" | "U8" | "I8" | "F8_E5M2" | "F8_E4M3" | "I16" | "U16" | "F16" | "BF16"
  | "I32" | "U32" | "F32" | "F64" | "I64" | "U64";

/** Bytes per element of each dtype the reference reader knows. */
export const DTYPE_SIZE: Readonly<Record<SafetensorsDType, number>> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8,
};

/** The reference reader's limit: larger headers are refused before they are decoded. */
export const MAX_HEADER_BYTES = 100_000_000;

/** One tensor's entry in a safetensors header: dtype, shape and byte range. */
export interface TensorInfo {
  dtype: SafetensorsDType;
  shape: number[];
  /** [begin, end) in bytes, relative to the start of the data section. */
  dataOffsets: [number, number];
}

/** What `readTensor` gives per dtype: the natural typed array (F16/BF16 widened to f32). */
export type TensorValues = Float32Array | Float64Array | Int32Array | Uint32Array | Int16Array | Uint16Array
  | Int8Array | Uint8Array | BigInt64Array | BigUint64Array;

/** A tensor to write: dtype, shape and its values (a typed array of the dtype's width, or raw bytes). */
export interface TensorData {
  dtype: SafetensorsDType;
  shape: readonly number[];
  data: ArrayBufferView;
}

const fail = (code: string, msg: string): never => { throw new SafetensorsError(code, msg); };

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  // Every engine polyhead runs on is little-endian; the format is too, and we copy raw bytes.
  throw new Error("polyhead/io: this host is big-endian; safetensors I/O assumes little-endian typed arrays");
}

/**
 * A parsed and validated safetensors file: the header, and views into the caller's bytes
 * (nothing is copied until a tensor is read).
 */
export class Safetensors {
  /** @internal Use parseSafetensors. */
  constructor(
    readonly bytes: Uint8Array,
    readonly dataStart: number,
    private readonly infos: Map<string, TensorInfo>,
    /** The `__metadata__` strings, or null when the file has none. */
    readonly metadata: Record<string, string> | null,
  ) {}

  /** Tensor names in data order. */
  get names(): string[] { return [...this.infos.keys()]; }

  /** Whether the file holds a tensor of this name. */
  has(name: string): boolean { return this.infos.has(name); }

  /** A tensor's dtype, shape and byte range (an error naming it when absent). */
  info(name: string): TensorInfo {
    const i = this.infos.get(name);
    if (!i) fail("TensorNotFound", `no tensor "${name}" in the file (it has ${this.infos.size}: ${this.names.slice(0, 8).join(", ")}${this.infos.size > 8 ? ", ..." : ""})`);
    return i!;
  }

  /** The tensor's raw little-endian bytes (a view, not a copy). */
  raw(name: string): Uint8Array {
    const { dataOffsets: [b, e] } = this.info(name);
    return this.bytes.subarray(this.dataStart + b, this.dataStart + e);
  }

  /** The values as a fresh typed array of the dtype (F16/BF16 widened to Float32Array). */
  read(name: string): TensorValues {
    const { dtype } = this.info(name);
    const raw = this.raw(name);
    if (dtype === "F16" || dtype === "BF16") {
      const out = new Float32Array(raw.length / 2);
      widenHalf(out, raw, dtype);
      return out;
    }
    const copy = raw.slice(); // aligned for any typed array
    const buf = copy.buffer;
    switch (dtype) {
      case "F32": return new Float32Array(buf);
      case "F64": return new Float64Array(buf);
      case "I32": return new Int32Array(buf);
      case "U32": return new Uint32Array(buf);
      case "I16": return new Int16Array(buf);
      case "U16": return new Uint16Array(buf);
      case "I8": return new Int8Array(buf);
      case "I64": return new BigInt64Array(buf);
      case "U64": return new BigUint64Array(buf);
      default: return copy; // BOOL, U8, F8_*: bytes
    }
  }
}

/**
 * Parse and validate a safetensors file. Throws a SafetensorsError whose `code` is the
 * reference reader's: HeaderTooSmall, HeaderTooLarge, InvalidHeaderLength, InvalidHeader
 * (not UTF-8), InvalidHeaderStart, InvalidHeaderDeserialization (not JSON, wrong fields,
 * unknown dtype, duplicate names, non-string metadata), InvalidOffset, ValidationOverflow,
 * TensorInvalidInfo, MetadataIncompleteBuffer.
 */
export function parseSafetensors(bytes: Uint8Array): Safetensors {
  if (!(bytes instanceof Uint8Array)) fail("InvalidInput", `expected a Uint8Array, got ${Object.prototype.toString.call(bytes)}`);
  const len = bytes.length;
  if (len < 8) fail("HeaderTooSmall", `the file has ${len} bytes, fewer than the 8 of the header length`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const lo = dv.getUint32(0, true), hi = dv.getUint32(4, true);
  const n = hi * 4294967296 + lo; // exact below 2^53; larger values fail the next check anyway
  if (hi >= 0x200000 || n > MAX_HEADER_BYTES) fail("HeaderTooLarge", `header length ${hi >= 0x200000 ? "above 2^53" : n} bytes exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  if (8 + n > len) fail("InvalidHeaderLength", `header length ${n} runs past the end of the ${len}-byte file`);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    return fail("InvalidHeader", "the header is not valid UTF-8");
  }
  if (text[0] !== "{") fail("InvalidHeaderStart", `the header must start with "{", found ${JSON.stringify(text.slice(0, 8))}`);
  const { tensors, metadata } = new HeaderParser(text).parse();

  // The reference reader's validation: sorted by offsets, each tensor starts where the
  // previous one ended, its byte count is shape x dtype size, and the last one ends the file.
  const sorted = [...tensors].sort((a, b) => a[1].dataOffsets[0] - b[1].dataOffsets[0] || a[1].dataOffsets[1] - b[1].dataOffsets[1]);
  let start = 0;
  for (const [name, info] of sorted) {
    const [b, e] = info.dataOffsets;
    if (b !== start || e < b) {
      fail("InvalidOffset", `tensor "${name}" has data_offsets [${b}, ${e}], expected it to start at ${start}${e < b ? " and not run backwards" : b > start ? " (a hole)" : " (an overlap)"}`);
    }
    start = e;
    let count = 1;
    for (const d of info.shape) {
      count *= d;
      if (count > Number.MAX_SAFE_INTEGER) fail("ValidationOverflow", `tensor "${name}" shape [${info.shape.join(", ")}] has more elements than can be addressed`);
    }
    const nbytes = count * DTYPE_SIZE[info.dtype];
    if (nbytes > Number.MAX_SAFE_INTEGER) fail("ValidationOverflow", `tensor "${name}" shape [${info.shape.join(", ")}] x ${info.dtype} overflows`);
    if (e - b !== nbytes) {
      fail("TensorInvalidInfo", `tensor "${name}" ${info.dtype} [${info.shape.join(", ")}] needs ${nbytes} bytes, its data_offsets [${b}, ${e}] hold ${e - b}`);
    }
  }
  if (8 + n + start !== len) {
    fail("MetadataIncompleteBuffer", `the tensors cover ${start} data bytes, the file has ${len - 8 - n} after its header${len - 8 - n < start ? " (truncated?)" : ""}`);
  }
  return new Safetensors(bytes, 8 + n, new Map(sorted), metadata);
}

/**
 * Write tensors as a safetensors file. Tensors are laid out by descending element size,
 * then in the order given, so every tensor's data is aligned to its element size.
 */
export function encodeSafetensors(tensors: Iterable<[string, TensorData]> | Record<string, TensorData>, opts: { metadata?: Record<string, string> } = {}): Uint8Array {
  for (const k of Object.keys(opts)) if (k !== "metadata") throw new Error(`encodeSafetensors: unknown option "${k}" (known: metadata)`);
  const list = Symbol.iterator in tensors ? [...(tensors as Iterable<[string, TensorData]>)] : Object.entries(tensors);
  const seen = new Set<string>();
  for (const [name, t] of list) {
    if (typeof name !== "string") throw new Error(`encodeSafetensors: tensor names must be strings, got ${typeof name}`);
    if (name === "__metadata__") throw new Error(`encodeSafetensors: "__metadata__" is reserved and cannot name a tensor`);
    if (seen.has(name)) throw new Error(`encodeSafetensors: duplicate tensor name "${name}"`);
    seen.add(name);
    if (!(t.dtype in DTYPE_SIZE)) throw new Error(`encodeSafetensors: tensor "${name}": unknown dtype "${t.dtype}" (known: ${Object.keys(DTYPE_SIZE).join(", ")})`);
    let count = 1;
    for (const d of t.shape) {
      if (!Number.isSafeInteger(d) || d < 0) throw new Error(`encodeSafetensors: tensor "${name}": invalid shape [${t.shape.join(", ")}]`);
      count *= d;
    }
    if (t.data.byteLength !== count * DTYPE_SIZE[t.dtype]) {
      throw new Error(`encodeSafetensors: tensor "${name}" ${t.dtype} [${t.shape.join(", ")}] needs ${count * DTYPE_SIZE[t.dtype]} bytes, its data has ${t.data.byteLength}`);
    }
  }
  if (opts.metadata !== undefined) {
    for (const [k, v] of Object.entries(opts.metadata)) {
      if (typeof v !== "string") throw new Error(`encodeSafetensors: metadata "${k}" must be a string, got ${typeof v}`);
    }
  }
  const order = list.map((e, i) => ({ e, i })).sort((a, b) => DTYPE_SIZE[b.e[1].dtype] - DTYPE_SIZE[a.e[1].dtype] || a.i - b.i).map((x) => x.e);
  // Built as text by entries: a tensor or metadata key "__proto__" must stay a plain key.
  const parts: string[] = [];
  if (opts.metadata) {
    parts.push(`"__metadata__":{${Object.entries(opts.metadata).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(",")}}`);
  }
  let off = 0;
  for (const [name, t] of order) {
    parts.push(`${JSON.stringify(name)}:{"dtype":"${t.dtype}","shape":[${t.shape.join(",")}],"data_offsets":[${off},${off + t.data.byteLength}]}`);
    off += t.data.byteLength;
  }
  const json = "{" + parts.join(",") + "}";
  const hb = new TextEncoder().encode(json);
  const hlen = Math.ceil(hb.length / 8) * 8;
  const out = new Uint8Array(8 + hlen + off);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, hlen % 4294967296, true);
  dv.setUint32(4, Math.floor(hlen / 4294967296), true);
  out.set(hb, 8);
  out.fill(0x20, 8 + hb.length, 8 + hlen);
  let p = 8 + hlen;
  for (const [, t] of order) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), p);
    p += t.data.byteLength;
  }
  return out;
}

let F16_TABLE: Uint32Array | null = null;

/** f32 bit patterns of every f16 value (NaN payloads kept), built on first use. */
function f16Table(): Uint32Array {
  if (F16_TABLE) return F16_TABLE;
  const t = new Uint32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >> 10) & 0x1f;
    let mant = h & 0x3ff;
    if (exp === 0) {
      if (mant === 0) t[h] = sign;
      else { // subnormal: normalise
        let e = 113;
        while (!(mant & 0x400)) { mant <<= 1; e--; }
        t[h] = sign | (e << 23) | ((mant & 0x3ff) << 13);
      }
    } else if (exp === 31) t[h] = sign | 0x7f800000 | (mant << 13);
    else t[h] = sign | ((exp + 112) << 23) | (mant << 13);
  }
  return (F16_TABLE = t);
}

/** Widen F16 or BF16 little-endian bytes into f32 values (exact: every half is an f32). */
export function widenHalf(out: Float32Array, raw: Uint8Array, dtype: "F16" | "BF16"): void {
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  if (dtype === "BF16") for (let i = 0; i < out.length; i++) bits[i] = ((raw[2 * i + 1] << 24) | (raw[2 * i] << 16)) >>> 0;
  else {
    const t = f16Table();
    for (let i = 0; i < out.length; i++) bits[i] = t[raw[2 * i] | (raw[2 * i + 1] << 8)];
  }
}

// A JSON parser for the header's fixed shape only: {name: {dtype, shape, data_offsets},
// "__metadata__": {k: "v"}}. Unlike JSON.parse it sees duplicate keys, keeps integers
// exact (or refuses them), and never recurses, so no header can exhaust the stack.
class HeaderParser {
  private i = 0;
  constructor(private readonly s: string) {}

  private bad(what: string): never {
    return fail("InvalidHeaderDeserialization", `${what} at header byte ${this.i}${this.i < this.s.length ? ` (near ${JSON.stringify(this.s.slice(this.i, this.i + 16))})` : " (end of header)"}`);
  }

  private ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.i++; else break;
    }
  }

  private eat(ch: string): void {
    this.ws();
    if (this.s[this.i] !== ch) this.bad(`expected "${ch}"`);
    this.i++;
  }

  /** After a member: true if another follows (","), false at the closing bracket. */
  private more(close: string): boolean {
    this.ws();
    const c = this.s[this.i];
    if (c === ",") { this.i++; return true; }
    if (c === close) { this.i++; return false; }
    return this.bad(`expected "," or "${close}"`);
  }

  private string(): string {
    this.ws();
    const s = this.s;
    if (s[this.i] !== '"') this.bad("expected a string");
    this.i++;
    let out = "";
    let run = this.i;
    for (;;) {
      if (this.i >= s.length) this.bad("unterminated string");
      const c = s.charCodeAt(this.i);
      if (c === 0x22) { out += s.slice(run, this.i); this.i++; return out; }
      if (c < 0x20) this.bad("control character in a string");
      if (c !== 0x5c) { this.i++; continue; }
      out += s.slice(run, this.i);
      const e = s[this.i + 1];
      this.i += 2;
      switch (e) {
        case '"': out += '"'; break;
        case "\\": out += "\\"; break;
        case "/": out += "/"; break;
        case "b": out += "\b"; break;
        case "f": out += "\f"; break;
        case "n": out += "\n"; break;
        case "r": out += "\r"; break;
        case "t": out += "\t"; break;
        case "u": {
          const hex = s.slice(this.i, this.i + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.bad("bad \\u escape");
          out += String.fromCharCode(parseInt(hex, 16));
          this.i += 4;
          break;
        }
        default: this.i -= 2; this.bad("bad escape");
      }
      run = this.i;
    }
  }

  /** A non-negative integer (JSON number without fraction or exponent). */
  private uint(what: string): number {
    this.ws();
    const m = /^(?:0|[1-9][0-9]*)(?![0-9.eE+-])/.exec(this.s.slice(this.i, this.i + 24));
    if (!m) this.bad(`${what} must be a non-negative integer`);
    this.i += m![0].length;
    const v = Number(m![0]);
    if (!Number.isSafeInteger(v)) fail("ValidationOverflow", `${what} ${m![0]} is too large`);
    return v;
  }

  private uintArray(what: string): number[] {
    this.eat("[");
    const out: number[] = [];
    this.ws();
    if (this.s[this.i] === "]") { this.i++; return out; }
    do out.push(this.uint(what)); while (this.more("]"));
    return out;
  }

  private tensor(name: string): TensorInfo {
    this.eat("{");
    let dtype: string | undefined, shape: number[] | undefined, offsets: number[] | undefined;
    this.ws();
    if (this.s[this.i] === "}") this.bad(`tensor "${name}" has no dtype, shape or data_offsets`);
    do {
      const key = this.string();
      this.eat(":");
      if (key === "dtype" && dtype === undefined) dtype = this.string();
      else if (key === "shape" && shape === undefined) shape = this.uintArray(`tensor "${name}" shape entry`);
      else if (key === "data_offsets" && offsets === undefined) offsets = this.uintArray(`tensor "${name}" data_offsets entry`);
      else this.bad(`tensor "${name}": ${["dtype", "shape", "data_offsets"].includes(key) ? "duplicate" : "unknown"} field "${key}"`);
    } while (this.more("}"));
    if (dtype === undefined || shape === undefined || offsets === undefined) {
      this.bad(`tensor "${name}" lacks ${[dtype === undefined && "dtype", shape === undefined && "shape", offsets === undefined && "data_offsets"].filter(Boolean).join(", ")}`);
    }
    if (!Object.prototype.hasOwnProperty.call(DTYPE_SIZE, dtype!)) this.bad(`tensor "${name}": unknown dtype "${dtype}" (known: ${Object.keys(DTYPE_SIZE).join(", ")})`);
    if (offsets!.length !== 2) this.bad(`tensor "${name}": data_offsets must be [begin, end], got ${offsets!.length} numbers`);
    return { dtype: dtype as SafetensorsDType, shape: shape!, dataOffsets: [offsets![0], offsets![1]] };
  }

  private metadata(): Record<string, string> | null {
    this.ws();
    if (this.s.startsWith("null", this.i)) { this.i += 4; return null; }
    this.eat("{");
    const out: [string, string][] = [];
    const seen = new Set<string>();
    this.ws();
    if (this.s[this.i] === "}") { this.i++; return {}; }
    do {
      const k = this.string();
      if (seen.has(k)) this.bad(`duplicate __metadata__ key "${k}"`);
      seen.add(k);
      this.eat(":");
      this.ws();
      if (this.s[this.i] !== '"') this.bad(`__metadata__ "${k}" must be a string`);
      out.push([k, this.string()]);
    } while (this.more("}"));
    return Object.fromEntries(out);
  }

  parse(): { tensors: [string, TensorInfo][]; metadata: Record<string, string> | null } {
    const tensors: [string, TensorInfo][] = [];
    const seen = new Set<string>();
    let metadata: Record<string, string> | null = null;
    this.eat("{");
    this.ws();
    if (this.s[this.i] === "}") this.i++;
    else {
      do {
        const name = this.string();
        if (seen.has(name)) this.bad(`duplicate name "${name}"`);
        seen.add(name);
        this.eat(":");
        if (name === "__metadata__") metadata = this.metadata();
        else tensors.push([name, this.tensor(name)]);
      } while (this.more("}"));
    }
    this.ws();
    if (this.i !== this.s.length) this.bad("trailing characters after the header object");
    return { tensors, metadata };
  }
}
