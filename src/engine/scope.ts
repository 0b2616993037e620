// Storage of tensors in Wasm memory and the scopes that free it. Inside `scope(fn)`
// every storage created is freed when fn returns, except what fn returns (handed to the
// enclosing scope) and what was `keep()`-ed. Outside any scope a FinalizationRegistry
// frees storage once its tensor is garbage collected. No user code calls dispose().
import { alloc, free } from "./engine.js";

/** A block of Wasm memory; held by the finalizer, so it must not point back at its Storage. */
class Region {
  freed = false;
  constructor(readonly ptr: number, readonly bytes: number) {}
}

/** What tensors hold: tensors that share data (reshape) share one Storage, and the memory is
 * reclaimed when the Storage is unreachable, i.e. when the last of them is collected. */
export class Storage {
  /** Set when kept out of scopes (parameters, optimiser state). */
  kept = false;
  /** Registered with the finalizer (done only once no scope owns it: scopes free their own). */
  registered = false;
  readonly region: Region;
  constructor(ptr: number, bytes: number) { this.region = new Region(ptr, bytes); }
  get ptr(): number { return this.region.ptr; }
  get bytes(): number { return this.region.bytes; }
  get freed(): boolean { return this.region.freed; }
}

function freeRegion(r: Region): void {
  if (r.freed) return;
  r.freed = true;
  free(r.ptr, r.bytes);
}

const registry = typeof FinalizationRegistry === "function"
  ? new FinalizationRegistry<Region>(freeRegion)
  : null;

const stack: Set<Storage>[] = [];

/** Hand storage to the finalizer: freed once unreachable (for storage no scope owns). */
function register(s: Storage): void {
  if (s.registered || !registry) return;
  s.registered = true;
  registry.register(s, s.region, s.region);
}

/** Allocate storage: owned by the current scope, or by the finalizer outside scopes. */
export function allocStorage(bytes: number): Storage {
  const s = new Storage(alloc(bytes), bytes);
  if (stack.length > 0) stack[stack.length - 1].add(s); else register(s);
  return s;
}

/** Free storage now (idempotent). */
export function release(s: Storage): void {
  if (s.region.freed) return;
  if (s.registered) registry?.unregister(s.region);
  freeRegion(s.region);
}

/** Take storage out of every scope: it lives until its tensor is collected or disposed. */
export function keepStorage(s: Storage): void {
  s.kept = true;
  for (const set of stack) set.delete(s);
  register(s);
}

/** Move storage returned from an inner scope into the enclosing one (or to the finalizer at top level). */
function adopt(s: Storage): void {
  if (s.kept) return;
  if (stack.length > 0) stack[stack.length - 1].add(s); else register(s);
}

/** Depth of the scope stack (0 outside any scope). */
export function scopeDepth(): number { return stack.length; }

/**
 * Run `fn` in a scope: every tensor it creates is freed when it returns, except the
 * tensors in its return value (arrays, Maps and plain objects are searched, 32 levels
 * deep) and kept ones.
 * `fn` must be synchronous.
 * @example
 * const loss = scope(() => mse(model.forward(x), y)); // temporaries freed, loss kept
 */
export function scope<T>(fn: () => T): T {
  const mine = new Set<Storage>();
  stack.push(mine);
  let result: T;
  try {
    result = fn();
    if (result && typeof (result as { then?: unknown }).then === "function") {
      throw new Error("scope(fn): fn returned a Promise; scopes are synchronous (await outside the scope)");
    }
  } catch (e) {
    stack.pop();
    for (const s of mine) release(s);
    throw e;
  }
  stack.pop();
  const out = new Set<Storage>();
  collect(result, out, 0);
  for (const s of mine) {
    if (out.has(s)) adopt(s); else release(s);
  }
  return result;
}

function collect(v: unknown, out: Set<Storage>, depth: number): void {
  if (v === null || typeof v !== "object" || depth > 32) return;
  const s = (v as { storage?: unknown }).storage;
  if (s instanceof Storage) {
    out.add(s);
    const g = (v as { grad?: unknown }).grad;
    if (g) collect(g, out, depth + 1);
    return;
  }
  if (Array.isArray(v)) { for (const x of v) collect(x, out, depth + 1); return; }
  if (v instanceof Map) { for (const x of v.values()) collect(x, out, depth + 1); return; }
  if (Object.getPrototypeOf(v) === Object.prototype) {
    for (const k in v) collect((v as Record<string, unknown>)[k], out, depth + 1);
  }
}
