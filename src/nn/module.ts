// Module: the base of layers and models. Parameters, buffers and child modules are
// found by walking the instance's fields (as PyTorch's __setattr__ registers them), so a
// model is a class with fields; names are dotted paths ("trunk.0.weight").
import { Tensor } from "../tensor.js";
import { vfill } from "../ops/vector.js";
import type { RngState } from "../random.js";
import { checkOptions, closest, show } from "../validate.js";

const PARAMS = new WeakSet<Tensor>();
const BUFFERS = new WeakSet<Tensor>();

/**
 * The base of layers and models: parameters, buffers and children are its fields.
 * @example
 * class Net extends Module {
 *   fc = new Linear(4, 2);
 *   forward(x: Tensor) { return relu(this.fc.forward(x)); }
 * }
 * new Net().namedParameters(); // [["fc.weight", ...], ["fc.bias", ...]]
 */
export abstract class Module {
  /** Dotted path of this module inside the model it was found in ("" for the root). */
  path = "";
  training = true;

  /** The layer's computation on its inputs (recorded on the tape when a parameter requires grad). */
  abstract forward(...args: never[]): unknown;

  /** Mark `t` as a trainable parameter of this module (kept out of scopes). */
  protected param(t: Tensor): Tensor {
    t.keep();
    t.requiresGrad = true;
    PARAMS.add(t);
    return t;
  }

  /** Mark `t` as a buffer: state saved with the model but not trained (running statistics). */
  protected buffer(t: Tensor): Tensor {
    t.keep();
    BUFFERS.add(t);
    return t;
  }

  /**
   * The position of this module's own random stream (Dropout's masks), so a checkpoint
   * can continue it; null for modules without one. A module that draws random numbers
   * while training overrides this and setRngState.
   */
  rngState(): RngState | null { return null; }
  /** Continue the stream from rngState()'s value. */
  setRngState(state: RngState): void {
    void state;
    throw new Error(`${this.label("Module")}: has no random stream to restore`);
  }

  /** A name for error messages: `Linear "trunk.0"`. */
  // (class names are passed in: minified bundles rename classes)
  protected label(kind: string): string { return `${kind}${this.path ? ` "${this.path}"` : ""}`; }

