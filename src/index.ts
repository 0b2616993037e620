// The universal entry: the Wasm kernels are inlined, gzipped (esbuild's binary loader;
// the runtime's DecompressionStream unpacks them), so one ESM file runs in Node, Deno,
// Bun, browsers and workers. No fs, fetch or import.meta here.
/**
 * The universal entry: tensors and autograd, layers, optimisers, multi-task tasks, architectures, weighting
 * and trainer, and data sets. Runs in Node, Deno, Bun, browsers and workers (`import { ... } from "polyhead"`).
 * Runnable examples: examples/quickstart.mjs, examples/guide.mjs, examples/mnist.mjs in the repository.
 * @module polyhead
 */
import packed from "../build/polyhead.wasm.gz";
import { setWasmSource } from "./engine/engine.js";

async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  if (typeof DecompressionStream !== "function") {
    throw new Error("polyhead: this runtime lacks DecompressionStream, needed to unpack the inlined kernels; " +
      "load dist/polyhead.wasm yourself through the polyhead/edge entry instead");
  }
  const reader = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream("gzip")).getReader();
  const chunks: Uint8Array[] = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    n += value.length;
  }
  const out = new Uint8Array(n);
  let off = 0;
  for (const c of chunks) { out.set(c, off); off += c.length; }
  return out;
}

setWasmSource(() => gunzip(packed));

export * from "./api.js";
