// Node, Deno and Bun helpers beside the universal API: the only module that may use
// node: built-ins (files, terminal progress). Everything else comes from index.ts.
/**
 * Everything in `polyhead`, plus Node/Deno/Bun helpers: atomic checkpoint files, terminal progress,
 * history plots and CSV files on disk.
 * @module polyhead/node
 */
import { closeSync, createReadStream, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createHash, randomBytes } from "node:crypto";
import { dirname, basename, join, resolve } from "node:path";
import type { EpochLogs, Progress } from "./mtl/trainer.js";
import { IoError, SafetensorsError } from "./io/errors.js";
import { decodeCheckpoint } from "./io/checkpoint.js";
import type { Storage } from "./io/storage.js";
import { plotHistory, type PlotOptions } from "./plot/index.js";
import { readCsv, type CsvOptions, type Table } from "./tabular/index.js";

export * from "./index.js";
export { plotHistory, type PlotOptions } from "./plot/index.js";
export * from "./tabular/index.js";

/**
 * Write a checkpoint whole or not at all: to a temporary file of its own beside the target
 * (process id + random suffix, so concurrent writers never share one), flushed to disk,
 * then renamed over it (atomic on POSIX filesystems; the last rename wins). Every number
 * is kept exactly, NaN, ±Infinity and -0 included, and a SHA-256 of the state is written
 * so that readCheckpoint refuses a changed file. Temporaries that killed writers of this
 * checkpoint left behind are removed.
 */
export function writeCheckpoint(path: string, state: unknown): void {
  const body = JSON.stringify(encodeExact(state, "state", 0));
  writeFileAtomic(path, `{"magic":"polyhead-checkpoint","version":2,"sha256":"${sha256(body)}","state":${body}}`);
}

/**
 * Write a file whole or not at all: a temporary file of its own beside the target (process
 * id + random suffix, so concurrent writers never share one), fsynced, renamed over the
 * target (atomic on POSIX filesystems; the last rename wins), then the directory fsynced so
 * the rename survives a crash. Temporaries that killed writers of this file left are removed.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  removeStaleTemporaries(path);
  const tmp = join(dirname(path), `${tmpPrefix(path)}${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  const fd = openSync(tmp, "wx");
  try {
    writeFileSync(fd, data);
    fsyncSync(fd);
    closeSync(fd);
  } catch (e) {
    try { closeSync(fd); } catch { /* already closed */ }
    rmSync(tmp, { force: true });
    throw e;
  }
  try { renameSync(tmp, path); } catch (e) { rmSync(tmp, { force: true }); throw e; }
  syncDir(dirname(path));
}

/**
 * A folder on disk as polyhead/io Storage (Node, Deno, Bun): writes are atomic
 * (writeFileAtomic); temporaries (dot files) are not keys.
 * @example await saveCheckpoint(fileStorage("runs/a"), trainer.stateDict(), { keepLast: 3 });
 */
export function fileStorage(folder: string): Storage {
  mkdirSync(folder, { recursive: true });
  const path = (key: string) => {
    if (typeof key !== "string" || !key || /[\\/]/.test(key) || key.startsWith(".")) {
      throw new IoError("InvalidKey", `fileStorage: key must be a plain file name, got ${JSON.stringify(key)}`);
    }
    return join(folder, key);
  };
  return {
    async read(key) {
      try { return new Uint8Array(readFileSync(path(key))); } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") throw new IoError("NotFound", `fileStorage: no "${key}" in ${folder}`);
        throw e;
      }
    },
    async write(key, bytes) { writeFileAtomic(path(key), bytes); },
    async remove(key) { rmSync(path(key), { force: true }); syncDir(folder); },
    async list() { return readdirSync(folder).filter((n) => !n.startsWith(".")).sort(); },
  };
}

/**
 * Read a checkpoint written by writeCheckpoint (JSON), or a binary one written by
 * writeFileAtomic(path, encodeCheckpoint(state)). A truncated, foreign or changed file
 * (checksum mismatch) is a clear error; files of version 1 (no checksum) still load.
 */
