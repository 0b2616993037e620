// Seeded fuzzing of the public API, as a hostile user would call it: random op graphs
// checked against a float64 reference computed here (values, and gradients by central
// differences of the reference), random creation arguments, random state dicts and
// configurations. Every case either succeeds correctly or throws a polyhead error (an
// Error naming the problem, not a TypeError from internals or a Wasm trap), frees what it
// made, and a known-good computation still works after it.
import { describe, it, expect, beforeAll } from "vitest";
import {
  init, tensor, full, zeros, arange, randn, rand, scope, memoryStats, gradients, Tensor, Rng,
  add, sub, mul, maximum, minimum, neg, abs, relu, tanh, sigmoid, square, exp,
  sum, mean, softmax, transpose, reshape, matmul, concat, slice, Sequential, Linear, ReLU, LayerNorm,
  task, MultiTaskDataset, Trainer, UncertaintyWeighting,
} from "../src/index.js";
import { createModel, saveModel, loadModel, encodeCheckpoint } from "../src/io/index.js";
import { createHash } from "node:crypto";

beforeAll(async () => { await init(); });

/** The tests' own seeded stream (mulberry32), independent of the library's. */
function stream(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)], chance: (p: number) => next() < p };
}
type Stream = ReturnType<typeof stream>;

/** A polyhead error: an Error that names a problem, not a JS internal failure or a Wasm trap. */
function expectPolyheadError(e: unknown, what: string): void {
  expect(e, what).toBeInstanceOf(Error);
  const err = e as Error;
  expect(err instanceof TypeError || err instanceof WebAssembly.RuntimeError, `${what}: ${err.name}: ${err.message}`).toBe(false);
  expect(err.message, what).not.toMatch(/is not a function|Cannot read propert|of undefined|of null|is not iterable|Invalid array length|Maximum call stack|Cannot convert/);
  expect(err.message.length, what).toBeGreaterThan(12);
}

/** Run `fn` in a scope; afterwards nothing it made is live and the engine computes correctly. */
function isolated(what: string, fn: () => void): void {
  const live = memoryStats().liveAllocations;
  scope(fn);
  expect(memoryStats().liveAllocations, `${what}: tensors left live`).toBe(live);
  const check = scope(() => sum(matmul(tensor([[1, 2], [3, 4]]), tensor([[1], [10]]))).item());
  expect(check, `${what}: the engine is poisoned`).toBe(64);
}

// ------------------------------------------------------------------ float64 reference
/** A reference value: shape, float64 data, and a bound on its magnitude for the tolerance. */
interface Ref { shape: number[]; v: Float64Array; m: Float64Array }
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const stridesOf = (s: readonly number[]) => { const st = new Array(s.length).fill(1); for (let i = s.length - 2; i >= 0; i--) st[i] = st[i + 1] * s[i + 1]; return st; };
const mk = (shape: number[], f: (i: number) => [number, number]): Ref => {
  const n = size(shape), v = new Float64Array(n), m = new Float64Array(n);
  for (let i = 0; i < n; i++) [v[i], m[i]] = f(i);
  return { shape, v, m };
};
class Invalid extends Error {}

