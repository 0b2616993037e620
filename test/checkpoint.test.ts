// Binary checkpoints: exact round trips of trainer state (typed arrays, NaN bits, -0),
// bit-identical resume through them (dropout, a sampled schedule, uncertainty weighting),
// keep-last-N rotation, refused damage, and a writer killed at random moments that always
// leaves a loadable previous checkpoint.
import { describe, it, expect, beforeAll } from "vitest";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as esbuild from "esbuild";
import {
  init, Rng, MultiTaskDataset, task, SharedBottom, Trainer, Adam, UncertaintyWeighting, sampled, joint, randn, fileStorage,
  writeFileAtomic, readCheckpoint, Sequential, Linear, BatchNorm1d, ReLU, Dropout, type Task, type Callback,
} from "../src/node.js";
import { GradNorm, DWA, AutoLambda, MOML, FORUM } from "../src/methods/index.js";
import { createHash } from "node:crypto";
import {
  encodeCheckpoint, decodeCheckpoint, saveCheckpoint, loadLatestCheckpoint, memoryStorage, encodeSafetensors,
  IoError, SafetensorsError,
} from "../src/io/index.js";

beforeAll(async () => { await init(); });

function data(n: number, seed: number): MultiTaskDataset {
  const x = randn([n, 6], 0, 1, new Rng(seed)).data() as Float32Array;
  const cls = Int32Array.from({ length: n }, (_, i) => (x[i * 6] > 0 ? 1 : 0) + (x[i * 6 + 1] > 0.5 ? 1 : 0));
  const reg = Float32Array.from({ length: n }, (_, i) => x[i * 6 + 2] - 0.5 * x[i * 6 + 3]);
  return new MultiTaskDataset({ x, xShape: [6], labels: { cls, reg } });
}
const TASKS = (): Task[] => [task("cls", { kind: "classification", outputs: 3 }), task("reg", { kind: "regression", outputs: 1 })];

describe("checkpoint encoding", () => {
  it("round-trips typed arrays bit for bit, number arrays, NaN/-0/Infinity and nesting", () => {
    const f = new Float32Array(new Uint32Array([0x7fc00001, 0x80000000, 0x3f800000, 0xff800000]).buffer);
    const state = {
      step: 17, name: "run", ok: true, none: null,
      f, i: new Int32Array([-1, 2, 2147483647]), d: new Float64Array([Math.PI, -0]), big: new BigInt64Array([-(2n ** 63n)]), u8: new Uint8Array([1, 255]),
      weights: Array.from({ length: 20 }, (_, k) => Math.fround(k / 7)), doubles: Array.from({ length: 10 }, (_, k) => k / 7),
      short: [1, 2.5, -0, NaN, Infinity], scalars: { nan: NaN, negZero: -0, inf: -Infinity },
      nested: [{ a: [new Float32Array([1.5])] }, { b: "x" }],
    };
    const back = decodeCheckpoint(encodeCheckpoint(state)) as typeof state;
    expect(new Uint32Array(back.f.buffer)).toEqual(new Uint32Array(f.buffer));
    expect(back.f).toBeInstanceOf(Float32Array);
    expect(back).toEqual(state);
    expect(Object.is(back.short[2], -0) && Object.is(back.scalars.negZero, -0) && Object.is(back.d[1], -0)).toBe(true);
    expect(back.doubles).toEqual(state.doubles); // kept as float64
  });

  it("refuses what it cannot hold, and damaged or foreign files", () => {
    expect(() => encodeCheckpoint({ f: () => 1 })).toThrow(/f is a function/);
    expect(() => encodeCheckpoint({ m: new Map() })).toThrow(/m is a Map/);
    expect(() => encodeCheckpoint({ $tensor: 1 })).toThrow(/reserved/);
    const code = (b: Uint8Array) => { try { decodeCheckpoint(b); } catch (e) { expect(e instanceof IoError).toBe(true); return (e as IoError).code; } return "ok"; };
    expect(code(encodeSafetensors({}))).toBe("InvalidCheckpoint");
    const meta = (s: string, tensors = {}) => encodeSafetensors(tensors, { metadata: { "polyhead.checkpoint": s } });
    expect(code(meta("{"))).toBe("InvalidCheckpoint");
    expect(code(meta('{"version":2,"state":{}}'))).toBe("InvalidCheckpoint");
    expect(code(meta('{"version":1,"state":{"a":{"$tensor":"x","$type":"Float32Array"}}}'))).toBe("InvalidCheckpoint");
    const t = { x: { dtype: "I32" as const, shape: [1], data: new Int32Array(1) } };
    expect(code(meta('{"version":1,"state":{"a":{"$tensor":"x","$type":"Float32Array"}}}', t))).toBe("InvalidCheckpoint");
    expect(code(meta('{"version":1,"state":{}}', t))).toBe("InvalidCheckpoint"); // unreferenced tensor
    expect(code(meta('{"version":1,"state":{"a":{"$tensor":"x","$type":"Int32Array"},"b":{"$tensor":"x","$type":"Int32Array"}}}', t))).toBe("InvalidCheckpoint");
    const good = encodeCheckpoint({ step: 1, w: new Float32Array(100), name: "run" });
    expect(code(good.subarray(0, good.length - 3))).toBe("MetadataIncompleteBuffer");
    expect(code(meta('{"version":1,"state":{}}'))).toBe("ChecksumMismatch");
    // one flipped bit in a weight, or a changed character in the JSON part, is caught
    const flipped = good.slice(); flipped[flipped.length - 5] ^= 4;
    expect(code(flipped)).toBe("ChecksumMismatch");
    const text = new TextDecoder().decode(good);
    expect(text).toContain('\\"run\\"'); // the JSON part is a string inside the header's JSON
    const edited = new TextEncoder().encode(text.replace('\\"run\\"', '\\"ran\\"'));
    expect(edited.length).toBe(good.length);
    for (let i = 0; i < 8; i++) edited[i] = good[i];
    expect(code(edited)).toBe("ChecksumMismatch");
  });
});

