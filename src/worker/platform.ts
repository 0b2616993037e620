// The one place trainInWorker meets the platform's threads: a module Web Worker where the
// runtime has one (browsers, Deno, Bun), node:worker_threads in Node. Both sides get the
// same small port (post with a transfer list, receive, fail, end).

export interface Port {
  post(message: unknown, transfer?: Transferable[]): void;
  onMessage(fn: (data: unknown) => void): void;
  /** The worker failed to load, threw outside a handler, or exited early. */
  onError(fn: (message: string) => void): void;
  terminate(): void;
}

// A variable, so neither the type checker (no Node types outside src/node.ts) nor a
// browser bundler tries to resolve it; only Node reaches this import.
const NODE_THREADS = "node:worker_threads";

interface WebWorkerLike {
  postMessage(m: unknown, transfer?: Transferable[]): void;
  onmessage: ((e: { data: unknown }) => void) | null;
  onerror: ((e: { message?: string; preventDefault?: () => void }) => void) | null;
  onmessageerror?: ((e: unknown) => void) | null;
  terminate(): void;
}

interface NodeWorkerLike {
  postMessage(m: unknown, transfer?: Transferable[]): void;
  on(ev: "message" | "error" | "exit" | "messageerror", fn: (x: never) => void): void;
  terminate(): Promise<number>;
}

/** Start the worker script at `url` (a module) and return its port. */
export async function spawnWorker(url: URL | string): Promise<Port> {
  const g = globalThis as unknown as { Worker?: new (u: URL | string, o: { type: "module" }) => WebWorkerLike };
  if (typeof g.Worker === "function") {
    const w = new g.Worker(url, { type: "module" });
    let onError: (m: string) => void = () => {};
    w.onerror = (e) => { e.preventDefault?.(); onError(`the worker failed to load or threw: ${e.message ?? "(no message)"}`); };
    w.onmessageerror = () => onError("a message from the worker could not be read");
    return {
      post: (m, t) => w.postMessage(m, t ?? []),
      onMessage: (fn) => { w.onmessage = (e) => fn(e.data); },
      onError: (fn) => { onError = fn; },
      terminate: () => w.terminate(),
    };
  }
  const { Worker } = await import(/* @vite-ignore */ NODE_THREADS) as unknown as { Worker: new (u: URL | string) => NodeWorkerLike };
  const w = new Worker(typeof url === "string" ? new URL(url) : url);
  let onError: (m: string) => void = () => {};
  let ended = false;
  w.on("error", (e: Error) => onError(`the worker threw: ${e?.stack ?? e}`));
  w.on("exit", (code: number) => { if (!ended) onError(`the worker exited with code ${code}`); });
  return {
    post: (m, t) => w.postMessage(m, t ?? []),
    onMessage: (fn) => w.on("message", fn as (x: never) => void),
    onError: (fn) => { onError = fn; },
    terminate: () => { ended = true; void w.terminate(); },
  };
}

/** Inside the worker: the port to the thread that started it. */
export async function parentPort(): Promise<Port> {
  const self = (globalThis as unknown as { self?: WebWorkerLike & { close?: () => void } }).self;
  if (self && typeof self.postMessage === "function") {
    return {
      post: (m, t) => self.postMessage(m, t ?? []),
      onMessage: (fn) => { self.onmessage = (e) => fn(e.data); },
      onError: () => {},
      terminate: () => self.close?.(),
    };
  }
  const wt = await import(/* @vite-ignore */ NODE_THREADS) as unknown as { parentPort: (NodeWorkerLike & { close(): void }) | null };
  const p = wt.parentPort;
  if (!p) throw new Error("polyhead train-worker: not running in a worker (load it through trainInWorker)");
  return {
    post: (m, t) => p.postMessage(m, t ?? []),
    onMessage: (fn) => p.on("message", fn as (x: never) => void),
    onError: () => {},
    terminate: () => p.close(),
  };
}
