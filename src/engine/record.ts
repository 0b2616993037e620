// Independent work on several threads, polyhead/threads' part of the engine's independent(n,
// body) (imported by polyhead/threads only, so it stays out of the universal bundle). It runs
// body(0), ..., body(n-1) here, as always, but records the kernel calls each body makes, as a
// list of its own, instead of making them; then the pool runs the lists at once, each list on
// one thread, its calls in order (threads/index.ts). A multi-task
// gradient method's per-task gradients are such work: each task's backward pass through the
// shared layers reads the forward pass and writes only memory of its own.
// The bits are those of the calls made one by one: a list's calls run in their order on one
// thread, and lists do not meet, which holds because (a) a list writes only blocks allocated
// while it was recorded (checked for every call; a list that writes anything else, such as
// a gradient accumulated in place, makes the whole lot run here, in order), (b) a block freed
// while recording is held back until every list has run, so no list is handed a block
// another may still write (only the list that freed it may take it again), and (c) whatever must run now runs everything recorded first, in
// order: a kernel that returns a value (dot, a loss), the random kernels (which share 16
// bytes of static scratch), and any whole-memory view from JS (Tensor.read, tensor()).
// A body must not use what another body computed (results go to the caller).
import { K, alloc, free, isReady, setIndependent, setRecordHooks } from "./engine.js";
import { KERNEL_ARITY, KERNEL_NAMES, type Kernels } from "./kernels.js";

/** What runs recorded lists: polyhead/threads' pool, once it has workers. */
export interface ListRunner {
  /** Threads the lists would run on now (the calling one included). */
  threads(): number;
  /**
   * Run the lists: list q is the calls in f64 words [bounds[2q], bounds[2q+1]) of Wasm
   * memory, and `here(q)` runs it on the calling thread with the engine's kernels (whose
   * matmul the pool splits). `work` is their matmuls' multiply-adds; false when the runner
   * declines (too little work, one thread), and nothing has run. `again[q]`: list q can run
   * a second time from its start (a worker died holding it) and give the same bits.
   */
  run(bounds: number[], work: number, here: (q: number) => void, again: boolean[]): boolean;
}

let runner: ListRunner | null = null;
const stats = { together: 0, inOrder: 0 }; // runs of lists on the pool, and here because they did not keep apart

/** @internal For the tests: runs of independent work so far, on the pool (together) and here, in order (inOrder: they did not keep apart). */
export function independentRuns(): { together: number; inOrder: number } { return { together: stats.together, inOrder: stats.inOrder }; }

/** @internal Set by polyhead/threads when its pool starts (null when it stops): the engine's independent() records from then on. */
export function setListRunner(r: ListRunner | null): void {
  runner = r;
  setIndependent(r ? recordIndependent : null);
}

/** Kernels that return a value: they run now. */
export const RETURNING = new Set(["heap_base", "dot", "sumsq", "count_nonfinite", "sumsq_f64", "math_cos", "cross_entropy",
  "binary_cross_entropy_with_logits", "mse_loss", "l1_loss", "huber_loss", "masked_softmax"]);

/** Pointer arguments a kernel writes, where not only its first (its output). */
const WRITES: Record<string, number[]> = {
  max3: [0, 1], max_pool2d: [0, 1], layer_norm: [0, 1, 2], layer_norm_grad: [0, 1, 2],
  batch_norm: [0, 1, 2, 6, 7], batch_norm_grad: [0, 1, 2],
  binary_cross_entropy_with_logits_grad: [0, 1], mse_loss_grad: [0, 1], l1_loss_grad: [0, 1], huber_loss_grad: [0, 1],
  sgd_step: [0, 2], adam_step: [0, 2, 3, 4], rmsprop_step: [0, 2, 3, 4], adagrad_step: [0, 2],
};

// own: [start, end) of each block it was given; spare: the blocks of its own it freed, by
// size (its later requests take them: its calls run in order, on one thread); again: false
// once calls of it ran before the rest (a flush), since the rest may then update in place
// what those wrote, and cannot be run a second time from its start
interface List { calls: number[]; own: number[]; spare: Map<number, number[]>; again: boolean }
const newList = (): List => ({ calls: [], own: [], spare: new Map(), again: true });

let lists: List[] = [];
let cur = newList();
let held: number[] = [];   // freed while recording, not the freeing list's own: ptr, size
let apart = true;          // no list writes outside its own blocks
let work = 0;
let failure: unknown = null; // a kernel that trapped in a flush (a body may have caught it)
let real: Kernels | null = null;
let recorder: Kernels | null = null, recorderOf: Kernels | null = null;

const hooks = {
  kernels: null as unknown as Kernels,
  reuse(size: number) { return cur.spare.get(size)?.pop() ?? -1; },
  alloc(ptr: number, size: number) { cur.own.push(ptr, ptr + size); },
  free(ptr: number, size: number) { // size: the block's, as the allocator aligned it
    if (!owns(cur, ptr)) { held.push(ptr, size); return; }
    const list = cur.spare.get(size);
    if (list) list.push(ptr); else cur.spare.set(size, [ptr]);
  },
  touch() { flush(); },
};

