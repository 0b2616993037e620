// plotHistory: the SVG's geometry follows the data (lower loss is drawn lower, gaps stay
// gaps), options and bad input are checked by name, and a real training history renders
// in Debian's Chromium as a strict SVG image (saved to test/output/, not committed).
import { describe, it, expect, beforeAll } from "vitest";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import puppeteer from "puppeteer-core";
import { init, randn, Rng, MultiTaskDataset, task, SharedBottom, Trainer, Adam, UncertaintyWeighting, type EpochLogs } from "../src/index.js";
import { plotHistory } from "../src/plot/index.js";
import { ConflictMonitor } from "../src/methods/index.js";
import { writeHistoryPlot } from "../src/node.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const OUT = join(root, "test/output");
const SKIP_BROWSER = process.env.POLYHEAD_SKIP_BROWSERS === "1";
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync"];

const log = (epoch: number, loss: Record<string, number>, weights: Record<string, number>, validation?: EpochLogs["validation"]): EpochLogs =>
  ({ epoch, loss, weights, validation, seconds: 0.1 });

/** The d attribute of each <path>, as lists of [x, y] per M-started segment. */
function paths(svg: string): [number, number][][][] {
  return [...svg.matchAll(/<path d="([^"]*)"/g)].map((m) =>
    m[1].split("M").filter(Boolean).map((seg) => seg.split("L").map((pt) => pt.split(",").map(Number) as [number, number])));
}

/** A real history: three task kinds, validation every epoch, uncertainty weighting (weights move). */
async function trainedHistory(): Promise<EpochLogs[]> {
  await init();
  const n = 400, x = randn([n, 6], 0, 1, new Rng(3)).data();
  const kind = new Int32Array(n).map((_, i) => (x[i * 6] > 0.4 ? 2 : x[i * 6] > -0.4 ? 1 : 0));
  const flag = new Float32Array(n).map((_, i) => (x[i * 6 + 1] + x[i * 6 + 2] > 0 ? 1 : 0));
  const score = new Float32Array(n).map((_, i) => 3 * x[i * 6 + 3] - x[i * 6 + 4]);
  const { train, validation } = new MultiTaskDataset({ x, xShape: [6], labels: { kind, flag, score } })
    .split({ train: 0.75, validation: 0.25 }, new Rng(4));
  const tasks = [task("kind", { kind: "classification", outputs: 3 }), task("flag", { kind: "binary", outputs: 1 }),
    task("score", { kind: "regression", outputs: 1 })];
  const trainer = new Trainer(new SharedBottom({ tasks, inputs: 6, trunk: [16], towers: [8], rng: new Rng(5) }), {
    tasks, optimizer: (p) => new Adam(p, { lr: 1e-2 }), seed: 6,
    weighting: new ConflictMonitor(new UncertaintyWeighting(tasks.map((t) => t.name)), { every: 2 }),
  });
  return trainer.fit(train, { epochs: 8, batchSize: 32, validation });
}

