// Bundle checks: the universal bundle stays platform-neutral and under its size budget,
// the package's exports resolve, and src/ keeps to the determinism and platform rules
// (no Node APIs outside src/node.ts; no transcendental JS Math anywhere).
import { describe, it, expect } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = fileURLToPath(new URL("..", import.meta.url));
const read = (p: string) => readFileSync(join(root, p), "utf8");
const GZIP_BUDGET = 60 * 1024;

/** Code with comments blanked out (strings kept: they are code too). */
function stripComments(src: string): string {
  let out = "", i = 0;
  while (i < src.length) {
    const c = src[i], d = src[i + 1];
    if (c === "/" && d === "/") { while (i < src.length && src[i] !== "\n") i++; continue; }
    if (c === "/" && d === "*") { const e = src.indexOf("*/", i + 2); i = e < 0 ? src.length : e + 2; out += " "; continue; }
    if (c === '"' || c === "'" || c === "`") {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === "\\" ? 2 : 1;
      out += src.slice(i, j + 1); i = j + 1; continue;
    }
    out += c; i++;
  }
  return out;
}

/** Each `pattern` hit as "file:line: text", over .ts files under src/ except `skip`. */
function findInSrc(pattern: RegExp, skip: string[] = []): string[] {
  const hits: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) { walk(p); continue; }
      const rel = relative(root, p);
      if (!rel.endsWith(".ts") || skip.includes(rel)) continue;
      stripComments(readFileSync(p, "utf8")).split("\n").forEach((line, n) => {
        if (pattern.test(line)) hits.push(`${rel}:${n + 1}: ${line.trim()}`);
      });
    }
  };
  walk(join(root, "src"));
  return hits;
}

/** An output file of dist/ and every file it imports statically, read from the code itself. */
function staticClosure(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  // minified static imports and re-exports: `import{a as b}from"./x.js"`, `import"./x.js"`, `export*from"./x.js"`
  for (const m of read(join("dist", file)).matchAll(/(?:\bfrom|\bimport)\s*["'](\.{1,2}\/[^"']+\.js)["']/g)) {
    staticClosure(relative(join(root, "dist"), join(root, "dist", file, "..", m[1])), seen);
  }
  return seen;
}

