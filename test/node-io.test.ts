// polyhead/node: checkpoints are written whole or not at all and a corrupted or foreign
// file is refused clearly; the terminal progress line (TTY and plain), and the trainer's
// end-of-epoch progress event it relies on.
import { describe, it, expect, beforeAll } from "vitest";
import { mkdtempSync, readdirSync, writeFileSync, readFileSync, utimesSync } from "node:fs";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { init, writeCheckpoint, readCheckpoint, terminalProgress, Trainer, SharedBottom, MultiTaskDataset, task, Rng, type Progress } from "../src/node.js";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Every number in `v`, depth first, to compare with Object.is (toEqual would too, but says less). */
function numbers(v: unknown, out: number[] = []): number[] {
  if (typeof v === "number") out.push(v);
  else if (v && typeof v === "object") for (const x of Object.values(v)) numbers(x, out);
  return out;
}

/** A process id that no running process has (for temporaries of a killed writer). */
function deadPid(): number {
  for (let pid = 4000000; ; pid--) {
    try { process.kill(pid, 0); } catch (e) { if ((e as NodeJS.ErrnoException).code === "ESRCH") return pid; }
  }
}

beforeAll(async () => { await init(); });

describe("checkpoint files", () => {
  it("round-trip a trainer state; no temporary files are left", () => {
    const dir = mkdtempSync(join(tmpdir(), "polyhead-ckpt-"));
    const tasks = [task("y", { kind: "regression", outputs: 1 })];
    const tr = new Trainer(new SharedBottom({ tasks, inputs: 3, trunk: [4], rng: new Rng(1) }), { tasks });
    const path = join(dir, "model.ckpt.json");
    writeCheckpoint(path, tr.stateDict());
    writeCheckpoint(path, tr.stateDict()); // overwrite in place
    expect(readdirSync(dir)).toEqual(["model.ckpt.json"]);
    const tr2 = new Trainer(new SharedBottom({ tasks, inputs: 3, trunk: [4], rng: new Rng(2) }), { tasks });
    tr2.loadStateDict(readCheckpoint(path));
    expect(Array.from(tr2.model.parameters()[0].data())).toEqual(Array.from(tr.model.parameters()[0].data()));
  });

  it("a truncated or foreign file is a clear error", () => {
    const dir = mkdtempSync(join(tmpdir(), "polyhead-ckpt-"));
    const p = join(dir, "a.json");
    writeCheckpoint(p, { x: 1 });
    const text = readFileSync(p, "utf8");
    writeFileSync(p, text.slice(0, text.length / 2));
    expect(() => readCheckpoint(p)).toThrow(/is not a complete checkpoint/);
    writeFileSync(p, JSON.stringify({ hello: 1 }));
    expect(() => readCheckpoint(p)).toThrow(/is not a polyhead checkpoint/);
  });
});

