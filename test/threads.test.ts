// polyhead/threads: matmul split over a pool gives the default kernels' bits for 1, 2 and
// 3 threads (every transpose, odd edges, alpha/beta blends, row and column splits), and so
// does bmm split over its batch; the
// cross-runtime identity workload (every kernel, a hand-trained MLP, the MMoE Trainer run)
// reproduces the pinned checksums on 1, 2 and 3 threads with every matmul split; options
// are checked by name; a process using the pool exits by itself; without shared memory it
// warns once and runs the default kernels. Child processes use the built dist/ (npm test
// builds first).
import { describe, it, expect, beforeAll } from "vitest";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as ph from "../src/index.js";
import * as io from "../src/io/index.js";
import * as seq from "../src/seq/index.js";
import { K, F32, isReady } from "../src/engine/engine.js";
import { chunksOnWorkers, initThreads, setThreads, stopThreads, threadCount } from "../src/threads/index.js";
import { expectSameChecksums } from "./runtimes/compare.js";
// @ts-ignore -- plain ESM shared with every runtime
import { workload } from "./runtimes/workload.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const node = (code: string) => execFileSync(process.execPath, ["--input-type=module", "-e", code],
  { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 30_000 });

describe("initThreads options", () => {
  it("rejects unknown and bad options by name before loading anything", async () => {
    await expect(initThreads({ thread: 2 } as never)).rejects.toThrow(/initThreads: unknown option "thread".*did you mean "threads"/);
    for (const threads of [0, 1.5, "2", 65]) await expect(initThreads({ threads } as never)).rejects.toThrow(/threads must be an integer in \[1, 64\]/);
    await expect(initThreads({ minWork: -1 })).rejects.toThrow(/minWork must be a number >= 0/);
    await expect(initThreads({ maxMemoryMB: 0 } as never)).rejects.toThrow(/maxMemoryMB must be a number/);
    expect(isReady()).toBe(false);
  });
});

describe("threaded matmul", () => {
  beforeAll(async () => { await initThreads({ threads: 3, minWork: 0 }); });

  it("started a pool of three threads; setThreads is checked", () => {
    expect(threadCount()).toBe(3);
    expect(() => setThreads(4)).toThrow(/setThreads: n must be an integer in \[1, 3\]/);
    expect(() => setThreads(0)).toThrow(/got 0 \(number\)/);
  });

  it("every shape and transpose, alpha/beta blends included, gives the default build's bits on 1, 2 and 3 threads", async () => {
    const plain = (await WebAssembly.instantiate(readFileSync(`${root}build/polyhead.wasm`), {})).instance.exports as unknown as PlainKernels;
    const shapes = [[1, 1, 1], [2, 3, 1], [4, 8, 4], [5, 7, 9], [13, 300, 3], [3, 40, 100], [37, 53, 29], [64, 64, 64],
      [33, 257, 17], [130, 70, 521], [7, 600, 1030], [256, 96, 64]];
    let cases = 0;
    for (const [m, k, n] of shapes) {
      for (const tA of [0, 1]) for (const tB of [0, 1]) for (const [alpha, beta] of [[1, 0], [0.5, 1], [-2, 0.25]]) {
        ph.scope(() => {
          const rng = new ph.Rng(m * 1000 + k + n);
          const a = ph.randn([m * k], 0, 1, rng), b = ph.randn([k * n], 0, 1, rng), c0 = ph.randn([m * n], 0, 1, rng);
          const want = inPlain(plain, [a.f32(), b.f32(), c0.f32()], ([pa, pb, pc]) => plain.matmul(pc, pa, pb, m, n, k, tA, tB, alpha, beta));
          for (const t of [1, 2, 3]) {
            setThreads(t);
            const c = ph.mul(c0, 1);
            K().matmul(c.ptr, a.ptr, b.ptr, m, n, k, tA, tB, alpha, beta);
            const got = F32().slice(c.ptr / 4, c.ptr / 4 + m * n);
            if (!bitsEqual(got, want)) throw new Error(`matmul ${m}x${k}x${n} tA=${tA} tB=${tB} alpha=${alpha} beta=${beta} on ${t} threads differs from the default build`);
          }
          cases++;
        });
      }
    }
    expect(cases).toBe(shapes.length * 12);
    expect(chunksOnWorkers(), "the workers computed part of the products").toBeGreaterThan(0);
  });

  it("bmm (attention's heads) gives the default build's bits on 1, 2 and 3 threads", async () => {
    const plain = (await WebAssembly.instantiate(readFileSync(`${root}build/polyhead.wasm`), {})).instance.exports as unknown as PlainKernels;
    for (const [batch, m, k, n] of [[1, 5, 7, 3], [2, 16, 8, 16], [7, 33, 17, 9], [12, 64, 16, 64]]) {
      for (const tA of [0, 1]) for (const tB of [0, 1]) {
        ph.scope(() => {
          const rng = new ph.Rng(batch * 7 + m);
          const a = ph.randn([batch * m * k], 0, 1, rng), b = ph.randn([batch * k * n], 0, 1, rng);
          const want = inPlain(plain, [a.f32(), b.f32(), new Float32Array(batch * m * n)], ([pa, pb, pc]) => plain.bmm(pc, pa, pb, batch, m, n, k, tA, tB));
          for (const t of [1, 2, 3]) {
            setThreads(t);
            const c = ph.zeros([batch * m * n]);
            K().bmm(c.ptr, a.ptr, b.ptr, batch, m, n, k, tA, tB);
            if (!bitsEqual(c.f32(), want)) throw new Error(`bmm ${batch}x${m}x${k}x${n} tA=${tA} tB=${tB} on ${t} threads differs from the default build`);
          }
        });
      }
    }
  });

  it("the identity workload (every kernel, the MLP, the MMoE Trainer with PCGrad and dropout) reproduces the pinned checksums on 1, 2 and 3 threads", async () => {
    const pinned = JSON.parse(readFileSync(`${root}test/runtimes/checksums.json`, "utf8")).checksums;
    const threaded = { ...ph, init: async () => {} }; // initThreads already loaded the kernels
    for (const t of [3, 2, 1]) {
      setThreads(t);
      const r = await workload(threaded, io, seq); // with polyhead/seq, its kernels' entries too (the workload's other entries do not depend on it)
      expectSameChecksums(r.checksums, pinned, `the threaded kernels on ${t} threads vs test/runtimes/checksums.json`);
    }
  });

  it("stopThreads ends the pool; matmul then runs on this thread, the same bits", () => {
    ph.scope(() => {
      const rng = new ph.Rng(5);
      const a = ph.randn([64, 96], 0, 1, rng), b = ph.randn([96, 80], 0, 1, rng);
      setThreads(3);
      const before = ph.matmul(a, b).f32();
      stopThreads();
      expect(threadCount()).toBe(1);
      expect(bitsEqual(ph.matmul(a, b).f32(), before)).toBe(true);
    });
  });
});

