// trainInWorker (polyhead/worker, built: dist/worker.js + dist/train-worker.js): the run
// trained in a Node worker thread, a Deno and a Bun Web Worker gives the same bits as the
// same run written by hand on the main thread; progress events, pause / resume / stop,
// transferred (not copied) data, and bad input refused before anything moves.
import { describe, it, expect, beforeAll } from "vitest";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  init, Rng, MultiTaskDataset, task, MMoE, Trainer, Adam, PCGrad, CosineAnnealingLR, lrSchedule,
} from "../src/index.js";
import { buildTraining } from "../src/worker/describe.js";
// @ts-ignore -- plain ESM shared with every runtime
import { description, data, weightChecksums, runInWorker } from "./runtimes/train-in-worker.mjs";
// @ts-ignore -- the built entry (npm test builds first)
import * as worker from "../dist/worker.js";
import type { TrainingEvent, TrainInWorkerOptions } from "../src/worker/index.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const trainInWorker = worker.trainInWorker as (o: TrainInWorkerOptions) => {
  result: Promise<{ weights: Record<string, { shape: number[]; data: Float32Array }>; stopped: boolean; steps: number; history: unknown[] }>;
  pause(): void; resume(): void; stop(): void; state: string;
};

/** The description's run, written with the classes directly on this thread. */
async function onMainThread(): Promise<Record<string, string>> {
  const d = description();
  const tasks = d.tasks.map(({ name, ...spec }: { name: string }) => task(name, spec as never));
  const model = new MMoE({ ...d.model.options, tasks, rng: new Rng(d.model.seed) });
  const trainer = new Trainer(model, { tasks, weighting: new PCGrad(), optimizer: (p) => new Adam(p, { lr: 0.01 }), seed: d.seed });
  const sched = new CosineAnnealingLR(trainer.optimizer, { tMax: 4, etaMin: 0.001 });
  await trainer.fit(new MultiTaskDataset(data()), { ...d.fit, validation: new MultiTaskDataset(data(32, 1)), callbacks: [lrSchedule(sched)] });
  return weightChecksums(model.stateDict());
}