describe("dist/index.js (the universal bundle), one self-contained file", () => {
  const files = [...staticClosure("index.js")];
  const code = files.map((f) => read(join("dist", f))).join("\n");
  for (const [what, re] of [
    ["import.meta", /import\.meta/], ["require(", /\brequire\s*\(/], ["node: imports", /["'`]node:/], ["fetch(", /\bfetch\s*\(/],
  ] as const) {
    it(`has no ${what}`, () => {
      const m = re.exec(code);
      expect(m ? code.slice(Math.max(0, m.index - 60), m.index + 60) : null, `dist/index.js or a chunk it imports contains ${what}`).toBeNull();
    });
  }

  it(`is at most ${GZIP_BUDGET / 1024} KiB gzipped with every chunk it imports, and dist/sizes.json agrees`, () => {
    expect(files, "dist/index.js imports no other file").toEqual(["index.js"]);
    const gz = files.reduce((n, f) => n + gzipSync(readFileSync(join(root, "dist", f)), { level: 9 }).length, 0);
    expect(gz, `dist/index.js and its chunks are ${gz} bytes gzipped`).toBeLessThanOrEqual(GZIP_BUDGET);
    const recorded = JSON.parse(read("dist/sizes.json"))["index.js"];
    expect(recorded.gzip).toBe(gz);
    expect([...recorded.files].sort()).toEqual([...files].sort());
  });
});

describe("package entry points", () => {
  const pkg = JSON.parse(read("package.json"));

  it("every exports / main / types target exists", () => {
    const targets: string[] = [pkg.main, pkg.types];
    const walk = (v: unknown): void => {
      if (typeof v === "string") targets.push(v);
      else if (v && typeof v === "object") Object.values(v).forEach(walk);
    };
    walk(pkg.exports);
    const missing = targets.filter((t) => !existsSync(join(root, t)));
    expect(targets.length).toBeGreaterThan(8);
    expect(missing, "package.json points at files the build did not make").toEqual([]);
  });

  it("each platform set holds one copy of the engine, and every entry of the set imports it (the engine-free families none)", () => {
    const FIXED = new Set([".", "./node", "./edge", "./polyhead.wasm"]);
    const families = Object.keys(pkg.exports).filter((k) => !FIXED.has(k)).map((k) => k.slice(2));
    const sets = {
      universal: ["index.js", "node.js", ...families.map((f) => `${f}.js`)],
      edge: ["edge.js", ...families.map((f) => `edge/${f}.js`)],
    };
    const all: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(join(root, "dist", dir), { withFileTypes: true })) {
        if (e.isDirectory() && e.name !== "types") walk(join(dir, e.name));
        else if (e.name.endsWith(".js")) all.push(join(dir, e.name));
      }
    };
    walk("");
    // a string only the engine module holds
    const engines = all.filter((f) => read(join("dist", f)).includes("no Wasm source set"));
    expect(engines.length, `files defining the engine: ${engines.join(", ")}`).toBe(2);
    // families that only make data or strings carry no engine at all (their own tests check it too)
    const ENGINE_FREE = new Set(["plot", "tabular"]);
    for (const [set, entries] of Object.entries(sets)) {
      for (const e of entries) {
        const mine = [...staticClosure(e)].filter((f) => engines.includes(f));
        const free = ENGINE_FREE.has(e.replace(/^edge\//, "").replace(/\.js$/, ""));
        expect(mine.length, `${set} entry dist/${e} loads ${mine.length} engines`).toBe(free ? 0 : 1);
        if (free) continue;
        expect(mine[0], `dist/${e}`).toBe([...staticClosure(sets[set as keyof typeof sets][0])].find((f) => engines.includes(f)));
      }
    }
  });

  it("polyhead and polyhead/node in one process share one engine: a tensor of one is an operand of the other", () => {
    const script = `
      const ph = await import("polyhead");
      const node = await import("polyhead/node");
      await ph.init();
      const a = ph.tensor([1, 2, 3]);
      console.log(JSON.stringify({ sum: Array.from(node.add(a, a).data()), sameClass: ph.Tensor === node.Tensor,
        ready: node.memoryStats().liveAllocations > 0 }));`;
    const r = JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, encoding: "utf8" }));
    expect(r).toEqual({ sum: [2, 4, 6], sameClass: true, ready: true });
  });

  // A child Node process, so the import goes through Node's own resolver (not vitest's).
  it('import("polyhead") (package self-reference) works from Node, and conditions pick the right file', () => {
    const script = `
      const ph = await import("polyhead");
      await ph.init();
      const s = ph.sum(ph.tensor([1, 2, 3])).item();
      const node = await import("polyhead/node");
      console.log(JSON.stringify({ s, node: typeof node.init, index: import.meta.resolve("polyhead"),
        wasm: import.meta.resolve("polyhead/polyhead.wasm") }));`;
    const run = (args: string[]) => JSON.parse(execFileSync(process.execPath, [...args, "--input-type=module", "-e", script], { cwd: root, encoding: "utf8" }));
    const r = run([]);
    expect(r.s).toBe(6);
    expect(r.node).toBe("function");
    expect(r.index).toMatch(/\/dist\/index\.js$/);
    expect(r.wasm).toMatch(/\/dist\/polyhead\.wasm$/);
    const edge = execFileSync(process.execPath, ["--conditions=workerd", "--input-type=module", "-e",
      `console.log(import.meta.resolve("polyhead"))`], { cwd: root, encoding: "utf8" });
    expect(edge.trim()).toMatch(/\/dist\/edge\.js$/);
  });
});

describe("src/ rules", () => {
  // src/worker/platform.ts and src/threads/platform.ts pick node:worker_threads only where the runtime has no Web Worker
  it("no Node-only APIs outside src/node.ts, src/cli.ts (the polyhead command) and the two worker platform modules (process., require(, node:, Buffer)", () => {
    expect(findInSrc(/\bprocess\.|\brequire\s*\(|["'`]node:|\bBuffer\b/, ["src/node.ts", "src/cli.ts", "src/worker/platform.ts", "src/threads/platform.ts"])).toEqual([]);
  });

  it("no transcendental JS Math (results differ between engines; use the Wasm kernels)", () => {
    const fns = "exp|expm1|log|log1p|log2|log10|pow|sin|cos|tan|asin|acos|atan|atan2|sinh|cosh|tanh|asinh|acosh|atanh|cbrt|hypot|random";
    expect(findInSrc(new RegExp(`\\bMath\\.(${fns})\\b|\\*\\*`))).toEqual([]);
  });

  it("the layer rule: only engine/, ops/, autograd/ (tape and gradient rules), optim/ and tensor.ts touch kernels or memory", () => {
    // K() calls, pointers, whole-memory views, raw allocation: everything above goes through ops
    const below = ["src/engine/", "src/ops/", "src/autograd/", "src/optim/", "src/tensor.ts"];
    const hits = findInSrc(/\bK\(\)|\.ptr\b|\b[FIU]32\(\)|\balloc\(|\.memory\.buffer/);
    expect(hits.filter((h) => !below.some((d) => h.startsWith(d)))).toEqual([]);
    expect(hits.some((h) => h.startsWith("src/ops/"))).toBe(true); // the pattern does find them where they belong
  });

  it("the comment stripper keeps code and strings, drops comments", () => {
    expect(stripComments('a /* Math.exp */ b // Math.log\nc "// x" `/* y */`')).toBe('a   b \nc "// x" `/* y */`');
  });
});
