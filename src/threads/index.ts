// polyhead/threads: the kernels on several cores. initThreads() in place of init() loads a
// second Wasm build (build/polyhead-threads.wasm: the same kernels on an imported shared
// memory, inlined here, never in the universal bundle) and starts a pool of workers that
// instantiate that module on the same memory. A large matmul is cut into chunks of rows
// (or columns) of C, and a batched one (bmm: attention's heads) into runs of its products,
// which the threads claim one at a time; no reduction is ever split, so every element is
// summed in the same order as on one thread: the bits are those of the default kernels
// for any thread count and any claiming. A gradient method's per-task gradients (each
// task's backward pass) go to the pool whole: engine/record.ts records each task's kernel
// calls as a list, and the threads claim lists (runLists) and run their calls in order.
// Idle workers sleep in Atomics.wait (no spinning) and never keep a process alive; a
// worker that dies is dropped, saying so, and the others go on (see settle()). Where there
// is no shared memory (a page without cross-origin isolation, workerd, WebKitGTK even in an
// isolated page) it says so once and runs the default kernels on one thread.
// With `fast: true` the module is the same build with relaxed SIMD's fused multiply-add in
// matmul (build/polyhead-threads-fast.wasm, loaded from a chunk of its own only then):
// polyhead/fast's bits on any thread count, where relaxed SIMD validates.
// @example
// import { initThreads } from "polyhead/threads";
// await initThreads({ threads: 4 });
import bytes from "../../build/polyhead-threads.wasm";
import { fastModeActive, markFastMode, relaxedSimdSupported } from "../fast/relaxed.js";
import { init, isReady, setWasmSource, type InitOptions } from "../engine/engine.js";
import { KERNEL_ARITY, KERNEL_NAMES, type Kernels } from "../engine/kernels.js";
import { programRunner, setListRunner } from "../engine/record.js";
import { setBackwardScheduler } from "../autograd/backward.js";
import { splitBackward } from "../autograd/split.js";
import { checkOptions, show } from "../validate.js";
import { availableCores, spawnPoolWorker, type PoolWorker } from "./platform.js";

export { fastModeActive } from "../fast/relaxed.js";

/** Options of initThreads(): init()'s, plus the pool's. */
export interface ThreadsOptions extends InitOptions {
  /** Threads in all, the calling one included (default: the cores the runtime reports, at most 16). 1 loads the default kernels (with `fast`, the fast ones) and starts no worker. */
  threads?: number;
  /** Multiply-adds (m·n·k) below which a matmul runs on the calling thread alone (default 262144): waking a worker costs tens of microseconds. */
  minWork?: number;
  /**
   * The fast kernels on every thread (default false): matmul with relaxed SIMD's fused
   * multiply-add, as polyhead/fast, and the same bits as polyhead/fast for any thread count;
   * not bit-identical across machines. Where relaxed SIMD is off it warns once and runs the
   * default kernels (still threaded); `fastModeActive()` tells which run.
   */
  fast?: boolean;
}

/** The threaded build's exports beyond the default kernels (assembly/threads.ts). */
interface ThreadKernels extends Kernels {
  matmul_part(c: number, a: number, b: number, m: number, n: number, k: number, transA: number, transB: number,
    alpha: number, beta: number, i0: number, i1: number, j0: number, j1: number): void;
  matmul_scratch(at: number): void;
  matmul_scratch_bytes(): number;
  memory: WebAssembly.Memory;
}

const PAGE = 65536;
// The module asks for 11 pages of static data today (asc's count); a larger first size
// leaves it room, and a module that outgrows it fails to link, loudly, in the tests.
const FIRST_PAGES = 32;
// matmul's register tile (assembly/kernels/matmul.ts): blocks start on its edges. Its rows
// are 4, and 6 in the fast builds (whose FMA frees the registers for two more).
const MR = 4, MR_FAST = 6, NR = 8;