describe("plotHistory", () => {
  const h = [
    log(0, { a: 2, b: 0.5 }, { a: 1, b: 1 }, { a: { loss: 2.2, accuracy: 0.3 }, b: { loss: 0.6, r2: 0.1 } }),
    log(1, { a: 1, b: 0.4 }, { a: 1.5, b: 0.5 }, { a: { loss: 1.1, accuracy: 0.6 }, b: { loss: 0.5, r2: 0.4 } }),
    log(2, { a: 0.5, b: 0.3 }, { a: 2, b: 0.25 }, { a: { loss: 0.9, accuracy: 0.8 }, b: { loss: 0.45, r2: 0.5 } }),
  ];

  it("draws, per task, train and validation loss, the headline metric, then the weights; lower values lower", () => {
    const svg = plotHistory(h);
    expect(svg.startsWith("<svg xmlns=\"http://www.w3.org/2000/svg\"")).toBe(true);
    for (const t of ["a · loss", "b · loss", "a · accuracy (validation)", "b · r2 (validation)", "task weights"]) expect(svg).toContain(`>${t}<`);
    const ps = paths(svg);
    // a loss (train, val), b loss (train, val), a accuracy, b r2, weights a, weights b
    expect(ps).toHaveLength(8);
    const ys = (i: number) => ps[i][0].map((p) => p[1]);
    const xs = (i: number) => ps[i][0].map((p) => p[0]);
    expect(ps[0][0]).toHaveLength(3);
    const [y0, y1, y2] = ys(0);  // train loss 2, 1, 0.5: SVG y grows downwards
    expect(y0).toBeLessThan(y1);
    expect(y1).toBeLessThan(y2);
    // equal steps in loss are equal steps on the axis: (2 -> 1) is twice (1 -> 0.5)
    expect((y1 - y0) / (y2 - y1)).toBeCloseTo(2, 1);
    expect(xs(0)[1] - xs(0)[0]).toBeCloseTo(xs(0)[2] - xs(0)[1], 0);
    const [a0, , a2] = ys(4);  // accuracy rises: drawn higher
    expect(a2).toBeLessThan(a0);
    expect(svg).toContain('stroke-dasharray="6 4"');  // validation dashed
    expect(svg.match(/<circle /g)).toHaveLength(8 * 3);
  });

  it("a chosen metric, per task or for all; a missing value leaves a gap", () => {
    const h2 = h.map((e) => ({ ...e, validation: { a: { ...e.validation!.a, f1: 0.5 }, b: { ...e.validation!.b, f1: 0.4 } } }));
    expect(plotHistory(h2, { metric: "f1" })).toContain(">a · f1 (validation)<");
    expect(plotHistory(h2, { metric: { b: "loss" } })).toContain(">b · loss (validation)<");
    const gap = [h[0], log(1, { a: Number.NaN, b: 0.4 }, {}), h[2]];
    const ps = paths(plotHistory(gap));
    expect(ps[0]).toHaveLength(2);  // a's train loss: two segments around the NaN
    expect(ps[0].map((s) => s.length)).toEqual([1, 1]);
  });

  it("history without validation: loss and weights only; task names are escaped", () => {
    const svg = plotHistory([log(0, { "<x&y>": 1 }, { "<x&y>": 1 }), log(1, { "<x&y>": 0.5 }, { "<x&y>": 1 })], { title: "a \"title\"" });
    expect(svg).toContain("&#60;x&#38;y&#62; · loss");
    expect(svg).not.toContain("<x&y>");
    expect(svg).toContain("a &#34;title&#34;");
    expect(svg).not.toContain("(validation)");
    expect(paths(svg)).toHaveLength(2);  // one loss, one weight; the constant weight still gets a range
  });

  it("ConflictMonitor's diagnostics become a heat map: a row per task pair, a cell per epoch, red where gradients conflict", () => {
    const nan = Number.NaN;
    const conflicts = (cosAB: number, cosAC: number, cosBC: number, rateAB: number) => ({
      conflicts: {
        epoch: 0, tasks: ["a", "b", "c"], steps: 4,
        cosine: [[1, cosAB, cosAC], [cosAB, 1, cosBC], [cosAC, cosBC, 1]],
        conflictRate: [[0, rateAB, 0], [rateAB, 0, 0], [0, 0, 0]],
        magnitudeRatio: [[1, 1, 1], [1, 1, 1], [1, 1, 1]],
      },
    });
    const hc = [
      { ...log(0, { a: 1, b: 1, c: 1 }, {}), diagnostics: conflicts(-0.8, 0.9, nan, 0.75) },
      log(1, { a: 0.9, b: 0.9, c: 0.9 }, {}),  // an epoch the monitor did not report
      { ...log(2, { a: 0.8, b: 0.8, c: 0.8 }, {}), diagnostics: conflicts(0.1, 0.2, -0.3, 0.25) },
    ];
    const svg = plotHistory(hc);
    expect(svg).toContain(">gradient conflict · cosine per task pair<");
    for (const p of ["a × b", "a × c", "b × c"]) expect(svg).toContain(`>${p}<`);
    const cells = [...svg.matchAll(/<rect class="conflict" x="([\d.]+)" y="([\d.]+)"[^>]* fill="#([0-9a-f]{6})"[^>]*><title>([^<]*)<\/title>/g)]
      .map((m) => ({ x: Number(m[1]), y: Number(m[2]), rgb: [0, 2, 4].map((k) => parseInt(m[3].slice(k, k + 2), 16)), tip: m[4] }));
    expect(cells).toHaveLength(3 * 3);
    const at = (pair: number, epoch: number) => cells[pair * 3 + epoch];
    // a × b at epoch 1: cos -0.8, red; a × c: +0.9, blue; b × c never met (NaN) and epoch 2 unreported: grey
    expect(at(0, 0).rgb[0]).toBeGreaterThan(at(0, 0).rgb[2] + 100);
    expect(at(1, 0).rgb[2]).toBeGreaterThan(at(1, 0).rgb[0] + 100);
    expect(at(2, 0).rgb).toEqual([0xdd, 0xdd, 0xdd]);
    for (let p = 0; p < 3; p++) expect(at(p, 1).rgb).toEqual([0xdd, 0xdd, 0xdd]);
    // the stronger the conflict, the deeper the red: -0.8 deeper than -0.3
    expect(at(0, 0).rgb[1]).toBeLessThan(at(2, 2).rgb[1]);
    expect(at(0, 0).tip).toBe("a × b, epoch 1: cosine -0.800, conflicting in 75% of steps");
    expect(at(2, 1).tip).toBe("b × c, epoch 2: not measured");
    // epochs left to right, pairs top to bottom
    expect(at(0, 1).x).toBeGreaterThan(at(0, 0).x);
    expect(at(1, 0).y).toBeGreaterThan(at(0, 0).y);
    expect(plotHistory(h)).not.toContain("gradient conflict");  // no diagnostics, no heat map
  });

  it("bad input is named", () => {
    expect(() => plotHistory([])).toThrow(/history must be a non-empty array/);
    expect(() => plotHistory([{ epoch: 0 } as EpochLogs])).toThrow(/history\[0\] is not an epoch log/);
    expect(() => plotHistory(h, { metrc: "f1" } as never)).toThrow(/unknown option "metrc"/);
    expect(() => plotHistory(h, { metric: "auc" })).toThrow(/task "a" has no validation metric "auc" \(it has: loss, accuracy\)/);
    expect(() => plotHistory(h, { metric: { c: "auc" } })).toThrow(/metric names task "c"/);
    expect(() => plotHistory(h, { columns: 0 })).toThrow(/columns must be a number >= 1/);
    expect(() => plotHistory(h, { panelWidth: Number.NaN })).toThrow(/panelWidth must be a number/);
  });

  it("polyhead/node writes it to a file (directories made) and returns the absolute path", () => {
    const dir = mkdtempSync(join(tmpdir(), "polyhead-plot-"));
    const p = writeHistoryPlot(join(dir, "a/b/history.svg"), h, { title: "t" });
    expect(p).toBe(join(dir, "a/b/history.svg"));
    expect(readFileSync(p, "utf8")).toBe(plotHistory(h, { title: "t" }));
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("plotHistory in Chromium", () => {
  let history: EpochLogs[];
  beforeAll(async () => { history = await trainedHistory(); }, 60_000);

  it.skipIf(SKIP_BROWSER)("a real history renders as a strict SVG image with every series drawn (screenshot in test/output/)", async () => {
    const svg = plotHistory(history, { title: "polyhead: three tasks, uncertainty weighting, conflicts monitored" });
    mkdirSync(OUT, { recursive: true });
    writeFileSync(join(OUT, "plot-history.svg"), svg);
    const userDataDir = mkdtempSync(join(tmpdir(), "polyhead-plot-chromium-"));
    const browser = await puppeteer.launch({ browser: "chrome", executablePath: "/usr/bin/chromium", userDataDir, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
    try {
      const page = await browser.newPage();
      const [w, hgt] = /viewBox="0 0 (\d+) (\d+)"/.exec(svg)!.slice(1).map(Number);
      await page.setViewport({ width: w, height: hgt });
      // as an <img>: the strict XML parser, so a malformed document fails to load
      await page.setContent(`<body style="margin:0"><img id="p" src="data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}"></body>`);
      const r = await page.evaluate(async () => {
        const img = document.getElementById("p") as HTMLImageElement;
        await img.decode().catch(() => {});
        if (!img.naturalWidth) return { loaded: false, colours: {} };
        const c = document.createElement("canvas");
        c.width = img.naturalWidth; c.height = img.naturalHeight;
        const g = c.getContext("2d")!;
        g.drawImage(img, 0, 0);
        const d = g.getImageData(0, 0, c.width, c.height).data;
        const want: Record<string, number[]> = { kind: [0x00, 0x72, 0xb2], flag: [0xd5, 0x5e, 0x00], score: [0x00, 0x9e, 0x73] };
        const colours: Record<string, number> = {};
        for (const [k, [R, G, B]] of Object.entries(want)) {
          let n = 0;
          for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - R) < 24 && Math.abs(d[i + 1] - G) < 24 && Math.abs(d[i + 2] - B) < 24) n++;
          colours[k] = n;
        }
        return { loaded: true, w: img.naturalWidth, h: img.naturalHeight, colours };
      });
      expect(r.loaded, "Chromium could not load the SVG as an image (malformed XML?)").toBe(true);
      expect([r.w, r.h]).toEqual([w, hgt]);
      // each task's colour covers its lines and points in three panels: hundreds of pixels
      for (const [t, n] of Object.entries(r.colours)) expect(n, `pixels in ${t}'s colour`).toBeGreaterThan(300);
      // the conflict heat map: 3 task pairs x 8 epochs, each measured (not the grey of a missing cell)
      const cells = [...svg.matchAll(/<rect class="conflict"[^>]* fill="(#[0-9a-f]{6})"/g)].map((m) => m[1]);
      expect(cells).toHaveLength(3 * 8);
      expect(cells.filter((c) => c === "#dddddd")).toEqual([]);
      await page.screenshot({ path: join(OUT, "plot-history.png") });
    } finally {
      await browser.close();
      rmSync(userDataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
