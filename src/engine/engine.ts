// The engine: loads the Wasm module once, owns its linear memory (a splitting,
// coalescing allocator, typed-array views rebuilt after growth) and the scopes that free a
// computation's temporaries. The only code that deals in raw byte offsets.
import { KERNEL_ARITY, KERNEL_NAMES, type Kernels } from "./kernels.js";
import { checkOptions, show } from "../validate.js";

/**
 * Where the Wasm module comes from: inlined bytes (universal bundle), a precompiled module
 * (edge), or kernels an entry instantiated itself (polyhead/threads: on shared memory, its
 * matmul spread over a pool).
 */
export type WasmSource = () => Promise<WebAssembly.Module | BufferSource | { exports: Kernels }>;

/** Options of init(): where the Wasm comes from, memory and threading. */
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
  checkOptions("init", options, ["maxMemoryMB"]);
  if (options.maxMemoryMB !== undefined) setMaxMemory(options.maxMemoryMB);
  if (kernels) return Promise.resolve();
  if (!pending) {
    pending = load().catch((e) => { pending = null; throw e; });
  }
  return pending;
}

function setMaxMemory(mb: number): void {
  if (!(typeof mb === "number" && mb > 0 && mb <= 4096)) throw new RangeError(`init: maxMemoryMB must be a number in (0, 4096], got ${show(mb)}`);
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
    : "exports" in src ? src : (await WebAssembly.instantiate(src, {})).instance;
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
  peak = top;
}

/** The kernels; throws a clear error when init() has not finished. */
export function K(): Kernels {
  if (hooks) return hooks.kernels;
  if (!kernels) throw new Error("polyhead: call `await init()` before creating tensors");
  return kernels;
}

/**
 * @internal What record.ts puts in place while it records independent work: kernels that
 * record their calls instead of running them, and hooks on allocation (a block a list was
 * given, or one it freed itself), on free (held back until every list has run: another list
 * must not be handed a block one may still write) and on a whole-memory view (the recorded work runs first, so
 * what JS reads or writes is as if every call had run when made).
 */
export interface RecordHooks {
  kernels: Kernels;
  /** A block of `size` bytes the list being recorded freed itself (it runs in order on one thread), or -1. */
  reuse(size: number): number;
  alloc(ptr: number, size: number): void;
  free(ptr: number, size: number): void;
  touch(): void;
}
let hooks: RecordHooks | null = null;

/** @internal Install (or, with null, remove) record.ts's hooks. */
export function setRecordHooks(h: RecordHooks | null): void { hooks = h; }

type Independent = <T>(n: number, body: (i: number) => T) => T[];
let independentOn: Independent | null = null;

/** @internal Set by polyhead/threads while its pool runs: record.ts's recorder (it stays out of the universal bundle). */
export function setIndependent(f: Independent | null): void { independentOn = f; }

/**
 * @internal body(0), ..., body(n - 1): work the bodies do not share (each task's or
 * expert's part of a forward or backward pass), which polyhead/threads' pool may run at
 * once, one body's kernel calls on each thread, with the bits of one by one
 * (engine/record.ts); a plain loop otherwise.
 */
export function independent<T>(n: number, body: (i: number) => T): T[] {
  return independentOn ? independentOn(n, body) : Array.from({ length: n }, (_, i) => body(i));
}

/** True once `init()` has finished. */
export function isReady(): boolean { return kernels !== null; }

// ------------------------------------------------------------------ allocator
// Two tiers below a bump pointer `top`. A freed block first goes to an exact-size list
// (LIFO), and a request of that size takes it back: a training loop asks for the same
// sizes every step, so after its first step it is served from these lists at the cost of
// a push and a pop, and the high-water mark stays put. A request the lists cannot serve
// first merges every listed block with its free neighbours into a two-level segregated
// fit (TLSF-style) index, then takes a block of its size class (or of the next non-empty
// larger class, found in a bitmap) and splits off the rest; a merged block that reaches
// `top` lowers it. So memory freed in any sizes serves any size. The bookkeeping lives in
// JS, not in block headers, so a kernel writing past a tensor's end cannot corrupt it.
// Memory is never returned to the runtime (Wasm can't shrink).