// The control block, an Int32Array over its own SharedArrayBuffer: the job (pointers,
// sizes, alpha and beta as float bits), its kind and number, the chunk counter (chunks in
// the high half, the next unclaimed one in the low half, one word so a claim is one
// compare-and-swap), chunks done, a failure flag, the word workers sleep on (bumped per
// job), a quit flag, chunks workers have done (for the tests), the tests' hook (TEST: see
// testPool()), then each chunk's block (of C's rows and columns, or of bmm's batch), each
// chunk's mark (the number of the last job that finished it) and each worker's state
// (idle, inside a job's claiming loop, or gone: its loop ended for good).
const JOB = 0, KIND = 10, JOB_ID = 11, NEXT = 12, DONE = 13, FAILED = 14, WAKE = 15, QUIT = 16, BY_WORKERS = 17, TEST = 18, NAP = 19, BLOCKS = 20;
const MATMUL = 0, BMM = 1, LISTS = 2;
const KIND_NAMES = ["matmul", "bmm", "run of independent work (each task's or expert's part of a forward or backward pass)"];
// Chunks per thread: more than one, so that a thread the OS has not scheduled (a loaded
// machine, a busy browser) leaves its share to the others instead of holding up the job;
// few, since every chunk of rows packs B again.
const CHUNKS_PER_THREAD = 3, MAX_CHUNKS = 3 * 64;
const MARKS = BLOCKS + 4 * MAX_CHUNKS, STATE = MARKS + MAX_CHUNKS, CTL_WORDS = STATE + 64;
const IDLE = 0, CLAIMING = 1, GONE = 2;
// testPool()'s hooks: the next worker to claim a chunk (of a product with beta != 0, of a run of independent work) dies
const DIE = -1, DIE_ADDING = -2, DIE_LISTING = -3;
// How long the calling thread sleeps before it looks for a worker that died holding a chunk.
const SLICE_MS = 20;

// What a worker runs, given `port` (its parent: self, or worker_threads' parentPort; see
// platform.ts): no import of its own, so one text serves a Node worker thread and a module
// Web Worker (Deno, Bun, browsers) alike. Woken, it claims chunks until none is left. A
// claim is always of the job in progress (that job cannot end before the chunk is done),
// so a worker that slept through jobs reads the job again when its number has changed.
// Its state word says CLAIMING from before its first claim of a job until after its last
// chunk is marked and counted (so the calling thread can tell when no live worker holds a
// chunk); the finally records that the worker is gone when its loop unwinds (a Web Worker
// outlives an uncaught error; the loop does not). It runs on the way out, on the worker's
// own stack: a timer set for it would wait for a task that WebKit does not run while the
// page's thread spins in the matmul the worker held a chunk of.
const WORKER_SOURCE = `
const on = (f) => port.on ? port.once("message", f) : (port.onmessage = (e) => f(e.data));
on(({ module, memory, ctl, scratch, slot, names, arity }) => {
  const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
  ex.matmul_scratch(scratch);
  const fns = names.map((n) => ex[n]), args = [];
  const f = new Float32Array(ctl.buffer), state = ${STATE} + slot;
  let job = -1, c, a, b, m, n, k, tA, tB, alpha, beta, kind;
  port.postMessage("ready");
  try {
  for (let seen = 0;;) {
    Atomics.wait(ctl, ${WAKE}, seen);
    if (Atomics.load(ctl, ${QUIT})) break;
    seen = Atomics.load(ctl, ${WAKE});
    Atomics.store(ctl, state, ${CLAIMING});
    for (;;) {
      const w = Atomics.load(ctl, ${NEXT}), chunks = w >>> 16, q = w & 0xffff;
      if (q >= chunks) break;
      if (Atomics.compareExchange(ctl, ${NEXT}, w, w + 1) !== w) continue;
      const id = Atomics.load(ctl, ${JOB_ID});
      if (id !== job) { job = id; [c, a, b, m, n, k, tA, tB] = ctl.subarray(0, 8); alpha = f[8]; beta = f[9]; kind = ctl[${KIND}]; }
      const t = ctl[${TEST}];
      if (t && (t === ${DIE_ADDING} ? beta !== 0 : t !== ${DIE_LISTING} || kind === ${LISTS}) && Atomics.compareExchange(ctl, ${TEST}, t, 0) === t) {
        if (t < 0) throw new Error("polyhead/threads: the tests' hook ends this worker");
        Atomics.wait(ctl, ${NAP}, 0, t);
      }
      const blk = ${BLOCKS} + 4 * q, from = ctl[blk], to = ctl[blk + 1];
      try {
        if (kind === ${BMM}) ex.bmm(c + from * m * n * 4, a + from * m * k * 4, b + from * k * n * 4, to - from, m, n, k, tA, tB);
        else if (kind === ${LISTS}) {
          const p = new Float64Array(memory.buffer);
          for (let i = from; i < to; i += args.length + 1) {
            args.length = arity[p[i]];
            for (let j = 0; j < args.length; j++) args[j] = p[i + 1 + j];
            fns[p[i]].apply(null, args);
          }
        } else ex.matmul_part(c, a, b, m, n, k, tA, tB, alpha, beta, from, to, ctl[blk + 2], ctl[blk + 3]);
      } catch (e) { Atomics.store(ctl, ${FAILED}, 1); ex.matmul_part(0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0x7fffffff, 0, 0x7fffffff); } // a trap inside matmul_part leaves its block set: m = 0 resets it
      Atomics.store(ctl, ${MARKS} + q, id);
      Atomics.add(ctl, ${BY_WORKERS}, 1);
      if (Atomics.add(ctl, ${DONE}, 1) + 1 === chunks) Atomics.notify(ctl, ${DONE});
    }
    Atomics.store(ctl, state, ${IDLE});
  }
  } finally { if (!Atomics.load(ctl, ${QUIT})) { Atomics.store(ctl, state, ${GONE}); Atomics.notify(ctl, ${DONE}); } }
});
`;

