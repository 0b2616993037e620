// polyhead/fast: the fast kernels, a second Wasm build whose matmul uses relaxed SIMD's
// fused multiply-add (build/polyhead-fast.wasm, inlined here). `initFast()` in place of
// `init()` loads them where the runtime validates relaxed SIMD, and says once why not
// elsewhere (the default kernels run). Nothing of it is in the universal bundle (its 60 KB
// budget). Not bit-identical across machines: FMA rounds once where mul then add rounds
// twice, and relaxed SIMD lets each runtime pick either.
// @example
// import { initFast, fastModeActive } from "polyhead/fast";
// await initFast();
/**
 * The fast kernels (relaxed-SIMD fused multiply-add in matmul): `initFast()` in place of
 * `init()`, falling back to the default kernels with one warning where the runtime lacks them.
 * Not bit-identical across machines.
 * @module polyhead/fast
 */
import bytes from "../../build/polyhead-fast.wasm";
import { init, isReady, setWasmSource, type InitOptions } from "../engine/engine.js";
import { markFastMode, relaxedSimdSupported } from "./relaxed.js";

export { relaxedSimdSupported, fastModeActive } from "./relaxed.js";

let chosen = false;  // an initFast() picked the kernels (fast or, failing that, default)

/**
 * `init(options)` with the fast kernels where this runtime runs them (relaxed SIMD, and Wasm
 * compiled from bytes: not workerd); elsewhere it warns once and loads the default kernels.
 * Call it first: the kernels are chosen once per process.
 */
export async function initFast(options: InitOptions = {}): Promise<void> {
  if (isReady() && !chosen) throw new Error("initFast: polyhead's kernels were already chosen (by init(), initFast() or initThreads(), whichever ran first); they are chosen once per process");
  if (!isReady()) {
    let mod: WebAssembly.Module | null = null;
    if (!relaxedSimdSupported()) console.warn("polyhead: initFast: this runtime lacks WebAssembly relaxed SIMD; running the default kernels");
    else {
      try { mod = await WebAssembly.compile(bytes as BufferSource); } catch (e) {  // workerd and some edge runtimes compile no Wasm from bytes
        console.warn(`polyhead: initFast: the fast kernels did not compile here (${(e as Error).message}); running the default kernels`);
      }
    }
    if (mod && !isReady()) { const m = mod; setWasmSource(async () => m); markFastMode(); }
    chosen = true;
  }
  await init(options);
}