describe("resume through binary checkpoints", () => {
  it("continues bit-identically: dropout, a sampled schedule, uncertainty weighting", async () => {
    const train = { cls: data(96, 1), reg: data(64, 2) };
    const mk = () => {
      const tasks = TASKS();
      const m = new SharedBottom({ tasks, inputs: 6, trunk: [12], towers: [8], dropout: 0.3, rng: new Rng(5) });
      return { m, tr: new Trainer(m, { tasks, optimizer: (p) => new Adam(p, { lr: 1e-2 }), seed: 3, schedule: sampled({ temperature: 2 }), weighting: new UncertaintyWeighting(["cls", "reg"]) }) };
    };
    const bits = (m: SharedBottom) => m.parameters().flatMap((p) => Array.from(new Uint32Array(p.data().buffer)));
    const a = mk();
    await a.tr.fit(train, { epochs: 4, batchSize: 16 });
    const b = mk();
    await b.tr.fit(train, { epochs: 2, batchSize: 16 });
    const dir = mkdtempSync(join(tmpdir(), "polyhead-resume-"));
    writeFileAtomic(join(dir, "last.ckpt"), encodeCheckpoint(b.tr.stateDict()));
    const store = memoryStorage();
    await saveCheckpoint(store, b.tr.stateDict());
    for (const state of [readCheckpoint(join(dir, "last.ckpt")), (await loadLatestCheckpoint(store))!.state as Record<string, unknown>]) {
      const c = mk();
      c.tr.loadStateDict(state);
      await c.tr.fit(train, { epochs: 2, batchSize: 16 });
      expect(bits(c.m)).toEqual(bits(a.m));
      expect(c.tr.epoch).toBe(4);
    }
    // binary: the model's 32-bit weights are stored as 4 bytes each, not decimal text
    const bytes = encodeCheckpoint(b.tr.stateDict());
    expect(bytes.length).toBeLessThan(JSON.stringify(b.tr.stateDict()).length / 2);
  });
});