let memory: WebAssembly.Memory | null = null;
let base = 0;
let top = 0;
let peak = 0;
let inUse = 0;
let peakInUse = 0;
let live = 0;

const UNIT = 6;            // log2(ALIGN): sizes are counted in 64-byte units
const SUB = 4;             // 2^SUB classes per power of two above 2^(SUB+1) units
const NBINS = (28 - SUB) << SUB;
const freeAt = new Map<number, number>();    // free block start -> bytes
const freeEnd = new Map<number, number>();   // free block end -> start (to merge with the block after it)
const bins: Set<number>[] = Array.from({ length: NBINS }, () => new Set<number>());
const nonEmpty = new Uint32Array(Math.ceil(NBINS / 32)); // bit b set when bins[b] holds a block
let freeTotal = 0;
const exact = new Map<number, number[]>();      // size -> freed blocks not yet merged
let exactBytes = 0, exactCount = 0;

function align(n: number): number { return Math.ceil(n / ALIGN) * ALIGN; }

/** Size class of a block of `units` 64-byte units: exact below 32 units, then 16 classes per doubling. */
function binOf(units: number): number {
  if (units < 2 << SUB) return units;
  const fl = 31 - Math.clz32(units);
  return ((fl - SUB + 1) << SUB) + ((units >>> (fl - SUB)) & ((1 << SUB) - 1));
}

function addFree(ptr: number, size: number): void {
  if (ptr + size === top) { top = ptr; return; }
  const b = binOf(size >>> UNIT);
  freeAt.set(ptr, size); freeEnd.set(ptr + size, ptr);
  bins[b].add(ptr); nonEmpty[b >>> 5] |= 1 << (b & 31);
  freeTotal += size;
}

function takeFree(ptr: number, size: number): void {
  const b = binOf(size >>> UNIT);
  freeAt.delete(ptr); freeEnd.delete(ptr + size);
  bins[b].delete(ptr);
  if (bins[b].size === 0) nonEmpty[b >>> 5] &= ~(1 << (b & 31));
  freeTotal -= size;
}

/** Start of a free block of at least `size` bytes, or -1. */
function findFree(size: number): number {
  const b = binOf(size >>> UNIT);
  // the request's own class may hold blocks smaller than it: first fit there, briefly
  let tries = 0;
  for (const p of bins[b]) {
    if (freeAt.get(p)! >= size) return p;
    if (++tries === 8) break;
  }
  // every block of a larger class fits
  for (let w = (b + 1) >>> 5, mask = ~0 << ((b + 1) & 31); w < nonEmpty.length; w++, mask = ~0) {
    const bits = nonEmpty[w] & mask;
    if (bits !== 0) return bins[(w << 5) + 31 - Math.clz32(bits & -bits)].values().next().value!;
  }
  return -1;
}

/** @internal Allocate `bytes` of Wasm memory (64-byte aligned); throws a clear error past the configured maximum. */
export function alloc(bytes: number): number {
  if (!hooks) return allocBlock(bytes);
  const size = align(Math.max(bytes, 1)), again = hooks.reuse(size);
  if (again >= 0) return again; // never given back to the allocator: its figures stand
  const ptr = allocBlock(bytes);
  hooks.alloc(ptr, size);
  return ptr;
}

