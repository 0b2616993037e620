// Tests import src/ directly; .wasm imports become the built module's bytes, as
// esbuild's binary loader does for the bundle. `npm test` builds first.
import { defineConfig } from "vitest/config";
import { readFileSync } from "node:fs";

export default defineConfig({
  plugins: [{
    name: "wasm-bytes",
    enforce: "pre",
    load(id) {
      if (!id.endsWith(".wasm") && !id.endsWith(".wasm.gz")) return null;
      const b64 = readFileSync(id).toString("base64");
      return `const s = ${JSON.stringify(b64)}; const b = typeof Buffer !== "undefined" ? Buffer.from(s, "base64") : Uint8Array.from(atob(s), c => c.charCodeAt(0)); export default new Uint8Array(b.buffer, b.byteOffset, b.length);`;
    },
  }],
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60000,
    pool: "forks",
    // test/gc.test.ts checks that unscoped tensors are reclaimed after garbage collection
    execArgv: ["--expose-gc"],
  },
});
