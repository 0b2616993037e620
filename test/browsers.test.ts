// Cross-runtime identity in real browsers: Debian's Chromium (CDP) and Firefox ESR
// (WebDriver BiDi), both driven by puppeteer-core at the system binaries (never a
// downloaded browser), and WebKitGTK (Safari's engine) through WebKitWebDriver on Xvfb
// (test/runtimes/webkit.ts). The repository is served on 127.0.0.1; the workload runs on
// the page's main thread and in a module Web Worker and must give Node's checksums, and
// trainInWorker's fixed run must give the weights it gives in Node. The workload also runs on
// polyhead/threads: in Chromium and Firefox on 3 threads in a cross-origin isolated page
// (where a worker is then made to die holding a chunk: dropped with one warning, the matmul
// done with one thread's bits), in WebKitGTK (which shares no memory with workers even
// there) on one after a warning saying so, and as in Chromium once JSC's own option gives
// its processes SharedArrayBuffer; everywhere on one after a warning in a page that is not
// isolated.
// Playwright is not used: it drives Firefox only through its own patched build (Juggler),
// and stock firefox-esr exits at once when launched by it.
// A missing browser fails the suite; POLYHEAD_SKIP_BROWSERS=1 skips it, visibly.
import { describe, it, beforeAll, afterAll } from "vitest";
import { createServer, type Server } from "node:http";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import puppeteer from "puppeteer-core";
import { nodeResult, expectSameChecksums, type WorkloadResult } from "./runtimes/compare.js";
import { startWebKit, webkitMissing, type WebKitSession } from "./runtimes/webkit.js";
// @ts-ignore -- plain ESM shared with the browser page
import { runInWorker } from "./runtimes/train-in-worker.mjs";
// @ts-ignore -- the built entry (npm test builds first)
import * as worker from "../dist/worker.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const SKIP = process.env.POLYHEAD_SKIP_BROWSERS === "1";

const BROWSERS = [
  { name: "chromium", browser: "chrome" as const, exe: "/usr/bin/chromium", pkg: "chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"] },
  { name: "firefox-esr", browser: "firefox" as const, exe: "/usr/bin/firefox-esr", pkg: "firefox-esr", args: [] },
];

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".mjs": "text/javascript",
  ".wasm": "application/wasm", ".json": "application/json",
};

/** A static server for the repository root (files only, nothing outside it). */
function serve(): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const path = normalize(join(root, decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)));
    if (!path.startsWith(root.endsWith(sep) ? root : root + sep) || !existsSync(path) || !statSync(path).isFile()) {
      res.writeHead(404).end("not found");
      return;
    }
    // ?coi=1: cross-origin isolated (shared memory, so polyhead/threads can start its pool)
    const coi = new URL(req.url ?? "/", "http://x").searchParams.has("coi")
      ? { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" } : {};
    res.writeHead(200, { "content-type": TYPES[extname(path)] ?? "application/octet-stream", "cache-control": "no-store", ...coi });
    res.end(readFileSync(path));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => {
    const addr = server.address();
    resolve({ server, origin: `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}` });
  }));
}

interface PageResults { ua: string; page: WorkloadResult; worker: WorkloadResult; trainInWorker: { checksums: Record<string, string> } }

type ThreadedResult = WorkloadResult & { threads: number; isolated: boolean; warnings: string[];
  death: { taken: boolean; runs: number; same: boolean; after: boolean; threads: number; warnings: string[] } | null };

/** The threaded page, cross-origin isolated (?coi=1) and not, through a browser's `results(url)`. */
async function threadedPages(results: <T>(url: string) => Promise<T>, origin: string): Promise<ThreadedResult[]> {
  return [await results<ThreadedResult>(`${origin}/test/runtimes/threads.html?coi=1`), await results<ThreadedResult>(`${origin}/test/runtimes/threads.html`)];
}