function runJson(cmd: string, args: string[]): Promise<{ checksums: Record<string, string>; events: Record<string, number>; runtime: string }> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd: root, timeout: 60_000, env: { ...process.env, NO_COLOR: "1" } }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${cmd} ${args.join(" ")} failed: ${err.message}\n${stderr}`));
      try { resolve(JSON.parse(stdout.trim().split("\n").pop() ?? "")); } catch { reject(new Error(`${cmd}: no JSON on stdout:\n${stdout}\n${stderr}`)); }
    });
  });
}
const SCRIPT = `import * as w from "./dist/worker.js"; import { runInWorker } from "./test/runtimes/train-in-worker.mjs";
console.log(JSON.stringify({ runtime: globalThis.Deno ? "deno" : globalThis.Bun ? "bun" : "node", ...(await runInWorker(w)) }));`;

let reference: Record<string, string>;
beforeAll(async () => { await init(); reference = await onMainThread(); });

describe("trainInWorker", () => {
  it("the description builds what the classes build (same initial weights)", () => {
    const d = description();
    const a = buildTraining(d).model.stateDict();
    const tasks = d.tasks.map(({ name, ...spec }: { name: string }) => task(name, spec as never));
    const b = new MMoE({ ...d.model.options, tasks, rng: new Rng(d.model.seed) }).stateDict();
    expect(weightChecksums(a)).toEqual(weightChecksums(b));
  });

  it("a Node worker thread gives the main thread's bits, with batch and epoch events", async () => {
    const r = await runInWorker(worker);
    expect(r.checksums).toEqual(reference);
    expect(r.events.epoch).toBe(4);
    expect(r.steps).toBeGreaterThan(0);
    expect(r.events.batch).toBeGreaterThanOrEqual(r.steps); // one event per batch; a batch with no labelled task takes no step
    expect(r.validation.kind.accuracy).toBeGreaterThan(0);
  });

  it("Deno and Bun Web Workers give the main thread's bits", async () => {
    const [deno, bun] = await Promise.all([
      runJson(`${root}node_modules/.bin/deno`, ["eval", "--ext=js", SCRIPT]),
      runJson(`${root}node_modules/.bin/bun`, ["-e", SCRIPT]),
    ]);
    expect(deno.runtime).toBe("deno");
    expect(deno.checksums).toEqual(reference);
    expect(bun.runtime).toBe("bun");
    expect(bun.checksums).toEqual(reference);
  });

  it("progress events carry losses, weights and PCGrad's conflict count; the data buffers are moved", async () => {
    const events: TrainingEvent[] = [];
    const d = data();
    const job = trainInWorker({ ...description(), fit: { epochs: 1, batchSize: 16 }, data: d, onProgress: (e) => events.push(e) });
    await job.result;
    expect(d.x.byteLength).toBe(0); // transferred, not copied
    expect(d.labels.kind.byteLength).toBe(0);
    expect(job.state).toBe("done");
    const batch = events.find((e) => e.type === "batch")!;
    if (batch.type !== "batch") throw new Error("no batch event");
    expect(Object.keys(batch.batchLosses).sort()).toEqual(["flag", "kind", "score"]);
    expect(Object.keys(batch.losses).sort()).toEqual(["flag", "kind", "score"]);
    expect(batch.weights).toEqual({ kind: 1, score: 1, flag: 1 });
    expect(typeof batch.conflicts).toBe("number");
    const epoch = events.find((e) => e.type === "epoch")!;
    if (epoch.type !== "epoch") throw new Error("no epoch event");
    expect(epoch.logs.loss.kind).toBeGreaterThan(0);
  });

  it("pause holds training, resume continues it, and the bits do not change", async () => {
    let job!: ReturnType<typeof trainInWorker>;
    const seen: string[] = [];
    let batchesWhilePaused = 0, paused = false;
    const resumed = new Promise<void>((done) => {
      job = trainInWorker({ ...description(), data: data(), validation: data(32, 1), onProgress: (e) => {
        seen.push(e.type);
        if (e.type === "batch" && e.step === 3) job.pause();
        if (e.type === "batch" && paused) batchesWhilePaused++;
        if (e.type === "paused") { paused = true; setTimeout(() => { paused = false; job.resume(); done(); }, 300); }
      } });
    });
    await resumed;
    const r = await job.result;
    expect(seen).toContain("paused");
    expect(seen).toContain("resumed");
    expect(batchesWhilePaused).toBe(0);
    expect(weightChecksums(r.weights)).toEqual(reference);
  });

  it("stop ends training after the batch in progress and returns the weights so far", async () => {
    const job = trainInWorker({ ...description(), data: data(), onProgress: (e) => { if (e.type === "batch" && e.step === 2) job.stop(); } });
    const r = await job.result;
    expect(r.stopped).toBe(true);
    expect(r.steps).toBeGreaterThanOrEqual(2);
    expect(r.steps).toBeLessThan(20);
    expect(Object.keys(r.weights)).toEqual(Object.keys(reference));
  });

  it("bad input is refused before the data moves, naming the option", async () => {
    const d = data();
    expect(() => trainInWorker({ ...description(), data: d, epochs: 3 } as never)).toThrow(/unknown option "epochs"/);
    expect(() => trainInWorker({ ...description(), data: { ...d, x: Array.from(d.x) } as never })).toThrow(/data\.x must be a typed array/);
    expect(() => trainInWorker({ ...description(), data: d, onProgress: 3 } as never)).toThrow(/onProgress must be a function/);
    const bad = { ...description(), model: { architecture: "MMoF", options: {} } };
    await expect(trainInWorker({ ...bad, data: d }).result).rejects.toThrow(/model\.architecture must be one of .*MMoE.*got "MMoF"/);
    const badOpt = { ...description(), model: { architecture: "MMoE", options: { inputs: 6, experts: 3, expertWidths: [4], expert: 2 } } };
    await expect(trainInWorker({ ...badOpt, data: d }).result).rejects.toThrow(/MMoE.*"expert"/);
    expect(d.x.byteLength).toBe(6 * 80 * 4); // the description failed in the worker before the data was sent
  });
});
