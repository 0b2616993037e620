// Build: AssemblyScript kernels -> build/polyhead.wasm and its binding
// src/engine/kernels.generated.ts; esbuild -> the package's entries (dist/index.js, Wasm
// inlined; dist/node.js; dist/edge.js + dist/polyhead.wasm, imported as a module; one per
// subpath family; dist/train-worker.js, the script polyhead/worker starts) sharing chunks;
// tsc -> dist/types. Prints sizes and fails past budget.
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import * as esbuild from "esbuild";
import { writeKernelBinding } from "./binding.mjs";
import { CORE, planCoreSplit, pointAtIndex } from "./core-split.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const GZIP_BUDGET = 60 * 1024;
const only = process.argv.includes("--wasm-only");

function step(what, fn) {
  const t = performance.now();
  fn();
  console.log(`build: ${what} (${Math.round(performance.now() - t)} ms)`);
}

step("asc -> build/polyhead.wasm", () => {
  execFileSync(bin("asc"), ["assembly/index.ts", "--config", "asconfig.json", "--target", "release"], { cwd: root, stdio: "inherit" });
  // the host's binding, from the declarations asc wrote beside the module
  writeKernelBinding(join(root, "build/polyhead.d.ts"), join(root, "src/engine/kernels.generated.ts"));
});
// The fast kernels (polyhead/fast): the same sources with relaxed SIMD on, which turns
// matmul's mul+add into relaxed_madd (assembly/kernels/matmul.ts); the default build is
// byte-for-byte what it is without this step.
step("asc -> build/polyhead-fast.wasm", () => {
  execFileSync(bin("asc"), ["assembly/index.ts", "--config", "asconfig.json", "--target", "release", "--enable", "relaxed-simd",
    "-o", "build/polyhead-fast.wasm", "--textFile", "build/polyhead-fast.wat"], { cwd: root, stdio: "inherit" });
});
// The threaded kernels (polyhead/threads): assembly/threads.ts (every kernel, plus matmul
// over a block of C and per-instance packing regions) on an imported shared memory, so one
// instance per thread can run on it. Imported memory starts zeroed (new WebAssembly.Memory),
// which spares the module its zero data segments.
const THREADED = ["assembly/threads.ts", "--config", "asconfig.json", "--target", "release", "--enable", "threads",
  "--importMemory", "--zeroFilledMemory", "--sharedMemory", "--maximumMemory", "65536"];
step("asc -> build/polyhead-threads.wasm", () => {
  execFileSync(bin("asc"), [...THREADED, "-o", "build/polyhead-threads.wasm", "--textFile", "build/polyhead-threads.wat"], { cwd: root, stdio: "inherit" });
});
// ... and with relaxed SIMD as well (polyhead/threads' `fast: true`): the fast build's
// matmul on every thread
step("asc -> build/polyhead-threads-fast.wasm", () => {
  // a text file of its own: asconfig.json's target would write build/polyhead.wat over the default build's
  execFileSync(bin("asc"), [...THREADED, "--enable", "relaxed-simd", "-o", "build/polyhead-threads-fast.wasm", "--textFile", "build/polyhead-threads-fast.wat"], { cwd: root, stdio: "inherit" });
});
// The scalar references of the SIMD kernels, for the kernel tests only (not shipped);
// a config of its own, since asconfig.json's entries would pull every kernel in.
step("asc -> build/polyhead-ref.wasm", () => {
  execFileSync(bin("asc"), ["--config", "build/asconfig.reference.json"], { cwd: root, stdio: "inherit" });
});
// The universal bundle inlines the kernels gzipped: base64 of the raw module gzips poorly,
// and the budget is for the gzipped bundle.
writeFileSync(join(root, "build/polyhead.wasm.gz"), gzipSync(readFileSync(join(root, "build/polyhead.wasm")), { level: 9 }));
if (only) process.exit(0);

rmSync(join(root, "dist"), { recursive: true, force: true });
mkdirSync(join(root, "dist"), { recursive: true });