export function readCheckpoint(path: string): Record<string, unknown> {
  const bytes = new Uint8Array(readFileSync(path));
  // a binary checkpoint (polyhead/io encodeCheckpoint: safetensors) starts with its
  // header length, a JSON one with "{"
  if (bytes.length >= 8 && bytes[0] !== 0x7b) {
    try {
      return decodeCheckpoint(bytes) as Record<string, unknown>;
    } catch (e) {
      if (e instanceof SafetensorsError) throw new IoError("InvalidCheckpoint", `readCheckpoint: ${path} is not a complete checkpoint (${e.message})`);
      if (e instanceof IoError) throw new IoError(e.code, `readCheckpoint: ${path} is not a polyhead checkpoint or is damaged (${e.message})`);
      throw e;
    }
  }
  const text = new TextDecoder().decode(bytes);
  let parsed: { magic?: string; version?: number; sha256?: string; state?: unknown };
  try { parsed = JSON.parse(text); } catch (e) {
    throw new Error(`readCheckpoint: ${path} is not a complete checkpoint (${(e as Error).message})`);
  }
  if (parsed?.magic !== "polyhead-checkpoint" || (parsed.version !== 1 && parsed.version !== 2) || !parsed.state || typeof parsed.state !== "object") {
    throw new Error(`readCheckpoint: ${path} is not a polyhead checkpoint (magic ${JSON.stringify(parsed?.magic)}, version ${parsed?.version})`);
  }
  if (parsed.version === 1) return parsed.state as Record<string, unknown>;
  // JSON.stringify of what JSON.parse read gives back the bytes written (same keys, same
  // shortest number forms), so a changed digit, key or value changes the digest
  const got = sha256(JSON.stringify(parsed.state));
  if (got !== parsed.sha256) {
    throw new Error(`readCheckpoint: ${path} is damaged: its state's SHA-256 is ${got}, the file records ${JSON.stringify(parsed.sha256)}`);
  }
  return decodeExact(parsed.state) as Record<string, unknown>;
}

function sha256(text: string): string { return createHash("sha256").update(text).digest("hex"); }

/** The prefix of writeFileAtomic's temporaries for `path`: `.<name>.` */
function tmpPrefix(path: string): string { return `.${basename(path)}.`; }

/**
 * Remove temporaries of this checkpoint that no running writer owns: those of a process
 * id that is gone (on this host), and any older than a day (another host's, or a reused id).
 */
function removeStaleTemporaries(path: string): void {
  const dir = dirname(path), prefix = tmpPrefix(path);
  let names: string[];
  try { names = readdirSync(dir); } catch { return; }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(\d+)\.[0-9a-f]{12}\.tmp$|^\d+\.tmp$/.exec(name.slice(prefix.length));
    if (!m) continue;
    const file = join(dir, name);
    const pid = m[1] === undefined ? 0 : Number(m[1]); // version 1 named them by time: always stale
    let stale = pid === 0 || !alive(pid);
    if (!stale) { try { stale = Date.now() - statSync(file).mtimeMs > 86400e3; } catch { continue; } }
    if (stale) rmSync(file, { force: true });
  }
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === "EPERM"; }
}

/** Flush the directory entry of a rename (POSIX); platforms that cannot open a directory skip it. */
function syncDir(dir: string): void {
  let fd: number;
  try { fd = openSync(dir, "r"); } catch { return; }
  try { fsyncSync(fd); } catch { /* not supported here (Windows) */ } finally { closeSync(fd); }
}

// JSON has no NaN, ±Infinity or -0 (stringify writes null or 0). Those numbers are written
// as {"$num": "NaN" | "Infinity" | "-Infinity" | "-0"}; an object of the state that itself
// has the lone key "$num" or "$obj" is wrapped as {"$obj": {...}}, so decoding is exact.
const SPECIAL = new Map<string, number>([["NaN", NaN], ["Infinity", Infinity], ["-Infinity", -Infinity], ["-0", -0]]);