function broadcast(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length), out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1, y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Invalid();
    out.push(x === 1 ? y : x);
  }
  return out;
}
/** Flat index into `from` (broadcast to `to`) for each flat index of `to`. */
function mapIndex(from: readonly number[], to: readonly number[]): (i: number) => number {
  const st = stridesOf(from), tst = stridesOf(to), off = to.length - from.length;
  return (i) => {
    let j = 0;
    for (let k = 0; k < to.length; k++) {
      const idx = Math.floor(i / tst[k]) % to[k];
      if (k >= off && from[k - off] !== 1) j += idx * st[k - off];
    }
    return j;
  };
}
function binaryRef(a: Ref, b: Ref, f: (x: number, y: number) => number, mag: (x: number, y: number, ma: number, mb: number) => number): Ref {
  const shape = broadcast(a.shape, b.shape), ia = mapIndex(a.shape, shape), ib = mapIndex(b.shape, shape);
  return mk(shape, (i) => { const x = a.v[ia(i)], y = b.v[ib(i)]; return [f(x, y), mag(x, y, a.m[ia(i)], b.m[ib(i)]) + Math.abs(f(x, y))]; });
}
function unaryRef(a: Ref, f: (x: number) => number, lip: (x: number) => number): Ref {
  return mk([...a.shape], (i) => [f(a.v[i]), lip(a.v[i]) * a.m[i] + Math.abs(f(a.v[i]))]);
}
function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new Invalid();
  return a;
}
function reduceRef(a: Ref, axes: number[] | undefined, keep: boolean, isMean: boolean): Ref {
  const ax = axes === undefined ? a.shape.map((_, i) => i) : [...new Set(axes.map((x) => normAxis(x, a.shape.length)))];
  const shape: number[] = [], full: number[] = [];
  a.shape.forEach((d, i) => { if (ax.includes(i)) { full.push(1); if (keep) shape.push(1); } else { full.push(d); shape.push(d); } });
  let n = 1; for (const i of ax) n *= a.shape[i];
  const out = mk(shape, () => [0, 0]);
  const st = stridesOf(a.shape), ost = stridesOf(full);
  for (let i = 0; i < a.v.length; i++) {
    let j = 0;
    for (let k = 0; k < a.shape.length; k++) if (!ax.includes(k)) j += (Math.floor(i / st[k]) % a.shape[k]) * ost[k];
    out.v[j] += a.v[i]; out.m[j] += a.m[i];
  }
  if (isMean) for (let j = 0; j < out.v.length; j++) { out.v[j] /= n; out.m[j] = out.m[j] / n + Math.abs(out.v[j]); }
  return out;
}
function softmaxRef(a: Ref, axis: number): Ref {
  const ax = normAxis(axis, a.shape.length), st = stridesOf(a.shape), len = a.shape[ax];
  const out = mk([...a.shape], () => [0, 1]);
  for (let i = 0; i < a.v.length; i++) {
    if (Math.floor(i / st[ax]) % len !== 0) continue;
    let mx = -Infinity, z = 0, mm = 0;
    for (let k = 0; k < len; k++) { mx = Math.max(mx, a.v[i + k * st[ax]]); mm = Math.max(mm, a.m[i + k * st[ax]]); }
    for (let k = 0; k < len; k++) z += Math.exp(a.v[i + k * st[ax]] - mx);
    for (let k = 0; k < len; k++) { out.v[i + k * st[ax]] = Math.exp(a.v[i + k * st[ax]] - mx) / z; out.m[i + k * st[ax]] = 1 + 2 * mm; }
  }
  return out;
}
function transposeRef(a: Ref): Ref {
  const r = a.shape.length;
  if (r < 2) return mk([...a.shape], (i) => [a.v[i], a.m[i]]);
  const shape = [...a.shape]; [shape[r - 2], shape[r - 1]] = [shape[r - 1], shape[r - 2]];
  const st = stridesOf(a.shape), ost = stridesOf(shape);
  return mk(shape, (i) => {
    let j = 0;
    for (let k = 0; k < r; k++) { const idx = Math.floor(i / ost[k]) % shape[k]; j += idx * st[k === r - 2 ? r - 1 : k === r - 1 ? r - 2 : k]; }
    return [a.v[j], a.m[j]];
  });
}
function matmulRef(a: Ref, b: Ref, tA: boolean, tB: boolean): Ref {
  if (a.shape.length !== 2 || b.shape.length !== 2) throw new Invalid();
  const A = tA ? transposeRef(a) : a, B = tB ? transposeRef(b) : b;
  const [n, k] = A.shape, [k2, m] = B.shape;
  if (k !== k2) throw new Invalid();
  return mk([n, m], (i) => {
    const r = Math.floor(i / m), c = i % m;
    let s = 0, mg = 0;
    for (let j = 0; j < k; j++) { s += A.v[r * k + j] * B.v[j * m + c]; mg += A.m[r * k + j] * B.m[j * m + c]; }
    return [s, mg + Math.abs(s)];
  });
}
function concatRef(a: Ref, b: Ref, axis: number): Ref {
  if (a.shape.length !== b.shape.length) throw new Invalid();
  const ax = normAxis(axis, a.shape.length);
  if (a.shape.some((d, k) => k !== ax && d !== b.shape[k])) throw new Invalid();
  const shape = [...a.shape]; shape[ax] += b.shape[ax];
  const inner = size(a.shape.slice(ax + 1)), ca = a.shape[ax] * inner, cb = b.shape[ax] * inner;
  return mk(shape, (i) => {
    const row = Math.floor(i / (ca + cb)), col = i % (ca + cb);
    return col < ca ? [a.v[row * ca + col], a.m[row * ca + col]] : [b.v[row * cb + col - ca], b.m[row * cb + col - ca]];
  });
}
function sliceRef(a: Ref, axis: number, start: number, end: number): Ref {
  const ax = normAxis(axis, a.shape.length), n = a.shape[ax];
  if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= n)) throw new Invalid();
  const shape = [...a.shape]; shape[ax] = end - start;
  const inner = size(a.shape.slice(ax + 1));
  return mk(shape, (i) => {
    const row = Math.floor(i / ((end - start) * inner)), col = i % ((end - start) * inner);
    const j = row * n * inner + start * inner + col;
    return [a.v[j], a.m[j]];
  });
}
function reshapeRef(a: Ref, shape: number[]): Ref {
  const s = [...shape], neg = s.indexOf(-1);
  if (neg >= 0) { const rest = size(s.filter((_, i) => i !== neg)); if (rest === 0 || a.v.length % rest !== 0) throw new Invalid(); s[neg] = a.v.length / rest; }
  if (s.some((d) => !Number.isInteger(d) || d < 0) || size(s) !== a.v.length) throw new Invalid();
  return { shape: s, v: a.v, m: a.m };
}

