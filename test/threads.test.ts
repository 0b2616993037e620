// polyhead/threads: matmul split over a pool gives the default kernels' bits for 1, 2 and
// 3 threads (every transpose, odd edges, alpha/beta blends, row and column splits), and so
// does bmm split over its batch; the
// cross-runtime identity workload (every kernel, a hand-trained MLP, the MMoE Trainer run)
// reproduces the pinned checksums on 1, 2 and 3 threads with every matmul split; options
// are checked by name; a process using the pool exits by itself; without shared memory it
// warns once and runs the default kernels; a worker that dies (mid-chunk or between jobs) is
// dropped with one warning and the job completes with one thread's bits (or, for a product
// that adds into C, throws), while a worker that is only slow is waited for. Child processes
// use the built dist/ (npm test builds first); those that kill a worker run there, so that a
// regression that hangs a synchronous matmul fails at the child's timeout instead of hanging
// the suite.
import { describe, it, expect, beforeAll } from "vitest";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as ph from "../src/index.js";
import * as io from "../src/io/index.js";
import * as seq from "../src/seq/index.js";
import { PLE, DSelectK, CrossStitch, SoftSharing, MTAN } from "../src/architectures/index.js";
import { K, F32, isReady } from "../src/engine/engine.js";
import { chunksOnWorkers, initThreads, setThreads, stopThreads, threadCount } from "../src/threads/index.js";
import { independentRuns, RETURNING } from "../src/engine/record.js";
import { independent } from "../src/engine/engine.js";
import { vaxpy, vdot } from "../src/ops/vector.js";
import { expectSameChecksums } from "./runtimes/compare.js";
// @ts-ignore -- plain ESM shared with every runtime
import { workload } from "./runtimes/workload.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const node = (code: string, timeout = 30_000) => execFileSync(process.execPath, ["--input-type=module", "-e", code],
  { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout });

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

  // a small shared trunk, five heads: each task's backward pass through the trunk is one list
  type Body = (losses: ph.Tensor[], shared: ph.Tensor[], i: number) => ph.Tensor[];
  const bitsOf = (ts: ph.Tensor[]) => ts.map((t) => new Uint32Array(t.f32().buffer).join()).join(";");
  const perTask = (body: Body, threads: number) => ph.scope(() => {
    setThreads(threads);
    const rng = new ph.Rng(11), param = (shape: number[]) => { const p = ph.randn(shape, 0, 0.3, rng); p.requiresGrad = true; return p; };
    const w1 = param([40, 64]), w2 = param([64, 48]), x = ph.randn([37, 40], 0, 1, rng);
    const h = ph.relu(ph.matmul(ph.tanh(ph.matmul(x, w1)), w2));
    const losses = Array.from({ length: 5 }, () => ph.mean(ph.square(ph.matmul(h, param([48, 3])))));
    return independent(5, (i) => body(losses, [w1, w2], i)).map(bitsOf); // read once every body has run
  });
  const grads: Body = (losses, shared, i) => ph.gradients(losses[i], shared);

  it("independent work (each task's backward pass) runs on the pool, a list of kernel calls per thread, with the bits of one by one on 1, 2 and 3 threads", () => {
    const one = perTask(grads, 1);
    const runs = independentRuns().together, chunks = chunksOnWorkers();
    for (const t of [2, 3]) expect(perTask(grads, t), `${t} threads`).toEqual(one);
    expect(independentRuns().together - runs, "both runs went to the pool").toBe(2);
    expect(chunksOnWorkers() - chunks, "workers ran lists").toBeGreaterThan(0);
    expect(new Set(one).size, "the tasks' gradients differ (the check can fail)").toBe(5);
  });

  // seven architectures, each built on a stream of its own
  const archTasks = [ph.task("a", { kind: "regression", outputs: 1 }), ph.task("b", { kind: "classification", outputs: 3 }), ph.task("c", { kind: "binary", outputs: 1 })];
  const common = () => ({ tasks: archTasks, inputs: 20, towers: [8], rng: new ph.Rng(8) });
  const builds: Record<string, () => ph.MultiTaskModel> = {
    SharedBottom: () => new ph.SharedBottom({ ...common(), trunk: [32] }),
    MMoE: () => new ph.MMoE({ ...common(), experts: 3, expertWidths: [32, 24] }),
    PLE: () => new PLE({ ...common(), sharedExperts: 2, taskExperts: 2, expertWidths: [32, 16], layers: 2 }),
    DSelectK: () => new DSelectK({ ...common(), experts: 4, expertWidths: [32], k: 2, entropyReg: 1e-3 }),
    CrossStitch: () => new CrossStitch({ ...common(), columns: [32, 16] }),
    SoftSharing: () => new SoftSharing({ ...common(), trunk: [32], lambda: 1e-3 }),
    MTAN: () => new MTAN({ tasks: archTasks, inChannels: 2, channels: [4, 8], towers: [8], rng: new ph.Rng(8) }),
  };
  const inputOf = (name: string, rows: number) => name === "MTAN" ? ph.randn([rows, 2, 8, 8], 0, 1, new ph.Rng(4)) : ph.randn([rows, 20], 0, 1, new ph.Rng(4));

  it("every architecture trains with the bits of one thread on 2 and 3 threads (its forward's experts and tasks' parts, and its backward walk's branches, run as lists on the pool)", () => {
    for (const [name, build] of Object.entries(builds)) {
      for (const weighting of [undefined, new ph.PCGrad()]) {
        const run = (threads: number) => ph.scope(() => {
          setThreads(threads);
          const x = inputOf(name, 13), n = x.shape[0], rng = new ph.Rng(5);
          const labels = { a: ph.randn([n], 0, 1, rng).f32(), b: Float32Array.from({ length: n }, (_, i) => i % 3), c: Float32Array.from({ length: n }, (_, i) => (i * 7) % 2) };
          const model = build();
          const trainer = new ph.Trainer(model, { tasks: archTasks, weighting, seed: 2, optimizer: (p) => new ph.Adam(p, { lr: 0.01 }) });
          const batch = new ph.MultiTaskDataset({ x: x.f32(), xShape: x.shape.slice(1), labels }).batch(Int32Array.from({ length: n }, (_, i) => i));
          const losses: number[] = [];
          for (let s = 0; s < 3; s++) { const l = trainer.trainStep([{ tasks: ["a", "b", "c"], batch }]).losses; losses.push(l.a, l.b, l.c); }
          return [losses.join(), ...model.namedParameters().map(([k, p]) => `${k}:${new Uint32Array(p.f32().buffer).join()}`)];
        });
        const one = run(1), runs = independentRuns().together;
        for (const t of [2, 3]) expect(run(t), `${name}${weighting ? " with PCGrad" : ""} on ${t} threads`).toEqual(one);
        expect(independentRuns().together - runs, `${name}: work went to the pool`).toBeGreaterThan(0);
        expect(one[0].split(",").slice(0, 3), `${name}: the steps trained (the check can fail)`).not.toEqual(one[0].split(",").slice(-3));
      }
    }
  });

  it("an MMoE step's forward (experts, then towers) and backward walk (towers, then experts) are four runs on the pool", () => {
    const x = ph.randn([16, 20], 0, 1, new ph.Rng(4)), model = builds.MMoE();
    setThreads(2);
    const runs = independentRuns().together;
    ph.scope(() => {
      const { outputs } = model.forward(x);
      ph.backward(ph.add(ph.add(ph.mean(outputs.a), ph.mean(outputs.b)), ph.mean(outputs.c)));
    });
    expect(independentRuns().together - runs).toBe(4);
    model.zeroGrad();
  });

  it("every architecture's forward in eval mode without the tape has the bits of one thread on 2 and 3 threads", () => {
    for (const [name, build] of Object.entries(builds)) {
      const run = (threads: number) => ph.scope(() => {
        setThreads(threads);
        const model = build();
        model.eval();
        const { outputs } = ph.noGrad(() => model.forward(inputOf(name, 31)));
        return Object.entries(outputs).map(([t, y]) => `${t}:${new Uint32Array(y.f32().buffer).join()}`);
      });
      const one = run(1), runs = independentRuns().together;
      for (const t of [2, 3]) expect(run(t), `${name} on ${t} threads`).toEqual(one);
      expect(independentRuns().together - runs, `${name}'s independent parts went to the pool`).toBeGreaterThan(0);
    }
  });

  it("the backward walk's branches keep every gradient's bits: weights two branches share, a sum of many losses, a tensor read inside and outside the branches, gradients() of parts", () => {
    const run = (threads: number) => ph.scope(() => {
      setThreads(threads);
      const rng = new ph.Rng(21), param = (shape: number[]) => { const p = ph.randn(shape, 0, 0.4, rng); p.requiresGrad = true; return p; };
      const w = param([12, 16]), tied = param([16, 16]), heads = [0, 1, 2, 3].map(() => param([16, 2]));
      const x = ph.randn([9, 12], 0, 1, rng), z = ph.tanh(ph.matmul(x, w));
      const parts = heads.map((h, i) => {
        const u = i % 2 ? ph.relu(ph.matmul(z, tied)) : ph.sigmoid(ph.matmul(z, tied)); // tied: read by every branch
        return ph.mean(ph.square(ph.matmul(ph.add(u, z), h)));                         // z: read inside each branch
      });
      const total = ph.add(parts.reduce((s, l) => ph.add(s, l)), ph.mean(ph.square(z)));  // a chain of adds, and z outside
      const all = [w, tied, ...heads, z];
      const bits = (ts: ph.Tensor[]) => ts.map((t) => new Uint32Array(t.f32().buffer).join());
      const g = bits(ph.gradients(total, all)), some = bits(ph.gradients([parts[1], parts[2]], [tied, heads[2], w]));
      ph.backward(total);
      const acc = bits([w, tied, ...heads].map((p) => p.grad!));
      return [...g, ...some, ...acc];
    });
    const one = run(1), runs = independentRuns().together;
    for (const t of [2, 3]) expect(run(t), `${t} threads`).toEqual(one);
    expect(independentRuns().together - runs, "the branches went to the pool").toBeGreaterThan(0);
  });

  it("independent work that writes outside its own memory (an accumulation in place) runs here, in order; a read from JS runs what was recorded first; the same results as one by one", () => {
    let total: ph.Tensor | null = null;
    const accumulate: Body = (losses, shared, i) => {
      const g = ph.reshape(ph.gradients(losses[i], shared)[1], [-1]);
      vaxpy(total!, g, i + 1); // into a vector made before: not a block of this body's own
      return [g, ph.affine(total!, 0.5, 0)]; // and what the sum is so far
    };
    const reading: Body = (losses, shared, i) => {
      const g = ph.gradients(losses[i], shared);
      return [...g, ph.scalar(g[0].f32()[7 + i])]; // a read from JS: what each body recorded has run
    };
    const once = (body: Body, t: number) => { total = ph.zeros([64 * 48]).keep(); try { return [...perTask(body, t), bitsOf([total])]; } finally { total.dispose(); } };
    for (const body of [accumulate, reading]) {
      const one = once(body, 1), inOrder = independentRuns().inOrder;
      expect(once(body, 3)).toEqual(one);
      expect(independentRuns().inOrder - inOrder, "only the accumulation does not keep apart (it runs here)").toBe(body === accumulate ? 1 : 0);
    }
  });

  it("a body that runs a kernel at once in its middle (a dot product, the random kernels) gets the bits of one by one; blocks a body frees serve its own later requests", () => {
    const mixed: Body = (losses, shared, i) => {
      const g = ph.gradients(losses[i], shared);
      const d = vdot(g[0], g[0]); // returns a value: everything recorded runs first
      const noise = ph.rand([16], 0, 1, new ph.Rng(i)); // the random kernels share static scratch: they run at once
      return [...ph.gradients(ph.mul(losses[i], ph.scalar(d)), shared), noise];
    };
    const one = perTask(mixed, 1);
    expect(perTask(mixed, 3)).toEqual(one);
    // the same work as one task after another, the gradients of each freed before the next:
    // with its own freed blocks reused, a run on 3 threads holds ~ the tasks' results more, not every temporary
    const peak = (t: number) => ph.scope(() => {
      ph.resetMemoryPeak();
      const base = ph.memoryStats().bytesInUse;
      perTask((losses, shared, i) => {
        for (let r = 0; r < 3; r++) ph.scope(() => { ph.gradients(losses[i], shared); });
        return ph.gradients(losses[i], shared);
      }, t);
      return ph.memoryStats().peakBytesInUse - base;
    });
    const [p1, p3] = [peak(1), peak(3)];
    expect(p3, `peak bytes in use: ${p1} on one thread, ${p3} on three`).toBeLessThan(2 * p1);
  });

  it("a body that throws: its error comes out, nothing is held, and the next run is unaffected", () => {
    const before = ph.memoryStats().liveAllocations, one = perTask(grads, 1);
    expect(() => perTask((losses, shared, i) => {
      if (i === 3) throw new Error("body 3 fails");
      return ph.gradients(losses[i], shared);
    }, 3)).toThrow("body 3 fails");
    expect(ph.memoryStats().liveAllocations).toBe(before);
    expect(perTask(grads, 3)).toEqual(one);
    expect(ph.memoryStats().liveAllocations).toBe(before);
  });

  it("the kernels that return a value run at once while recording (their list is every such kernel in the binding)", () => {
    const generated = readFileSync(`${root}src/engine/kernels.generated.ts`, "utf8");
    const returning = [...generated.matchAll(/^  (\w+)\([^)]*\): (?!void)\w+;$/gm)].map((m) => m[1]);
    expect(returning.length).toBeGreaterThan(5);
    expect([...RETURNING].sort()).toEqual(returning.sort());
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

  // a page without isolation is told which headers it lacks; one that has them (WebKitGTK
  // 2.50: isolated, yet no SharedArrayBuffer) is told the runtime is what lacks shared memory
  for (const [isolated, why] of [
    [undefined, /shared memory is off \(a page needs cross-origin isolation: Cross-Origin-Opener-Policy/],
    [true, /shared memory is off \(the page is cross-origin isolated, but this runtime exposes no SharedArrayBuffer\)/],
  ] as const) {
    it(`without shared memory${isolated ? " in an isolated page" : ""} it warns once, saying why, and runs the default kernels on one thread`, () => {
      const out = node(`
        globalThis.SharedArrayBuffer = undefined;
        ${isolated ? "globalThis.crossOriginIsolated = true;" : ""}
        const warnings = [];
        console.warn = (m) => warnings.push(String(m));
        const { initThreads, threadCount } = await import("./dist/threads.js");
        const { matmul, tensor, scope } = await import("./dist/index.js");
        await initThreads({ threads: 4 });
        await initThreads({ threads: 4 });
        console.log(JSON.stringify({ warnings, threads: threadCount(), c: scope(() => Array.from(matmul(tensor([[1, 2]]), tensor([[3], [4]])).data())) }));`);
      const r = JSON.parse(out.trim());
      expect(r.warnings.length).toBe(1);
      expect(r.warnings[0]).toMatch(/^polyhead: initThreads: shared memory is off.*running the default kernels on one thread$/);
      expect(r.warnings[0]).toMatch(why);
      expect(r.threads).toBe(1);
      expect(r.c).toEqual([11]);
    });
  }
});

