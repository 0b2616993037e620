// WebKit (Safari's engine) for the browser suites: Debian's WebKitWebDriver drives
// WebKitGTK's MiniBrowser over plain W3C WebDriver (fetch is the whole client). MiniBrowser
// has no headless mode, so it runs on an Xvfb display of its own.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { freePort } from "./net.js";

export const WEBKIT_DRIVER = "/usr/bin/WebKitWebDriver";
export const MINIBROWSER = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";
export const XVFB = "/usr/bin/Xvfb";

/** What is missing to run WebKit here, as an install hint, or null. */
export function webkitMissing(): string | null {
  const missing = [[WEBKIT_DRIVER, "webkit2gtk-driver"], [MINIBROWSER, "webkit2gtk-driver"], [XVFB, "xvfb"]].filter(([p]) => !existsSync(p));
  if (!missing.length) return null;
  return `${missing.map(([p]) => p).join(", ")} missing: install with \`apt-get install -y ${[...new Set(missing.map(([, pkg]) => pkg))].join(" ")}\``;
}

const stopChild = (c: ChildProcess) => new Promise<void>((r) => { if (c.exitCode !== null || c.signalCode) return r(); c.once("exit", () => r()); c.kill("SIGTERM"); });

export interface WebKitSession {
  /** The engine's version (WebKitGTK's, from the session; the user agent's "Version/" is not it). */
  version: string;
  /** A W3C WebDriver command on this session: `cmd("POST", "url", { url })`; throws on a WebDriver error. */
  cmd(method: string, path: string, body?: unknown): Promise<unknown>;
  /** Run `script` (a function body; its last argument is the callback) and await what it passes back. */
  executeAsync(script: string, timeoutMs: number): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * Xvfb + WebKitWebDriver + one MiniBrowser session; close() ends all three. `env` is added to
 * the driver's environment, which MiniBrowser and its web processes inherit (JSC reads its
 * options from JSC_<name> variables there).
 */
export async function startWebKit(env: Record<string, string> = {}): Promise<WebKitSession> {
  const xvfb = spawn(XVFB, ["-displayfd", "1", "-nolisten", "tcp", "-screen", "0", "1280x800x24"], { stdio: ["ignore", "pipe", "pipe"] });
  const display = await new Promise<string>((resolve, reject) => {
    xvfb.stdout!.once("data", (d) => resolve(String(d).trim()));
    xvfb.once("exit", (code) => reject(new Error(`Xvfb exited with ${code} before choosing a display`)));
  });
  const port = await freePort();
  const driver = spawn(WEBKIT_DRIVER, [`--port=${port}`], { env: { ...process.env, ...env, DISPLAY: `:${display}` }, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  driver.stdout!.on("data", (d) => { log += d; });
  driver.stderr!.on("data", (d) => { log += d; });
  const base = `http://127.0.0.1:${port}`;
  const stopAll = async () => { await stopChild(driver); await stopChild(xvfb); };
  const request = async (method: string, path: string, body?: unknown, timeoutMs = 60_000) => {
    const res = await fetch(base + path, { method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
    const j = await res.json() as { value: { error?: string; message?: string } & Record<string, unknown> };
    if (!res.ok || j.value?.error) throw new Error(`WebKitWebDriver ${method} ${path}: ${j.value?.error ?? res.status}: ${j.value?.message ?? ""}\n${log}`);
    return j.value;
  };
  try {
    for (let t0 = Date.now(); ; await new Promise((r) => setTimeout(r, 100))) {
      try { await fetch(`${base}/status`); break; } catch { if (Date.now() - t0 > 20_000) throw new Error(`WebKitWebDriver did not listen on ${base}:\n${log}`); }
    }
    const s = await request("POST", "/session", { capabilities: { alwaysMatch: { "webkitgtk:browserOptions": { binary: MINIBROWSER, args: ["--automation"] } } } });
    const id = s.sessionId as string, caps = s.capabilities as { browserVersion: string };
    const cmd = (method: string, path: string, body?: unknown, timeoutMs?: number) => request(method, `/session/${id}/${path}`, body, timeoutMs);
    return {
      version: caps.browserVersion,
      cmd,
      async executeAsync(script, timeoutMs) {
        await cmd("POST", "timeouts", { script: timeoutMs });
        return cmd("POST", "execute/async", { script, args: [] }, timeoutMs + 10_000);
      },
      async close() { try { await request("DELETE", `/session/${id}`, undefined, 10_000); } catch { /* the driver goes anyway */ } await stopAll(); },
    };
  } catch (e) { await stopAll(); throw e; }
}