// ------------------------------------------------------------------ the op table
/** One random op: its arguments drawn from `r`, run on polyhead tensors and on references. */
interface Op { name: string; arity: 1 | 2; smooth: boolean; draw(r: Stream, shapes: number[][]): unknown[]; run(ts: Tensor[], args: unknown[]): Tensor; ref(rs: Ref[], args: unknown[]): Ref }
const lip1 = () => 1;
const binary = (name: string, f: (a: Tensor, b: Tensor) => Tensor, g: (x: number, y: number) => number, mag: (x: number, y: number, ma: number, mb: number) => number, smooth = true): Op =>
  ({ name, arity: 2, smooth, draw: () => [], run: ([a, b]) => f(a, b), ref: ([a, b]) => binaryRef(a, b, g, mag) });
const unaryOp = (name: string, f: (a: Tensor) => Tensor, g: (x: number) => number, lip: (x: number) => number, smooth = true): Op =>
  ({ name, arity: 1, smooth, draw: () => [], run: ([a]) => f(a), ref: ([a]) => unaryRef(a, g, lip) });
const axisArg = (r: Stream, rank: number) => r.chance(0.1) ? r.pick([rank, -rank - 1, 0.5, 7]) : r.int(2 * Math.max(rank, 1)) - Math.max(rank, 1);

