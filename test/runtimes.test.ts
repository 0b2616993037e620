// Cross-runtime identity: the workload in test/runtimes/ must give bit-identical results
// in Node (in process), Deno, Bun and the edge entry, and match the pinned checksums.
// Uses the built dist/ (`npm test` builds first); spawns the runtimes from node_modules.
import { describe, it, expect, beforeAll } from "vitest";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { nodeResult, expectSameChecksums, type WorkloadResult } from "./runtimes/compare.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = (name: string) => `${root}node_modules/.bin/${name}`;
const RUNNER = "test/runtimes/run.mjs";

/** Run a command in the repo root and parse the JSON line the runner prints. */
function runJson(cmd: string, args: string[]): Promise<WorkloadResult> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd: root, timeout: 60_000, maxBuffer: 8 << 20, env: { ...process.env, NO_COLOR: "1" } }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${cmd} ${args.join(" ")} failed: ${err.message}\n${stderr}`));
      const line = stdout.trim().split("\n").pop() ?? "";
      try { resolve(JSON.parse(line)); } catch { reject(new Error(`${cmd}: no JSON result on stdout:\n${stdout}\n${stderr}`)); }
    });
  });
}

let node: WorkloadResult;
beforeAll(async () => { node = await nodeResult(); });

describe("cross-runtime identity", () => {
  it("node reproduces the pinned checksums (test/runtimes/checksums.json)", () => {
    const pinned = JSON.parse(readFileSync(`${root}test/runtimes/checksums.json`, "utf8"));
    expectSameChecksums(node.checksums, pinned.checksums, "node vs test/runtimes/checksums.json",
      "if a kernel change is meant to alter results, regenerate with `npm run build && node test/runtimes/run.mjs --write` and say why in the commit");
  });

  it("the MLP trains (loss falls every step)", () => {
    expect(node.losses.length).toBe(6);
    for (let i = 1; i < node.losses.length; i++) expect(node.losses[i]).toBeLessThan(node.losses[i - 1]);
  });

  it("deno gives node's checksums", async () => {
    const r = await runJson(bin("deno"), ["run", "--allow-read", RUNNER]);
    expect(r.runtime).toMatch(/^deno /);
    expectSameChecksums(r.checksums, node.checksums, r.runtime);
  });

  it("bun gives node's checksums", async () => {
    const r = await runJson(bin("bun"), [RUNNER]);
    expect(r.runtime).toMatch(/^bun /);
    expectSameChecksums(r.checksums, node.checksums, r.runtime);
  });

  it("node in a child process (the runner) gives the in-process checksums", async () => {
    const r = await runJson(process.execPath, [RUNNER]);
    expectSameChecksums(r.checksums, node.checksums, `${r.runtime} (child)`);
  });

  // No runtime here loads a workerd-style `import m from "./x.wasm"` (see edge-shim.mjs),
  // so Node runs dist/edge.js unmodified behind a loader hook that gives it that meaning.
  it("dist/edge.js (Wasm imported as a module, via the edge shim) gives node's checksums", async () => {
    const r = await runJson(process.execPath, ["--import", "./test/runtimes/edge-shim.mjs", RUNNER, "dist/edge.js"]);
    expectSameChecksums(r.checksums, node.checksums, `${r.runtime} dist/edge.js`);
  });

  it("the edge shim refuses Wasm from bytes (dist/index.js fails under it)", async () => {
    await expect(runJson(process.execPath, ["--import", "./test/runtimes/edge-shim.mjs", RUNNER, "dist/index.js"]))
      .rejects.toThrow(/edge runtimes refuse to compile Wasm/);
  });
});
