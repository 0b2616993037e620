// Command-line runner of the identity workload for Node, Deno and Bun: prints the result
// as one JSON line. An optional argument names the entry to load (default dist/index.js,
// relative to the repository root). `node test/runtimes/run.mjs --write` instead
// regenerates test/runtimes/checksums.json; do that only when a kernel change is meant
// to alter results, and say so in the commit.
import { run } from "./workload.mjs";

const args = globalThis.Deno ? Deno.args : process.argv.slice(2);
const write = args.includes("--write");
const entry = args.find((a) => !a.startsWith("--"));
const result = await run(entry ? new URL(`../../${entry}`, import.meta.url) : undefined);

if (write) {
  const { writeFileSync } = await import("node:fs");
  const file = new URL("./checksums.json", import.meta.url);
  const pinned = { note: "FNV-1a 64 of each result's float32 bytes; regenerate with `npm run build && node test/runtimes/run.mjs --write`", generatedBy: result.runtime, checksums: result.checksums };
  writeFileSync(file, JSON.stringify(pinned, null, 2) + "\n");
  console.log(`wrote ${Object.keys(result.checksums).length} checksums to test/runtimes/checksums.json`);
} else {
  console.log(JSON.stringify(result));
}
