// Build: AssemblyScript kernels -> build/polyhead.wasm and its binding
// src/engine/kernels.generated.ts; esbuild -> dist/index.js (the universal ESM bundle, Wasm
// inlined), dist/edge.js (+ dist/polyhead.wasm, imported as a module), dist/node.js;
// tsc -> dist/types. Prints bundle sizes and fails past budget.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import * as esbuild from "esbuild";
import { writeKernelBinding } from "./binding.mjs";

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

const common = {
  bundle: true, format: "esm", target: "es2022", minify: true, sourcemap: false,
  legalComments: "none", absWorkingDir: root, logLevel: "warning",
};
await esbuild.build({ ...common, entryPoints: ["src/index.ts"], outfile: "dist/index.js", platform: "neutral", loader: { ".gz": "binary" } });
await esbuild.build({ ...common, entryPoints: ["src/edge.ts"], outfile: "dist/edge.js", platform: "neutral", external: ["./polyhead.wasm"] });
await esbuild.build({ ...common, entryPoints: ["src/node.ts"], outfile: "dist/node.js", platform: "node", loader: { ".gz": "binary" } });
copyFileSync(join(root, "build/polyhead.wasm"), join(root, "dist/polyhead.wasm"));
console.log("build: esbuild -> dist/index.js, dist/edge.js, dist/node.js");

step("tsc -> dist/types", () => {
  execFileSync(bin("tsc"), ["-p", "tsconfig.json"], { cwd: root, stdio: "inherit" });
  execFileSync(bin("tsc"), ["-p", "tsconfig.node.json"], { cwd: root, stdio: "inherit" });
});

const sizes = {};
for (const f of ["index.js", "edge.js", "node.js", "polyhead.wasm"]) {
  const buf = readFileSync(join(root, "dist", f));
  sizes[f] = { bytes: buf.length, gzip: gzipSync(buf, { level: 9 }).length };
  console.log(`build: dist/${f}: ${(buf.length / 1024).toFixed(1)} KB, ${(sizes[f].gzip / 1024).toFixed(1)} KB gzipped`);
}
writeFileSync(join(root, "dist/sizes.json"), JSON.stringify(sizes, null, 2));
if (sizes["index.js"].gzip > GZIP_BUDGET) {
  console.error(`build: dist/index.js is ${sizes["index.js"].gzip} bytes gzipped, over the ${GZIP_BUDGET}-byte budget`);
  process.exit(1);
}