let workers: PoolWorker[] = [];
let ctl: Int32Array<ArrayBufferLike> = new Int32Array(0), ctlF: Float32Array<ArrayBufferLike> = new Float32Array(0);
let used = 1;            // threads a matmul may use now, the calling one included
let minWork = 262144;
let canBlock = false;    // Atomics.wait is allowed on this thread (not a browser's main thread)
let jobs = 0;
let starting: Promise<void> | null = null; // the first initThreads(), which picks the kernels
let warned = false;
const slots = new Map<PoolWorker, number>(); // each worker's state word, STATE + its slot
let stallMs = 10_000, stallWarned = false;

/** Threads a large matmul runs on now, the calling one included (1 without a pool). */
export function threadCount(): number { return used; }

/** @internal Chunks of work the pool's workers (not the calling thread) have computed so far. */
export function chunksOnWorkers(): number { return ctl.length ? Atomics.load(ctl, BY_WORKERS) : 0; }

/**
 * @internal For the tests: "die" makes the next worker to claim a chunk throw out of its
 * loop, outside any try (in Node its thread ends), "die-adding" the same in a product with
 * beta != 0, "die-listing" in a run of independent work (engine/record.ts); a number of
 * milliseconds makes it sleep that long first (a slow worker), with `stallAfter` the wait
 * after which the calling thread warns; "end" terminates a worker between jobs. Returns the hook still armed (0 once a worker took it).
 */
export function testPool(hook?: "die" | "die-adding" | "die-listing" | "end" | number, stallAfter?: number): number {
  if (stallAfter !== undefined) stallMs = stallAfter;
  if (hook === "end") workers[0]?.terminate();
  else if (hook !== undefined) Atomics.store(ctl, TEST, hook === "die" ? DIE : hook === "die-adding" ? DIE_ADDING : hook === "die-listing" ? DIE_LISTING : hook);
  return ctl.length ? Atomics.load(ctl, TEST) : 0;
}

