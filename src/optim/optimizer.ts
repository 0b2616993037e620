// The optimiser base: parameter groups with their own hyper-parameters, per-parameter
// state in persistent tensors (allocated once, on a parameter's first update, so a
// training loop's memory stays flat), the step loop, and state dictionaries laid out as
// torch.optim's (snake_case keys, state keyed by parameter index) so that checkpoints
// read the same in both. Subclasses supply defaults, validation and one fused update.
import { K } from "../engine/engine.js";
import { Tensor } from "../tensor.js";
import { full } from "../ops/creation.js";
import { checkOptions, show } from "../validate.js";

/** Options every optimiser has. */
export interface BaseOptions {
  /** Learning rate (schedules change it per group). */
  lr: number;
  /** L1 penalty: l1 * sign(p) is added to the gradient (0 = off). L2 is `weightDecay`. */
  l1: number;
}

/** A parameter group as given: its parameters and hyper-parameters overriding the defaults. */
export type ParamGroupSpec<O> = { params: Iterable<Tensor> } & Partial<O>;
/** What an optimiser is built over: parameters (one group), or parameter groups. */
export type Params<O> = Iterable<Tensor> | ParamGroupSpec<O>[];
/** A parameter group: its parameters and its current hyper-parameters (editable). */
export type ParamGroup<O> = O & { params: Tensor[] };

/** One parameter's optimiser state. */
export interface ParamState {
  /** Updates applied to this parameter so far. */
  step: number;
  /** State buffers by torch's names (exp_avg, momentum_buffer, ...), each shaped like the parameter. */
  buffers: Record<string, Tensor>;
}

/** A tensor in an optimiser's state dict: shape and values. */
export interface SavedTensor { shape: number[]; data: number[] }
/** A serialised optimiser: plain JSON (JSON.stringify / parse round-trips it exactly). */
export interface OptimizerStateDict {
  type: string;
  /** By parameter index (numbered across groups in order): step and state buffers. */
  state: Record<string, { step: number; [buffer: string]: number | SavedTensor }>;
  /** Hyper-parameters in torch's snake_case names, `params` (indices) and, when every parameter is named, `param_names`. */
  param_groups: ({ params: number[]; param_names?: string[] } & Record<string, unknown>)[];
}
/** What loadStateDict accepts: a stateDict(), possibly after JSON, with typed arrays allowed as data. */
export interface OptimizerStateDictLike {
  type: string;
  state: Record<string, Record<string, unknown>>;
  param_groups: Record<string, unknown>[];
}

const snake = (k: string): string => k.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase());

/** Throws `${where}: ${name} must be ${expected}, got ${v}` unless ok. */
export function check(ok: boolean, where: string, name: string, expected: string, v: unknown): void {
  if (!ok) throw new Error(`${where}: ${name} must be ${expected}, got ${show(v)}`);
}
export const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/**
 * x^n for an integer n >= 0 by repeated squaring: multiplications only, in a fixed
 * order, so every runtime gets the same bits (JS Math.pow may differ between engines).
 * Relative error at most about n ulps (squaring doubles a relative error), as for n
 * chained multiplications: ~1e-14 for 0.999^1000, far below f32 resolution where it is used.
 */
export function powInt(x: number, n: number): number {
  if (!(Number.isInteger(n) && n >= 0)) throw new Error(`powInt: exponent must be an integer >= 0, got ${n}`);
  let r = 1, b = x;
  for (let e = n; e > 0; e = Math.floor(e / 2)) {
    if (e % 2 === 1) r *= b;
    if (e > 1) b *= b;
  }
  return r;
}

/**
 * The base of the optimisers: parameter groups, step(), zeroGrad(), JSON state.
 * @example
 * const opt = new Adam(model.parameters(), { lr: 1e-3 });
 * scope(() => { opt.zeroGrad(); backward(loss()); opt.step(); });
 */
