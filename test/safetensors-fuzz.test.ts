// Seeded fuzzing of the safetensors loader: valid files mutated by bit flips, byte
// writes, splices, truncations, extensions and header edits. Every case must either load
// exactly what the file says or throw a polyhead SafetensorsError leaving the model as it
// was; a known-good file must still load after each case. POLYHEAD_FUZZ_CASES=N for more.
import { describe, it, expect, beforeAll } from "vitest";
import { init, Linear, Sequential, ReLU, BatchNorm1d, LayerNorm, Rng, type Module, type Tensor } from "../src/index.js";
import { parseSafetensors, encodeSafetensors, saveWeights, loadWeights, loadTensors, SafetensorsError } from "../src/io/index.js";

const CASES = Number(process.env.POLYHEAD_FUZZ_CASES ?? 5000);

beforeAll(async () => { await init(); });

/** mulberry32: a small seeded generator for the mutations (not the library's Rng, so the
 * fuzzer's stream stays fixed whatever the library changes). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const model = (seed: number): Module => new Sequential(
  new Linear(5, 6, { rng: new Rng(seed) }), new ReLU(), new LayerNorm(6), new Linear(6, 3, { rng: new Rng(seed + 1) }), new BatchNorm1d(3),
);

/** Every value's bits, concatenated in stateDict order (cheap to compare thousands of times). */
function snapshot(d: Record<string, Tensor>): Uint32Array {
  const parts = Object.values(d).map((t) => new Uint32Array(t.data().buffer));
  const out = new Uint32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
const same = (a: Uint32Array, b: Uint32Array) => a.length === b.length && a.every((x, i) => x === b[i]);

function mutate(src: Uint8Array, donors: Uint8Array[], r: () => number): Uint8Array {
  const int = (n: number) => Math.floor(r() * n);
  let b = src.slice();
  const n = 1 + int(3);
  for (let k = 0; k < n; k++) {
    const op = int(9);
    const hlen = Number(new DataView(src.buffer, src.byteOffset).getBigUint64(0, true));
    const inHeader = () => 8 + int(Math.max(1, Math.min(hlen, b.length - 8)));
    if (op === 0 && b.length) { const i = int(b.length); b[i] ^= 1 << int(8); } // bit flip anywhere
    else if (op === 1 && b.length > 8) { const i = inHeader(); b[i] ^= 1 << int(8); } // bit flip in the header
    else if (op === 2 && b.length) { b[int(b.length)] = int(256); } // byte write
    else if (op === 3) b = b.slice(0, int(b.length + 1)); // truncate
    else if (op === 4) { const extra = new Uint8Array(1 + int(16)); extra.fill(int(256)); const c = new Uint8Array(b.length + extra.length); c.set(b); c.set(extra, b.length); b = c; } // extend
    else if (op === 5) { // splice a range of a donor file over a random place
      const d = donors[int(donors.length)];
      const from = int(d.length), len = 1 + int(Math.min(64, d.length - from));
      const at = int(b.length + 1);
      const c = new Uint8Array(Math.max(b.length, at + len));
      c.set(b); c.set(d.subarray(from, from + len), at); b = c;
    } else if (op === 6 && b.length >= 8) { // header-length field edits
      const dv = new DataView(b.buffer, b.byteOffset);
      const v = [0, 1, 7, hlen - 8, hlen + 8, hlen + int(64), 100_000_001, 2 ** 32 + hlen][int(8)];
      dv.setBigUint64(0, BigInt(Math.max(0, v)), true);
    } else { // textual header edits: numbers, dtypes, names, structure
      const text = new TextDecoder().decode(b.subarray(8, Math.min(b.length, 8 + hlen)));
      let t = text;
      const nums = [...text.matchAll(/\d+/g)];
      const pick = <T>(xs: T[]) => xs[int(xs.length)];
      const e = int(7);
      if (e === 0 && nums.length) { const m = pick(nums); t = text.slice(0, m.index) + pick(["0", "1", "4", "-1", "1.5", "1e3", String(int(400)), "9007199254740993", "4294967296", "99999999999999999999"]) + text.slice(m.index! + m[0].length); }
      else if (e === 1) t = text.replace(/"F32"/, pick(['"F16"', '"BF16"', '"F64"', '"I32"', '"I64"', '"U8"', '"F99"', '"f32"', "32", "null"]));
      else if (e === 2) { const m = pick([...text.matchAll(/"[^"]*":\{/g)]); if (m) t = text.slice(0, m.index) + m[0] + '"dtype":"F32","shape":[1],"data_offsets":[0,4]},' + m[0] + text.slice(m.index! + m[0].length); } // duplicate a name
      else if (e === 3) t = text.replace(/\{/, '{"__metadata__":' + pick(['{"a":"b"}', '{"a":1}', '{"a":null}', "null", '{"a":"b","a":"c"}', "[]"]) + ",");
      else if (e === 4) { const i = int(text.length); t = text.slice(0, i) + text.slice(i + 1 + int(3)); } // delete characters
      else if (e === 5) { const i = int(text.length + 1); t = text.slice(0, i) + pick(["{", "}", "[", "]", ",", ":", '"', "\\", "\\u00e9", "\u00ff", " "]) + text.slice(i); } // insert
      else t = text.replace(/"data_offsets":\[(\d+),(\d+)\]/, (_m, a, c) => `"data_offsets":[${c},${a}]`); // run backwards
      const tb = new TextEncoder().encode(t);
      const rest = b.subarray(Math.min(b.length, 8 + hlen));
      const c = new Uint8Array(8 + tb.length + rest.length);
      c.set(b.subarray(0, 8)); c.set(tb, 8); c.set(rest, 8 + tb.length);
      if (r() < 0.7) new DataView(c.buffer).setBigUint64(0, BigInt(tb.length), true); // keep the length consistent
      b = c;
    }
  }
  return b;
}

describe("safetensors fuzzing", () => {
  it(`${CASES} mutated files: each loads exactly or throws a SafetensorsError, changing nothing`, () => {
    const good = model(1);
    const goodBytes = saveWeights(good);
    const goodSnap = snapshot(good.stateDict());
    const sources = [
      goodBytes,
      saveWeights(model(2), { metadata: { format: "pt", note: "second" } }),
      encodeSafetensors(Object.fromEntries(Object.entries(good.stateDict()).map(([n, t]) => [n, t.dtype === "int32"
        ? { dtype: "I64", shape: t.shape, data: BigInt64Array.from(t.data(), (x) => BigInt(x)) }
        : { dtype: "F16", shape: t.shape, data: new Uint16Array(t.size).fill(0x3c00) }]))),
    ];
    const r = prng(20261201);
    // stateDict() walks the module tree (~0.5 ms here): the dicts are taken once, and one
    // case in 50 goes through loadWeights(model) itself
    const target = model(3), targetDict = target.stateDict();
    const check = model(4), checkDict = check.stateDict();
    let loaded = 0, refused = 0;
    const codes: Record<string, number> = {};
    const t0 = performance.now();
    for (let c = 0; c < CASES; c++) {
      const bytes = mutate(sources[c % sources.length], sources, r);
      const before = snapshot(targetDict);
      const opts = { requireFinite: r() < 0.5, strict: r() < 0.8 };
      try {
        if (c % 50 === 0) loadWeights(target, bytes, opts); else loadTensors(targetDict, bytes, opts);
        loaded++;
        // it loaded: every tensor the model has in the file now holds the file's values
        const f = parseSafetensors(bytes);
        for (const [n, t] of Object.entries(targetDict)) {
          if (!f.has(n)) continue;
          const v = f.read(n);
          const want = v instanceof BigInt64Array || v instanceof BigUint64Array ? Array.from(v, Number) : Array.from(v);
          const got = Array.from(t.data());
          const ok = t.dtype === "float32" ? same(new Uint32Array(new Float32Array(got).buffer), new Uint32Array(new Float32Array(want).buffer)) : got.every((x, i) => x === want[i]);
          if (!ok) throw new Error(`case ${c}: "${n}" holds other values than the file it loaded`);
          if (opts.requireFinite && !got.every(Number.isFinite)) throw new Error(`case ${c}: "${n}" loaded a non-finite value under requireFinite`);
        }
      } catch (e) {
        if (!(e instanceof SafetensorsError)) throw new Error(`case ${c}: not a SafetensorsError: ${(e as Error)?.stack ?? e}`);
        refused++;
        codes[e.code] = (codes[e.code] ?? 0) + 1;
        if (!same(snapshot(targetDict), before)) throw new Error(`case ${c} (${e.code}) changed the model`);
      }
      loadTensors(checkDict, goodBytes);
      if (!same(snapshot(checkDict), goodSnap)) throw new Error(`the known-good file no longer loads the same after case ${c}`);
    }
    const ms = performance.now() - t0;
    console.log(`safetensors fuzz: ${CASES} cases in ${ms.toFixed(0)} ms: ${loaded} loaded, ${refused} refused ${JSON.stringify(codes)}`);
    // the mutations reach most rules (a fuzzer that only truncates would not)
    for (const k of ["InvalidHeaderLength", "InvalidHeaderDeserialization", "InvalidOffset", "TensorInvalidInfo", "MetadataIncompleteBuffer", "HeaderTooLarge", "ModelMismatch"]) {
      expect(codes[k] ?? 0, k).toBeGreaterThan(0);
    }
    expect(loaded).toBeGreaterThan(0);
  });
});
