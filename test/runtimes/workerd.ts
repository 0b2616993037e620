// Starts real workerd (npm `workerd`) on a free loopback port with a config from the
// repository, for the identity suite and the edge example's test; stop() ends it.
import { spawn } from "node:child_process";
import { freePort } from "./net.js";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
export const WORKERD = `${root}node_modules/.bin/workerd`;

export interface Workerd { origin: string; stop(): Promise<void>; log(): string }

/**
 * `workerd serve <config> --socket-addr=<socket>=127.0.0.1:PORT`, resolved once it
 * answers HTTP. The config (relative to the repository root) names the socket `socket`.
 */
export async function startWorkerd(config: string, socket = "http", timeoutMs = 20_000): Promise<Workerd> {
  if (!existsSync(WORKERD)) throw new Error(`${WORKERD} is missing: run \`npm ci\` (workerd is a devDependency)`);
  const port = await freePort();
  const child = spawn(WORKERD, ["serve", config, `--socket-addr=${socket}=127.0.0.1:${port}`], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d) => { out += d; });
  child.stderr.on("data", (d) => { out += d; });
  let exited: string | null = null;
  const done = new Promise<void>((r) => child.on("exit", (code, sig) => { exited = `exited with ${code ?? sig}`; r(); }));
  const origin = `http://127.0.0.1:${port}`;
  const stop = async () => { if (!exited) { child.kill("SIGTERM"); await done; } };
  const t0 = Date.now();
  for (;;) {
    if (exited) throw new Error(`workerd ${config} ${exited} before listening:\n${out}`);
    try { await fetch(`${origin}/`, { signal: AbortSignal.timeout(2000) }); break; } catch { /* not listening yet */ }
    if (Date.now() - t0 > timeoutMs) { await stop(); throw new Error(`workerd ${config} did not listen on ${origin} within ${timeoutMs} ms:\n${out}`); }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { origin, stop, log: () => out };
}
