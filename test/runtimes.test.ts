// Cross-runtime identity: the workload in test/runtimes/ must give bit-identical results
// in Node (in process), Deno, Bun and real workerd (through dist/edge.js), and match the
// pinned checksums; that includes the trained MMoE's safetensors bytes (the same file in
// every runtime) and the predictions of Node's saved file loaded in each runtime. Uses the built dist/ (`npm test` builds first); spawns the runtimes
// from node_modules. test/runtimes/kernel-coverage.mjs checks the workload reaches every
// kernel. Browsers (Chromium, Firefox, WebKit) are in browsers.test.ts.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { nodeResult, expectSameChecksums, type WorkloadResult } from "./runtimes/compare.js";
// @ts-ignore -- plain ESM shared with every runtime
import { MMOE_SAVED_BY_NODE } from "./runtimes/mmoe-saved.mjs";
// @ts-ignore -- plain ESM shared with every runtime
import { fnv1a64, fromBase64 } from "./runtimes/workload.mjs";
import { startWorkerd, type Workerd } from "./runtimes/workerd.js";
// @ts-ignore -- plain ESM build helper of the edge example
import { bundleForWorkerd } from "../examples/edge/build.mjs";

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

  // polyhead/threads: 3 threads, every matmul split (test/threads.test.ts does Node in process)
  it("deno and bun on polyhead/threads (3 threads) give node's checksums", async () => {
    for (const [cmd, argv] of [[bin("deno"), ["run", "--allow-read", RUNNER, "--threads"]], [bin("bun"), [RUNNER, "--threads"]]] as const) {
      const r = await runJson(cmd, [...argv]);
      expectSameChecksums(r.checksums, node.checksums, `${r.runtime} on polyhead/threads`);
    }
  });

  it("node in a child process (the runner) gives the in-process checksums", async () => {
    const r = await runJson(process.execPath, [RUNNER]);
    expectSameChecksums(r.checksums, node.checksums, `${r.runtime} (child)`);
  });

  it("the workload reaches every kernel of polyhead.wasm but the scalar matmul reference and the unused axpby", async () => {
    const { kernels, uncalled } = await runJson(process.execPath, ["test/runtimes/kernel-coverage.mjs"]) as unknown as { kernels: string[]; uncalled: string[] };
    expect(kernels.length).toBeGreaterThan(90);
    // matmul_ref is what test/matmul.test.ts checks matmul against; no src/ code calls axpby
    expect(uncalled, "kernels no runtime is checked on: add them to moreKernels in test/runtimes/workload.mjs").toEqual(["axpby", "matmul_ref"]);
  });

  it("save -> load: Node's saved MMoE (the committed file, byte for byte what Node saves now) loads into a fresh model that predicts the trained bits", () => {
    const bytes = fromBase64(MMOE_SAVED_BY_NODE) as Uint8Array;
    expect(`[${bytes.length}]:${fnv1a64(bytes)}`, "test/runtimes/mmoe-saved.mjs is no longer what Node saves").toBe(node.checksums["mmoe.saved.safetensors"]);
    expect((node as WorkloadResult & { mmoeSaved?: string }).mmoeSaved).toBe(MMOE_SAVED_BY_NODE);
    for (const t of ["kind", "score", "flag"]) {
      expect(node.checksums[`mmoe.loaded.predict.${t}`], `loaded ${t} predictions`).toBe(node.checksums[`mmoe.predict.${t}`]);
    }
    // every other runtime is compared on these entries too: the same file saved, the same bits loaded
  });

  it("the MMoE (PCGrad, dropout, cosine schedule) trains (mean loss falls every epoch)", () => {
    expect(node.mmoeLosses.length).toBe(3);
    for (let i = 1; i < node.mmoeLosses.length; i++) expect(node.mmoeLosses[i]).toBeLessThan(node.mmoeLosses[i - 1]);
  });
});

// Real workerd, with test/runtimes/workerd.capnp: dist/edge.js with the .wasm imported as
// a compiled module, as on Cloudflare; workerd refuses to compile Wasm from bytes. The
// worker is bundled first (as wrangler does), so the entries' shared chunks come along.
describe("workerd", () => {
  let wd: Workerd;
  beforeAll(async () => {
    await bundleForWorkerd(`${root}test/runtimes/workerd-worker.mjs`, `${root}test/runtimes/out/workerd-worker.js`);
    wd = await startWorkerd("test/runtimes/workerd.capnp");
  }, 30_000);
  afterAll(async () => { await wd?.stop(); });

  it("dist/edge.js in workerd gives node's checksums", async () => {
    const res = await fetch(`${wd.origin}/edge`);
    const r = await res.json() as WorkloadResult & { error?: string };
    if (r.error) throw new Error(`workerd: the workload failed: ${r.error}\n${wd.log()}`);
    expect(r.runtime).toBe("workerd");
    expectSameChecksums(r.checksums, node.checksums, "workerd dist/edge.js");
  });

  it("workerd refuses the universal bundle (it compiles Wasm from bytes), so edge.js is needed", async () => {
    const r = await (await fetch(`${wd.origin}/bytes`)).json() as { error?: string };
    expect(r.error).toMatch(/Wasm code generation disallowed by embedder/);
  });
});