/**
 * Use `n` threads from now on (1 up to the number initThreads started): results are the
 * same bits for any `n`; fewer threads leave cores to other work.
 */
export function setThreads(n: number): void {
  if (!(Number.isInteger(n) && n >= 1 && n <= workers.length + 1)) {
    throw new RangeError(`setThreads: n must be an integer in [1, ${workers.length + 1}] (the threads initThreads started), got ${show(n)}`);
  }
  used = n;
}

/** End the pool's workers; matmul then runs on the calling thread (the same bits). */
export function stopThreads(): void {
  if (workers.length) { Atomics.store(ctl, QUIT, 1); Atomics.notify(ctl, WAKE); }
  workers.forEach((w) => w.terminate());
  workers = [];
  slots.clear();
  used = 1;
  setListRunner(null);
  setBackwardScheduler(null);
}

/** Keep an eye on a started worker (its state word is STATE + slot): should it end, the pool drops it. */
function watch(w: PoolWorker, slot: number): void {
  slots.set(w, slot);
  w.onEnd((why) => drop(w, why));
}

/** Take `w` out of the pool for good, saying so (once: a worker is dropped once); the others give the same bits. */
function drop(w: PoolWorker, why: string): void {
  if (!workers.includes(w)) return;
  workers = workers.filter((x) => x !== w);
  w.terminate();
  used = Math.min(used, workers.length + 1);
  console.warn(`polyhead: polyhead/threads: a pool worker ${why}; the pool goes on without it, on ${workers.length + 1} thread${workers.length ? "s" : ""} (the same bits)`);
}

function warnOnce(why: string): void {
  if (!warned) console.warn(`polyhead: initThreads: ${why}; running the default kernels on one thread`);
  warned = true;
}

/** Why this runtime cannot run the pool, or null when it can. */
function unsupported(): string | null {
  const g = globalThis as { crossOriginIsolated?: boolean };
  // WebKitGTK 2.50 reports an isolated page yet exposes no SharedArrayBuffer (and cannot
  // post shared memory to a worker): asking for the headers it already has would mislead
  if (typeof SharedArrayBuffer !== "function" && g.crossOriginIsolated === true) {
    return "shared memory is off (the page is cross-origin isolated, but this runtime exposes no SharedArrayBuffer)";
  }
  if (typeof SharedArrayBuffer !== "function" || g.crossOriginIsolated === false) {
    return "shared memory is off (a page needs cross-origin isolation: Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)";
  }
  try { new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }); } catch { return "this runtime lacks shared WebAssembly memory"; }
  return null;
}

/**
 * `init(options)` with the threaded kernels and a pool of `threads - 1` workers; elsewhere
 * (no shared memory, no workers) it warns once and loads the default kernels. Call it
 * first: the kernels are chosen once per process. The workers are started once and need no
 * shutting down (stopThreads() ends them early). `fast: true` loads the fast kernels
 * (polyhead/fast's, threaded) where relaxed SIMD validates. A worker that dies (ended,
 * out of memory, an error) is dropped with a warning and threadCount() drops with it; a
 * matmul or bmm it was part of completes on the others, the same bits, except a product
 * that adds into its output (beta != 0: conv2d's weight gradient summed over the batch),
 * which throws, with the dead worker's block of the output set to NaN. Node reports any
 * death within milliseconds, Web Workers only an error that ended the worker's loop; where
 * the runtime cannot say (a Web Worker stopped from outside, Deno) the matmul waits on,
 * warning after 10 s, since a worker that is only slow would write into its output later.
 * @example
 * await initThreads({ threads: 2 });
 * matmul(a, b); // 512 x 512 x 512: half the rows of C on each thread, the same bits as on one
 */