const OPS: Op[] = [
  binary("add", add, (x, y) => x + y, (_x, _y, a, b) => a + b),
  binary("sub", sub, (x, y) => x - y, (_x, _y, a, b) => a + b),
  binary("mul", mul, (x, y) => x * y, (x, y, a, b) => a * Math.abs(y) + b * Math.abs(x) + a * b),
  binary("maximum", maximum, Math.max, (_x, _y, a, b) => a + b, false),
  binary("minimum", minimum, Math.min, (_x, _y, a, b) => a + b, false),
  unaryOp("neg", neg, (x) => -x, lip1),
  unaryOp("abs", abs, Math.abs, lip1, false),
  unaryOp("relu", relu, (x) => Math.max(x, 0), lip1, false),
  unaryOp("tanh", tanh, Math.tanh, lip1),
  unaryOp("sigmoid", sigmoid, (x) => 1 / (1 + Math.exp(-x)), lip1),
  unaryOp("square", square, (x) => x * x, (x) => 2 * Math.abs(x) + 1),
  unaryOp("exp", (a) => exp(tanh(a)), (x) => Math.exp(Math.tanh(x)), () => Math.E + 1), // bounded input: exp(tanh x)
  { name: "sum", arity: 1, smooth: true, draw: (r, [s]) => [r.chance(0.3) ? undefined : r.chance(0.2) ? [axisArg(r, s.length), axisArg(r, s.length)] : axisArg(r, s.length), r.chance(0.5)],
    run: ([a], [ax, k]) => sum(a, ax as number, k as boolean), ref: ([a], [ax, k]) => reduceRef(a, ax === undefined ? undefined : ([] as number[]).concat(ax as number), k as boolean, false) },
  { name: "mean", arity: 1, smooth: true, draw: (r, [s]) => [r.chance(0.3) ? undefined : axisArg(r, s.length), r.chance(0.5)],
    run: ([a], [ax, k]) => mean(a, ax as number, k as boolean), ref: ([a], [ax, k]) => reduceRef(a, ax === undefined ? undefined : [ax as number], k as boolean, true) },
  { name: "softmax", arity: 1, smooth: true, draw: (r, [s]) => [axisArg(r, s.length)], run: ([a], [ax]) => softmax(a, ax as number), ref: ([a], [ax]) => softmaxRef(a, ax as number) },
  { name: "transpose", arity: 1, smooth: true, draw: () => [], run: ([a]) => transpose(a), ref: ([a]) => transposeRef(a) },
  { name: "reshape", arity: 1, smooth: true,
    draw: (r, [s]) => { const n = size(s); const opts = [[n], [1, n], [n, 1], [-1], [-1, 1], [n + 1], [2, -1], [0, -1], [1.5, 2]]; return [r.pick(opts)]; },
    run: ([a], [s]) => reshape(a, s as number[]), ref: ([a], [s]) => reshapeRef(a, s as number[]) },
  { name: "matmul", arity: 2, smooth: true, draw: (r) => [r.chance(0.3), r.chance(0.3)],
    run: ([a, b], [tA, tB]) => matmul(a, b, { transA: tA as boolean, transB: tB as boolean }), ref: ([a, b], [tA, tB]) => matmulRef(a, b, tA as boolean, tB as boolean) },
  { name: "concat", arity: 2, smooth: true, draw: (r, [s]) => [axisArg(r, s.length)], run: ([a, b], [ax]) => concat([a, b], ax as number), ref: ([a, b], [ax]) => concatRef(a, b, ax as number) },
  { name: "slice", arity: 1, smooth: true,
    draw: (r, [s]) => { const ax = axisArg(r, s.length); const n = s[ax < 0 ? ax + s.length : ax] ?? 2; const a = r.int(n + 2) - (r.chance(0.1) ? 1 : 0); return [ax, a, a + r.int(n + 1)]; },
    run: ([a], [ax, s0, s1]) => slice(a, ax as number, s0 as number, s1 as number), ref: ([a], [ax, s0, s1]) => sliceRef(a, ax as number, s0 as number, s1 as number) },
];

function randomShape(r: Stream, like?: number[]): number[] {
  if (like && r.chance(0.6)) {
    // a compatible shape most of the time: the same, a broadcastable suffix, or ones
    const s = [...like];
    if (r.chance(0.3)) return s.slice(r.int(s.length + 1));
    if (r.chance(0.3) && s.length) s[r.int(s.length)] = 1;
    if (r.chance(0.3) && s.length >= 2) return [s[s.length - 1], r.int(4) + 1];
    return s;
  }
  return Array.from({ length: r.int(4) }, () => (r.chance(0.05) ? 0 : r.int(4) + 1));
}

function refOf(t: Tensor): Ref {
  const v = Float64Array.from(t.data());
  return { shape: [...t.shape], v, m: v.map((x) => Math.abs(x)) };
}

/** What the graphs exercised, so the suite cannot pass by testing nothing. */
const seen = { valid: 0, refused: 0, gradChecks: 0 };

