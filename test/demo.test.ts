// The offline browser demo (examples/browser/) in real Chromium: train in the worker,
// check the charts moved and accuracy rose, draw a "1" and read every head, save to
// IndexedDB, reload with the network cut (the service worker serves the page), load the
// model and get the same predictions (also from the downloaded model file, loaded back). While it trains and while it predicts, the page's
// main thread may have no long task over 50 ms (PerformanceObserver "longtask"), and no
// script there may run over 50 ms (long-animation-frame entries name each script).
// Long tasks are wall time: on a box whose cores are oversubscribed (CI's parallel test
// files, other jobs) the OS preempts the page's main thread inside a task, and a Chromium
// trace showed such tasks at 40-90 ms of wall time holding 4-12 ms of the thread's CPU
// time, waiting for the CPU behind other sessions (Linux's autogroups share the CPU per
// session before nice counts). So the test raises Chromium's autogroup and the page's main
// thread to nice -10 (where it may: root or CAP_SYS_NICE; figures.json says whether it
// did), as a desktop with no other load would schedule it at once, and keeps the bound
// hard; the workers stay at Chromium's nice 0. Screenshots and figures go to test-output/demo/
// (not committed). POLYHEAD_SKIP_BROWSERS=1 skips it, visibly.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { setPriority, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Server } from "node:http";
import puppeteer, { type Browser, type ElementHandle, type Page } from "puppeteer-core";
// @ts-ignore -- plain ESM build script of the example
import { buildDemo } from "../examples/browser/build.mjs";
// @ts-ignore -- plain ESM
import { serveDemo } from "../examples/browser/serve.mjs";
// @ts-ignore -- the built bundle (npm test builds first)
import * as ph from "../dist/index.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const SKIP = process.env.POLYHEAD_SKIP_BROWSERS === "1";
const CHROMIUM = "/usr/bin/chromium";
const OUT = join(root, "test-output/demo");
// images used and epochs: a short run by default; POLYHEAD_DEMO_IMAGES=10000 POLYHEAD_DEMO_EPOCHS=3 is the page's own default run
const N = Number(process.env.POLYHEAD_DEMO_IMAGES ?? 3000), EPOCHS = Number(process.env.POLYHEAD_DEMO_EPOCHS ?? 2);

interface DemoState {
  state: string; epochs: number; steps: number; error: string | null;
  loss: Record<string, number[]>; accuracy: Record<string, number[]>; conflicts: number[]; msPerStep: number[];
  longTasks: { start: number; ms: number }[];
  longFrames: { start: number; ms: number; scripts: { ms: number; invoker: string; source: string }[] }[];
  training: { start: number; end: number | null } | null;
  predictions: { digit: number; digitProbability: number; odd: number; large: number; probs: number[] } | null;
}
const state = (page: Page) => page.evaluate(() => {
  const d = (window as unknown as { demo: DemoState }).demo;
  return JSON.parse(JSON.stringify({ ...d, model: undefined })) as DemoState;
});
const waitState = (page: Page, want: string[], timeout: number) => page.waitForFunction(
  (w: string[]) => { const s = (window as unknown as { demo?: DemoState }).demo?.state; return s !== undefined && (w.includes(s) || s === "failed"); },
  { timeout, polling: 100 }, want);

/**
 * Raise the page's main thread above the box's other load. With autogroup scheduling (Linux's
 * default for desktops, and on here) CPU time is shared between sessions first and nice
 * values count only within one: puppeteer starts Chromium in a session of its own, so that
 * session's autogroup goes to nice -10 (/proc/PID/autogroup). Within it, in every
 * foreground renderer (Chromium puts background ones at nice > 0), the main thread and the
 * thread pool that runs its GC and compile jobs go to nice -10; the workers' threads keep the
 * nice 0 Chromium gives them, as do the threads it raised itself (compositor, IO: -8).
 * False where this process may not raise priorities.
 */