describe("threads in a process of their own", () => {
  it("a script that uses the pool exits by itself, with the bits of one thread", () => {
    const out = node(`
      import { initThreads, threadCount } from "./dist/threads.js";
      import { matmul, randn, scope, Rng } from "./dist/index.js";
      await initThreads({ threads: 3 });
      const sums = scope(() => {
        const rng = new Rng(7), a = randn([300, 200], 0, 1, rng), b = randn([200, 250], 0, 1, rng);
        return Array.from(matmul(a, b).data()).reduce((s, v) => s + v, 0);
      });
      console.log(threadCount(), sums);`);
    const [threads, sum] = out.trim().split(" ");
    expect(threads).toBe("3");
    expect(Number.isFinite(Number(sum))).toBe(true);
  });

  it("without shared memory it warns once and runs the default kernels on one thread", () => {
    const out = node(`
      globalThis.SharedArrayBuffer = undefined;
      const warnings = [];
      console.warn = (m) => warnings.push(String(m));
      const { initThreads, threadCount } = await import("./dist/threads.js");
      const { matmul, tensor, scope } = await import("./dist/index.js");
      await initThreads({ threads: 4 });
      await initThreads({ threads: 4 });
      console.log(JSON.stringify({ warnings, threads: threadCount(), c: scope(() => Array.from(matmul(tensor([[1, 2]]), tensor([[3], [4]])).data())) }));`);
    const r = JSON.parse(out.trim());
    expect(r.warnings.length).toBe(1);
    expect(r.warnings[0]).toMatch(/initThreads: shared memory is off.*running the default kernels on one thread/);
    expect(r.threads).toBe(1);
    expect(r.c).toEqual([11]);
  });
});

interface PlainKernels { memory: WebAssembly.Memory; heap_base(): number; matmul(...args: number[]): void; bmm(...args: number[]): void }

/** Run `kernel` on copies of `arrays` in the default build's own module (a separate instance); the last array's bytes after it. */
function inPlain(ex: PlainKernels, arrays: Float32Array[], kernel: (ptrs: number[]) => void): Float32Array {
  const ptrs: number[] = [];
  let top = Math.ceil(ex.heap_base() / 64) * 64;
  for (const x of arrays) { ptrs.push(top); top += Math.ceil((4 * x.length) / 64) * 64; }
  if (ex.memory.buffer.byteLength < top) ex.memory.grow(Math.ceil((top - ex.memory.buffer.byteLength) / 65536));
  arrays.forEach((x, i) => new Float32Array(ex.memory.buffer).set(x, ptrs[i] / 4));
  kernel(ptrs);
  const last = ptrs[ptrs.length - 1];
  return new Float32Array(ex.memory.buffer).slice(last / 4, last / 4 + arrays[arrays.length - 1].length);
}

function bitsEqual(x: Float32Array, y: Float32Array): boolean {
  const u = new Uint32Array(x.buffer, x.byteOffset, x.length), v = new Uint32Array(y.buffer, y.byteOffset, y.length);
  return u.length === v.length && u.every((w, i) => w === v[i]);
}