export abstract class Optimizer<O extends BaseOptions> {
  /** The groups; schedules and users may change hyper-parameters between steps. */
  readonly paramGroups: ParamGroup<O>[];
  /** Per-parameter state, created on a parameter's first update. */
  protected readonly state = new Map<Tensor, ParamState>();

  /** The optimiser's name, as in stateDict().type and error messages (each subclass overrides it). */
  get type(): string { return "Optimizer"; }
  /** Hyper-parameters' defaults (also the list of hyper-parameter names). */
  protected abstract defaults(): O;
  /** Throw an error naming `where` and the option at fault if the options are invalid. */
  protected abstract validate(o: O, where: string): void;
  /** Every state buffer name this optimiser may keep. */
  protected abstract bufferNames(): string[];
  /** Apply one update to p from its gradient g; s.step has already been incremented. */
  protected abstract update(p: Tensor, g: Tensor, s: ParamState, o: ParamGroup<O>): void;

  constructor(params: Params<O>, options: Partial<O> = {}) {
    const list = [...(params as Iterable<unknown>)];
    if (list.length === 0) throw new Error(`${this.type}: got an empty parameter list`);
    let specs: ParamGroupSpec<O>[];
    if (list.every((x) => x instanceof Tensor)) specs = [{ params: list as Tensor[] } as unknown as ParamGroupSpec<O>];
    else if (list.every((x) => x !== null && typeof x === "object" && !(x instanceof Tensor) && "params" in x)) specs = list as ParamGroupSpec<O>[];
    else {
      const i = list.findIndex((x) => !(x instanceof Tensor));
      throw new Error(`${this.type}: params must be tensors or parameter groups ({ params, ...options }), not a mix; element ${i} is ${show(list[i])}`);
    }
    const names = Object.keys(this.defaults());
    const unknown = (o: object, what: string) => checkOptions(this.type, o, what === "the options" ? names : ["params", ...names], what);
    unknown(options, "the options");
    // an option given as undefined means "the default", not "no value"
    const given = (o: object) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
    const defaults = { ...this.defaults(), ...given(options) } as O;
    const seen = new Set<Tensor>();
    this.paramGroups = specs.map((spec, gi) => {
      const where = specs.length > 1 ? `${this.type} (param group ${gi})` : this.type;
      unknown(spec, `param group ${gi}`);
      const ps = [...spec.params];
      if (ps.length === 0) throw new Error(`${where}: got an empty parameter list`);
      ps.forEach((p, j) => {
        if (!(p instanceof Tensor)) throw new Error(`${where}: params[${j}] must be a Tensor, got ${show(p)}`);
        if (p.dtype !== "float32") throw new Error(`${where}: parameter ${p.describe()} must be float32`);
        if (seen.has(p)) throw new Error(`${where}: parameter ${p.describe()} appears more than once (in this or another group)`);
        seen.add(p);
      });
      const group = { ...defaults, ...given(spec), params: ps } as ParamGroup<O>;
      const rec = group as unknown as Record<string, unknown>;
      for (const k of names) if (Array.isArray(rec[k])) rec[k] = [...(rec[k] as unknown[])]; // betas: own copy per group
      this.validate(group, where);
      return group;
    });
  }

  /**
   * Update every parameter that trains (requiresGrad) and has a gradient, then leave the
   * gradients as they are (call zeroGrad() before the next backward).
   * @example
   * opt.zeroGrad(); backward(loss); opt.step();
   */
  step(): void {
    this.paramGroups.forEach((group, gi) => {
      for (const p of group.params) {
        const g = p.grad;
        if (!p.requiresGrad || !g || g.isDisposed) continue;
        if (g.size !== p.size) throw new Error(`${this.type}: gradient ${g.describe()} does not match parameter ${p.describe()} (group ${gi})`);
        let s = this.state.get(p);
        if (!s) { s = { step: 0, buffers: {} }; this.state.set(p, s); }
        s.step++;
        this.update(p, g, s, group);
      }
    });
  }