// ------------------------------------------------------------------ entries
// One list, package.json "exports": "." (dist/index.js, Wasm inlined), "./node"
// (dist/node.js) and "./edge" (dist/edge.js, Wasm imported as a module) are fixed; every
// other "./<family>" is a subpath entry built from src/<family>/index.ts, into dist/<family>.js
// for the universal set and dist/edge/<family>.js for the edge set. Each set is one esbuild
// run with code splitting, so all its entries import one copy of the engine (shared chunks
// under dist/chunks/): a tensor from "polyhead" is the same kind of object in "polyhead/node".
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const FIXED = new Set([".", "./node", "./edge", "./polyhead.wasm"]);
const families = Object.keys(pkg.exports).filter((k) => !FIXED.has(k)).map((k) => k.slice(2));
for (const f of families) {
  const want = { types: `./dist/types/${f}/index.d.ts`, workerd: `./dist/edge/${f}.js`, "edge-light": `./dist/edge/${f}.js`, default: `./dist/${f}.js` };
  const problem = !/^[a-z][a-z0-9-]*$/.test(f) ? `"${f}" is not a lower-case family name`
    : !existsSync(join(root, `src/${f}/index.ts`)) ? `src/${f}/index.ts does not exist`
    : JSON.stringify(pkg.exports[`./${f}`]) !== JSON.stringify(want) ? `its entry must read ${JSON.stringify(want)} (conditions in this order)` : null;
  if (problem) {
    console.error(`build: package.json exports "./${f}": ${problem}`);
    process.exit(1);
  }
}

const common = {
  bundle: true, format: "esm", target: "es2022", minify: true, sourcemap: false,
  legalComments: "none", absWorkingDir: root, logLevel: "warning", platform: "neutral",
  splitting: true, outdir: "dist", metafile: true,
};
// The universal set: dist/index.js is one self-contained file; the other entries (polyhead/node,
// the families, the worker script) import the engine's modules from it (build/core-split.mjs),
// sharing chunks of their own among themselves. The engine-free families (they only make data
// or strings; test/bundle.test.ts holds the same list) bundle the few pure helpers they use.
const ENGINE_FREE = new Set(["plot", "tabular"]);
const uCommon = { ...common, external: ["node:*"], loader: { ".gz": "binary", ".wasm": "binary" } };
const familyEntries = (prefix) => Object.fromEntries(families.map((f) => [prefix + f, `src/${f}/index.ts`]));
// dist/node.js re-exports the universal entry itself (`export * from "./index.js"`, kept as an import)
const nodeImportsIndex = {
  name: "node-imports-index",
  setup(b) {
    b.onResolve({ filter: /^\.\/index\.js$/ }, (a) => (a.importer === join(root, "src/node.ts") ? { path: "./index.js", external: true } : undefined));
  },
};
const engineFree = new RegExp(`/src/(${[...ENGINE_FREE].join("|")})/`);
const others = { node: "src/node.ts", "train-worker": "src/worker/entry.ts", cli: "src/cli.ts", ...familyEntries("") };
const split = await planCoreSplit({ root, common: uCommon, entryPoints: others, plugins: [nodeImportsIndex], inline: (importer) => engineFree.test(importer) });
const indexEntry = {
  name: "index-entry",
  setup(b) {
    b.onResolve({ filter: /^polyhead-index$/ }, () => ({ path: "index", namespace: "polyhead-index" }));
    b.onLoad({ filter: /.*/, namespace: "polyhead-index" }, () => ({ contents: split.indexSource, resolveDir: root, loader: "js" }));
  },
};
const index = await esbuild.build({ ...uCommon, splitting: false, entryPoints: { index: "polyhead-index" }, plugins: [indexEntry] });
const universal = await esbuild.build({ ...uCommon, entryPoints: others, chunkNames: "chunks/[name]-[hash]", plugins: [nodeImportsIndex, split.proxy] });
// One engine per process: a core module in this build is a second copy of it, allowed only
// for the pure helpers the engine-free families reach without a proxy
{
  const ins = universal.metafile.inputs, free = new Set(), todo = Object.keys(ins).filter((p) => engineFree.test(join(root, p)));
  while (todo.length) { const p = todo.pop(); if (free.has(p)) continue; free.add(p); for (const i of ins[p]?.imports ?? []) if (!i.external) todo.push(i.path); }
  const twice = Object.keys(ins).filter((p) => split.core.has(join(root, p)) && !free.has(p));
  if (twice.length || free.has("src/engine/engine.ts")) {
    console.error(`build: the universal entries bundle core modules again instead of importing dist/index.js: ${(twice.length ? twice : ["src/engine/engine.ts"]).join(", ")}`);
    process.exit(1);
  }
}
pointAtIndex(root, Object.keys(universal.metafile.outputs));
const edge = await esbuild.build({
  ...common, entryPoints: { edge: "src/edge.ts", ...familyEntries("edge/") },
  chunkNames: "chunks/edge-[name]-[hash]", external: ["./polyhead.wasm"], loader: { ".wasm": "binary" },
});
copyFileSync(join(root, "build/polyhead.wasm"), join(root, "dist/polyhead.wasm"));
// the `polyhead` command (package.json "bin"): a script, so a shebang and the execute bit
writeFileSync(join(root, "dist/cli.js"), `#!/usr/bin/env node\n${readFileSync(join(root, "dist/cli.js"), "utf8")}`);
chmodSync(join(root, "dist/cli.js"), 0o755);
const outputs = { ...index.metafile.outputs, ...universal.metafile.outputs, ...edge.metafile.outputs };
if (!universal.metafile.outputs["dist/node.js"].imports.some((i) => i.path === "./index.js" && i.external)) {
  console.error("build: dist/node.js does not import ./index.js");
  process.exit(1);
}
// "./polyhead.wasm" and "./index.js" resolve beside the file that imports them: only
// dist/edge.js may import the first, only dist/node.js the second
for (const [file, out] of Object.entries(outputs)) {
  if (file !== "dist/edge.js" && out.imports.some((i) => i.path === "./polyhead.wasm")) {
    console.error(`build: ${file} imports ./polyhead.wasm; only dist/edge.js sits beside it`);
    process.exit(1);
  }
  if (file !== "dist/node.js" && out.imports.some((i) => i.path === "./index.js" && i.external)) {
    console.error(`build: ${file} imports ./index.js as external; only dist/node.js may`);
    process.exit(1);
  }
}
console.log(`build: esbuild -> dist/index.js, dist/node.js, dist/edge.js${families.map((f) => `, dist/${f}.js, dist/edge/${f}.js`).join("")} (+ ${Object.keys(outputs).filter((f) => f.startsWith("dist/chunks/")).length} shared chunks)`);