export async function initThreads(options: ThreadsOptions = {}): Promise<void> {
  checkOptions("initThreads", options, ["threads", "minWork", "fast", "maxMemoryMB"]);
  const { threads, minWork: min, fast, ...initOptions } = options;
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 64)) {
    throw new RangeError(`initThreads: threads must be an integer in [1, 64], got ${show(threads)}`);
  }
  if (min !== undefined && !(typeof min === "number" && min >= 0)) throw new RangeError(`initThreads: minWork must be a number >= 0, got ${show(min)}`);
  if (fast !== undefined && typeof fast !== "boolean") throw new TypeError(`initThreads: fast must be a boolean, got ${show(fast)}`);
  // init() checks it too, but only after this sized the shared memory by it
  const mb = initOptions.maxMemoryMB;
  if (mb !== undefined && !(typeof mb === "number" && mb > 0 && mb <= 4096)) throw new RangeError(`initThreads: maxMemoryMB must be a number in (0, 4096], got ${show(mb)}`);
  if (isReady() && !starting) throw new Error("initThreads: polyhead's kernels were already chosen (by init(), initFast() or initThreads(), whichever ran first); they are chosen once per process");
  if (min !== undefined) minWork = min;
  if (starting) { await starting; return init(initOptions); }
  starting = start(threads, fast === true, initOptions).catch((e) => { starting = null; throw e; });
  return starting;
}

/** The threaded module: the fast build if `fast` and it compiles (else, saying so, the default one); null where neither compiles. */
async function threadedModule(fast: boolean): Promise<WebAssembly.Module | null> {
  if (fast) {
    try {
      const m = await WebAssembly.compile((await import("../../build/polyhead-threads-fast.wasm")).default as BufferSource);
      markFastMode();
      return m;
    } catch (e) { // workerd and some edge runtimes compile no Wasm from bytes
      console.warn(`polyhead: initThreads: the fast kernels did not compile here (${(e as Error).message}); running the default kernels`);
    }
  }
  try { return await WebAssembly.compile(bytes as BufferSource); } catch (e) { // workerd compiles no Wasm from bytes
    warnOnce(`the threaded kernels did not compile here (${(e as Error).message})`);
    return null;
  }
}

async function start(threads: number | undefined, fast: boolean, initOptions: InitOptions): Promise<void> {
  const want = threads ?? Math.min(16, await availableCores());
  const why = want > 1 || fast ? unsupported() : null;
  if (why) warnOnce(why);
  const relaxed = fast && !why && relaxedSimdSupported();
  if (fast && !why && !relaxed) console.warn("polyhead: initThreads: this runtime lacks WebAssembly relaxed SIMD; running the default kernels");
  // fast on one thread still takes the threaded build (a pool of none): it is the only fast one here
  if ((want === 1 && !relaxed) || why) return init(initOptions);
  const module = await threadedModule(relaxed);
  if (!module) return init(initOptions);
  const maxPages = Math.min(65536, Math.ceil((initOptions.maxMemoryMB ?? 2048) * 16));
  const memory = new WebAssembly.Memory({ initial: Math.min(FIRST_PAGES, maxPages), maximum: maxPages, shared: true });
  const pool = want - 1;
  let scratch = 0, per = 0, raw: ThreadKernels | null = null;
  setWasmSource(async () => {
    const ex = raw = (await WebAssembly.instantiate(module, { env: { memory } })).exports as unknown as ThreadKernels;
    // each worker's packing region lies below the allocator's first block
    scratch = Math.ceil(ex.heap_base() / 64) * 64;
    per = ex.matmul_scratch_bytes();
    const end = scratch + pool * per;
    if (end > memory.buffer.byteLength) memory.grow(Math.ceil((end - memory.buffer.byteLength) / PAGE));
    return { exports: { ...ex, heap_base: () => end, matmul: threadedMatmul(ex, fastModeActive() ? MR_FAST : MR), bmm: threadedBmm(ex) } };
  });
  await init(initOptions);
  ctl = new Int32Array(new SharedArrayBuffer(4 * CTL_WORDS));
  ctlF = new Float32Array(ctl.buffer);
  try { Atomics.wait(ctl, DONE, 1, 0); canBlock = true; } catch { canBlock = false; }
  try {
    workers = await Promise.all(Array.from({ length: pool }, (_, index) =>
      spawnPoolWorker(WORKER_SOURCE, { module, memory, ctl, scratch: scratch + index * per, slot: index,
        names: KERNEL_NAMES, arity: KERNEL_NAMES.map((n) => KERNEL_ARITY[n]) })));
    await Promise.all(workers.map((w) => w.ready));
    workers.forEach(watch);
  } catch (e) {
    stopThreads();
    warnOnce(`the workers did not start (${(e as Error).message})`);
    return;
  }
  used = want;
  const running = () => Math.min(used, workers.length + 1);
  setListRunner({ threads: running, run: runLists(programRunner(raw!)) });
  // the backward walk's independent branches (each task's tower, each expert) as such lists too
  setBackwardScheduler(splitBackward(running));
}

