// The engine: loads the Wasm module once, owns its linear memory (a size-binned
// allocator, typed-array views rebuilt after growth) and the scopes that free a
// computation's temporaries. The only code that deals in raw byte offsets.
import { KERNEL_ARITY, KERNEL_NAMES, type Kernels } from "./kernels.js";

/** Where the Wasm module comes from: inlined bytes (universal bundle) or a precompiled module (edge). */
export type WasmSource = () => Promise<WebAssembly.Module | BufferSource>;

export interface InitOptions {
  /** Upper bound on Wasm memory in MiB (default 2048, the most is 4096). Exceeding it throws a clear error. */
  maxMemoryMB?: number;
}

let source: WasmSource | null = null;
let kernels: Kernels | null = null;
let pending: Promise<void> | null = null;

const ALIGN = 64; // bytes; a cache line, and a multiple of v128
const PAGE = 65536;
let maxBytes = 2048 * 1024 * 1024;

/** Set by each entry point (index.ts, edge.ts) before init() is called. */
export function setWasmSource(s: WasmSource): void { source = s; }

// Smallest module with a SIMD instruction (v128.const + drop): validates only where SIMD is on.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 23,
  1, 21, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 26, 11]);

/** True where WebAssembly with the SIMD proposal is available. */
export function simdSupported(): boolean {
  return typeof WebAssembly === "object" && WebAssembly.validate(SIMD_PROBE);
}

/**
 * Load the kernels. Cheap and idempotent: concurrent and repeated calls share one load.
 * @example
 * await init();
 * const x = tensor([[1, 2], [3, 4]]);
 */
export function init(options: InitOptions = {}): Promise<void> {
  if (options.maxMemoryMB !== undefined) setMaxMemory(options.maxMemoryMB);
  if (kernels) return Promise.resolve();
  if (!pending) {
    pending = load().catch((e) => { pending = null; throw e; });
  }
  return pending;
}

function setMaxMemory(mb: number): void {
  if (!(mb > 0 && mb <= 4096)) throw new RangeError(`init: maxMemoryMB must be in (0, 4096], got ${mb}`);
  maxBytes = Math.floor(mb * 1024 * 1024);
}

async function load(): Promise<void> {
  if (!simdSupported()) {
    throw new Error("polyhead: this runtime lacks WebAssembly SIMD (checked with WebAssembly.validate); " +
      "polyhead needs it (Node >= 16.4, Deno, Bun, Chrome >= 91, Firefox >= 89, Safari >= 16.4)");
  }
  if (!source) throw new Error("polyhead: no Wasm source set; import polyhead from its package entry");
  const src = await source();
  const instance = src instanceof WebAssembly.Module
    ? await WebAssembly.instantiate(src, {})
    : (await WebAssembly.instantiate(src, {})).instance;
  const ex = instance.exports as unknown as Kernels;
  for (const name of KERNEL_NAMES) {
    if (!(name in ex)) throw new Error(`polyhead: Wasm module lacks kernel "${name}" (build mismatch)`);
    if (ex[name].length !== KERNEL_ARITY[name]) {
      throw new Error(`polyhead: Wasm kernel "${name}" takes ${ex[name].length} arguments, the host expects ${KERNEL_ARITY[name]} (build mismatch)`);
    }
  }
  kernels = ex;
  memory = ex.memory;
  top = align(ex.heap_base());
  base = top;
}

/** The kernels; throws a clear error when init() has not finished. */
export function K(): Kernels {
  if (!kernels) throw new Error("polyhead: call `await init()` before creating tensors");
  return kernels;
}

/** True once `init()` has finished. */
export function isReady(): boolean { return kernels !== null; }

// ------------------------------------------------------------------ allocator
// Exact-size bins (rounded to ALIGN) over a bump pointer. A training loop allocates the
// same sizes every step, so after the first step every request is served from a bin and
// the high-water mark stays put. Memory is never returned to the runtime (Wasm can't).

let memory: WebAssembly.Memory | null = null;
let base = 0;
let top = 0;
let inUse = 0;
let live = 0;
const bins = new Map<number, number[]>();

function align(n: number): number { return Math.ceil(n / ALIGN) * ALIGN; }

/** @internal Allocate `bytes` of Wasm memory (64-byte aligned); throws a clear error past the configured maximum. */
export function alloc(bytes: number): number {
  const size = align(Math.max(bytes, 1));
  const bin = bins.get(size);
  let ptr: number;
  if (bin && bin.length > 0) {
    ptr = bin.pop()!;
  } else {
    ptr = top;
    const end = top + size;
    if (end > maxBytes) {
      throw new Error(`polyhead: out of memory: need ${size} more bytes, ${inUse} in use, ` +
        `${end - base} reserved, limit ${maxBytes} (raise it with init({ maxMemoryMB }))`);
    }
    const buf = memory!.buffer.byteLength;
    if (end > buf) {
      const pages = Math.ceil((end - buf) / PAGE);
      // grow in steps of at least 1/8 of the current size to amortise view rebuilds
      const want = Math.max(pages, Math.ceil(buf / PAGE / 8));
      const cap = Math.floor(Math.min(maxBytes, 4294901760) / PAGE) - buf / PAGE;
      try { memory!.grow(Math.min(want, Math.max(cap, pages))); }
      catch { throw new Error(`polyhead: out of memory: the runtime refused to grow Wasm memory to ${end} bytes`); }
    }
    top = end;
  }
  inUse += size;
  live++;
  return ptr;
}

/** @internal Return a block from `alloc` to its size bin. */
export function free(ptr: number, bytes: number): void {
  const size = align(Math.max(bytes, 1));
  let bin = bins.get(size);
  if (!bin) { bin = []; bins.set(size, bin); }
  bin.push(ptr);
  inUse -= size;
  live--;
}

export interface MemoryStats {
  /** Bytes held by live tensors. */
  bytesInUse: number;
  /** Bytes reserved from the runtime so far (the high-water mark of the allocator). */
  highWater: number;
  /** Number of live allocations. */
  liveAllocations: number;
  /** Bytes of Wasm linear memory. */
  wasmBytes: number;
}

/**
 * Allocator figures: bytes in use, the high-water mark, live allocations, Wasm memory size.
 * @example const { highWater } = memoryStats(); // stops growing after a training loop's first step
 */
export function memoryStats(): MemoryStats {
  return { bytesInUse: inUse, highWater: top - base, liveAllocations: live, wasmBytes: memory ? memory.buffer.byteLength : 0 };
}

// ------------------------------------------------------------------ views
let f32: Float32Array = new Float32Array(0);
let i32: Int32Array = new Int32Array(0);
let u32: Uint32Array = new Uint32Array(0);

/** Float32 view of all of Wasm memory, rebuilt after memory.grow detaches the old one. */
export function F32(): Float32Array {
  if (f32.buffer !== memory!.buffer) refresh();
  return f32;
}
/** Int32 view of all of Wasm memory (rebuilt after growth). */
export function I32(): Int32Array {
  if (i32.buffer !== memory!.buffer) refresh();
  return i32;
}
/** Uint32 view of all of Wasm memory (rebuilt after growth). */
export function U32(): Uint32Array {
  if (u32.buffer !== memory!.buffer) refresh();
  return u32;
}
function refresh(): void {
  const b = memory!.buffer;
  f32 = new Float32Array(b); i32 = new Int32Array(b); u32 = new Uint32Array(b);
}