function owns(l: List, p: number): boolean {
  const o = l.own;
  for (let i = o.length - 2; i >= 0; i -= 2) if (p >= o[i] && p < o[i + 1]) return true;
  return false;
}

/** The recording stand-in for `k`: every kernel records its call, except those that must run now. */
function recorderFor(k: Kernels): Kernels {
  // whatever reads memory through the module's own buffer reads it as if every call had run
  const r: Record<string, unknown> = { get memory() { flush(); return k.memory; } };
  KERNEL_NAMES.forEach((name, op) => {
    const f = (k as unknown as Record<string, (...a: number[]) => unknown>)[name];
    if (RETURNING.has(name) || name.startsWith("rng_")) {
      r[name] = (...a: number[]) => { flush(); return f(...a); };
      return;
    }
    const n = KERNEL_ARITY[name], writes = WRITES[name] ?? [0];
    const macs = name === "matmul" ? [3, 4, 5] : name === "bmm" ? [3, 4, 5, 6] : null;
    r[name] = (...a: number[]) => {
      const c = cur.calls;
      c.push(op);
      for (let i = 0; i < n; i++) c.push(+a[i]);
      if (apart) for (const w of writes) if (a[w] !== 0 && !owns(cur, a[w])) apart = false;
      if (macs) work += macs.reduce((x, i) => x * a[i], 1);
    };
  });
  return r as unknown as Kernels;
}

/** Run `calls` (op, then its arguments, ...) on `k`, in order. */
function runCalls(k: Kernels, calls: ArrayLike<number>, from: number, to: number): void {
  const fns = k as unknown as Record<string, (...a: number[]) => void>;
  for (let p = from; p < to;) {
    const name = KERNEL_NAMES[calls[p]], n = KERNEL_ARITY[name];
    fns[name](...Array.prototype.slice.call(calls, p + 1, p + 1 + n) as number[]);
    p += n + 1;
  }
}

/** @internal Runs list [from, to) of the program in `k`'s memory on `k` (a thread's own instance of the kernels). */
export function programRunner(k: Kernels): (from: number, to: number) => void {
  return (from, to) => runCalls(k, new Float64Array(k.memory.buffer), from, to);
}

/** Give back the blocks freed while recording (once nothing recorded is left to run). */
function releaseHeld(ls: List[]): void {
  const h = held;
  held = [];
  for (let i = 0; i < h.length; i += 2) free(h[i], h[i + 1]);
  for (const l of ls) {
    for (const [size, ptrs] of l.spare) for (const p of ptrs) free(p, size);
    l.spare.clear();
  }
}

/** Make every call recorded so far (here, in order), then go on recording. */
function flush(): void {
  setRecordHooks(null);
  cur.again = false;
  try {
    for (const l of lists) { const c = l.calls; l.calls = []; runCalls(real!, c, 0, c.length); }
    releaseHeld(lists);
  } catch (e) {
    failure ??= e; // it is thrown again at the end, should the body catch it
    throw e;
  } finally {
    setRecordHooks(hooks);
  }
}

/** Stop recording and run what was recorded: on the pool when `together` and the lists keep apart, else here, in order. */
function finish(together: boolean): void {
  setRecordHooks(null);
  const all = lists, ls = lists.filter((l) => l.calls.length > 0);
  lists = [];
  try {
    if (together && apart && ls.length > 1 && runOnPool(ls)) { stats.together++; return; }
    if (!apart) stats.inOrder++;
    for (const l of ls) runCalls(real!, l.calls, 0, l.calls.length);
  } finally {
    releaseHeld(all);
    cur = newList();
  }
}

function runOnPool(ls: List[]): boolean {
  const words = ls.reduce((n, l) => n + l.calls.length, 0);
  let at: number;
  try { at = alloc(words * 8); } catch { return false; } // no room for the program: in order, here
  try {
    const f64 = new Float64Array(real!.memory.buffer), bounds: number[] = [];
    let p = at / 8;
    for (const l of ls) { f64.set(l.calls, p); bounds.push(p, p + l.calls.length); p += l.calls.length; }
    return runner!.run(bounds, work, (q) => runCalls(real!, ls[q].calls, 0, ls[q].calls.length), ls.map((l) => l.again));
  } finally {
    free(at, words * 8);
  }
}

/**
 * body(0), ..., body(n - 1), whose kernel calls the pool may run at once, one body's on each
 * thread: the same bits as one by one. Bodies must be independent: none uses what another
 * computed. With one thread (or inside another independent()) it is a plain loop.
 */
function recordIndependent<T>(n: number, body: (i: number) => T): T[] {
  if (!runner || real || n < 2 || !isReady() || runner.threads() < 2) return Array.from({ length: n }, (_, i) => body(i));
  real = K();
  if (recorderOf !== real) { recorder = recorderFor(real); recorderOf = real; }
  hooks.kernels = recorder!;
  apart = true; work = 0; held = []; failure = null;
  const out: T[] = [];
  setRecordHooks(hooks);
  try {
    for (let i = 0; i < n; i++) {
      cur = newList();
      lists.push(cur);
      out.push(body(i));
    }
  } catch (e) {
    try { finish(false); } catch { /* the body's error is the one to report */ }
    real = null;
    throw e;
  }
  try { finish(true); } finally { real = null; }
  if (failure) throw failure;
  return out;
}