/**
 * The pool's part in independent work (engine/record.ts): each list of kernel calls is a
 * chunk, run whole on the thread that claims it. A list writes only memory of its own, so
 * one that a worker died holding is run again here, from its start, the same bits. One list
 * left over after whole rounds (5 tasks on 2 threads) would leave the other threads idle
 * while it runs: it runs afterwards, here, with its matmuls split over the pool instead.
 */
function runLists(mine: (from: number, to: number) => void) {
  return (bounds: number[], work: number, here: (q: number) => void, again: boolean[]): boolean => {
    const t = Math.min(used, workers.length + 1), lists = bounds.length / 2;
    if (t < 2 || lists < 2 || lists > MAX_CHUNKS || work < minWork) return false;
    const chunks = lists > t && lists % t === 1 ? lists - 1 : lists;
    spread(LISTS, [0, 0, 0, 0, 0, 0, 0, 0], 1, 0, t, chunks, (q) => [bounds[2 * q], bounds[2 * q + 1], q, 0], ([from, to]) => mine(from, to),
      (lost) => {
        if (lost.some(([, , q]) => !again[q])) throw lostList();
        lost.forEach(([from, to]) => mine(from, to));
      });
    for (let q = chunks; q < lists; q++) here(q);
    return true;
  };
}

/** A worker died inside a list that cannot run again from its start (see engine/record.ts): its results are not to be trusted. */
function lostList(): Error {
  return new Error("polyhead: a polyhead/threads pool worker died while running one part of independent work (one task's or expert's part of a forward or backward pass) " +
    "that cannot be run again: part of its calls ran before the rest (a read of tensor values, or a random or loss kernel, in the middle of it), " +
    "so the rest may update in place what they wrote. Compute the result again; the pool goes on without the worker");
}

/**
 * The engine's matmul: on the calling thread below minWork (or with one thread); above it,
 * C cut into chunks of whole register tiles, of rows when there are enough, of columns
 * otherwise.
 */
function threadedMatmul(ex: ThreadKernels, mr: number): Kernels["matmul"] {
  return function matmul(c, a, b, m, n, k, transA, transB, alpha, beta) {
    const t = Math.min(used, workers.length + 1);
    const rowTiles = Math.ceil(m / mr), colTiles = Math.ceil(n / NR);
    const byRows = rowTiles >= t && (m >= n || colTiles < t);
    const tiles = byRows ? rowTiles : colTiles, chunks = Math.min(tiles, CHUNKS_PER_THREAD * t);
    if (t < 2 || chunks < 2 || k <= 0 || m * n * k < minWork) return ex.matmul(c, a, b, m, n, k, transA, transB, alpha, beta);
    const edge = byRows ? mr : NR, size = byRows ? m : n;
    const cut = (q: number) => Math.min(size, Math.floor((q * tiles) / chunks) * edge);
    spread(MATMUL, [c, a, b, m, n, k, transA, transB], alpha, beta, t, chunks,
      (q) => (byRows ? [cut(q), cut(q + 1), 0, n] : [0, m, cut(q), cut(q + 1)]),
      (p) => {
        try { ex.matmul_part(c, a, b, m, n, k, transA, transB, alpha, beta, p[0], p[1], p[2], p[3]); } catch (e) {
          ex.matmul_part(0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0x7fffffff, 0, 0x7fffffff); // as in a worker: a trap leaves its block set
          throw e;
        }
      },
      beta === 0 ? undefined : (lost) => { throw lostSum(ex.memory, c, m, n, k, alpha, beta, lost); });
  };
}

