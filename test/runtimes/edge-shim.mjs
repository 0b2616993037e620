// Node stand-in for an edge runtime's module loader (workerd, Vercel edge), preloaded
// with `node --import ./test/runtimes/edge-shim.mjs`. There `import m from "./x.wasm"`
// gives a compiled WebAssembly.Module and compiling Wasm from bytes is refused. Node 20
// (--experimental-wasm-modules) and Deno 2 instead follow the ESM-integration proposal
// (the import is the instance's exports, no default), and Bun rejects it, so no runtime
// here loads dist/edge.js as is. This hook gives .wasm imports workerd's meaning, and
// WebAssembly.instantiate/compile reject bytes, so the test proves edge.js never needs them.
import { register } from "node:module";

/** Hook (runs on Node's loader thread): a .wasm import becomes `export default <Module>`. */
export async function load(url, context, nextLoad) {
  if (!url.endsWith(".wasm")) return nextLoad(url, context);
  const source = `import { readFileSync } from "node:fs";\n` +
    `export default new WebAssembly.Module(readFileSync(new URL(${JSON.stringify(url)})));\n`;
  return { format: "module", source, shortCircuit: true };
}

// On the main thread (the preload) only: install the hook and forbid compiling bytes.
if (!import.meta.url.endsWith("?hook")) {
  register(import.meta.url + "?hook");
  const refuse = (name, orig) => function (src, ...rest) {
    if (!(src instanceof WebAssembly.Module)) {
      return Promise.reject(new Error(`edge-shim: WebAssembly.${name} was given bytes; edge runtimes refuse to compile Wasm at run time`));
    }
    return orig.call(this, src, ...rest);
  };
  WebAssembly.instantiate = refuse("instantiate", WebAssembly.instantiate);
  WebAssembly.compile = refuse("compile", WebAssembly.compile);
}