  /** Child modules with their dotted names (fields, arrays and plain objects of modules). */
  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    const visit = (key: string, v: unknown, depth: number) => {
      if (v instanceof Module) out.push([key, v]);
      else if (depth < 2 && Array.isArray(v)) v.forEach((x, i) => visit(`${key}.${i}`, x, depth + 1));
      else if (depth < 2 && v instanceof Map) for (const [k, x] of v) visit(`${key}.${k}`, x, depth + 1);
      else if (depth < 2 && v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
        for (const [k, x] of Object.entries(v)) visit(`${key}.${k}`, x, depth + 1);
      }
    };
    for (const [k, v] of Object.entries(this)) if (k !== "path") visit(k, v, 0);
    return out;
  }

  /** This module and every descendant, depth first, with dotted paths (root is ""). */
  namedModules(prefix = ""): [string, Module][] {
    this.path = prefix;
    const out: [string, Module][] = [[prefix, this]];
    for (const [k, m] of this.namedChildren()) out.push(...m.namedModules(prefix ? `${prefix}.${k}` : k));
    return out;
  }

  private own(set: WeakSet<Tensor>): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [k, v] of Object.entries(this)) {
      if (v instanceof Tensor && set.has(v)) out.push([k, v]);
      else if (Array.isArray(v)) v.forEach((x, i) => { if (x instanceof Tensor && set.has(x)) out.push([`${k}.${i}`, x]); });
    }
    return out;
  }

  /** Parameters with dotted names (each parameter once, in definition order). */
  namedParameters(): [string, Tensor][] { return this.collect(PARAMS); }
  /** Buffers (running statistics and other non-trained state) with their dotted names. */
  namedBuffers(): [string, Tensor][] { return this.collect(BUFFERS); }

  private collect(set: WeakSet<Tensor>): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    for (const [p, m] of this.namedModules(this.path)) {
      for (const [k, t] of m.own(set)) {
        if (seen.has(t)) continue;
        seen.add(t);
        const rel = this.path && p.startsWith(this.path) ? p.slice(this.path.length).replace(/^\./, "") : p;
        t.name = p ? `${p}.${k}` : k;
        out.push([rel ? `${rel}.${k}` : k, t]);
      }
    }
    return out;
  }

  /** Every parameter of this module and its children, in registration order. */
  parameters(): Tensor[] { return this.namedParameters().map(([, t]) => t); }
  /** Parameters that currently train (not frozen). */
  trainableParameters(): Tensor[] { return this.parameters().filter((t) => t.requiresGrad); }
  /** The number of parameter values (elements) in all. */
  numParameters(): number { return this.parameters().reduce((s, t) => s + t.size, 0); }

  /** Set training mode (dropout active, batch norm uses batch statistics) for the whole tree. */
  train(mode = true): this {
    for (const [, m] of this.namedModules(this.path)) m.training = mode;
    return this;
  }
  /** Evaluation mode: dropout off, batch norm uses its running statistics. */
  eval(): this { return this.train(false); }

  /** Stop training these parameters (all, or those whose name starts with a prefix). */
  freeze(prefix = ""): this {
    for (const [n, t] of this.namedParameters()) if (n.startsWith(prefix)) t.requiresGrad = false;
    return this;
  }
  /** Make the parameters under `prefix` (all by default) trainable again. */
  unfreeze(prefix = ""): this {
    for (const [n, t] of this.namedParameters()) if (n.startsWith(prefix)) t.requiresGrad = true;
    return this;
  }

  /** Clear accumulated gradients (keeps the buffers, filled with zeros). */
  zeroGrad(): void {
    for (const t of this.parameters()) if (t.grad && !t.grad.isDisposed) vfill(t.grad, 0);
  }

  /** Parameters and buffers by dotted name (the tensors themselves, not copies). */
  stateDict(): Record<string, Tensor> {
    const d: Record<string, Tensor> = {};
    for (const [n, t] of this.namedParameters()) d[n] = t;
    for (const [n, t] of this.namedBuffers()) d[n] = t;
    return d;
  }

  /**
   * Copy values into parameters and buffers by name. The whole dict is checked first
   * (names, shapes, dtypes, data lengths, that every value is a number, integers for int32
   * buffers, finite values when `requireFinite`), so a bad dict changes nothing.
   * `strict` (default) also rejects missing/unexpected names.
   * @example model.loadStateDict(saved); model.loadStateDict(partial, { strict: false });
   */
  loadStateDict(dict: Record<string, Tensor | SavedValue>, options: boolean | LoadStateDictOptions = true): void {
    this.planLoad(dict, options)();
  }

  /**
   * @internal loadStateDict's checks, returning its writes to run later: a caller loading
   * several parts (Trainer.loadStateDict) checks every part before it changes any.
   */
  planLoad(dict: Record<string, Tensor | SavedValue>, options: boolean | LoadStateDictOptions = true): () => void {
    const where = `loadStateDict${this.path ? ` ("${this.path}")` : ""}`;
    const o = typeof options === "boolean" ? { strict: options } : checkOptions(where, options, ["strict", "requireFinite"]);
    const strict = o.strict ?? true, finite = o.requireFinite ?? false;
    if (dict === null || typeof dict !== "object" || Array.isArray(dict) || dict instanceof Tensor) {
      throw new Error(`${where}: expected an object of name -> tensor or { shape, data }, got ${show(dict)}`);
    }
    const own = this.stateDict();
    const problems: string[] = [];
    const writes: [Tensor, ArrayLike<number>][] = [];
    for (const [n, t] of Object.entries(own)) {
      const v = dict[n];
      if (v === undefined || v === null) { if (strict) problems.push(`missing "${n}" [${t.shape.join(", ")}]`); continue; }
      const p = checkEntry(n, t, v, finite);
      if (typeof p === "string") problems.push(p); else writes.push([t, p]);
    }
    if (strict) for (const n of Object.keys(dict)) if (!(n in own)) {
      const near = closest(n, Object.keys(own));
      problems.push(`unexpected "${n}"${near ? ` (did you mean "${near}"?)` : ""}`);
    }
    if (problems.length) throw new Error(`${where}: ${problems.join("; ")}`);
    return () => { for (const [t, data] of writes) t.write(data); };
  }
}

/** A saved tensor as plain data (a stateDict() after JSON, or a checkpoint entry). */
export interface SavedValue { shape: readonly number[]; dtype?: string; data: ArrayLike<number> }

/** Options of loadStateDict. */
export interface LoadStateDictOptions {
  /** Reject missing and unexpected names (default true). */
  strict?: boolean;
  /** Reject NaN and ±Infinity in float values (default false: a saved NaN loads as NaN). */
  requireFinite?: boolean;
}

// One entry against its target: the data to write, or what is wrong with it.
function checkEntry(n: string, t: Tensor, v: unknown, finite: boolean): ArrayLike<number> | string {
  const e = (v instanceof Tensor ? { shape: v.shape, dtype: v.dtype, data: v.data() } : v) as Partial<SavedValue>;
  const shape = e?.shape, data = e?.data, int = t.dtype === "int32";
  if (!Array.isArray(shape) || typeof data?.length !== "number") return `"${n}": expected a Tensor or { shape, data }, got ${show(v)}`;
  if (`${shape}` !== `${t.shape}`) return `"${n}": shape [${shape.join(", ")}], expected [${t.shape.join(", ")}]`;
  if (data.length !== t.size || (e.dtype ?? t.dtype) !== t.dtype) return `"${n}": ${data.length} values${e.dtype ? ` (${e.dtype})` : ""}, expected ${t.size} (${t.dtype})`;
  // typed data of the target's own type needs no per-value check (unless finiteness is asked)
  if (data instanceof (int ? Int32Array : Float32Array) && !(finite && !int)) return data;
  for (let i = 0; i < data.length; i++) {
    const x = data[i];
    if (typeof x !== "number" || (int ? (x | 0) !== x : finite && !Number.isFinite(Math.fround(x)))) {
      return `"${n}": value ${i} is ${show(x)}, expected ${int ? "an int32 integer" : finite ? "a finite float32" : "a number"}`;
    }
  }
  return data;
}

/** True for tensors registered as parameters by a Module. */
export function isParameter(t: Tensor): boolean { return PARAMS.has(t); }