function encodeExact(v: unknown, path: string, depth: number): unknown {
  if (depth > 256) throw new Error(`writeCheckpoint: ${path} nests deeper than 256 levels (a cycle?)`);
  if (typeof v === "number") {
    if (Number.isFinite(v) && !Object.is(v, -0)) return v;
    return { $num: Object.is(v, -0) ? "-0" : String(v) };
  }
  if (v === null || typeof v === "string" || typeof v === "boolean") return v;
  if (Array.isArray(v)) return v.map((x, i) => encodeExact(x, `${path}[${i}]`, depth + 1));
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    return Array.from(v as unknown as ArrayLike<number>, (x, i) => encodeExact(x, `${path}[${i}]`, depth + 1));
  }
  if (typeof v === "object" && v !== null && typeof (v as { toJSON?: unknown }).toJSON !== "function") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) setOwn(out, k, encodeExact(x, `${path}.${k}`, depth + 1));
    const keys = Object.keys(out);
    return keys.length === 1 && (keys[0] === "$num" || keys[0] === "$obj") ? { $obj: out } : out;
  }
  if (v === undefined) return null;
  throw new Error(`writeCheckpoint: ${path} is ${typeof v === "object" ? "an object with toJSON" : `a ${typeof v}`}, which a checkpoint cannot hold`);
}

function decodeExact(v: unknown): unknown {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(decodeExact);
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 1 && keys[0] === "$num") {
    const n = SPECIAL.get(o.$num as string);
    if (n === undefined) throw new Error(`readCheckpoint: unknown number encoding ${JSON.stringify(o.$num)}`);
    return n;
  }
  const src = keys.length === 1 && keys[0] === "$obj" && o.$obj !== null && typeof o.$obj === "object" ? o.$obj as Record<string, unknown> : o;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(src)) setOwn(out, k, decodeExact(x));
  return out;
}

/** out[k] = v, where a "__proto__" key is data, not the object's prototype. */
function setOwn(out: Record<string, unknown>, k: string, v: unknown): void {
  if (k === "__proto__") Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  else out[k] = v;
}

/**
 * Training progress for terminals: epoch, a bar, steps, steps/s, ETA, per-task running
 * loss, and at each epoch's end the validation loss and headline metric per task, and a
 * line of the weighting's diagnostics when it reports them: each task pair's gradient
 * cosine, conflict rate and magnitude ratio (ConflictMonitor), inter-task affinities
 * (TaskAffinity).
 * Redraws one line in place on a TTY; otherwise prints one plain line per epoch (CI logs).
 * @example await trainer.fit(train, { epochs: 5, validation: val, onProgress: terminalProgress() })
 */
export function terminalProgress(opts: { width?: number; stream?: { write(text: string): unknown; isTTY?: boolean } } = {}): (p: Progress) => void {
  // stream is typed by what it uses, not NodeJS.WriteStream: the declarations must not need @types/node (Deno, Bun)
  for (const k of Object.keys(opts)) if (k !== "width" && k !== "stream") throw new Error(`terminalProgress: unknown option "${k}" (known: width, stream)`);
  const stream = opts.stream ?? process.stderr;
  const width = opts.width ?? 24;
  const tty = !!stream.isTTY;
  let t0 = 0, firstStep = 0, lastEpoch = -1, lastStep = 0, lastDraw = 0, rate = 0;
  return (p: Progress) => {
    const now = Date.now();
    // a new epoch, or a step count that went back (the same function serving several fits), restarts the clock
    if (p.epoch !== lastEpoch || p.step < lastStep) { t0 = now; firstStep = p.step; lastEpoch = p.epoch; rate = 0; }
    lastStep = p.step;
    if (p.step > firstStep) rate = (p.step - firstStep) / Math.max((now - t0) / 1000, 1e-3);
    if (!p.epochEnd && (!tty || now - lastDraw < 80)) return;
    lastDraw = now;
    const left = (p.epochs - p.epoch - 1) * p.steps + (p.steps - p.step);
    const eta = rate > 0 && left > 0 ? `  ETA ${clock(left / rate)}` : "";
    const head = tty
      ? `epoch ${p.epoch + 1}/${p.epochs} ${bar(p.step, p.steps, width)} ${p.step}/${p.steps}`
      : `epoch ${p.epoch + 1}/${p.epochs}  ${p.step} steps`;
    const tasks = Object.entries(p.losses).map(([t, v]) => {
      const val = p.validation?.[t];
      const metric = val && Object.keys(val).find((k) => k !== "loss");
      return `${t} ${v.toFixed(4)}${val ? ` (val ${val.loss.toFixed(4)}${metric ? ` ${metric} ${val[metric].toFixed(4)}` : ""})` : ""}`;
    }).join("  ");
    const line = `${head}  ${rate.toFixed(0)} step/s${eta}  ${tasks}`;
    const extra = p.epochEnd ? diagnosticsLine(p.diagnostics) : "";
    if (tty) stream.write(`\r\x1b[2K${line}${p.epochEnd ? "\n" : ""}${extra}`);
    else stream.write(line + "\n" + extra);
  };
}