describe("checkpoint files keep every value", () => {
  const tmp = () => mkdtempSync(join(tmpdir(), "polyhead-ckpt-"));

  it("NaN, ±Infinity, -0, subnormals and the extremes come back exactly, and keys like $num stay data", () => {
    const p = join(tmp(), "x.json");
    const values = [1, NaN, Infinity, -Infinity, -0, 0, 0.1, 1 / 3, 1e-300, 5e-324, -Number.MAX_VALUE, 2 ** 53 + 2];
    const state = {
      values, nested: [[NaN], { deep: -0 }], f32: Array.from(new Float32Array([NaN, -Infinity, 1.1])),
      $num: "NaN", lone: { $num: "NaN" }, wrapped: { $obj: { $num: "Infinity" } }, empty: {}, s: "text", b: true, n: null,
    };
    writeCheckpoint(p, state);
    const back = readCheckpoint(p);
    expect(back).toEqual(state);
    const a = numbers(state), b = numbers(back);
    expect(b.length).toBe(a.length);
    a.forEach((x, i) => expect(Object.is(b[i], x), `number ${i}: wrote ${x}, read ${b[i]}`).toBe(true));
    // typed arrays are written as their values
    writeCheckpoint(p, { t: new Float32Array([NaN, 2]) });
    expect(readCheckpoint(p)).toEqual({ t: [NaN, 2] });
  });

  it("a trainer whose parameters hold NaN and Infinity restores them exactly", () => {
    const tasks = [task("y", { kind: "regression", outputs: 1 })];
    const tr = new Trainer(new SharedBottom({ tasks, inputs: 3, trunk: [4], rng: new Rng(1) }), { tasks });
    const w = tr.model.parameters()[0];
    const v = Array.from(w.data()); v[0] = NaN; v[1] = Infinity; v[2] = -Infinity; v[3] = -0;
    w.write(v);
    const p = join(tmp(), "t.json");
    writeCheckpoint(p, tr.stateDict());
    const tr2 = new Trainer(new SharedBottom({ tasks, inputs: 3, trunk: [4], rng: new Rng(2) }), { tasks });
    tr2.loadStateDict(readCheckpoint(p));
    const got = Array.from(tr2.model.parameters()[0].data());
    v.forEach((x, i) => expect(Object.is(got[i], Math.fround(x)), `weight ${i}: ${x} came back as ${got[i]}`).toBe(true));
  });

  it("a changed digit, key or value is refused by the checksum", () => {
    const p = join(tmp(), "c.json");
    writeCheckpoint(p, { weights: [0.125, 2.5, 7], name: "net" });
    const text = readFileSync(p, "utf8");
    for (const [from, to] of [["2.5", "2.6"], ['"name"', '"nome"'], ['"net"', '"nett"'], ["7]", "7,1]"]]) {
      writeFileSync(p, text.replace(from, to));
      expect(() => readCheckpoint(p), `${from} -> ${to}`).toThrow(/is damaged: its state's SHA-256 is [0-9a-f]{64}, the file records/);
    }
    writeFileSync(p, text);
    expect(readCheckpoint(p)).toEqual({ weights: [0.125, 2.5, 7], name: "net" });
  });

  it("a checkpoint of the first format (no checksum) still loads", () => {
    const p = join(tmp(), "v1.json");
    writeFileSync(p, JSON.stringify({ magic: "polyhead-checkpoint", version: 1, state: { a: [1, 2] } }));
    expect(readCheckpoint(p)).toEqual({ a: [1, 2] });
  });

  it("temporaries of killed writers of that checkpoint are removed; live writers' and other checkpoints' are kept", () => {
    const dir = tmp();
    const dead = deadPid();
    const sleeper = spawn(process.execPath, ["-e", "setTimeout(() => {}, 20000)"]);
    try {
      const names = {
        killed: `.m.json.${dead}.0123456789ab.tmp`,     // a writer killed mid-write
        old: `.m.json.1700000000000.tmp`,               // the first format's name (by time)
        live: `.m.json.${sleeper.pid}.ba9876543210.tmp`, // a writer still running
        stuck: `.m.json.${sleeper.pid}.cccccccccccc.tmp`, // ... whose file is two days old
        other: `.n.json.${dead}.0123456789ab.tmp`,       // another checkpoint's
        user: `.m.json.notes.tmp`,                       // not a name writeCheckpoint makes
      };
      for (const n of Object.values(names)) writeFileSync(join(dir, n), "{partial");
      const twoDays = (Date.now() - 2 * 86400e3) / 1000;
      utimesSync(join(dir, names.stuck), twoDays, twoDays);
      writeCheckpoint(join(dir, "m.json"), { a: 1 });
      expect(readdirSync(dir).sort()).toEqual([names.live, names.other, names.user, "m.json"].sort());
    } finally { sleeper.kill(); }
  });

  it("two processes writing one path at once leave a complete checkpoint of one of them, and no temporaries", async () => {
    const dir = tmp();
    const path = join(dir, "shared.json");
    // each writer saves a state of its own 60 times, as fast as it can (a shared temporary name tears it)
    const writer = (id: number) => new Promise<number>((resolve, reject) => {
      const script = `const { writeCheckpoint } = await import(${JSON.stringify(join(root, "dist/node.js"))});
        const state = { writer: ${id}, values: Array.from({ length: 5000 }, (_, i) => i * ${id} + 0.5) };
        for (let i = 0; i < 60; i++) writeCheckpoint(${JSON.stringify(path)}, { ...state, round: i });`;
      const c = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "ignore", "pipe"] });
      let err = "";
      c.stderr.on("data", (d) => { err += d; });
      c.on("error", reject);
      c.on("exit", (code) => (code === 0 ? resolve(code) : reject(new Error(`writer ${id} exited ${code}: ${err}`))));
    });
    await Promise.all([writer(1), writer(2)]);
    const st = readCheckpoint(path) as { writer: number; values: number[]; round: number };
    expect([1, 2]).toContain(st.writer);
    expect(st.round).toBe(59);
    expect(st.values.length).toBe(5000);
    expect(st.values[1234]).toBe(1234 * st.writer + 0.5);
    expect(JSON.parse(readFileSync(path, "utf8")).version, "written by this build's dist/node.js").toBe(2);
    expect(readdirSync(dir)).toEqual(["shared.json"]);
  });
});

