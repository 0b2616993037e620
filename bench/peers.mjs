// The peers' shared pieces for the training benches (bench/train.mjs and
// bench/train-transformer.mjs): TensorFlow.js loaded once per process (two copies would
// register every kernel twice) and its backends, and jax-js's Adam update.
import { createRequire } from "node:module";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
let loaded = null;

/**
 * TensorFlow.js as an application gets it from a bundler: tfjs-core with its gradients
 * and chained ops registered (what the @tensorflow/tfjs package adds; tfjs-core's Node
 * build registers no gradients, so optimizer.minimize fails on it alone) plus the cpu and
 * wasm backends, from their ES module builds, one copy of the core. Bundled here with
 * esbuild into a temporary CommonJS file and required (about a second).
 */
export function loadTfjs() {
  loaded ??= bundle();
  return loaded;
}

async function bundle() {
  const dir = mkdtempSync(path.join(os.tmpdir(), "polyhead-bench-"));
  const file = path.join(dir, "tfjs.cjs");
  try {
    await esbuild.build({
      stdin: {
        contents: [
          'export * from "@tensorflow/tfjs-core";',
          'import "@tensorflow/tfjs-core/dist/register_all_gradients";',
          'import "@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops";',
          'import "@tensorflow/tfjs-backend-cpu";',
          'export { setWasmPaths, setThreadsCount } from "@tensorflow/tfjs-backend-wasm";',
        ].join("\n"),
        resolveDir: here, loader: "js",
      },
      bundle: true, format: "cjs", platform: "node", mainFields: ["module", "main"], outfile: file, logLevel: "error",
    });
    return require(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let wasmReady = false;
/** Switch tfjs to backend `name` ("cpu" or "wasm": one thread, SIMD required). */
export async function useBackend(tf, name) {
  if (name === "wasm" && !wasmReady) {
    // the .wasm files from node_modules (a directory path with a trailing slash works in Node)
    tf.setWasmPaths(path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")) + "/dist/");
    tf.setThreadsCount(1);
    wasmReady = true;
  }
  if (!(await tf.setBackend(name))) throw new Error(`tfjs: backend "${name}" failed to initialise`);
  if (name === "wasm") {
    // Node has no SharedArrayBuffer-backed workers for tfjs: the single-threaded SIMD binary is what loads
    if (!tf.env().getBool("WASM_HAS_SIMD_SUPPORT")) throw new Error("tfjs-wasm: SIMD not available");
  }
}

/**
 * torch.optim.Adam's update over jax-js parameter trees, inside a jit-compiled step:
 * p -= stepSize * m / (sqrt(v) / bc2Sqrt + eps). Consumes p, m, v, g, stepSize and bc2Sqrt
 * (jax-js arrays are reference-counted); returns the new [p, m, v] trees.
 */
export function jaxAdam(np, tree, p, m, v, g, stepSize, bc2Sqrt, { beta1, beta2, eps }) {
  const [ps, def] = tree.flatten(p), ms = tree.leaves(m), vs = tree.leaves(v), gs = tree.leaves(g);
  const P = [], M = [], V = [];
  ps.forEach((pi, i) => {
    const gi = gs[i];
    const mi = ms[i].mul(beta1).add(gi.ref.mul(1 - beta1));
    const vi = vs[i].mul(beta2).add(gi.ref.mul(gi).mul(1 - beta2));
    P.push(pi.sub(mi.ref.mul(stepSize.ref).div(np.sqrt(vi.ref).div(bc2Sqrt.ref).add(eps))));
    M.push(mi); V.push(vi);
  });
  stepSize.dispose(); bc2Sqrt.dispose();
  return [tree.unflatten(def, P), tree.unflatten(def, M), tree.unflatten(def, V)];
}
