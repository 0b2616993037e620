// Creation ops take only what a tensor can hold exactly: known dtypes, int32 values in
// range (no wrapping, no truncation), numbers (no strings coerced to NaN), and sizes
// checked against the memory limit before any work (arange(6e8) aborted the process).
import { describe, it, expect, beforeAll } from "vitest";
import { init, tensor, full, zeros, ones, arange, randn, memoryStats, sum, Tensor } from "../src/index.js";

beforeAll(async () => { await init(); });

describe("creation ops", () => {
  it("arange checks n and the memory limit before building anything", () => {
    const before = memoryStats();
    expect(() => arange(6e8)).toThrow(/out of memory/);
    expect(() => arange(2 ** 31 + 1)).toThrow(/arange: n - 1: 2147483648 is not an int32/);
    for (const bad of [-1, 2.5, NaN, Infinity, "3"]) expect(() => arange(bad as number)).toThrow(/arange: n must be a non-negative integer/);
    expect(memoryStats().bytesInUse).toBe(before.bytesInUse);
    expect(Array.from(arange(5).data())).toEqual([0, 1, 2, 3, 4]);
    expect(arange(3, "float32").dtype).toBe("float32");
    expect(Array.from(arange(0).data())).toEqual([]);
  });

  it("an int32 tensor refuses values it would wrap or truncate, from arrays, typed arrays, full and write", () => {
    for (const v of [3e9, -2147483649, 1.5, NaN, Infinity]) {
      expect(() => tensor([v], [1], "int32"), String(v)).toThrow(/tensor: value 0: .* is not an int32/);
      expect(() => full([2], v, "int32"), String(v)).toThrow(/full: value: .* is not an int32/);
    }
    expect(() => tensor(new Float64Array([1, 3e9]), [2], "int32")).toThrow(/value 1: 3000000000 is not an int32/);
    expect(() => tensor(new Uint32Array([4e9]), [1], "int32")).toThrow(/is not an int32/);
    const t = zeros([2], "int32");
    expect(() => t.write([1, 2 ** 31])).toThrow(/write to Tensor \[2\] int32: value 1: 2147483648 is not an int32/);
    expect(Array.from(t.data())).toEqual([0, 0]); // the failed write changed nothing
    // the extremes are fine
    expect(Array.from(tensor([-2147483648, 2147483647], [2], "int32").data())).toEqual([-2147483648, 2147483647]);
    expect(Array.from(full([1], -7, "int32").data())).toEqual([-7]);
    expect(Array.from(tensor(new Uint16Array([65535]), [1], "int32").data())).toEqual([65535]);
  });

  it("float32 tensors refuse non-numbers instead of coercing them", () => {
    expect(() => tensor(["1", 2] as unknown as number[], [2])).toThrow(/tensor: value 0 is "1" \(string\), not a number/);
    expect(() => full([2], "0.5" as unknown as number)).toThrow(/full: value is "0.5" \(string\), not a number/);
    expect(() => zeros([2]).write([1, null as unknown as number])).toThrow(/value 1 is null/);
    expect(() => tensor(new BigInt64Array(2) as unknown as number[], [2])).toThrow(/BigInt64Array cannot fill a float32 tensor/);
    // NaN and infinities are numbers: a float32 tensor holds them
    expect(Array.from(full([2], NaN).data())).toEqual([NaN, NaN]);
  });

  it("unknown dtypes are refused by every creation op", () => {
    for (const dt of ["float64", "int64", "Float32", "", undefined, 1]) {
      const d = dt as unknown as "float32";
      if (dt !== undefined) {
        expect(() => tensor([1], [1], d), String(dt)).toThrow(/tensor: unknown dtype .* \(expected "float32" or "int32"\)/);
        expect(() => zeros([1], d)).toThrow(/full: unknown dtype/);
        expect(() => ones([1], d)).toThrow(/unknown dtype/);
        expect(() => arange(2, d)).toThrow(/arange: unknown dtype/);
      }
    }
    expect(() => new Tensor([1], "float16" as never)).toThrow(/Tensor: unknown dtype "float16"/);
    expect(sum(randn([3])).dtype).toBe("float32");
  });
});

describe("truncatedNormal limits", () => {
  it("truncatedNormal stays within its limit even when the limit is tiny", async () => {
    const { truncatedNormal, Rng } = await import("../src/index.js");
    const v = truncatedNormal([20000], 0, 1, 0.05, new Rng(3)).data();
    expect(v.every((x) => Math.abs(x) <= 0.05)).toBe(true);
    expect(() => truncatedNormal([2], 0, 1, 0)).toThrow(/limit must be > 0/);
  });
});