function prioritise(rootPid: number): boolean {
  let ok = true;
  try { if (existsSync(`/proc/${rootPid}/autogroup`)) writeFileSync(`/proc/${rootPid}/autogroup`, "-10"); } catch { ok = false; }
  const stat = (path: string) => { const st = readFileSync(path, "utf8"); const f = st.replace(/^.*\) /s, "").split(" "); return { comm: st.slice(st.indexOf("(") + 1, st.lastIndexOf(")")), ppid: Number(f[1]), nice: Number(f[16]) }; };
  const parent = new Map<number, number>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try { parent.set(Number(d), stat(`/proc/${d}/stat`).ppid); } catch { /* exited */ }
  }
  const inTree = (pid: number): boolean => { for (let p = pid, i = 0; p > 1 && i < 64; p = parent.get(p) ?? 0, i++) if (p === rootPid) return true; return false; };
  for (const pid of parent.keys()) {
    try {
      if (!inTree(pid) || !readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("--type=renderer") || stat(`/proc/${pid}/stat`).nice > 0) continue;
      for (const t of readdirSync(`/proc/${pid}/task`)) {
        if (Number(t) !== pid && !stat(`/proc/${pid}/task/${t}/stat`).comm.startsWith("ThreadPoolForeg")) continue;
        try { setPriority(Number(t), -10); } catch (e) { if ((e as NodeJS.ErrnoException).code !== "ESRCH") ok = false; }
      }
    } catch { /* exited */ }
  }
  return ok;
}

/** The page's clock, to bound the windows that long tasks are counted in. */
const now = (page: Page) => page.evaluate(() => performance.now());

/** A "1": one vertical stroke down the middle of the drawing pad. */
async function drawOne(page: Page): Promise<void> {
  await page.click("#clear");
  const box = (await (await page.$("#draw"))!.boundingBox())!;
  await page.mouse.move(box.x + 145, box.y + 45);
  await page.mouse.down();
  await page.mouse.move(box.x + 138, box.y + 235, { steps: 20 });
  await page.mouse.up();
  await page.waitForFunction(() => (window as unknown as { demo: DemoState }).demo.predictions !== null, { timeout: 5000 });
}

/**
 * The demo's network run in Node on this thread: ms per step for the same model and batch
 * (2 epochs of 1024 images), with this session's autogroup at the browser's nice -10 while
 * it runs (where it may), so the two figures compare.
 */
async function nodeMsPerStep(): Promise<number> {
  const group = "/proc/self/autogroup";
  const before = existsSync(group) ? /nice (-?\d+)/.exec(readFileSync(group, "utf8"))?.[1] : undefined;
  try { if (before !== undefined) writeFileSync(group, "-10"); } catch { /* as the browser: left as it was */ }
  try { return await nodeFit(); } finally { try { if (before !== undefined) writeFileSync(group, before); } catch { /* unchanged */ } }
}
async function nodeFit(): Promise<number> {
  await ph.init();
  const buf = readFileSync(join(root, "examples/browser/out/mnist.bin"));
  const total = buf.readUInt32LE(4), n = 1024;
  const x = new Float32Array(n * 784), digit = new Int32Array(n), parity = new Float32Array(n), large = new Float32Array(n);
  for (let i = 0; i < x.length; i++) x[i] = buf[8 + i] / 255;
  for (let i = 0; i < n; i++) { const d = buf[8 + total * 784 + i]; digit[i] = d; parity[i] = d % 2; large[i] = d >= 5 ? 1 : 0; }
  const tasks = [ph.task("digit", { kind: "classification", outputs: 10 }), ph.task("parity", { kind: "binary", outputs: 1 }), ph.task("large", { kind: "binary", outputs: 1 })];
  const model = new ph.SharedBottom({ tasks, inputs: 784, trunk: [128], towers: [32], rng: new ph.Rng(1) });
  const trainer = new ph.Trainer(model, { tasks, weighting: new ph.PCGrad(), optimizer: (p: unknown) => new ph.Adam(p, { lr: 2e-3 }), seed: 1 });
  const h = await trainer.fit(new ph.MultiTaskDataset({ x, xShape: [784], labels: { digit, parity, large } }), { epochs: 2, batchSize: 64 });
  return (h[1].seconds * 1000) / (n / 64); // the second epoch, as the page's last
}

