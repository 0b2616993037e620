// The universal entry: the Wasm kernels are inlined, gzipped (esbuild's binary loader;
// the runtime's DecompressionStream unpacks them), so one ESM file runs in Node, Deno,
// Bun, browsers and workers. No fs, fetch or import.meta here.
/**
 * The universal entry: tensors and autograd, layers, optimisers, multi-task tasks, architectures, weighting
 * and trainer, and data sets. Runs in Node, Deno, Bun, browsers and workers (`import { ... } from "polyhead"`).
 * The reference is in one section per family below; each names the runnable examples (in the repository's
 * `examples/`, copied beside these pages) that use it.
 * @categoryDescription Tensors
 * `Tensor`s live in Wasm memory; ops record a tape for `backward`/`gradients`; `scope(fn)` frees what `fn`
 * made (`.keep()` what should stay); seeded streams (`Rng`, `seed`) give the same bits in every runtime.
 * Runnable: [guide.mjs](../examples/guide.mjs) (section 1, tensors and autograd by hand).
 * @categoryDescription Layers
 * Modules with named parameters (`Linear`, `Sequential`, `Conv2d`, `Embedding`, norms) and their
 * functional forms. Runnable: [guide.mjs](../examples/guide.mjs) (section 6, layers and state dicts),
 * [mnist.mjs](../examples/mnist.mjs).
 * @categoryDescription Optimisers
 * `SGD`, `Adam`/`AdamW`, `RMSprop`, `Adagrad` over parameter groups, learning-rate schedules, gradient
 * clipping. Runnable: [guide.mjs](../examples/guide.mjs), [quickstart.mjs](../examples/quickstart.mjs).
 * @categoryDescription Multi-task
 * Tasks (`task`), shared-bottom and MMoE models, loss weighting (EW, static, UW, PCGrad), task schedules,
 * metrics and the `Trainer`. Runnable: [quickstart.mjs](../examples/quickstart.mjs),
 * [mnist.mjs](../examples/mnist.mjs), [census.mjs](../examples/census.mjs).
 * @categoryDescription Data
 * `MultiTaskDataset` (partial labels, masks, per-example weights), splits, batches, per-task sets and
 * streams. Runnable: [quickstart.mjs](../examples/quickstart.mjs), [census.mjs](../examples/census.mjs)
 * (CSV through `polyhead/tabular`).
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