/**
 * A worker died inside C = alpha·A·B + beta·C with beta != 0: its blocks may hold part of
 * the sum, and C's old values there are gone, so they cannot be computed again. They are
 * set to NaN, so that a caller who catches the error cannot use them unawares; the rest of
 * C holds the result.
 */
function lostSum(memory: WebAssembly.Memory, c: number, m: number, n: number, k: number, alpha: number, beta: number, lost: number[][]): Error {
  const f = new Float32Array(memory.buffer);
  for (const [i0, i1, j0, j1] of lost) for (let i = i0; i < i1; i++) f.fill(NaN, c / 4 + i * n + j0, c / 4 + i * n + j1);
  const where = lost.map(([i0, i1, j0, j1]) => `rows ${i0}..${i1 - 1}, columns ${j0}..${j1 - 1}`).join("; ");
  return new Error(`polyhead: matmul (C = ${alpha}·A·B + ${beta}·C, C ${m} x ${n}, k = ${k}): a polyhead/threads pool worker died while computing C's ${where}; ` +
    "this product adds into what C held (an accumulation, such as a gradient summed over a batch), so that part cannot be computed again: " +
    "it now holds NaN, the rest of C the sum. Compute the result again from its inputs; the pool goes on without the worker");
}

/** The engine's bmm (attention's heads): the batch cut into chunks of whole products. */
function threadedBmm(ex: ThreadKernels): Kernels["bmm"] {
  return function bmm(c, a, b, batch, m, n, k, transA, transB) {
    const t = Math.min(used, workers.length + 1), chunks = Math.min(batch, CHUNKS_PER_THREAD * t);
    if (t < 2 || chunks < 2 || batch * m * n * k < minWork) return ex.bmm(c, a, b, batch, m, n, k, transA, transB);
    const cut = (q: number) => Math.floor((q * batch) / chunks);
    const size = [m * k * 4, k * n * 4, m * n * 4];
    spread(BMM, [c, a, b, m, n, k, transA, transB], 1, 0, t, chunks, (q) => [cut(q), cut(q + 1), 0, 0],
      ([from, to]) => ex.bmm(c + from * size[2], a + from * size[0], b + from * size[1], to - from, m, n, k, transA, transB));
  };
}

/**
 * Post a job of `kind` in `chunks` chunks (chunk q is `block(q)`), wake `threads - 1`
 * workers, claim chunks here as well (`mine` runs one) and wait until all are done; a
 * kernel that trapped in a worker throws here. Every chunk is computed alike wherever it
 * runs, so who takes which changes no bit. Chunks a worker that died had claimed are
 * handed to `orphaned`: by default they are computed here (the same bits: a product that
 * overwrites C does not depend on what C held).
 */
