// polyhead/threads with fast: true (build/polyhead-threads-fast.wasm: the threaded kernels
// with relaxed SIMD's FMA in matmul): 1, 2 and 3 threads give the same bits as each other
// and as polyhead/fast on one thread (matmul of every transpose, in one process against
// build/polyhead-fast.wasm; a few training steps, against polyhead/fast in a process of its
// own), and track the default kernels within a tolerance; where relaxed SIMD is off it warns
// once and runs the default kernels, threaded, with their bits. Node 20 validates relaxed
// SIMD only with --experimental-wasm-relaxed-simd, so the fast runs are child processes with
// it (as test/fast.test.ts), against the built dist/ (npm test builds first).
import { describe, it, expect } from "vitest";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { isReady } from "../src/engine/engine.js";
import { initThreads } from "../src/threads/index.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const node = (code: string, flags: string[] = ["--experimental-wasm-relaxed-simd"]) => JSON.parse(execFileSync(process.execPath,
  [...flags, "--input-type=module", "-e", code], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 }).trim().split("\n").pop()!);

// A few Adam steps of a shared-bottom model, every matmul split (minWork 0 where threaded):
// each step's loss and the trunk's first weights after, as float32 bits.
const TRAIN = `
const train = () => {
  const tasks = [ph.task("a", { kind: "binary", outputs: 1 }), ph.task("b", { kind: "regression", outputs: 1 })];
  const model = new ph.SharedBottom({ tasks, inputs: 40, trunk: [64, 48], towers: [16], rng: new ph.Rng(1) });
  const rng = new ph.Rng(2), x = ph.randn([96, 40], 0, 1, rng).f32();
  const a = Float32Array.from({ length: 96 }, (_, i) => (x[i * 40] > 0 ? 1 : 0)), b = Float32Array.from({ length: 96 }, (_, i) => x[i * 40 + 1]);
  const ds = new ph.MultiTaskDataset({ x, xShape: [40], labels: { a, b } });
  const tr = new ph.Trainer(model, { tasks, optimizer: (p) => new ph.Adam(p, { lr: 1e-2 }) });
  const rows = Int32Array.from({ length: 96 }, (_, i) => i), losses = [];
  for (let s = 0; s < 4; s++) { const l = tr.trainStep([{ tasks: ["a", "b"], batch: ds.batch(rows) }]).losses; losses.push(l.a + l.b); }
  const w = model.parameters()[0].f32();
  return { losses, bits: Array.from(new Uint32Array(Float32Array.from(losses).buffer)).concat(Array.from(new Uint32Array(w.buffer, w.byteOffset, 64))) };
};`;