function allocBlock(bytes: number): number {
  if (!(bytes >= 0 && bytes <= 4294901760)) throw new RangeError(`polyhead: cannot allocate ${bytes} bytes (at most 4 GiB)`);
  const size = align(Math.max(bytes, 1));
  const list = exact.get(size);
  if (list !== undefined && list.length > 0) {
    exactBytes -= size; exactCount--; inUse += size; live++;
    return list.pop()!;
  }
  let ptr = findFree(size);
  if (ptr < 0 && exactCount > 0) { mergeExact(); ptr = findFree(size); }
  if (ptr >= 0) {
    const have = freeAt.get(ptr)!;
    takeFree(ptr, have);
    if (have > size) addFree(ptr + size, have - size);
  } else {
    ptr = top;
    const end = top + size;
    if (end > maxBytes) {
      throw new Error(`polyhead: out of memory: need ${size} bytes, ${inUse} in use, ${freeTotal} free in ` +
        `${freeAt.size} blocks (none large enough), limit ${maxBytes} (raise it with init({ maxMemoryMB }))`);
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
    if (top > peak) peak = top;
  }
  inUse += size;
  live++;
  return ptr;
}

/** @internal Return a block from `alloc`: kept for its size, merged with its neighbours when a request needs it. */
export function free(ptr: number, bytes: number): void {
  const size = align(Math.max(bytes, 1));
  if (hooks) { hooks.free(ptr, size); return; }
  // inUse peaks just before a free (or now: memoryStats), so the peak is tracked here,
  // one place instead of each of alloc's paths (a reused exact-size block, a fresh one)
  peakInUse = Math.max(peakInUse, inUse);
  inUse -= size;
  live--;
  let list = exact.get(size);
  if (list === undefined) { list = []; exact.set(size, list); }
  list.push(ptr);
  exactBytes += size; exactCount++;
}

/** Move every block of the exact-size lists into the TLSF index, merged with the free blocks beside it. */
function mergeExact(): void {
  for (const [bytes, list] of exact) {
    for (let i = 0; i < list.length; i++) {
      let ptr = list[i], size = bytes;
      const before = freeEnd.get(ptr);
      if (before !== undefined) {
        const n = freeAt.get(before)!;
        takeFree(before, n);
        ptr = before; size += n;
      }
      const after = freeAt.get(ptr + size);
      if (after !== undefined) {
        takeFree(ptr + size, after);
        size += after;
      }
      addFree(ptr, size);
    }
  }
  exact.clear();
  exactBytes = 0; exactCount = 0;
}

/** memoryStats(): live tensors and bytes in Wasm memory (for leak checks). */
export interface MemoryStats {
  /** Bytes held by live tensors. */
  bytesInUse: number;
  /** The most bytes the allocator has ever spanned (its high-water mark); never decreases. */
  highWater: number;
  /** Bytes in free blocks below the allocator's top (reusable by requests of any size that fits one). */
  bytesFree: number;
  /** Number of free blocks (those freed since the last merge count one each). */
  freeBlocks: number;
  /** The most bytes in use at once since resetMemoryPeak() (or start). */
  peakBytesInUse: number;
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
  return { bytesInUse: inUse, highWater: peak - base, bytesFree: freeTotal + exactBytes, freeBlocks: freeAt.size + exactCount, peakBytesInUse: Math.max(peakInUse, inUse), liveAllocations: live, wasmBytes: memory ? memory.buffer.byteLength : 0 };
}

/** Restart memoryStats().peakBytesInUse from the bytes in use now (to measure one step's peak). */
export function resetMemoryPeak(): void { peakInUse = inUse; }

// ------------------------------------------------------------------ views
let f32: Float32Array = new Float32Array(0);
let i32: Int32Array = new Int32Array(0);
let u32: Uint32Array = new Uint32Array(0);

/** Float32 view of all of Wasm memory, rebuilt after memory.grow detaches the old one. */
export function F32(): Float32Array {
  if (hooks) hooks.touch();
  if (f32.buffer !== memory!.buffer) refresh();
  return f32;
}
/** Int32 view of all of Wasm memory (rebuilt after growth). */
export function I32(): Int32Array {
  if (hooks) hooks.touch();
  if (i32.buffer !== memory!.buffer) refresh();
  return i32;
}
/** Uint32 view of all of Wasm memory (rebuilt after growth). */
export function U32(): Uint32Array {
  if (hooks) hooks.touch();
  if (u32.buffer !== memory!.buffer) refresh();
  return u32;
}
function refresh(): void {
  const b = memory!.buffer;
  f32 = new Float32Array(b); i32 = new Int32Array(b); u32 = new Uint32Array(b);
}