describe("terminalProgress", () => {
  const sink = (isTTY: boolean) => {
    const w = new Writable({ write(c, _e, cb) { w.out += c; cb(); } }) as unknown as NodeJS.WriteStream & { out: string };
    w.out = "";
    (w as { isTTY?: boolean }).isTTY = isTTY;
    return w;
  };
  const steps = (p: ReturnType<typeof terminalProgress>, epoch: number, losses: Record<string, number>) => {
    p({ epoch, epochs: 2, step: 1, steps: 2, losses, weights: {} });
    p({ epoch, epochs: 2, step: 2, steps: 2, losses, weights: {} });
  };

  it("prints one plain line per finished epoch when not on a TTY: steps, rate, ETA, loss, validation metric", () => {
    const s = sink(false);
    const p = terminalProgress({ stream: s, width: 10 });
    steps(p, 0, { y: 0.25 });
    expect(s.out).toBe("");  // nothing until the epoch ends
    p({ epoch: 0, epochs: 2, step: 2, steps: 2, losses: { y: 0.25 }, weights: {}, epochEnd: true,
      validation: { y: { loss: 0.3, accuracy: 0.875 } } });
    expect(s.out).toMatch(/^epoch 1\/2 {2}2 steps {2}\d+ step\/s {2}ETA \d+:\d\d {2}y 0\.2500 \(val 0\.3000 accuracy 0\.8750\)\n$/);
    expect(s.out).not.toMatch(/[█░\r\x1b]/);
    steps(p, 1, { y: 0.125 });
    p({ epoch: 1, epochs: 2, step: 2, steps: 2, losses: { y: 0.125 }, weights: {}, epochEnd: true });
    const lines = s.out.split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^epoch 2\/2 {2}2 steps {2}\d+ step\/s {2}y 0\.1250$/);  // no ETA on the last epoch's end
  });

  it("redraws one line in place on a TTY, with a bar, and ends the epoch with a newline", () => {
    const s = sink(true);
    const p = terminalProgress({ stream: s, width: 10 });
    p({ epoch: 0, epochs: 3, step: 1, steps: 4, losses: { a: 1, b: 2 }, weights: {} });
    expect(s.out).toMatch(/^\r\x1b\[2Kepoch 1\/3 █{3}░{7} 1\/4 {2}0 step\/s {2}a 1\.0000 {2}b 2\.0000$/);
    p({ epoch: 0, epochs: 3, step: 4, steps: 4, losses: { a: 0.5, b: 1 }, weights: {}, epochEnd: true });
    expect(s.out.endsWith("\n")).toBe(true);
    expect(s.out.split("\r\x1b[2K").pop()).toMatch(/^epoch 1\/3 █{10} 4\/4 {2}\d+ step\/s {2}ETA \d+:\d\d {2}a 0\.5000 {2}b 1\.0000\n$/);
  });

  it("prints the epoch's gradient conflicts and task affinities when the weighting reports them", () => {
    for (const tty of [false, true]) {
      const s = sink(tty);
      const p = terminalProgress({ stream: s, width: 10 });
      steps(p, 0, { a: 1, b: 2 });
      p({ epoch: 0, epochs: 2, step: 2, steps: 2, losses: { a: 1, b: 2 }, weights: {}, epochEnd: true, diagnostics: {
        conflicts: { epoch: 0, tasks: ["a", "b"], cosine: [[1, -0.25], [-0.25, 1]], conflictRate: [[0, 0.5], [0.5, 0]], magnitudeRatio: [[1, 2], [0.5, 1]], steps: 2 },
        affinity: { epoch: 0, tasks: ["a", "b"], matrix: [[NaN, 0.0123], [-0.002, NaN]], steps: 2 },
      } });
      const lines = s.out.split("\n");
      expect(lines.at(-3)).toBe("  conflicts  a/b cos -0.25 conflict 50% |g| 2.00x");
      expect(lines.at(-2)).toBe("  affinity   a>b +0.0123  b>a -0.0020");
    }
  });

  it("rejects unknown options by name", () => {
    expect(() => terminalProgress({ colour: true } as never)).toThrow(/unknown option "colour"/);
  });

  it("a real fit emits an epochEnd event with the validation metrics after each epoch", async () => {
    const tasks = [task("y", { kind: "binary", outputs: 1 })];
    const x = new Float32Array(64).map((_, i) => (i % 7) / 7 - 0.5);
    const ds = new MultiTaskDataset({ x, xShape: [2], labels: { y: new Float32Array(32).map((_, i) => (x[2 * i] > 0 ? 1 : 0)) } });
    const tr = new Trainer(new SharedBottom({ tasks, inputs: 2, trunk: [4], rng: new Rng(1) }), { tasks });
    const events: Progress[] = [];
    await tr.fit(ds, { epochs: 2, batchSize: 16, validation: ds, onProgress: (p) => { events.push(p); } });
    const ends = events.filter((e) => e.epochEnd);
    expect(ends.map((e) => e.epoch)).toEqual([0, 1]);
    expect(ends[1].validation).toEqual(tr.history[1].validation);
    expect(ends[1].losses).toEqual(tr.history[1].loss);
    expect(events.filter((e) => !e.epochEnd)).toHaveLength(4);
  });
});