/** Launch one browser, open the workload page, return { page, worker } results, then the threaded page's, isolated and not. */
async function inBrowser(b: (typeof BROWSERS)[number], origin: string): Promise<PageResults & { threaded: ThreadedResult[] }> {
  const userDataDir = mkdtempSync(join(tmpdir(), `polyhead-${b.name}-`));
  const browser = await puppeteer.launch({ browser: b.browser, executablePath: b.exe, userDataDir, headless: true, args: b.args, timeout: 60_000 });
  const results = async <T>(url: string): Promise<T> => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(url, { waitUntil: "load" });
    try {
      return await page.evaluate(() => (window as unknown as { results: Promise<T> }).results);
    } catch (e) {
      throw new Error(`${b.name}: the workload failed in ${url}: ${String(e)}${errors.length ? `\npage errors:\n${errors.join("\n")}` : ""}`);
    } finally { await page.close(); }
  };
  try {
    const r = await results<Omit<PageResults, "ua">>(`${origin}/test/runtimes/index.html`);
    return { ua: await browser.version(), ...r, threaded: await threadedPages(results, origin) };
  } finally {
    await browser.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
}

/** Navigate a WebKit session to `url` and wait for the page's window.results. */
function webkitResults(wk: WebKitSession): <T>(url: string) => Promise<T> {
  return async <T>(url: string): Promise<T> => {
    await wk.cmd("POST", "url", { url });
    const r = await wk.executeAsync(
      // the module may still be loading its imports when navigation returns: wait for it
      "const done = arguments[arguments.length - 1];" +
      "const wait = () => window.loadError ? done({ error: window.loadError }) : !window.results ? setTimeout(wait, 50) :" +
      "  window.results.then((r) => done({ ok: r }), (e) => done({ error: String(e && e.stack || e) }));" +
      "wait();", 90_000) as { ok?: T; error?: string };
    if (!r.ok) throw new Error(`webkit: the workload failed in ${url}: ${r.error}`);
    return r.ok;
  };
}

/**
 * The same pages in WebKitGTK's MiniBrowser, over WebDriver; then the isolated threaded page
 * once more in a MiniBrowser whose web processes have SharedArrayBuffer switched on by JSC's
 * own option (`shared`), as Safari's are for an isolated page.
 */
async function inWebKit(origin: string): Promise<PageResults & { threaded: ThreadedResult[]; shared: ThreadedResult }> {
  const wk = await startWebKit();
  let stock: PageResults & { threaded: ThreadedResult[] };
  try {
    const results = webkitResults(wk);
    const r = await results<Omit<PageResults, "ua">>(`${origin}/test/runtimes/index.html`);
    stock = { ua: `WebKitGTK ${wk.version}`, ...r, threaded: await threadedPages(results, origin) };
  } finally { await wk.close(); }
  const withSab = await startWebKit({ JSC_useSharedArrayBuffer: "1" });
  try {
    // the worker-death case included: a worker that throws out of its loop runs no more
    // tasks there while the main thread spins, so only the loop's own finally marks it gone
    return { ...stock, shared: await webkitResults(withSab)<ThreadedResult>(`${origin}/test/runtimes/threads.html?coi=1`) };
  } finally { await withSab.close(); }
}

function expectPageAndWorker(name: string, r: PageResults, node: WorkloadResult, nodeTrained: Record<string, string>): void {
  expectSameChecksums(r.page.checksums, node.checksums, `${name} ${r.ua} main thread`);
  expectSameChecksums(r.worker.checksums, node.checksums, `${name} ${r.ua} worker`);
  if (!/^worker /.test(r.worker.runtime)) throw new Error(`${name}: the worker result did not come from a worker: ${r.worker.runtime}`);
  expectSameChecksums(r.trainInWorker.checksums, nodeTrained, `${name} ${r.ua} trainInWorker (weights)`);
}

/**
 * The threaded page's two runs, each with node's checksums: the isolated one on 3 threads
 * without a warning, then on 2 after a worker died, or, where the engine `sharesNoMemory`
 * (its one warning matches that), on one;
 * the other on one thread after one warning naming cross-origin isolation.
 */
