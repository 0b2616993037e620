// polyhead/io safetensors: exact round trips (NaN bits too), half-precision widening, and
// every rule of the reference reader, each broken on purpose by a hand-built file.
import { describe, it, expect, beforeAll } from "vitest";
import { init, Linear, Sequential, ReLU, BatchNorm1d, Rng, tensor } from "../src/index.js";
import {
  parseSafetensors, encodeSafetensors, saveWeights, loadWeights, SafetensorsError,
} from "../src/io/index.js";

beforeAll(async () => { await init(); });

/** A safetensors file from a header (object or raw text, padded to 8) and data bytes. */
function file(header: object | string, data: Uint8Array | number = 0, lenOverride?: bigint): Uint8Array {
  let text = typeof header === "string" ? header : JSON.stringify(header);
  while (text.length % 8) text += " ";
  const hb = new TextEncoder().encode(text);
  const d = typeof data === "number" ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + hb.length + d.length);
  new DataView(out.buffer).setBigUint64(0, lenOverride ?? BigInt(hb.length), true);
  out.set(hb, 8);
  out.set(d, 8 + hb.length);
  return out;
}

function code(fn: () => unknown): string {
  try { fn(); } catch (e) {
    expect(e).toBeInstanceOf(SafetensorsError);
    return (e as SafetensorsError).code;
  }
  throw new Error("expected a SafetensorsError");
}

const f32 = (shape: number[], b: number) => ({ dtype: "F32", shape, data_offsets: [b, b + 4 * shape.reduce((a, c) => a * c, 1)] });