  /**
   * Clear the gradients of every parameter. By default (as torch) they are released and
   * set to null, so a parameter that gets no gradient before the next step() is skipped
   * rather than moved by its momentum; `setToNone = false` fills them with zeros instead.
   */
  zeroGrad(setToNone = true): void {
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        const g = p.grad;
        if (!g) continue;
        if (setToNone) { g.dispose(); p.grad = null; }
        else if (!g.isDisposed) K().fill(g.ptr, g.size, 0);
      }
    }
  }

  /** The state of one parameter (undefined before its first update). Buffers are live tensors. */
  getState(p: Tensor): Readonly<ParamState> | undefined { return this.state.get(p); }

  /** The named state buffer of p, allocated (filled with `fill`) on first use and kept. */
  protected buffer(s: ParamState, p: Tensor, name: string, fill = 0): Tensor {
    let b = s.buffers[name];
    if (!b || b.isDisposed) {
      b = full(p.shape, fill).keep();
      b.name = `${p.name ?? "param"}:${name}`;
      s.buffers[name] = b;
    }
    return b;
  }

  /** Step counts, hyper-parameters and state buffers as plain JSON-able data (copies). */
  stateDict(): OptimizerStateDict {
    const state: OptimizerStateDict["state"] = {};
    const groups: OptimizerStateDict["param_groups"] = [];
    let idx = 0;
    for (const group of this.paramGroups) {
      const ids: number[] = [];
      for (const p of group.params) {
        const s = this.state.get(p);
        if (s) {
          const e: OptimizerStateDict["state"][string] = { step: s.step };
          // in bufferNames() order, whatever order they were made in (a state reads back the same)
          for (const k of this.bufferNames()) { const b = s.buffers[k]; if (b) e[k] = { shape: [...b.shape], data: Array.from(b.data()) }; }
          state[String(idx)] = e;
        }
        ids.push(idx++);
      }
      const g: OptimizerStateDict["param_groups"][number] = { params: ids };
      for (const k of Object.keys(this.defaults())) {
        const v = (group as unknown as Record<string, unknown>)[k];
        g[snake(k)] = Array.isArray(v) ? [...v] : v;
      }
      if (group.params.every((p) => p.name)) g.param_names = group.params.map((p) => p.name!);
      groups.push(g);
    }
    return { type: this.type, state, param_groups: groups };
  }

  /**
   * Restore a stateDict() (of an optimiser built the same way over the same shapes).
   * Everything is checked first, so a bad dict changes nothing. Parameters are matched by
   * position within their groups (and by name where both sides have names).
   */
  loadStateDict(sd: OptimizerStateDict | OptimizerStateDictLike): void { this.planLoad(sd)(); }

  /** @internal loadStateDict's checks, returning its writes to run later (see Module.planLoad). */
  planLoad(sd: OptimizerStateDict | OptimizerStateDictLike): () => void {
    const where = `${this.type}.loadStateDict`;
    const problems: string[] = [];
    if (!sd || typeof sd !== "object") throw new Error(`${where}: expected a state dict object, got ${String(sd)}`);
    if (sd.type !== this.type) throw new Error(`${where}: the dict is for ${String(sd.type)}, not ${this.type}`);
    const saved = sd.param_groups as Record<string, unknown>[];
    if (!Array.isArray(saved) || saved.length !== this.paramGroups.length) {
      throw new Error(`${where}: the dict has ${Array.isArray(saved) ? saved.length : "no"} param groups, this optimiser has ${this.paramGroups.length}`);
    }
    const byId = new Map<number, Tensor>();
    const options: O[] = [];
    saved.forEach((g, gi) => {
      const mine = this.paramGroups[gi];
      const ids = g.params as unknown[];
      if (!Array.isArray(ids) || ids.length !== mine.params.length) {
        problems.push(`param group ${gi} has ${Array.isArray(ids) ? ids.length : "no"} params, expected ${mine.params.length}`);
        return;
      }
      const names = g.param_names as unknown[] | undefined;
      ids.forEach((id, j) => {
        const p = mine.params[j];
        if (!Number.isInteger(id) || byId.has(id as number)) problems.push(`param group ${gi}: params[${j}] = ${String(id)} is not a new integer index`);
        else byId.set(id as number, p);
        if (Array.isArray(names) && p.name && names[j] !== p.name) problems.push(`param group ${gi}: params[${j}] is "${String(names[j])}" in the dict, "${p.name}" here`);
      });
      const o = {} as Record<string, unknown>;
      for (const k of Object.keys(this.defaults())) {
        const v = g[snake(k)];
        if (v === undefined) problems.push(`param group ${gi}: missing "${snake(k)}"`);
        o[k] = Array.isArray(v) ? [...v] : v;
      }
      try { this.validate(o as O, `param group ${gi}`); } catch (e) { problems.push((e as Error).message); }
      options.push(o as O);
    });
    const entries = new Map<Tensor, Record<string, unknown>>();
    const known = this.bufferNames();
    for (const [id, e] of Object.entries(sd.state ?? {})) {
      const p = byId.get(Number(id));
      if (!p) { problems.push(`state "${id}": no parameter has this index`); continue; }
      if (!e || typeof e !== "object") { problems.push(`state "${id}": not an object`); continue; }
      const step = (e as Record<string, unknown>).step;
      if (!(Number.isInteger(step) && (step as number) >= 0)) problems.push(`state "${id}": step must be a non-negative integer, got ${String(step)}`);
      for (const [k, v] of Object.entries(e)) {
        if (k === "step") continue;
        if (!known.includes(k)) { problems.push(`state "${id}": unknown buffer "${k}" (${this.type} keeps ${known.join(", ")})`); continue; }
        const t = v as { shape?: unknown; data?: ArrayLike<unknown> };
        const shape = t && Array.isArray(t.shape) ? t.shape : null;
        if (!shape || shape.length !== p.shape.length || shape.some((d, i) => d !== p.shape[i])) {
          problems.push(`state "${id}".${k}: shape ${shape ? `[${shape.join(", ")}]` : "missing"}, expected [${p.shape.join(", ")}] (${p.describe()})`);
        } else if (!t.data || t.data.length !== p.size) {
          problems.push(`state "${id}".${k}: ${t.data ? t.data.length : "no"} values, expected ${p.size}`);
        } else {
          for (let i = 0; i < p.size; i++) {
            if (typeof t.data[i] !== "number") { problems.push(`state "${id}".${k}: value ${i} is not a number`); break; }
          }
        }
      }
      entries.set(p, e as Record<string, unknown>);
    }
    if (problems.length) throw new Error(`${where}: ${problems.join("; ")}`);
    return () => this.apply(options, entries);
  }

  private apply(options: O[], entries: Map<Tensor, Record<string, unknown>>): void {
    this.paramGroups.forEach((g, gi) => Object.assign(g, options[gi]));
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        const e = entries.get(p);
        const old = this.state.get(p);
        if (!e) {
          if (old) for (const b of Object.values(old.buffers)) b.dispose();
          this.state.delete(p);
          continue;
        }
        const s: ParamState = old ?? { step: 0, buffers: {} };
        s.step = e.step as number;
        for (const k of Object.keys(s.buffers)) if (!(k in e)) { s.buffers[k].dispose(); delete s.buffers[k]; }
        for (const [k, v] of Object.entries(e)) {
          if (k === "step") continue;
          const b = this.buffer(s, p, k);
          new Float32Array(K().memory.buffer, b.ptr, b.size).set((v as { data: ArrayLike<number> }).data);
        }
        this.state.set(p, s);
      }
    }
  }
}