describe("initThreads({ fast })", () => {
  it("rejects a fast that is not a boolean, and misspellings by name, before loading anything", async () => {
    await expect(initThreads({ fast: 1 } as never)).rejects.toThrow(/initThreads: fast must be a boolean, got 1/);
    await expect(initThreads({ fats: true } as never)).rejects.toThrow(/unknown option "fats".*did you mean "fast"/);
    expect(isReady()).toBe(false);
  });

  it("on 1, 2 and 3 threads: polyhead/fast's bits (matmul of every transpose, a few training steps), near the default's", () => {
    const threaded = node(`
      import { readFileSync } from "node:fs";
      import * as ph from "./dist/index.js";
      import { initThreads, setThreads, threadCount, fastModeActive } from "./dist/threads.js";
      import { fastModeActive as fastEntrysFlag } from "./dist/fast.js";
      const warnings = [];
      console.warn = (m) => warnings.push(String(m));
      await initThreads({ threads: 3, fast: true, minWork: 0 });
      const single = (await WebAssembly.instantiate(readFileSync("build/polyhead-fast.wasm"), {})).instance.exports;
      const bitsOf = (f) => Array.from(new Uint32Array(f.buffer, f.byteOffset, f.length));
      let cases = 0;
      const mismatch = [];
      for (const [m, k, n] of [[1, 1, 1], [5, 300, 9], [37, 53, 29], [64, 64, 64], [130, 70, 211], [7, 200, 530]]) {
        for (const tA of [0, 1]) for (const tB of [0, 1]) {
          const rng = new ph.Rng(m * 1000 + k + n), av = ph.randn([m * k], 0, 1, rng).f32(), bv = ph.randn([k * n], 0, 1, rng).f32();
          // polyhead/fast's kernel on one thread, in an instance of its own
          const base = Math.ceil(single.heap_base() / 64) * 64, need = base + 4 * (m * k + k * n + m * n) + 256;
          if (single.memory.buffer.byteLength < need) single.memory.grow(Math.ceil((need - single.memory.buffer.byteLength) / 65536));
          const pa = base, pb = pa + 4 * m * k, pc = pb + 4 * k * n;
          new Float32Array(single.memory.buffer).set(av, pa / 4); new Float32Array(single.memory.buffer).set(bv, pb / 4);
          single.matmul(pc, pa, pb, m, n, k, tA, tB, 1, 0);
          const want = bitsOf(new Float32Array(single.memory.buffer, pc, m * n));
          for (const t of [1, 2, 3]) {
            setThreads(t);
            const got = ph.scope(() => bitsOf(ph.matmul(ph.tensor(av, tA ? [k, m] : [m, k]), ph.tensor(bv, tB ? [n, k] : [k, n]), { transA: !!tA, transB: !!tB }).f32()));
            if (got.some((v, i) => v !== want[i])) mismatch.push(m + "x" + k + "x" + n + " tA=" + tA + " tB=" + tB + " on " + t + " threads");
          }
          cases++;
        }
      }
      ${TRAIN}
      const runs = [1, 2, 3].map((t) => { setThreads(t); return train(); });
      console.log(JSON.stringify({ active: fastModeActive(), same: fastEntrysFlag === fastModeActive, threads: threadCount(), warnings, cases, mismatch, runs }));`);
    expect(threaded.active, "the threaded fast kernels loaded (relaxed SIMD is on with the flag)").toBe(true);
    expect(threaded.same, "polyhead/fast and polyhead/threads export one fastModeActive").toBe(true);
    expect(threaded.threads).toBe(3);
    expect(threaded.warnings).toEqual([]);
    expect(threaded.cases).toBe(24);
    expect(threaded.mismatch).toEqual([]);
    const [one, two, three] = threaded.runs;
    expect(two.bits).toEqual(one.bits);
    expect(three.bits).toEqual(one.bits);

    const fast = node(`
      import * as ph from "./dist/index.js";
      import { initFast, fastModeActive } from "./dist/fast.js";
      await initFast();
      ${TRAIN}
      console.log(JSON.stringify({ active: fastModeActive(), run: train() }));`);
    expect(fast.active).toBe(true);
    expect(one.bits, "threaded fast training gives polyhead/fast's bits").toEqual(fast.run.bits);

    const plain = node(`import * as ph from "./dist/index.js"; await ph.init(); ${TRAIN} console.log(JSON.stringify(train()));`, []);
    one.losses.forEach((l: number, i: number) => expect(Math.abs(l - plain.losses[i]) / plain.losses[i]).toBeLessThan(1e-3));
    expect(plain.losses[3]).toBeLessThan(plain.losses[0]);
  });

  it("where relaxed SIMD is off it warns once and runs the default kernels on the threads, with their bits", () => {
    const off = node(`
      import * as ph from "./dist/index.js";
      import { initThreads, setThreads, threadCount, fastModeActive } from "./dist/threads.js";
      const warnings = [];
      console.warn = (m) => warnings.push(String(m));
      await initThreads({ threads: 2, fast: true, minWork: 0 });
      await initThreads({ threads: 2, fast: true });
      ${TRAIN}
      const runs = [1, 2].map((t) => { setThreads(t); return train(); });
      console.log(JSON.stringify({ active: fastModeActive(), threads: threadCount(), warnings, runs }));`, ["--no-experimental-wasm-relaxed-simd"]);
    expect(off.warnings).toHaveLength(1);
    expect(off.warnings[0]).toMatch(/^polyhead: initThreads: this runtime lacks WebAssembly relaxed SIMD; running the default kernels$/);
    expect(off.active).toBe(false);
    expect(off.threads).toBe(2);
    const plain = node(`import * as ph from "./dist/index.js"; await ph.init(); ${TRAIN} console.log(JSON.stringify(train()));`, []);
    expect(off.runs[0].bits).toEqual(plain.bits);
    expect(off.runs[1].bits).toEqual(plain.bits);
  });
});