function spread(kind: number, job: number[], alpha: number, beta: number, threads: number, chunks: number,
  block: (q: number) => number[], mine: (block: number[]) => void,
  orphaned = (lost: number[][]) => lost.forEach(mine)): void {
  ctl.set(job, JOB);
  ctlF[JOB + 8] = alpha; ctlF[JOB + 9] = beta;
  ctl[KIND] = kind;
  const blocks = Array.from({ length: chunks }, (_, q) => block(q));
  blocks.forEach((blk, q) => ctl.set(blk, BLOCKS + 4 * q));
  Atomics.store(ctl, DONE, 0);
  Atomics.store(ctl, FAILED, 0);
  const id = ++jobs | 0;
  Atomics.store(ctl, JOB_ID, id);
  Atomics.store(ctl, NEXT, chunks << 16);
  Atomics.add(ctl, WAKE, 1);
  Atomics.notify(ctl, WAKE, threads - 1);
  let error: unknown = null; // one failed chunk here leaves the others to finish (the workers may hold some)
  for (;;) {
    const w = Atomics.load(ctl, NEXT), q = w & 0xffff;
    if (q >= chunks) break;
    if (Atomics.compareExchange(ctl, NEXT, w, w + 1) !== w) continue;
    try { mine(blocks[q]); } catch (e) { error ??= e; }
    Atomics.store(ctl, MARKS + q, id);
    Atomics.add(ctl, DONE, 1);
  }
  const what = KIND_NAMES[kind];
  const lost = settle(chunks, id, what);
  if (lost.length) orphaned(lost.map((q) => blocks[q]));
  if (error) throw error;
  if (ctl[FAILED]) throw new Error(`polyhead: a worker thread failed in ${what} (its kernel trapped)`);
}

/**
 * Wait until every chunk of job `id` is done, or until those left are held only by workers
 * that are gone for sure, and return those. A worker that may be alive is waited for however
 * long it takes: one that is only slow (descheduled on a loaded machine, a huge chunk) would
 * otherwise write into C later, when C's memory may hold something else. Gone for sure: the
 * runtime says the worker's thread has stopped (Node: PoolWorker.stopped()), or the worker's
 * own loop marked it gone as it unwound. This thread is inside a synchronous kernel call, so no
 * event reaches it: it sleeps in slices of SLICE_MS and asks. Where neither can tell (a Web
 * Worker killed from outside, which browsers do not report synchronously) it waits on, and
 * warns once after stallMs without progress rather than hang silently.
 */
function settle(chunks: number, id: number, what: string): number[] {
  for (let last = -1, since = 0;;) {
    const d = Atomics.load(ctl, DONE);
    if (d === chunks) return [];
    const now = performance.now();
    if (d !== last) { last = d; since = now; } else if (!stallWarned && now - since > stallMs) {
      stallWarned = true;
      console.warn(`polyhead: polyhead/threads: a ${what} has waited ${((now - since) / 1000).toFixed(1)} s for a pool worker holding part of it, ` +
        "with no sign here that the worker is gone; it waits on, since a worker that is only slow would write into its output later");
    }
    if (canBlock ? Atomics.wait(ctl, DONE, d, SLICE_MS) === "not-equal" : spin(d)) continue;
    if (Atomics.load(ctl, DONE) === chunks) return [];
    const lost = orphans(chunks, id, what);
    if (lost) return lost;
  }
}

/** Spin (where this thread may not block: a browser's main thread) until DONE moves from `d` or SLICE_MS pass; true if it moved. */
function spin(d: number): boolean {
  for (const end = performance.now() + SLICE_MS; performance.now() < end;) if (Atomics.load(ctl, DONE) !== d) return true;
  return false;
}

/**
 * Drop the workers gone for sure; then, once no other worker is inside a claiming loop, the
 * chunks of job `id` not marked done are exactly those gone workers claimed (every claim was
 * made before the calling thread left its own loop, and a worker marks its chunk before it
 * leaves its loop). Null while a live worker may still hold one.
 */
function orphans(chunks: number, id: number, what: string): number[] | null {
  const state = (w: PoolWorker) => Atomics.load(ctl, STATE + (slots.get(w) ?? 0));
  for (const w of workers) if (state(w) === GONE || w.stopped()) drop(w, `stopped in the middle of a ${what}`);
  if (workers.some((w) => state(w) !== IDLE)) return null;
  const lost = Array.from({ length: chunks }, (_, q) => q).filter((q) => Atomics.load(ctl, MARKS + q) !== id);
  return lost.length ? lost : null;
}
