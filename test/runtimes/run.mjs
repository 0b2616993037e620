// Command-line runner of the identity workload for Node, Deno and Bun: prints the result
// as one JSON line. An optional argument names the entry to load (default dist/index.js,
// relative to the repository root). `node test/runtimes/run.mjs --write` adds the
// checksums that test/runtimes/checksums.json lacks (new workload entries) and refuses to
// change pinned ones; `--write --replace` rewrites them all: do that only when a kernel
// change is meant to alter results, and say so in the commit. `--threads` runs it on
// polyhead/threads (dist/threads.js) with 3 threads and every matmul split (minWork 0).
import { run, workload, BUNDLE_URL, IO_URL } from "./workload.mjs";

const args = globalThis.Deno ? Deno.args : process.argv.slice(2);
const write = args.includes("--write");
const entry = args.find((a) => !a.startsWith("--"));
const result = args.includes("--threads") ? await threaded() : await run(entry ? new URL(`../../${entry}`, import.meta.url) : undefined);

async function threaded() {
  const { initThreads, threadCount } = await import(new URL("../../dist/threads.js", import.meta.url));
  await initThreads({ threads: 3, minWork: 0 });
  if (threadCount() !== 3) throw new Error(`run.mjs --threads: the pool runs ${threadCount()} threads, not 3`);
  const ph = await import(BUNDLE_URL), io = await import(IO_URL), seq = await import(new URL("../../dist/seq.js", import.meta.url));
  return workload({ ...ph, init: async () => {} }, io, seq); // initThreads loaded the kernels
}

if (write) {
  const { readFileSync, writeFileSync } = await import("node:fs");
  const file = new URL("./checksums.json", import.meta.url);
  const pinned = JSON.parse(readFileSync(file, "utf8"));
  const changed = Object.keys(pinned.checksums).filter((k) => pinned.checksums[k] !== result.checksums[k]);
  if (changed.length && !args.includes("--replace")) {
    console.error(`run.mjs --write: ${changed.length} pinned checksums would change (${changed.slice(0, 5).join(", ")}${changed.length > 5 ? ", ..." : ""}); ` +
      "nothing written. Pass --replace as well if a kernel change is meant to alter results.");
    process.exit(1);
  }
  const base = args.includes("--replace") ? {} : pinned.checksums;
  const added = Object.keys(result.checksums).filter((k) => !(k in pinned.checksums));
  const checksums = { ...base, ...result.checksums };
  const out = { note: pinned.note, generatedBy: result.runtime, checksums };
  writeFileSync(file, JSON.stringify(out, null, 2) + "\n");
  // the MMoE file every runtime loads: written once (an empty fixture), never replaced silently
  const { MMOE_SAVED_BY_NODE } = await import("./mmoe-saved.mjs");
  if (!MMOE_SAVED_BY_NODE && result.mmoeSaved) {
    const fx = new URL("./mmoe-saved.mjs", import.meta.url);
    writeFileSync(fx, readFileSync(fx, "utf8").replace(/MMOE_SAVED_BY_NODE = "";/, `MMOE_SAVED_BY_NODE =\n  "${result.mmoeSaved}";`));
    console.log("wrote test/runtimes/mmoe-saved.mjs");
  }
  console.log(`wrote ${Object.keys(checksums).length} checksums to test/runtimes/checksums.json (${added.length} new, ${changed.length} changed)`);
} else {
  console.log(JSON.stringify(result));
}
