// The one place the thread pool meets the platform: a module Web Worker from a Blob URL
// where the runtime has Worker (browsers, Bun), a node:worker_threads thread from source
// text in Node and Deno (whose Web Workers cannot be unref'd). Unref'd once it is ready,
// so a sleeping pool never keeps a process alive. It also says when a worker has ended:
// by event, and (where the runtime can tell) synchronously, for a thread blocked in a kernel.

/** A started worker: `ready` settles once it has instantiated the kernels (or failed to). */
export interface PoolWorker {
  ready: Promise<void>;
  terminate(): void;
  /** Calls `fn` when the worker fails or ends after it was ready: an event, so it runs only when this thread's event loop does (perhaps more than once). */
  onEnd(fn: (why: string) => void): void;
  /**
   * Asked synchronously by a thread blocked in a kernel: true only once the runtime says the
   * worker's thread has stopped running code for good (so it writes no more memory); false
   * while it may still run, and wherever the runtime cannot tell (Web Workers).
   */
  stopped(): boolean;
}

// Variables, so neither the type checker nor a browser bundler resolves them; only Node
// reaches these imports.
const NODE_THREADS = "node:worker_threads", NODE_OS = "node:os";

interface AnyWorker { postMessage(m: unknown): void; terminate(): unknown; unref?(): void }
interface WebWorker extends AnyWorker {
  onmessage: (() => void) | null; onerror: ((e: { message?: string; preventDefault?: () => void }) => void) | null;
  addEventListener?(ev: string, fn: () => void): void;
}
interface NodeWorker extends AnyWorker {
  once(ev: string, fn: (x: never) => void): void; on(ev: string, fn: (x: never) => void): void;
  threadId: number; performance?: { eventLoopUtilization?: () => { idle: number } };
}

/** Cores the runtime reports (navigator.hardwareConcurrency, else Node's os.availableParallelism), at least 1. */
export async function availableCores(): Promise<number> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (nav?.hardwareConcurrency) return nav.hardwareConcurrency;
  try {
    const os = await import(/* @vite-ignore */ NODE_OS) as { availableParallelism?: () => number; cpus: () => unknown[] };
    return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  } catch { return 1; }
}

/**
 * Start a worker running the script `source` with `port` bound to its parent's port, post
 * it `first`; it answers one message when ready.
 */
export async function spawnPoolWorker(source: string, first: unknown): Promise<PoolWorker> {
  const g = globalThis as { Worker?: new (u: string, o: { type: "module" }) => WebWorker; Deno?: unknown };
  let w: AnyWorker, ready: Promise<void>, onEnd: PoolWorker["onEnd"], stopped = () => false;
  if (typeof g.Worker === "function" && !g.Deno) {
    const url = URL.createObjectURL(new Blob([`const port = self;\n${source}`], { type: "text/javascript" }));
    const web = new g.Worker(url, { type: "module" });
    ready = new Promise<void>((resolve, reject) => {
      web.onmessage = () => resolve();
      web.onerror = (e) => { e.preventDefault?.(); reject(new Error(`a pool worker failed to start: ${e.message ?? "(no message)"}`)); };
    }).finally(() => URL.revokeObjectURL(url));
    // a Web Worker survives an uncaught error (the pool's loop does not); Bun's also says "close"
    onEnd = (fn) => {
      web.onerror = (e) => { e.preventDefault?.(); fn(`failed: ${e.message ?? "(no message)"}`); };
      web.addEventListener?.("close", () => fn("closed"));
    };
    w = web;
  } else {
    const { Worker } = await import(/* @vite-ignore */ NODE_THREADS) as { Worker: new (s: string, o: { eval: true }) => NodeWorker };
    // a dynamic import works whether Node evaluates the text as CommonJS or (under
    // --input-type=module, which workers inherit) as a module
    const node = new Worker(`import("node:worker_threads").then(({ parentPort: port }) => {\n${source}\n});`, { eval: true });
    ready = new Promise<void>((resolve, reject) => {
      node.once("message", () => resolve());
      node.once("error", (e: Error) => reject(new Error(`a pool worker failed to start: ${e.message}`)));
      node.once("exit", (code: number) => reject(new Error(`a pool worker exited with code ${code}`)));
    });
    onEnd = (fn) => {
      node.on("error", (e: Error) => fn(`failed: ${e.message}`));
      node.on("exit", (code: number) => fn(`exited with code ${code}`));
    };
    // Node answers eventLoopUtilization() from the worker's native handle under the worker's
    // lock, so it is current even while this thread is blocked, and it reads idle -1 once the
    // worker thread has torn its environment down, which that thread does only after its JS and
    // Wasm stack has unwound for the last time (node's src/node_worker.cc: Worker::Run's cleanup
    // sets stopped_ and clears env_; terminate(), process.exit() and running out of memory only
    // ask the thread to stop). So -1 never means "slow". threadId reads -1 only once this
    // thread's event loop has taken the exit in, and a worker's own process 'exit' handler does
    // not run when it is terminated, so neither can tell a blocked thread. Undocumented, hence
    // checked once the worker is ready (a live worker reads idle >= 0); Deno's
    // node:worker_threads is another implementation and is not asked.
    const elu = g.Deno ? undefined : node.performance?.eventLoopUtilization?.bind(node.performance);
    if (elu) {
      ready = ready.then(() => {
        if (elu().idle >= 0) stopped = () => node.threadId === -1 || elu().idle === -1;
      });
    }
    w = node;
  }
  w.postMessage(first);
  ready = ready.then(() => w.unref?.());
  return { ready, terminate: () => void w.terminate(), onEnd, stopped: () => stopped() };
}
