// The one place the thread pool meets the platform: a module Web Worker from a Blob URL
// where the runtime has Worker (browsers, Bun), a node:worker_threads thread from source
// text in Node and Deno (whose Web Workers cannot be unref'd). Unref'd once it is ready,
// so a sleeping pool never keeps a process alive.

/** A started worker: `ready` settles once it has instantiated the kernels (or failed to). */
export interface PoolWorker {
  ready: Promise<void>;
  terminate(): void;
}

// Variables, so neither the type checker nor a browser bundler resolves them; only Node
// reaches these imports.
const NODE_THREADS = "node:worker_threads", NODE_OS = "node:os";

interface AnyWorker { postMessage(m: unknown): void; terminate(): unknown; unref?(): void }
interface WebWorker extends AnyWorker { onmessage: (() => void) | null; onerror: ((e: { message?: string; preventDefault?: () => void }) => void) | null }
interface NodeWorker extends AnyWorker { once(ev: string, fn: (x: never) => void): void }

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
  let w: AnyWorker, ready: Promise<void>;
  if (typeof g.Worker === "function" && !g.Deno) {
    const url = URL.createObjectURL(new Blob([`const port = self;\n${source}`], { type: "text/javascript" }));
    const web = new g.Worker(url, { type: "module" });
    ready = new Promise<void>((resolve, reject) => {
      web.onmessage = () => resolve();
      web.onerror = (e) => { e.preventDefault?.(); reject(new Error(`a pool worker failed to start: ${e.message ?? "(no message)"}`)); };
    }).finally(() => URL.revokeObjectURL(url));
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
    w = node;
  }
  w.postMessage(first);
  ready = ready.then(() => w.unref?.());
  return { ready, terminate: () => void w.terminate() };
}