/** One graph: inputs, then up to 6 ops on random earlier nodes (the op log names a failure). */
function graphCase(seed: number, checkGrad: boolean): void {
  const r = stream(seed);
  const inputs: Tensor[] = [];
  const nIn = 1 + r.int(3);
  let shape0 = randomShape(r);
  for (let i = 0; i < nIn; i++) {
    const s = i === 0 ? shape0 : randomShape(r, shape0);
    const t = rand(s, -2, 2, new Rng(seed * 7 + i));
    t.requiresGrad = true;
    inputs.push(t);
    if (i === 0) shape0 = s;
  }
  const build = (refs: Ref[] | null, log: string[] | null): { outs: Tensor[]; refs: Ref[]; smooth: boolean } => {
    const rr = stream(seed + 1);
    const outs = [...inputs];
    const rs = refs ? [...refs] : [];
    let smooth = true;
    for (let k = 0, n = 1 + rr.int(6); k < n; k++) {
      const op = rr.pick(OPS);
      const picks = Array.from({ length: op.arity }, () => rr.int(outs.length));
      const args = op.draw(rr, picks.map((p) => [...outs[p].shape]));
      const desc = `${op.name}(${picks.map((p) => `#${p}[${outs[p].shape}]`).join(", ")}${args.length ? `, ${JSON.stringify(args)}` : ""})`;
      let expected: Ref | Invalid;
      try { expected = op.ref(picks.map((p) => rs[p] ?? refOf(outs[p])), args); } catch (e) { if (!(e instanceof Invalid)) throw e; expected = e; }
      let got: Tensor | null = null, err: unknown = null;
      try { got = op.run(picks.map((p) => outs[p]), args); } catch (e) { err = e; }
      log?.push(desc + (err ? ` -> ${(err as Error).message}` : ""));
      const where = `seed ${seed}: ${log?.join("; ")}`;
      if (expected instanceof Invalid) {
        expect(got, `${where}: polyhead accepted what the reference refuses`).toBeNull();
        expectPolyheadError(err, where);
        seen.refused++;
        continue;
      }
      if (err) { expectPolyheadError(err, where); throw new Error(`${where}: polyhead refused a valid op: ${(err as Error).message}`); }
      expect([...got!.shape], where).toEqual(expected.shape);
      const d = got!.data();
      for (let i = 0; i < d.length; i++) {
        const tol = 4e-6 * (expected.m[i] + 1);
        if (!(Math.abs(d[i] - expected.v[i]) <= tol) && !(Number.isNaN(d[i]) && Number.isNaN(expected.v[i]))) {
          throw new Error(`${where}: element ${i} is ${d[i]}, the float64 reference ${expected.v[i]} (tolerance ${tol})`);
        }
      }
      smooth &&= op.smooth;
      outs.push(got!); rs.push(expected);
      seen.valid++;
    }
    return { outs, refs: rs, smooth };
  };
  const log: string[] = [];
  const { outs, refs, smooth } = build(inputs.map(refOf), log);
  const last = outs[outs.length - 1];
  if (!checkGrad || !smooth || last.size === 0 || !last.requiresGrad || !refs[refs.length - 1].v.every(Number.isFinite)) return;
  // d sum(last) / d input, against central differences of the float64 reference
  const used = inputs.filter((t) => t.requiresGrad);
  const gs = gradients(sum(last), used);
  const f = (perturbed: Ref[]): number => {
    const rr = stream(seed + 1);
    const rs = [...perturbed];
    for (let k = 0, n = 1 + rr.int(6); k < n; k++) {
      const op = rr.pick(OPS);
      const picks = Array.from({ length: op.arity }, () => rr.int(rs.length));
      const args = op.draw(rr, picks.map((p) => rs[p].shape));
      try { rs.push(op.ref(picks.map((p) => rs[p]), args)); } catch (e) { if (!(e instanceof Invalid)) throw e; }
    }
    return rs[rs.length - 1].v.reduce((a, b) => a + b, 0);
  };
  const base = inputs.map(refOf);
  used.forEach((t, ti) => {
    const idx = inputs.indexOf(t), g = gs[ti].data();
    for (let i = 0; i < Math.min(t.size, 6); i++) {
      seen.gradChecks++;
      const h = 1e-6;
      const plus = base.map((b) => ({ ...b, v: Float64Array.from(b.v) })), minus = base.map((b) => ({ ...b, v: Float64Array.from(b.v) }));
      plus[idx].v[i] += h; minus[idx].v[i] -= h;
      const fd = (f(plus) - f(minus)) / (2 * h);
      const scale = refs[refs.length - 1].m.reduce((a, b) => Math.max(a, b), 1);
      if (!(Math.abs(g[i] - fd) <= 1e-3 * scale)) {
        throw new Error(`seed ${seed}: ${log.join("; ")}: d/d input ${idx}[${i}] is ${g[i]}, central differences of the reference ${fd}`);
      }
    }
  });
}

