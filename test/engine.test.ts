// Engine: init, the export table, memory growth and views, scopes, OOM errors.
import { describe, it, expect, beforeAll } from "vitest";
import { readFileSync } from "node:fs";
import { init, simdSupported, tensor, zeros, scope, memoryStats, Tensor, add, relu, sum, matmul, randn, Rng, backward } from "../src/index.js";
import { KERNEL_ARITY, KERNEL_NAMES } from "../src/engine/kernels.js";
import { F32, K } from "../src/engine/engine.js";

beforeAll(async () => { await init(); });

describe("engine", () => {
  it("init is idempotent and concurrent calls share one load", async () => {
    await Promise.all([init(), init(), init()]);
    expect(simdSupported()).toBe(true);
  });

  it("the Wasm exports are exactly the kernels the host names", async () => {
    const bytes = readFileSync(new URL("../build/polyhead.wasm", import.meta.url));
    const mod = await WebAssembly.compile(bytes);
    const exported = WebAssembly.Module.exports(mod).filter((e) => e.kind === "function").map((e) => e.name).sort();
    expect(exported).toEqual([...KERNEL_NAMES].sort());
  });

  it("every kernel takes the argument count the binding declares, both ways", async () => {
    const bytes = readFileSync(new URL("../build/polyhead.wasm", import.meta.url));
    const ex = (await WebAssembly.instantiate(bytes, {})).instance.exports;
    const fromModule = Object.fromEntries(Object.entries(ex).filter(([, v]) => typeof v === "function")
      .map(([name, f]) => [name, (f as (...a: number[]) => unknown).length]));
    expect(fromModule).toEqual({ ...KERNEL_ARITY });
  });

  it("the committed binding is what the build generates from the module's declarations", async () => {
    const script = "../build/binding.mjs"; // a plain build script, without declarations
    const { kernelBinding } = await import(script) as { kernelBinding(dts: string): string };
    const dts = readFileSync(new URL("../build/polyhead.d.ts", import.meta.url), "utf8");
    const committed = readFileSync(new URL("../src/engine/kernels.generated.ts", import.meta.url), "utf8");
    expect(committed).toBe(kernelBinding(dts));
  });

  it("views stay valid after memory grows", () => {
    const a = tensor([1, 2, 3]);
    const before = K().memory.buffer.byteLength;
    const big = zeros([4 * 1024 * 1024]); // 16 MiB forces growth
    expect(K().memory.buffer.byteLength).toBeGreaterThan(before);
    expect(Array.from(a.data())).toEqual([1, 2, 3]);
    expect(F32().buffer).toBe(K().memory.buffer);
    big.dispose();
  });

  it("Tensor.write: all values, or a run from an offset; a bad length or offset changes nothing", () => {
    const t = tensor([1, 2, 3, 4]);
    t.write([5, 6], 1);
    expect(Array.from(t.data())).toEqual([1, 5, 6, 4]);
    expect(() => t.write([7, 8], 3)).toThrow(/write: 2 values at offset 3 for Tensor \[4\] float32 \(4 elements\)/);
    expect(() => t.write([7], -1)).toThrow(/at offset -1/);
    expect(() => t.write([7, 8])).toThrow(/write: 2 values for/);
    expect(Array.from(t.data())).toEqual([1, 5, 6, 4]);
    const i = zeros([3], "int32").write([9], 2);
    expect(Array.from(i.data())).toEqual([0, 0, 9]);
  });

  it("scope frees temporaries and keeps what it returns", () => {
    const x = tensor([1, -2, 3]);
    const live0 = memoryStats().liveAllocations;
    let tmp: Tensor | null = null;
    const y = scope(() => { tmp = add(x, x); return relu(tmp); });
    expect(memoryStats().liveAllocations).toBe(live0 + 1);
    expect(Array.from(y.data())).toEqual([2, 0, 6]);
    expect(() => tmp!.data()).toThrow(/freed when its scope ended/);
  });

  it("nested scopes hand returned tensors to the enclosing scope", () => {
    const live0 = memoryStats().liveAllocations;
    const outer = scope(() => {
      const inner = scope(() => tensor([1, 2]));
      expect(inner.isDisposed).toBe(false);
      return sum(inner).item();
    });
    expect(outer).toBe(3);
    expect(memoryStats().liveAllocations).toBe(live0);
  });

  it("a throwing scope frees everything and rethrows", () => {
    const live0 = memoryStats().liveAllocations;
    expect(() => scope(() => { tensor([1, 2]); throw new Error("boom"); })).toThrow("boom");
    expect(memoryStats().liveAllocations).toBe(live0);
  });

  it("out of memory is a clear error, not a trap", async () => {
    await init({ maxMemoryMB: 64 });
    try {
      expect(() => zeros([32 * 1024 * 1024])).toThrow(/out of memory.*maxMemoryMB/);
      // the engine still works afterwards
      expect(sum(tensor([1, 2, 3])).item()).toBe(6);
    } finally { await init({ maxMemoryMB: 2048 }); }
  });

  it("10,000 forward/backward steps hold memory flat", () => {
    const rng = new Rng(7);
    const w = randn([16, 8], 0, 0.1, rng).keep(); w.requiresGrad = true;
    const x = randn([32, 16], 0, 1, rng).keep();
    const marks: number[] = [];
    for (let i = 0; i < 10000; i++) {
      scope(() => {
        const loss = sum(relu(matmul(x, w)));
        backward(loss);
      });
      if (i % 1000 === 999) marks.push(memoryStats().highWater);
    }
    // after warm-up the high-water mark does not move
    expect(new Set(marks.slice(1)).size).toBe(1);
  });

  it("count_nonfinite counts NaN and ±Inf at every position (SIMD body and scalar tail)", () => {
    const special = [NaN, Infinity, -Infinity, -NaN];
    for (let n = 1; n <= 13; n++) {
      for (let at = 0; at < n; at++) {
        const v = new Float32Array(n).map((_, i) => (i % 3) - 1.5);
        v[at] = special[at % 4];
        if (n > 6) v[(at + 5) % n] = 3.4e38;   // finite extremes do not count
        expect(K().count_nonfinite(tensor(v).ptr, n)).toBe(1);
      }
      const all = new Float32Array(n).fill(NaN);
      expect(K().count_nonfinite(tensor(all).ptr, n)).toBe(n);
      expect(K().count_nonfinite(tensor(new Float32Array(n).fill(-0)).ptr, n)).toBe(0);
    }
  });
});
