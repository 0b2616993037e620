// Bundles the edge example for workerd, as wrangler would for Cloudflare: worker.mjs, its
// model and polyhead's edge entry (with any shared chunks) into examples/edge/out/worker.js;
// the .wasm and the model archive stay modules of their own (config.capnp embeds
// dist/polyhead.wasm as a Wasm module and model.safetensors as a data module).
//   npm run build && node examples/edge/build.mjs && npx workerd serve examples/edge/config.capnp
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));

/** Bundle `entry` (an ES module) into `outfile`, leaving `./polyhead.wasm` and `./model.safetensors` imported (modules of their own). */
export async function bundleForWorkerd(entry, outfile) {
  await esbuild.build({
    entryPoints: [entry], outfile, bundle: true, format: "esm", platform: "neutral", target: "es2022",
    external: ["./polyhead.wasm", "./model.safetensors"], logLevel: "warning",
  });
  return outfile;
}

export const buildEdgeExample = () => bundleForWorkerd(join(here, "worker.mjs"), join(here, "out/worker.js"));

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(`edge: built ${await buildEdgeExample()}`);