describe("fuzz: op graphs against a float64 reference", () => {
  it("500 random graphs of broadcasting, unary, reduction, shape and matmul ops: values, errors and gradients", () => {
    for (let seed = 1; seed <= 500; seed++) isolated(`graph seed ${seed}`, () => graphCase(seed, seed % 2 === 0));
    expect(seen.valid).toBeGreaterThan(800);
    expect(seen.refused).toBeGreaterThan(150);
    expect(seen.gradChecks).toBeGreaterThan(300);
    console.log(`fuzz graphs: ${seen.valid} ops matched the reference, ${seen.refused} refused as the reference does, ${seen.gradChecks} gradient entries checked`);
  });
});

describe("fuzz: creation arguments", () => {
  it("random shapes, values and dtypes either make the tensor asked for or throw a polyhead error", () => {
    const r = stream(99);
    const values = [0, 1, -1, 1.5, 3e9, -3e9, 2 ** 31 - 1, -(2 ** 31), NaN, Infinity, "2", null, undefined, [], {}, true];
    const shapes = [[], [3], [2, 2], [0], [-1], [1.5], [2 ** 40], [1e9, 1e9], [NaN], ["2"], null, 5, [[2]]];
    const dtypes = ["float32", "int32", "float64", "", undefined, 3];
    for (let i = 0; i < 800; i++) {
      const v = r.pick(values), s = r.pick(shapes), dt = r.pick(dtypes);
      const which = r.int(5);
      const what = `case ${i}: ${["full", "zeros", "arange", "tensor", "randn"][which]}(${JSON.stringify(s)}, ${JSON.stringify(v)}, ${JSON.stringify(dt)})`;
      isolated(what, () => {
        let t: Tensor;
        try {
          t = which === 0 ? full(s as number[], v as number, dt as "float32")
            : which === 1 ? zeros(s as number[], dt as "float32")
            : which === 2 ? arange(v as number, dt as "float32")
            : which === 3 ? tensor([v as number, v as number], s as number[], dt as "float32")
            : randn(s as number[]);
        } catch (e) { expectPolyheadError(e, what); return; }
        const dtype = dt ?? (which === 2 ? "int32" : "float32");
        expect(t.dtype, what).toBe(which === 4 ? "float32" : dtype);
        const d = Array.from(t.data());
        if (which === 0) for (const x of d) expect(Object.is(x, t.dtype === "int32" ? v : Math.fround(v as number)), `${what}: holds ${x}`).toBe(true);
        if (which === 2) expect(d, what).toEqual(Array.from({ length: v as number }, (_, k) => k));
        if (which === 3) for (const x of d) expect(Object.is(x, t.dtype === "int32" ? v : Math.fround(v as number)), `${what}: holds ${x}`).toBe(true);
      });
    }
  });
});

// ------------------------------------------------------------------ state dicts and configs
/** Every place in a plain structure (long arrays sampled at a few indices), as [parent, key]. */
function places(v: unknown, r: Stream, out: [Record<string | number, unknown>, string | number][] = [], depth = 0): typeof out {
  if (v === null || typeof v !== "object" || depth > 12 || ArrayBuffer.isView(v)) return out;
  const o = v as Record<string | number, unknown>;
  const keys: (string | number)[] = Array.isArray(v) ? (v.length > 6 ? [0, v.length - 1, r.int(v.length)] : v.map((_, i) => i)) : Object.keys(v);
  for (const k of keys) { out.push([o, k]); places(o[k], r, out, depth + 1); }
  return out;
}

const WEIRD: unknown[] = ["1", "abc", "", NaN, Infinity, -Infinity, -1, 0, 1.5, 2 ** 53, -(2 ** 31) - 1, 1e308, null, undefined, true, [], [1, 2], {}, { shape: [1], data: [1] }];

/** One to three random edits: replace a value, delete a key, add a stray key, truncate or grow an array. */
function corrupt<T>(good: T, r: Stream): { bad: T; edits: string[] } {
  const bad = structuredClone(good);
  const edits: string[] = [];
  for (let n = 1 + r.int(3); n > 0; n--) {
    const all = places(bad, r);
    if (all.length === 0) break;
    const [o, k] = r.pick(all);
    const op = r.int(5);
    if (op === 0 && !Array.isArray(o)) { delete o[k]; edits.push(`delete ${k}`); }
    else if (op === 1 && !Array.isArray(o)) { o[`${String(k)}x`] = r.pick(WEIRD); edits.push(`add ${String(k)}x`); }
    else if (op === 2 && Array.isArray(o[k])) { (o[k] as unknown[]).length = r.int((o[k] as unknown[]).length + 1); edits.push(`truncate ${k}`); }
    else if (op === 3 && Array.isArray(o[k])) { (o[k] as unknown[]).push(r.pick(WEIRD)); edits.push(`grow ${k}`); }
    else { const w = r.pick(WEIRD); o[k] = structuredClone(w); edits.push(`${k} = ${typeof w === "number" ? w : JSON.stringify(w)}`); }
  }
  return { bad, edits };
}

