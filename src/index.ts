// The universal entry: the Wasm bytes are inlined (esbuild's binary loader), so one ESM
// file runs in Node, Deno, Bun, browsers and workers. No fs, fetch or import.meta here.
import wasmBytes from "../build/polyhead.wasm";
import { setWasmSource } from "./engine/engine.js";

setWasmSource(async () => wasmBytes);

export * from "./api.js";
