// polyhead/node: checkpoints are written whole or not at all and a corrupted or foreign
// file is refused clearly; the terminal progress line.
import { describe, it, expect, beforeAll } from "vitest";
import { mkdtempSync, readdirSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { init, writeCheckpoint, readCheckpoint, terminalProgress, Trainer, SharedBottom, task, Rng } from "../src/node.js";

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

describe("terminalProgress", () => {
  it("prints one line per finished epoch when not on a TTY", () => {
    let out = "";
    const stream = new Writable({ write(c, _e, cb) { out += c; cb(); } }) as unknown as NodeJS.WriteStream;
    const p = terminalProgress({ stream, width: 10 });
    p({ epoch: 0, epochs: 2, step: 1, steps: 2, losses: { y: 0.5 }, weights: {} });
    p({ epoch: 0, epochs: 2, step: 2, steps: 2, losses: { y: 0.25 }, weights: {} });
    expect(out).toMatch(/^epoch 1\/2 █{10} 2\/2 \d+ step\/s  y 0\.2500\n$/);
  });
});