describe("browser demo (examples/browser)", () => {
  if (SKIP) { it.skip("skipped because POLYHEAD_SKIP_BROWSERS=1", () => {}); return; }

  let server: Server, origin: string, browser: Browser, userDataDir: string;
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does this)`);
    ({ server, origin } = await serveDemo(await buildDemo()));
    mkdirSync(OUT, { recursive: true });
    userDataDir = mkdtempSync(join(tmpdir(), "polyhead-demo-"));
    browser = await puppeteer.launch({ browser: "chrome", executablePath: CHROMIUM, userDataDir, headless: true, timeout: 60_000,
      args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        // Chromium 156 preloads its omnibox popup's WebUI pages a few seconds after start (renderers of their own, ~200 ms of CPU): not the page's work
        "--disable-features=WebUIOmniboxAimPopup,WebUIOmniboxPopup"] });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    await new Promise<void>((r) => { if (!server) return r(); server.close(() => r()); server.closeAllConnections(); });
  });

  it("trains in the worker with live charts, predicts a drawn digit, saves, and works offline after a reload", async () => {
    const page = await browser.newPage();
    await page.setViewport({ width: 1360, height: 860 });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    const prioritised = prioritise(browser.process()!.pid!);
    await page.goto(`${origin}/?n=${N}`, { waitUntil: "load" });
    prioritise(browser.process()!.pid!); // the page's renderer and its threads
    await waitState(page, ["ready"], 30_000);
    await page.evaluate(() => (window as unknown as { demo: { offlineReady: Promise<boolean> } }).demo.offlineReady);

    await page.select("#arch", "SharedBottom");
    await page.select("#weighting", "PCGrad");
    await page.$eval("#epochs", (el, v) => { (el as HTMLInputElement).value = String(v); }, EPOCHS);
    await page.click("#train");
    await page.waitForFunction(() => (window as unknown as { demo: DemoState }).demo.loss.digit.length > 5, { timeout: 30_000 });
    const shot = [await now(page), 0];
    await page.screenshot({ path: join(OUT, "1-training.png"), fullPage: true });
    shot[1] = await now(page);
    await waitState(page, ["trained"], 180_000);
    const trained = await state(page);
    expect(trained.error, `the demo failed: ${trained.error}\n${errors.join("\n")}`).toBeNull();
    expect(trained.epochs).toBe(EPOCHS);
    for (const t of ["digit", "parity", "large"]) {
      const l = trained.loss[t];
      expect(l.length).toBe(trained.conflicts.length); // one point per batch event
      expect(l.at(-1)!, `${t} loss chart`).toBeLessThan(l[0]);
      expect(trained.accuracy[t].length).toBe(EPOCHS);
    }
    const acc = trained.accuracy.digit;
    expect(acc.at(-1)!).toBeGreaterThan(acc[0]);
    expect(acc.at(-1)!).toBeGreaterThan(0.8);
    expect(trained.conflicts.length).toBeGreaterThan(10);

    const windows: [number, number][] = [[trained.training!.start, trained.training!.end!]];
    let t0 = await now(page);
    await drawOne(page);
    windows.push([t0, await now(page)]);
    const before = (await state(page)).predictions!;
    expect(before.digit).toBe(1);
    expect(before.odd).toBeGreaterThan(0.5);
    expect(before.large).toBeLessThan(0.5);
    await page.screenshot({ path: join(OUT, "2-trained-and-drawn.png"), fullPage: true });

    await page.click("#save");
    await page.waitForFunction(() => document.getElementById("status")!.textContent === "saved to IndexedDB", { timeout: 10_000 });

    // the file Download saves, loaded back through the file input, predicts the same
    const json = await page.evaluate(async () => (await (window as unknown as { demo: { modelFile(): Promise<Blob> } }).demo.modelFile()).text());
    const modelFile = join(userDataDir, "polyhead-mnist.json");
    writeFileSync(modelFile, json);
    t0 = await now(page);
    await (await page.$("input#file") as ElementHandle<HTMLInputElement>).uploadFile(modelFile);
    await waitState(page, ["loaded"], 10_000);
    await drawOne(page);
    windows.push([t0, await now(page)]);
    expect((await state(page)).predictions, "the downloaded model file, loaded back").toEqual(before);

    const afterDrawing = await state(page);
    await page.setOfflineMode(true);
    await page.reload({ waitUntil: "load" });
    prioritise(browser.process()!.pid!);
    await waitState(page, ["ready"], 30_000);
    expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
    const windowsAfterReload: [number, number][] = [];
    t0 = await now(page);
    await page.click("#load");
    await waitState(page, ["loaded"], 10_000);
    await drawOne(page);
    windowsAfterReload.push([t0, await now(page)]);
    const reloaded = await state(page);
    const after = reloaded.predictions!;
    expect(after).toEqual(before);
    await page.screenshot({ path: join(OUT, "3-offline-reloaded-and-loaded.png"), fullPage: true });
    await page.setOfflineMode(false);

    // the windows: training (from the click to the worker's result), drawing and predicting,
    // loading from IndexedDB and predicting after the reload (a new page, a new clock)
    const LONG_MS = 50;
    type Entry = { start: number; ms: number };
    const overlaps = (ws: [number, number][]) => (e: Entry) => ws.some(([a, b]) => e.start + e.ms > a && e.start < b);
    const inTraining = overlaps(windows.slice(0, 1));
    const longTasks = [...afterDrawing.longTasks.filter(overlaps(windows)), ...reloaded.longTasks.filter(overlaps(windowsAfterReload))];
    const scripts = [...afterDrawing.longFrames.filter(overlaps(windows)), ...reloaded.longFrames.filter(overlaps(windowsAfterReload))].flatMap((f) => f.scripts);
    const { start, end } = trained.training!;
    const figures = {
      images: N, epochs: EPOCHS, steps: trained.steps, digitAccuracy: acc, parityAccuracy: trained.accuracy.parity, largeAccuracy: trained.accuracy.large,
      msPerStepWorker: trained.msPerStep, msPerStepNode: await nodeMsPerStep(), chromiumAutogroupAndMainThreadAtNiceMinus10: prioritised,
      longTasksWhileTraining: afterDrawing.longTasks.filter(inTraining).length,
      longestTaskWhileTrainingMs: Math.max(0, ...afterDrawing.longTasks.filter(inTraining).map((t) => t.ms)),
      longestTaskWhilePredictingMs: Math.max(0, ...longTasks.filter((t) => !inTraining(t)).map((t) => t.ms)),
      longestTaskAtPageLoadMs: Math.max(0, ...afterDrawing.longTasks.filter((t) => t.start < start).map((t) => t.ms)),
      longestScriptMs: Math.max(0, ...scripts.map((s) => s.ms)), trainingWindowMs: end! - start,
      drawnOne: before,
    };
    writeFileSync(join(OUT, "figures.json"), JSON.stringify(figures, null, 2));
    console.log("demo figures:", JSON.stringify(figures));
    expect(errors).toEqual([]);
    expect(end, "the training window closed").toBeGreaterThan(start);
    expect(longTasks.filter((t) => t.ms > LONG_MS).map((t) => `${t.ms.toFixed(0)} ms at ${t.start.toFixed(0)}`),
      `long tasks over ${LONG_MS} ms on the main thread while training and predicting (${JSON.stringify({ windows, windowsAfterReload, shot, frames: afterDrawing.longFrames.filter(overlaps(windows)) })})`).toEqual([]);
    expect(scripts.filter((s) => s.ms > LONG_MS).map((s) => `${s.invoker} (${s.source}): ${s.ms.toFixed(0)} ms`),
      `main-thread scripts over ${LONG_MS} ms while training and predicting`).toEqual([]);
  }, 300_000);
});