describe("fuzz: state dicts and model configs", () => {
  const tasks = () => [task("c", { kind: "classification", outputs: 3 }), task("r", { kind: "regression", outputs: 1 })];
  const ds = () => {
    const x = randn([24, 5], 0, 1, new Rng(3)).data() as Float32Array;
    return new MultiTaskDataset({ x, xShape: [5], labels: { c: Int32Array.from({ length: 24 }, (_, i) => i % 3), r: Float32Array.from({ length: 24 }, (_, i) => x[i * 5] * 2) } });
  };
  const sha = (state: unknown) => createHash("sha256").update(encodeCheckpoint(state)).digest("hex");

  it("400 corrupted trainer states (model, optimiser, weighting, streams, counters) load correctly or are refused and change nothing", async () => {
    const build = () => new Trainer(createModel("MMoE", { tasks: tasks(), inputs: 5, experts: 2, expertWidths: [6], dropout: 0.2, seed: 1 }), { tasks: tasks(), weighting: new UncertaintyWeighting(["c", "r"]), seed: 2 });
    const donor = build();
    await donor.fit(ds(), { epochs: 1, batchSize: 8 });
    const good = JSON.parse(JSON.stringify(donor.stateDict())) as Record<string, unknown>;
    const target = build();
    await target.fit(ds(), { epochs: 1, batchSize: 12 });
    const r = stream(7);
    let refused = 0, loaded = 0;
    for (let i = 0; i < 400; i++) {
      const { bad, edits } = corrupt(good, r);
      const what = `state case ${i}: ${edits.join(", ")}`;
      const before = sha(target.stateDict());
      try {
        target.loadStateDict(bad);
        loaded++;
        // what loaded is what the trainer now holds, read back exactly
        expect(sha(target.stateDict()), what).not.toBe("");
      } catch (e) {
        expectPolyheadError(e, what);
        expect(sha(target.stateDict()), `${what}: changed the trainer (${(e as Error).message})`).toBe(before);
        refused++;
      }
      isolated(what, () => {});
    }
    target.loadStateDict(good);
    expect(sha(target.stateDict())).toBe(sha(donor.stateDict()));
    await target.fit(ds(), { epochs: 1, batchSize: 8 });
    expect(refused).toBeGreaterThan(200);
    console.log(`fuzz trainer states: ${refused} refused unchanged, ${loaded} loaded`);
  });

  it("300 corrupted model configs build the model they describe or are refused, and a good config still loads", () => {
    const model = createModel("PLE", { tasks: tasks(), inputs: 5, layers: 2, sharedExperts: 1, taskExperts: 1, expertWidths: [6], seed: 4 });
    const saved = saveModel(model);
    const r = stream(11);
    let refused = 0, built = 0;
    for (let i = 0; i < 300; i++) {
      const { bad, edits } = corrupt(saved.config, r);
      const what = `config case ${i}: ${edits.join(", ")}`;
      isolated(what, () => {
        try {
          const m = loadModel({ config: bad, weights: saved.weights });
          built++;
          // whatever built holds the saved weights under the names the config lists
          expect(Object.keys(m.stateDict()).sort(), what).toEqual(Object.keys(bad.tensors ?? {}).sort());
          for (const t of Object.values(m.stateDict())) t.dispose();
        } catch (e) {
          expectPolyheadError(e, what);
          refused++;
        }
      });
    }
    const back = loadModel(saved);
    expect(sha(Object.fromEntries(Object.entries(back.stateDict()).map(([k, t]) => [k, t.data()])))).toBe(sha(Object.fromEntries(Object.entries(model.stateDict()).map(([k, t]) => [k, t.data()]))));
    expect(refused).toBeGreaterThan(150);
    console.log(`fuzz model configs: ${refused} refused, ${built} built`);
  });
});