function expectThreaded(name: string, r: { ua: string; threaded: ThreadedResult[] }, node: WorkloadResult, sharesNoMemory?: RegExp): void {
  const [isolated, plain] = r.threaded;
  const shown = (t: ThreadedResult) => JSON.stringify({ ...t, checksums: undefined, mmoeSaved: undefined });
  if (!isolated.isolated) throw new Error(`${name}: the page served with COOP/COEP was not cross-origin isolated: ${shown(isolated)}`);
  if (sharesNoMemory) {
    if (!(isolated.threads === 1 && isolated.warnings.length === 1 && sharesNoMemory.test(isolated.warnings[0]))) {
      throw new Error(`${name}: the isolated page did not fall back to one thread with one warning matching ${sharesNoMemory} ` +
        `(if this engine now shares memory with its workers, expect 3 threads here): ${shown(isolated)}`);
    }
  } else if (!(isolated.threads === 3 && isolated.warnings.length === 0)) {
    throw new Error(`${name}: the isolated page did not run 3 threads: ${shown(isolated)}`);
  }
  expectSameChecksums(isolated.checksums, node.checksums, `${name} ${r.ua} polyhead/threads on ${isolated.threads} thread(s), isolated`);
  // on 3 threads a worker then died holding a chunk: dropped with one warning, the matmul done with one thread's bits
  const d = isolated.death;
  if (!sharesNoMemory && !(d && d.taken && d.same && d.after && d.threads === 2 && d.warnings.length === 1 && /a pool worker stopped in the middle of a matmul; the pool goes on without it, on 2 threads/.test(d.warnings[0]))) {
    throw new Error(`${name}: a pool worker that died was not dropped cleanly: ${JSON.stringify(d)}`);
  }
  if (!(!plain.isolated && plain.threads === 1 && plain.warnings.length === 1 && /cross-origin isolation/.test(plain.warnings[0]))) {
    throw new Error(`${name}: the page without isolation did not fall back to one thread with one warning: ${shown(plain)}`);
  }
  expectSameChecksums(plain.checksums, node.checksums, `${name} ${r.ua} polyhead/threads without isolation (one thread)`);
}

describe("browsers", () => {
  if (SKIP) {
    for (const b of [...BROWSERS.map((b) => b.name), "webkit"]) it.skip(`${b}: skipped because POLYHEAD_SKIP_BROWSERS=1`, () => {});
    return;
  }

  let server: Server, origin: string, node: WorkloadResult, nodeTrained: Record<string, string>;
  beforeAll(async () => {
    ({ server, origin } = await serve());
    node = await nodeResult();
    // test/worker.test.ts shows this equals the same run on the main thread
    nodeTrained = (await runInWorker(worker)).checksums;
  });
  afterAll(() => new Promise<void>((r) => { server?.close(() => r()); server?.closeAllConnections(); }));

  for (const b of BROWSERS) {
    it(`${b.name}: main thread, module Web Worker, trainInWorker and polyhead/threads (isolated: 3 threads, then 2 after a worker dies; not: 1) give node's checksums`, async () => {
      if (!existsSync(b.exe)) {
        throw new Error(`${b.exe} is missing: install it with \`apt-get update && apt-get install -y ${b.pkg}\` ` +
          "(as root; .ci/run does this), or set POLYHEAD_SKIP_BROWSERS=1 to skip the browser suite");
      }
      const r = await inBrowser(b, origin);
      expectPageAndWorker(b.name, r, node, nodeTrained);
      expectThreaded(b.name, r, node);
    }, 120_000);
  }

  // WebKitGTK 2.50 makes the ?coi=1 page cross-origin isolated but exposes no
  // SharedArrayBuffer there (nor in its workers), and posting a shared WebAssembly.Memory
  // to a worker throws DataCloneError: polyhead/threads runs one thread, saying why. Its
  // Cocoa port switches JSC's useSharedArrayBuffer on in the process of an isolated page
  // (Safari's threads); with that option set here the pool runs 3 threads on JSC.
  it("webkit (WebKitGTK MiniBrowser): main thread, module Web Worker, trainInWorker and polyhead/threads (isolated or not: 1 thread, no shared memory for workers; with JSC's SharedArrayBuffer on: 3, then 2 after a worker dies) give node's checksums", async () => {
    const missing = webkitMissing();
    if (missing) throw new Error(`${missing} (as root; .ci/run does this), or set POLYHEAD_SKIP_BROWSERS=1 to skip the browser suite`);
    const r = await inWebKit(origin);
    expectPageAndWorker("webkit", r, node, nodeTrained);
    expectThreaded("webkit", r, node, /cross-origin isolated, but this runtime exposes no SharedArrayBuffer/);
    expectThreaded("webkit with JSC_useSharedArrayBuffer=1", { ua: r.ua, threaded: [r.shared, r.threaded[1]] }, node);
  }, 120_000);
});