describe("safetensors format", () => {
  it("writes the documented layout: u64 length, space-padded JSON, data", () => {
    const bytes = encodeSafetensors({ "attn.0": { dtype: "F32", shape: [1, 2, 3], data: new Float32Array([0, 1, 2, 3, 4, 5]) } });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(text.trimEnd()).toBe('{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}');
    expect(text.slice(text.trimEnd().length)).toMatch(/^ *$/);
    expect(Array.from(new Float32Array(bytes.slice(8 + n).buffer))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(bytes.length).toBe(8 + n + 24);
  });

  it("round-trips f32 and i32 bit for bit (NaN payloads, -0, infinities), f64 and i64, metadata", () => {
    const bits = new Uint32Array([0x7fc00001, 0xffa00000, 0x80000000, 0x7f800000, 0xff800000, 0x00000001, 0x3f800000, 0x7fbfffff]);
    const ints = new Int32Array([-2147483648, 2147483647, 0, -1]);
    const bytes = encodeSafetensors([
      ["w", { dtype: "F32", shape: [2, 4], data: new Float32Array(bits.buffer) }],
      ["i", { dtype: "I32", shape: [4], data: ints }],
      ["d", { dtype: "F64", shape: [1], data: new Float64Array([Math.PI]) }],
      ["l", { dtype: "I64", shape: [2], data: new BigInt64Array([-(2n ** 63n), 2n ** 62n]) }],
      ["e", { dtype: "F32", shape: [0, 3], data: new Float32Array(0) }],
          ["__proto__", { dtype: "U8", shape: [1], data: new Uint8Array([7]) }],
    ], { metadata: Object.fromEntries([["format", "pt"], ["__proto__", "x"]]) });
    const f = parseSafetensors(bytes);
    expect(Array.from(new Uint32Array((f.read("w") as Float32Array).buffer))).toEqual(Array.from(bits));
    expect(Array.from(f.read("i") as ArrayLike<number>)).toEqual(Array.from(ints));
    expect(Array.from(f.read("d") as ArrayLike<number>)).toEqual([Math.PI]);
    expect(Array.from(f.read("l") as BigInt64Array)).toEqual([-(2n ** 63n), 2n ** 62n]);
    expect(f.info("e").shape).toEqual([0, 3]);
    expect(Array.from(f.read("__proto__") as ArrayLike<number>)).toEqual([7]);
    expect(f.metadata).toEqual(Object.fromEntries([["format", "pt"], ["__proto__", "x"]]));
    // 8-byte dtypes first: every tensor aligned to its element size
    for (const n of f.names) expect(f.info(n).dataOffsets[0] % 8 === 0 || f.info(n).dtype !== "F64").toBe(true);
  });

  it("widens F16 and BF16 to f32 exactly (subnormals, infinities, NaN)", () => {
    const h = new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x03ff, 0x8000, 0x7c00, 0xfc00, 0x3555]);
    const want = [1, -2, 65504, 2 ** -24, 1023 * 2 ** -24, -0, Infinity, -Infinity, 0.333251953125];
    const bf = new Uint16Array([0x3f80, 0xc049, 0x0001, 0x7f80, 0x7fc0]);
    const bfWant = [1, new Float32Array(new Uint32Array([0xc0490000]).buffer)[0], new Float32Array(new Uint32Array([0x00010000]).buffer)[0], Infinity, NaN];
    const f = parseSafetensors(encodeSafetensors({
      h: { dtype: "F16", shape: [9], data: h }, b: { dtype: "BF16", shape: [5], data: bf },
      n: { dtype: "F16", shape: [1], data: new Uint16Array([0x7e00]) },
    }));
    expect(Array.from(f.read("h") as ArrayLike<number>)).toEqual(want);
    expect(Object.is((f.read("h") as Float32Array)[5], -0)).toBe(true);
    expect(Array.from(f.read("b") as ArrayLike<number>)).toEqual(bfWant);
    expect(Number.isNaN((f.read("n") as Float32Array)[0])).toBe(true);
  });

  it("refuses each broken rule with the reference reader's error", () => {
    const ok = { a: f32([2], 0), b: f32([1], 8) };
    expect(parseSafetensors(file(ok, 12)).names).toEqual(["a", "b"]);
    expect(code(() => parseSafetensors(new Uint8Array(5)))).toBe("HeaderTooSmall");
    expect(code(() => parseSafetensors(file(ok, 12, 100_000_008n)))).toBe("HeaderTooLarge");
    expect(code(() => parseSafetensors(file(ok, 12, 2n ** 63n)))).toBe("HeaderTooLarge");
    expect(code(() => parseSafetensors(file(ok, 0, 5000n)))).toBe("InvalidHeaderLength");
    const bad = file(ok, 12); bad[9] = 0xff; // not UTF-8
    expect(code(() => parseSafetensors(bad))).toBe("InvalidHeader");
    expect(code(() => parseSafetensors(file(" " + JSON.stringify(ok), 12)))).toBe("InvalidHeaderStart");
    expect(code(() => parseSafetensors(file("[]", 0)))).toBe("InvalidHeaderStart");
    expect(code(() => parseSafetensors(file('{"a":', 0)))).toBe("InvalidHeaderDeserialization");
    expect(code(() => parseSafetensors(file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', 8)))).toBe("InvalidHeaderDeserialization");
    expect(code(() => parseSafetensors(file({ a: { ...f32([1], 0), dtype: "F12" } }, 4)))).toBe("InvalidHeaderDeserialization");
    expect(code(() => parseSafetensors(file({ a: { ...f32([1], 0), extra: 1 } }, 4)))).toBe("InvalidHeaderDeserialization");
    expect(code(() => parseSafetensors(file({ a: { ...f32([1], 0), shape: [-1] } }, 4)))).toBe("InvalidHeaderDeserialization");
    expect(code(() => parseSafetensors(file({ a: { ...f32([1], 0), shape: [1.5] } }, 4)))).toBe("InvalidHeaderDeserialization");
    expect(code(() => parseSafetensors(file({ __metadata__: { k: 1 }, ...ok }, 12)))).toBe("InvalidHeaderDeserialization");
    expect(code(() => parseSafetensors(file({ __metadata__: { k: ["v"] }, ...ok }, 12)))).toBe("InvalidHeaderDeserialization");
    expect(code(() => parseSafetensors(file({ a: f32([2], 0), b: f32([1], 4) }, 12)))).toBe("InvalidOffset"); // overlap
    expect(code(() => parseSafetensors(file({ a: f32([2], 0), b: f32([1], 12) }, 16)))).toBe("InvalidOffset"); // hole
    expect(code(() => parseSafetensors(file({ a: f32([2], 4) }, 12)))).toBe("InvalidOffset"); // hole at the start
    expect(code(() => parseSafetensors(file({ a: { dtype: "F32", shape: [0], data_offsets: [0, 0] }, b: { dtype: "F32", shape: [1], data_offsets: [8, 4] } }, 4)))).toBe("InvalidOffset"); // backwards
    expect(code(() => parseSafetensors(file({ a: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, 8)))).toBe("TensorInvalidInfo");
    expect(code(() => parseSafetensors(file({ a: { dtype: "F32", shape: [2 ** 30, 2 ** 30, 2 ** 30, 0], data_offsets: [0, 0] } }, 0)))).toBe("ValidationOverflow");
    expect(code(() => parseSafetensors(file('{"a":{"dtype":"F32","shape":[184467440737095516160],"data_offsets":[0,4]}}', 4)))).toBe("ValidationOverflow");
    expect(code(() => parseSafetensors(file(ok, 11)))).toBe("MetadataIncompleteBuffer"); // truncated
    expect(code(() => parseSafetensors(file(ok, 16)))).toBe("MetadataIncompleteBuffer"); // trailing bytes
    const whole = file(ok, 12);
    for (let cut = 0; cut < whole.length; cut++) code(() => parseSafetensors(whole.subarray(0, cut)));
  });

  it("parses deep or huge-looking headers without recursion or big allocations", () => {
    expect(code(() => parseSafetensors(file("{\"a\":" + "[".repeat(100000), 0)))).toBe("InvalidHeaderDeserialization");
    const t0 = performance.now();
    // claims 2^40 elements of F32 in a 16-byte file: refused by arithmetic, nothing allocated
    expect(code(() => parseSafetensors(file({ a: { dtype: "F32", shape: [2 ** 20, 2 ** 20], data_offsets: [0, 2 ** 42] } }, 16)))).toBe("MetadataIncompleteBuffer");
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe("model weights", () => {
  const net = (seed: number) => new Sequential(new Linear(3, 4, { rng: new Rng(seed) }), new ReLU(), new Linear(4, 2, { rng: new Rng(seed + 1) }), new BatchNorm1d(2));

  it("saves PyTorch state_dict names and loads them back exactly", () => {
    const a = net(1), b = net(7);
    const bytes = saveWeights(a, { metadata: { format: "pt" } });
    expect(parseSafetensors(bytes).names.sort()).toEqual(Object.keys(a.stateDict()).sort());
    expect(Object.keys(a.stateDict())).toContain("0.weight");
    loadWeights(b, bytes);
    for (const [n, t] of Object.entries(a.stateDict())) expect(Array.from(b.stateDict()[n].data())).toEqual(Array.from(t.data()));
  });

  it("changes nothing when any name, shape, dtype or value is wrong", () => {
    const a = net(1), b = net(7);
    const before = Object.entries(b.stateDict()).map(([n, t]) => [n, Array.from(t.data())]);
    const same = () => expect(Object.entries(b.stateDict()).map(([n, t]) => [n, Array.from(t.data())])).toEqual(before);
    const dict = Object.fromEntries(Object.entries(a.stateDict()).map(([n, t]) => [n, { dtype: t.dtype === "int32" ? "I32" : "F32", shape: t.shape, data: t.data() }] as const));
    const variants: [string, Record<string, unknown>, RegExp][] = [
      ["missing", (() => { const d = { ...dict }; delete (d as Record<string, unknown>)["2.bias"]; return d; })(), /missing "2.bias"/],
      ["unexpected", { ...dict, "9.weight": { dtype: "F32", shape: [1], data: new Float32Array(1) } }, /unexpected "9.weight"/],
      ["shape", { ...dict, "2.bias": { dtype: "F32", shape: [1, 2], data: new Float32Array(2) } }, /"2.bias": shape \[1, 2\] in the file, the model has \[2\]/],
      ["dtype", { ...dict, "2.bias": { dtype: "I32", shape: [2], data: new Int32Array(2) } }, /"2.bias": dtype I32 cannot load into a float32/],
      ["NaN", { ...dict, "2.bias": { dtype: "F32", shape: [2], data: new Float32Array([1, NaN]) } }, /"2.bias": value NaN at flat index 1/],
      ["int64 range", { ...dict, "3.num_batches_tracked": { dtype: "I64", shape: [], data: new BigInt64Array([2n ** 40n]) } }, /does not fit int32/],
    ];
    // the last entry overwrites `3.num_batches_tracked` after the good float tensors: a
    // loader that wrote as it went would have changed them
    for (const [what, d, msg] of variants) {
      const bytes = encodeSafetensors(d as never);
      expect(() => loadWeights(b, bytes, { requireFinite: true }), what).toThrow(msg);
      same();
    }
    expect(() => loadWeights(b, encodeSafetensors(dict as never), { bogus: 1 } as never)).toThrow(/unknown option "bogus"/);
    same();
    // without requireFinite, NaN loads as stored
    loadWeights(b, encodeSafetensors(variants[4][1] as never));
    expect(Number.isNaN(b.stateDict()["2.bias"].data()[1])).toBe(true);
  });

  it("loads F16, BF16, F64 and I64 tensors converted", () => {
    const m = new Linear(2, 1, { rng: new Rng(3) });
    loadWeights(m, encodeSafetensors({
      weight: { dtype: "BF16", shape: [1, 2], data: new Uint16Array([0x3f80, 0xc000]) },
      bias: { dtype: "F16", shape: [1], data: new Uint16Array([0x3800]) },
    }));
    expect(Array.from(m.weight.data())).toEqual([1, -2]);
    expect(Array.from(m.bias!.data())).toEqual([0.5]);
    loadWeights(m, encodeSafetensors({
      weight: { dtype: "F64", shape: [1, 2], data: new Float64Array([0.1, 3]) },
      bias: { dtype: "F64", shape: [1], data: new Float64Array([-1]) },
    }));
    expect(Array.from(m.weight.data())).toEqual([Math.fround(0.1), 3]);
    const x = tensor([[1, 1]]);
    expect(m.forward(x).item()).toBeCloseTo(Math.fround(0.1) + 3 - 1, 6);
  });
});
