// The edge entry (workerd / Cloudflare, Vercel edge): those runtimes refuse to compile
// Wasm from bytes, so the module is imported precompiled from polyhead.wasm beside it.
// @ts-ignore -- resolved at bundle time: dist/polyhead.wasm, imported as a WebAssembly.Module
import wasmModule from "./polyhead.wasm";
import { setWasmSource } from "./engine/engine.js";

setWasmSource(async () => wasmModule as WebAssembly.Module);

export * from "./api.js";