step("tsc -> dist/types", () => {
  execFileSync(bin("tsc"), ["-p", "tsconfig.json"], { cwd: root, stdio: "inherit" });
  execFileSync(bin("tsc"), ["-p", "tsconfig.node.json"], { cwd: root, stdio: "inherit" });
});

// ------------------------------------------------------------------ sizes
// What loading an entry costs: the entry plus every chunk it imports statically (each
// gzipped on its own, as a server sends them), dist/index.js included for the universal
// entries that import the engine from it. The universal entry has a budget.
function closure(file, seen = new Set()) {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const i of outputs[file].imports) {
    if (i.kind !== "import-statement") continue;
    if (!i.external) closure(i.path, seen);
    else if (i.path === CORE || (file === "dist/node.js" && i.path === "./index.js")) closure("dist/index.js", seen);
  }
  return seen;
}
const sizes = {};
for (const file of Object.keys(outputs).filter((f) => !f.startsWith("dist/chunks/")).sort()) {
  const files = [...closure(file)].sort();
  let bytes = 0, gzip = 0;
  for (const f of files) { const buf = readFileSync(join(root, f)); bytes += buf.length; gzip += gzipSync(buf, { level: 9 }).length; }
  const name = file.slice("dist/".length);
  sizes[name] = { bytes, gzip, files: files.map((f) => f.slice("dist/".length)) };
  console.log(`build: dist/${name} + ${files.length - 1} chunks: ${(bytes / 1024).toFixed(1)} KB, ${(gzip / 1024).toFixed(1)} KB gzipped`);
}
const wasm = readFileSync(join(root, "dist/polyhead.wasm"));
sizes["polyhead.wasm"] = { bytes: wasm.length, gzip: gzipSync(wasm, { level: 9 }).length, files: ["polyhead.wasm"] };
writeFileSync(join(root, "dist/sizes.json"), JSON.stringify(sizes, null, 2));
if (sizes["index.js"].files.length !== 1) {
  console.error(`build: dist/index.js imports other files (${sizes["index.js"].files.join(", ")}); it must be self-contained`);
  process.exit(1);
}
console.log(`build: dist/index.js exports ${split.privates} private names for the other entries (${split.pairs} core imports)`);
if (sizes["index.js"].gzip > GZIP_BUDGET) {
  console.error(`build: dist/index.js and its chunks are ${sizes["index.js"].gzip} bytes gzipped, over the ${GZIP_BUDGET}-byte budget`);
  process.exit(1);
}
