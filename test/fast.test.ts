// Fast mode (polyhead/fast, relaxed-SIMD FMA in matmul): it agrees with the default
// kernels within a tolerance, the default build holds no relaxed instruction (so its
// checksums cannot move), init still rejects unknown options (fast is not one), and where
// relaxed SIMD is off (Node 20 without its flag, as vitest runs here) initFast() says so
// once and runs the default kernels. The fast paths run in child Node processes with
// --experimental-wasm-relaxed-simd, against the built dist/ (npm test builds first).
import { describe, it, expect, vi, beforeAll } from "vitest";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { init, tensor, matmul, scope } from "../src/index.js";
import { relaxedSimdSupported, fastModeActive, initFast } from "../src/fast/index.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const node = (code: string, flags: string[] = ["--experimental-wasm-relaxed-simd"]) =>
  execFileSync(process.execPath, [...flags, "--input-type=module", "-e", code], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

describe("fast mode", () => {
  const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
  beforeAll(async () => { await initFast(); });

  it("is active exactly where relaxed SIMD validates; elsewhere init says so once and runs the default kernels", () => {
    expect(fastModeActive()).toBe(relaxedSimdSupported());
    if (!relaxedSimdSupported()) {
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toMatch(/relaxed SIMD; running the default kernels/);
    }
    expect(scope(() => Array.from(matmul(tensor([[1, 2]]), tensor([[3], [4]])).data()))).toEqual([11]);
  });

  it("init rejects fast as an unknown option; initFast passes init's options on and is idempotent", async () => {
    expect(() => init({ fast: true } as never)).toThrow(/unknown option "fast"/);
    await expect(initFast({ maxMemoryMB: 0 } as never)).rejects.toThrow(/maxMemoryMB must be a number/);
    await expect(initFast()).resolves.toBeUndefined();
    await expect(init()).resolves.toBeUndefined();
  });

  it("the default build holds no relaxed-SIMD instruction; the fast build does", () => {
    const probe = node(`import { readFileSync } from "node:fs";
      console.log(["polyhead.wasm", "polyhead-fast.wasm"].map((f) => WebAssembly.validate(readFileSync("build/" + f))).join(" "));`, ["--no-experimental-wasm-relaxed-simd"]);
    expect(probe.trim()).toBe("true false");
  });

  // the shapes cover the fast build's 6-row tiles whole and cut (m = 1, 4, 5, 6, 13, 37) and k past
  // one KC block (513: the later blocks add into C); alpha and beta also blend into a C set before
  it("fast matmul agrees with the default and the scalar reference within float32 round-off, every transpose", () => {
    const out = node(`
      import { readFileSync } from "node:fs";
      const load = async (f) => (await WebAssembly.instantiate(readFileSync("build/" + f), {})).instance.exports;
      const fast = await load("polyhead-fast.wasm"), plain = await load("polyhead.wasm");
      let worst = 0, differs = 0;
      for (const [m, k, n] of [[1, 1, 1], [4, 20, 16], [5, 300, 9], [6, 40, 8], [13, 300, 17], [37, 513, 21], [64, 64, 64]]) {
        for (const tA of [0, 1]) for (const tB of [0, 1]) for (const [alpha, beta] of [[1, 0], [0.75, -0.5]]) {
          const res = [];
          for (const ex of [fast, plain]) {
            const base = Math.ceil(ex.heap_base() / 64) * 64, need = base + 4 * (m * k + k * n + 2 * m * n) + 256;
            if (ex.memory.buffer.byteLength < need) ex.memory.grow(Math.ceil((need - ex.memory.buffer.byteLength) / 65536));
            const f = new Float32Array(ex.memory.buffer);
            const a = base, b = a + 4 * m * k, c = b + 4 * k * n, r = c + 4 * m * n;
            let s = 12345;
            for (let i = 0; i < m * k + k * n + m * n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; f[a / 4 + i] = s / 2 ** 31 - 1; }
            f.copyWithin(r / 4, c / 4, c / 4 + m * n);
            ex.matmul(c, a, b, m, n, k, tA, tB, alpha, beta);
            ex.matmul_ref(r, a, b, m, n, k, tA, tB, alpha, beta);
            res.push([f.slice(c / 4, c / 4 + m * n), f.slice(r / 4, r / 4 + m * n)]);
          }
          const [[cf, rf], [cp]] = res;
          for (let i = 0; i < m * n; i++) {
            worst = Math.max(worst, Math.abs(cf[i] - cp[i]) / Math.sqrt(k), Math.abs(cf[i] - rf[i]) / Math.sqrt(k));
            if (cf[i] !== cp[i]) differs++;
          }
        }
      }
      console.log(JSON.stringify({ worst, differs }));`);
    const { worst, differs } = JSON.parse(out);
    expect(worst).toBeLessThan(1e-5);  // |error| of a k-term float32 sum of O(1) products, relative to sqrt(k)
    expect(typeof differs).toBe("number");  // (0 where the CPU has no FMA: relaxed_madd may be mul + add)
  });

  it("training in fast mode (dist/, relaxed SIMD on) tracks the default within tolerance; the default run is unchanged", () => {
    const run = (fast: boolean) => JSON.parse(node(`
      import * as ph from "./dist/index.js";
      ${fast ? 'import { fastModeActive, initFast } from "./dist/fast.js";' : ""}
      await ${fast ? "initFast()" : "ph.init()"};
      const tasks = [ph.task("a", { kind: "binary", outputs: 1 }), ph.task("b", { kind: "regression", outputs: 1 })];
      const model = new ph.SharedBottom({ tasks, inputs: 40, trunk: [64, 64], towers: [16], rng: new ph.Rng(1) });
      const rng = new ph.Rng(2), x = ph.randn([128, 40], 0, 1, rng).f32();
      const a = Float32Array.from({ length: 128 }, (_, i) => (x[i * 40] > 0 ? 1 : 0)), b = Float32Array.from({ length: 128 }, (_, i) => x[i * 40 + 1]);
      const ds = new ph.MultiTaskDataset({ x, xShape: [40], labels: { a, b } });
      const tr = new ph.Trainer(model, { tasks, optimizer: (p) => new ph.Adam(p, { lr: 1e-2 }) });
      const rows = Int32Array.from({ length: 128 }, (_, i) => i), losses = [];
      for (let s = 0; s < 20; s++) { const l = tr.trainStep([{ tasks: ["a", "b"], batch: ds.batch(rows) }]).losses; losses.push(l.a + l.b); }
      console.log(JSON.stringify({ active: ${fast ? "fastModeActive()" : "false"}, losses }));`));
    const fast = run(true), plain = run(false), again = run(false);
    expect(fast.active).toBe(true);
    expect(again.losses).toEqual(plain.losses);  // the default is deterministic
    fast.losses.forEach((l: number, i: number) => expect(Math.abs(l - plain.losses[i]) / plain.losses[i]).toBeLessThan(1e-3));
    expect(plain.losses[19]).toBeLessThan(0.8 * plain.losses[0]);
  });

  it("initFast after init() with the default kernels is an error saying so", () => {
    const out = node(`import * as ph from "./dist/index.js"; import { initFast } from "./dist/fast.js"; await ph.init(); try { await initFast(); console.log("ok"); } catch (e) { console.log(e.message); }`);
    expect(out).toMatch(/initFast: polyhead's kernels were already chosen \(by init\(\), initFast\(\) or initThreads\(\)/);
  });
});