describe("a pool worker that dies", () => {
  // the jobs every scenario checks against one thread's bits: a matmul, a bmm (attention's
  // heads) and conv2d's backward, whose weight gradient is summed over the batch by
  // matmuls with beta = 1
  const setup = `
    import { initThreads, threadCount, testPool, chunksOnWorkers, setThreads } from "./dist/threads.js";
    import * as ph from "./dist/index.js";
    const warnings = [];
    console.warn = (m) => warnings.push(String(m));
    let a, b, q, k, x, w, one;
    const bits = (t) => new Uint32Array(t.f32().buffer).join();
    const jobs = {
      matmul: () => ph.scope(() => bits(ph.matmul(a, b))),
      bmm: () => ph.scope(() => bits(ph.bmm(q, k, { transB: true }))),
      conv: () => ph.scope(() => {
        ph.backward(ph.sum(ph.conv2d(x, w, null, { padding: 1 })));
        const g = w.grad ? bits(w.grad) : "no gradient";
        w.grad?.dispose(); w.grad = null;
        return g;
      }),
      // a PCGrad step: each task's backward pass through the trunk is a list of the pool's
      lists: () => ph.scope(() => {
        const model = new ph.SharedBottom({ tasks, inputs: 24, trunk: [96, 64], towers: [16], rng: new ph.Rng(9) });
        const trainer = new ph.Trainer(model, { tasks, weighting: new ph.PCGrad(), seed: 5, optimizer: (p) => new ph.SGD(p, { lr: 0.1 }) });
        trainer.trainStep([{ tasks: tasks.map((t) => t.name), batch: data.batch(Array.from({ length: 64 }, (_, i) => i)) }]);
        return model.parameters().map(bits).join(";");
      }),
    };
    const tasks = [0, 1, 2, 3].map((i) => ph.task("t" + i, { kind: "regression", outputs: 1 }));
    let data;
    const sameBits = () => Object.keys(jobs).every((j) => jobs[j]() === one[j]);
    async function start(threads) {
      await initThreads({ threads, minWork: 0 });
      const rng = new ph.Rng(3), randn = (shape, sd = 1) => ph.randn(shape, 0, sd, rng).keep();
      [a, b, q, k, x, w] = [randn([256, 200]), randn([200, 192]), randn([6, 64, 32]), randn([6, 64, 32]), randn([4, 8, 12, 12]), randn([16, 8, 3, 3], 0.3)];
      w.requiresGrad = true;
      const table = ph.scope(() => ph.randn([64, 28], 0, 1, rng).data());
      data = new ph.MultiTaskDataset({ x: table.slice(0, 64 * 24), xShape: [24], labels: Object.fromEntries(tasks.map((t, i) => [t.name, table.slice(64 * (24 + i), 64 * (25 + i))])) });
      setThreads(1); one = Object.fromEntries(Object.keys(jobs).map((j) => [j, jobs[j]()])); setThreads(threads);
    }`;

  it("one that dies holding a chunk is dropped with one warning and the job completes with one thread's bits (one adding into C throws, naming it); one that is only slow is waited for", () => {
    const out = node(`${setup}
      await start(6);
      // run a job until a worker has taken the armed hook (the calling thread may claim a whole job itself)
      const untilTaken = (job) => {
        let runs = 0, same = true, error = null;
        while (testPool() !== 0 && runs < 200) {
          runs++;
          try { same = jobs[job]() === one[job] && same; } catch (e) { error = e.message; break; }
        }
        return { runs, same, error, taken: testPool() === 0, threads: threadCount(), warnings: warnings.splice(0) };
      };
      const t0 = performance.now();
      testPool(300, 100); // the next worker to claim a chunk sleeps 300 ms; the calling thread warns after 100 ms
      const slow = { ...untilTaken("matmul"), ms: performance.now() - t0 };
      const died = [["die", "matmul"], ["die", "bmm"], ["die-listing", "lists"], ["die-adding", "conv"]].map(([hook, job]) => {
        testPool(hook);
        const r = untilTaken(job), before = chunksOnWorkers();
        return { hook, job, ...r, after: sameBits(), byWorkersAfter: chunksOnWorkers() - before };
      });
      console.log(JSON.stringify({ slow, died }));`, 20_000);
    const { slow, died } = JSON.parse(out.trim());
    expect(slow).toMatchObject({ taken: true, same: true, error: null, threads: 6 });
    expect(slow.ms, "the calling thread waited for the slow worker").toBeGreaterThanOrEqual(300);
    expect(slow.warnings).toHaveLength(1);
    expect(slow.warnings[0]).toMatch(/polyhead\/threads: a matmul has waited .* for a pool worker holding part of it, with no sign here that the worker is gone; it waits on/);
    const dropped = (threads: number, what: string) => new RegExp(`a pool worker stopped in the middle of a ${what}; the pool goes on without it, on ${threads} threads`);
    for (const [i, r] of died.entries()) {
      expect(r, `${r.hook} in ${r.job}`).toMatchObject({ taken: true, threads: 5 - i, after: true });
      expect(r.warnings, `${r.hook} in ${r.job}: one warning`).toHaveLength(1);
      expect(r.warnings[0]).toMatch(dropped(5 - i, r.job === "lists" ? "run of independent work \\(each task's or expert's part of a forward or backward pass\\)" : "(matmul|bmm)"));
      expect(r.byWorkersAfter, `${r.hook} in ${r.job}: the surviving workers still compute chunks`).toBeGreaterThan(0);
    }
    expect(died[0]).toMatchObject({ same: true, error: null });
    expect(died[1]).toMatchObject({ same: true, error: null });
    expect(died[2], "a list a worker died in is run again here: the same bits").toMatchObject({ same: true, error: null });
    expect(died[3].error).toMatch(/^polyhead: matmul \(C = 1·A·B \+ 1·C, C 16 x 72, k = 144\): a polyhead\/threads pool worker died while computing C's rows \d+\.\.\d+, columns \d+\.\.\d+; this product adds into what C held .*it now holds NaN/);
  }, 30_000);

  it("one that ends between jobs is dropped with one warning; threadCount() and setThreads() follow; the others give one thread's bits", () => {
    const out = node(`${setup}
      await start(3);
      testPool("end");
      for (let waited = 0; threadCount() === 3 && waited < 10_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
      const threads = threadCount(), before = chunksOnWorkers(), same = sameBits();
      let bound = null;
      try { setThreads(3); } catch (e) { bound = e.message; }
      console.log(JSON.stringify({ threads, same, byWorkers: chunksOnWorkers() - before, warnings, bound }));`, 20_000);
    const r = JSON.parse(out.trim());
    expect(r).toMatchObject({ threads: 2, same: true });
    expect(r.byWorkers).toBeGreaterThan(0);
    expect(r.warnings).toEqual(["polyhead: polyhead/threads: a pool worker exited with code 1; the pool goes on without it, on 2 threads (the same bits)"]);
    expect(r.bound).toMatch(/setThreads: n must be an integer in \[1, 2\]/);
  }, 30_000);
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
