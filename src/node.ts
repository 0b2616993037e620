// Node, Deno and Bun helpers beside the universal API: the only module that may use
// node: built-ins (files, terminal progress). Everything else comes from index.ts.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync, rmSync } from "node:fs";
import { dirname, basename, join } from "node:path";
import type { Progress } from "./mtl/trainer.js";

export * from "./index.js";

/**
 * Write a checkpoint whole or not at all: to a temporary file beside the target,
 * flushed to disk, then renamed over it (atomic on POSIX filesystems).
 */
export function writeCheckpoint(path: string, state: unknown): void {
  const tmp = join(dirname(path), `.${basename(path)}.${Date.now()}.tmp`);
  const text = JSON.stringify({ magic: "polyhead-checkpoint", version: 1, state });
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

/** Read a checkpoint written by writeCheckpoint; a truncated or foreign file is a clear error. */
export function readCheckpoint(path: string): Record<string, unknown> {
  const text = readFileSync(path, "utf8");
  let parsed: { magic?: string; version?: number; state?: Record<string, unknown> };
  try { parsed = JSON.parse(text); } catch (e) {
    throw new Error(`readCheckpoint: ${path} is not a complete checkpoint (${(e as Error).message})`);
  }
  if (parsed.magic !== "polyhead-checkpoint" || parsed.version !== 1 || !parsed.state) {
    throw new Error(`readCheckpoint: ${path} is not a polyhead checkpoint (magic ${JSON.stringify(parsed.magic)}, version ${parsed.version})`);
  }
  return parsed.state;
}

/**
 * A progress line for terminals: epoch, a bar, steps, per-task running losses, rate.
 * Redraws in place on a TTY; prints one line per epoch otherwise (CI logs).
 * @example await trainer.fit(train, { epochs: 5, onProgress: terminalProgress() })
 */
export function terminalProgress(opts: { width?: number; stream?: NodeJS.WriteStream } = {}): (p: Progress) => void {
  const stream = opts.stream ?? process.stderr;
  const width = opts.width ?? 24;
  const tty = !!stream.isTTY;
  let t0 = Date.now(), lastEpoch = -1, lastDraw = 0;
  return (p: Progress) => {
    if (p.epoch !== lastEpoch) { t0 = Date.now(); lastEpoch = p.epoch; }
    const now = Date.now();
    const done = p.step >= p.steps;
    if (tty && !done && now - lastDraw < 80) return;
    lastDraw = now;
    const frac = p.steps > 0 ? Math.min(1, p.step / p.steps) : 0;
    const fill = Math.round(frac * width);
    const bar = "█".repeat(fill) + "░".repeat(width - fill);
    const rate = p.step / Math.max((now - t0) / 1000, 1e-3);
    const losses = Object.entries(p.losses).map(([t, v]) => `${t} ${v.toFixed(4)}`).join("  ");
    const line = `epoch ${p.epoch + 1}/${p.epochs} ${bar} ${p.step}/${p.steps} ${rate.toFixed(0)} step/s  ${losses}`;
    if (tty) stream.write(`\r\x1b[2K${line}${done ? "\n" : ""}`);
    else if (done) stream.write(line + "\n");
  };
}
