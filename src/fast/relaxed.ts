// Relaxed SIMD, for both ways into fast mode (polyhead/fast's initFast(), polyhead/threads'
// initThreads({ fast: true })): the probe each checks before loading its relaxed build, and
// the one flag saying that a relaxed build was loaded. Its own module, so that neither entry
// bundles the other's Wasm to reach them, and both answer fastModeActive() alike.

// Three v128.const, f32x4.relaxed_madd, drop: validates only where relaxed SIMD is on.
const RELAXED_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 62, 1, 60, 0,
  ...[0, 1, 2].flatMap(() => [253, 12, ...new Array<number>(16).fill(0)]), 253, 133, 2, 26, 11]);

/** True where WebAssembly relaxed SIMD is on (Chrome 114+, Node 22+, Deno; Node 20 with --experimental-wasm-relaxed-simd). */
export function relaxedSimdSupported(): boolean {
  return typeof WebAssembly === "object" && WebAssembly.validate(RELAXED_PROBE);
}

let active = false;

/**
 * True when the kernels loaded are a fast (relaxed-SIMD) build: polyhead/fast's after
 * `initFast()`, or the threaded one after `initThreads({ fast: true })`; false with the
 * default kernels (the same bits on every machine), including where fast mode was asked
 * for and the runtime lacks relaxed SIMD. polyhead/fast and polyhead/threads export this
 * same function.
 * @example
 * const bits = fastModeActive() ? "this machine's fused multiply-add" : "the same on every machine";
 */
export function fastModeActive(): boolean { return active; }

/** @internal The entry that loaded a relaxed build says so (once per process: the kernels are chosen once). */
export function markFastMode(): void { active = true; }