// One indented line per kind of figure the epoch's diagnostics hold ("" when none).
function diagnosticsLine(d: Record<string, unknown> | undefined): string {
  type Pairs = { tasks?: string[]; cosine?: number[][]; conflictRate?: number[][]; magnitudeRatio?: number[][]; matrix?: number[][] };
  const c = d?.conflicts as Pairs | undefined, a = d?.affinity as Pairs | undefined;
  const signed = (x: number, digits: number) => `${x >= 0 ? "+" : ""}${x.toFixed(digits)}`;
  let out = "";
  if (c?.tasks && c.cosine && c.conflictRate && c.magnitudeRatio) {
    const parts: string[] = [];
    c.tasks.forEach((ti, i) => c.tasks!.forEach((tj, j) => {
      if (j <= i || !Number.isFinite(c.cosine![i][j])) return;
      parts.push(`${ti}/${tj} cos ${signed(c.cosine![i][j], 2)} conflict ${(100 * c.conflictRate![i][j]).toFixed(0)}% |g| ${c.magnitudeRatio![i][j].toFixed(2)}x`);
    }));
    if (parts.length) out += `  conflicts  ${parts.join("  ")}\n`;
  }
  if (a?.tasks && a.matrix) {
    const parts: string[] = [];
    a.tasks.forEach((ti, i) => a.tasks!.forEach((tj, j) => {
      if (i !== j && Number.isFinite(a.matrix![i][j])) parts.push(`${ti}>${tj} ${signed(a.matrix![i][j], 4)}`);
    }));
    if (parts.length) out += `  affinity   ${parts.join("  ")}\n`;
  }
  return out;
}

function bar(step: number, steps: number, width: number): string {
  const fill = Math.round((steps > 0 ? Math.min(1, step / steps) : 0) * width);
  return "█".repeat(fill) + "░".repeat(width - fill);
}

/** Seconds as m:ss or h:mm:ss. */
function clock(sec: number): string {
  const s = Math.round(sec), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const mm = h ? String(m).padStart(2, "0") : String(m);
  return `${h ? `${h}:` : ""}${mm}:${String(r).padStart(2, "0")}`;
}

/**
 * Write plotHistory's SVG of a training history to a file (directories made as needed);
 * returns the absolute path.
 * @example console.log(`plot: ${writeHistoryPlot("history.svg", trainer.history, { title: "MNIST" })}`)
 */
export function writeHistoryPlot(path: string, history: readonly EpochLogs[], opts?: PlotOptions): string {
  const svg = plotHistory(history, opts);
  const abs = resolve(path);
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, svg);
  return abs;
}

/**
 * Read a CSV or TSV file, streamed (never held whole as one string).
 * @example const table = await readCsvFile("survey.tsv", { delimiter: "\t" });
 */
export function readCsvFile(path: string, opts?: CsvOptions): Promise<Table> {
  return readCsv(createReadStream(path), opts);
}