describe("resume mid-epoch", () => {
  // Per-task data (one batch cycle per task), batch norm and two dropout streams, and weighting
  // methods whose state moves every step (GradNorm) or at each epoch's end from the epoch's mean
  // losses (DWA): a state saved between any two steps, taken through the binary format, resumes
  // to the same bits as the run that never stopped.
  const train = () => ({ cls: data(40, 1), reg: data(24, 2) });
  type Method = "GradNorm" | "DWA" | "Auto-Lambda" | "MOML" | "FORUM";
  const METHODS = { GradNorm, DWA, "Auto-Lambda": AutoLambda, MOML, FORUM };
  const mk = (weighting: Method, schedule: "sampled" | "joint") => {
    const tasks = TASKS(), rng = new Rng(5);
    const trunk = new Sequential(new Linear(6, 10, { rng }), new BatchNorm1d(10), new ReLU(), new Dropout(0.3, rng), new Linear(10, 8, { rng }), new Dropout(0.2, rng));
    const m = new SharedBottom({ tasks, trunk, trunkOutputs: 8, towers: [6], rng });
    const w = new METHODS[weighting](["cls", "reg"]);
    return new Trainer(m, { tasks, optimizer: (p) => new Adam(p, { lr: 1e-2 }), seed: 3, schedule: schedule === "sampled" ? sampled({ temperature: 2 }) : joint(), weighting: w });
  };
  const sha = (t: Trainer) => createHash("sha256").update(encodeCheckpoint(t.stateDict())).digest("hex");
  const EPOCHS = 3, BATCH = 8;
  // the bilevel methods (Auto-λ, MOML, FORUM) also draw a validation batch per step from a
  // seeded cycle (a 20-example set: 3 batches of 8, so the cycle wraps inside an epoch)
  const cases: [Method, "sampled" | "joint", number][] = [["GradNorm", "sampled", 8], ["DWA", "joint", 5], ["Auto-Lambda", "joint", 5], ["MOML", "sampled", 8], ["FORUM", "joint", 5]];
  for (const [weighting, schedule, perEpoch] of cases) {
    it(`${weighting}, ${schedule} schedule: cut inside an epoch, on its last step, on the next one's first, and late`, async () => {
      const validation = METHODS[weighting] === AutoLambda || METHODS[weighting] === MOML || METHODS[weighting] === FORUM ? data(20, 3) : undefined;
      const fit = (t: Trainer, epochs: number, callbacks?: Callback[]) => t.fit(train(), { epochs, batchSize: BATCH, validation, callbacks });
      const whole = mk(weighting, schedule);
      await fit(whole, EPOCHS);
      expect(whole.step).toBe(EPOCHS * perEpoch);
      for (const cut of [2, perEpoch, perEpoch + 1, 2 * perEpoch + 3]) {
        const first = mk(weighting, schedule);
        let saved: Record<string, unknown> | null = null;
        const stop: Callback = { onBatchEnd: (step, _l, tr) => { if (step === cut) { saved = decodeCheckpoint(encodeCheckpoint(tr.stateDict())) as Record<string, unknown>; throw new Error("killed"); } } };
        await expect(fit(first, EPOCHS, [stop])).rejects.toThrow("killed");
        const state = saved!;
        expect((state.position as { step: number }).step).toBe(cut - (state.epoch as number) * perEpoch);
        const resumed = mk(weighting, schedule);
        resumed.loadStateDict(state);
        await fit(resumed, EPOCHS - (state.epoch as number));
        expect(sha(resumed), `cut at step ${cut}`).toBe(sha(whole));
        // the resumed epoch's logs are the whole run's too (its running loss sums were saved)
        expect(resumed.history.map((h) => h.loss)).toEqual(whole.history.slice(state.epoch as number).map((h) => h.loss));
      }
    });
  }

  it("refuses a resume that cannot continue the epoch: another batch size, or an epoch with fewer steps", async () => {
    const t = mk("GradNorm", "sampled");
    let saved: Record<string, unknown> | null = null;
    const stop: Callback = { onBatchEnd: (step, _l, tr) => { if (step === 5) { saved = tr.stateDict(); throw new Error("killed"); } } };
    await expect(t.fit(train(), { epochs: 1, batchSize: BATCH, callbacks: [stop] })).rejects.toThrow("killed");
    const r = mk("GradNorm", "sampled");
    r.loadStateDict(saved!);
    await expect(r.fit(train(), { epochs: 1, batchSize: 16 })).rejects.toThrow("fit: the state was saved at step 5 of epoch 0; resume with the same data and batchSize (8, not 16)");
    await expect(r.fit({ cls: data(8, 1), reg: data(8, 2) }, { epochs: 1, batchSize: BATCH })).rejects.toThrow("fit: the state was saved at step 5 of epoch 0; resume with the same data and batchSize (this epoch has 2 steps)");
    const bad = structuredClone(saved!) as Record<string, unknown>;
    (bad.position as { step: unknown }).step = "5";
    expect(() => r.loadStateDict(bad)).toThrow(/bad position \{"step":"5"/);
  });
});

describe("checkpoint storage", () => {
  it("keeps the last N; a damaged newest one falls back to the one before", async () => {
    const s = memoryStorage();
    for (let step = 0; step <= 50; step += 10) await saveCheckpoint(s, { step, w: new Float32Array(16).fill(step) }, { keepLast: 3 });
    expect(await s.list()).toEqual(["ckpt-000000000030.safetensors", "ckpt-000000000040.safetensors", "ckpt-000000000050.safetensors"]);
    const newest = await s.read("ckpt-000000000050.safetensors");
    await s.write("ckpt-000000000050.safetensors", newest.subarray(0, 40));
    const got = (await loadLatestCheckpoint(s))!;
    expect(got.step).toBe(40);
    expect(got.skipped).toEqual(["ckpt-000000000050.safetensors"]);
    expect(Array.from((got.state as { w: Float32Array }).w)).toEqual(new Array(16).fill(40));
    expect(await loadLatestCheckpoint(memoryStorage())).toBeNull();
    await expect(saveCheckpoint(s, { w: 1 })).rejects.toThrow(/step must be a non-negative integer/);
    await expect(saveCheckpoint(s, { step: 1 }, { keepLast: 0 })).rejects.toThrow(/keepLast/);
    await expect(saveCheckpoint(s, { step: 1 }, { every: 2 } as never)).rejects.toThrow(/unknown option "every"/);
  });

  it("a writer killed at random moments always leaves a loadable, correct checkpoint", async () => {
    const dir = mkdtempSync(join(tmpdir(), "polyhead-kill-"));
    // the child: saves checkpoints of 1M floats (4 MB: writes take long enough to be hit) in a loop
    const child = join(dir, "writer.mjs");
    await esbuild.build({
      stdin: {
        contents: `import { fileStorage } from "./src/node.ts"; import { saveCheckpoint } from "./src/io/index.ts";
const store = fileStorage(process.argv[2]);
let step = Number(process.argv[3]);
for (;;) {
  const w = new Float32Array(1 << 20); for (let i = 0; i < w.length; i += 997) w[i] = step + i;
  await saveCheckpoint(store, { step, w, note: "step " + step }, { keepLast: 2 });
  process.stdout.write(step + "\\n");
  step++;
}`, resolveDir: resolve("."), loader: "ts",
      },
      bundle: true, format: "esm", target: "es2022", platform: "node", outfile: child, loader: { ".gz": "binary" }, logLevel: "warning",
    });
    const store = join(dir, "ckpts");
    const r = new Rng(7);
    let step = 0, kills = 0;
    const KILLS = 12;
    for (let k = 0; k < KILLS; k++) {
      const p = spawn(process.execPath, [child, store, String(step)], { stdio: ["ignore", "pipe", "inherit"] });
      let done = 0;
      p.stdout.on("data", (b: Buffer) => { done += b.toString().split("\n").filter(Boolean).length; });
      // wait for at least one finished save, then kill at a random moment of a later one
      await new Promise<void>((res) => { const t = setInterval(() => { if (done > 0) { clearInterval(t); res(); } }, 5); });
      await new Promise((res) => setTimeout(res, r.int(120)));
      p.kill("SIGKILL");
      await new Promise((res) => p.on("exit", res));
      kills++;
      const got = await loadLatestCheckpoint(fileStorage(store));
      expect(got, `after kill ${k}`).not.toBeNull();
      expect(got!.skipped).toEqual([]);
      const st = got!.state as { step: number; w: Float32Array; note: string };
      expect(st.step).toBe(got!.step);
      expect(st.step).toBeGreaterThanOrEqual(step + done - 1);
      expect(st.note).toBe(`step ${st.step}`);
      for (let i = 0; i < st.w.length; i += 997) if (st.w[i] !== Math.fround(st.step + i)) throw new Error(`kill ${k}: w[${i}] = ${st.w[i]}`);
      expect((await fileStorage(store).list()).length).toBeLessThanOrEqual(3); // keepLast 2, +1 if killed before pruning
      step = st.step + 1;
    }
    expect(kills).toBe(KILLS);
    // a killed writer's temporary is removed by the next writer: at most the last kill's is left
    expect(readdirSync(store).filter((n) => n.endsWith(".tmp")).length).toBeLessThanOrEqual(1);
    writeFileSync(join(store, "ckpt-999999999999.safetensors.partial"), "x"); // not a checkpoint key
    expect((await loadLatestCheckpoint(fileStorage(store)))!.step).toBe(step - 1);
  }, 120_000);
});

// Thrown errors are polyhead's own classes (the fuzzer relies on that too)
it("errors are IoError / SafetensorsError", () => {
  expect(new SafetensorsError("X", "y")).toBeInstanceOf(IoError);
});
