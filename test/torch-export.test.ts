// The `polyhead export-torch` command, end to end: a model archive is written, the built
// command (dist/cli.js, the package's "bin") turns it into a PyTorch module, Debian's
// torch loads the archive's weights into that module (strict load_state_dict) and predicts
// (build/torch_export_check.py), and the predictions equal polyhead's, for every
// architecture the export knows. Also the command's refusals.
import { describe, it, expect, beforeAll } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { runTorchScript } from "./torch-run.js";
import { init, task, randn, zeros, Rng, scope, SharedBottom, type MultiTaskModel } from "../src/index.js";
import { createModel, registerArchitecture, architectureNames, saveModel, saveModelArchive, saveWeights, encodeSafetensors, parseSafetensors } from "../src/io/index.js";

const N = 7, INPUTS = 5;
const root = resolve(__dirname, "..");
const cli = join(root, "dist/cli.js");
const tasks = () => [task("price", { kind: "regression", outputs: 2 }), task("kind", { kind: "classification", outputs: 3 }), task("flag", { kind: "binary", outputs: 1 })];
const cases: [string, () => MultiTaskModel][] = [
  ["SharedBottom", () => createModel("SharedBottom", { tasks: tasks(), inputs: INPUTS, trunk: [8, 6], towers: [4], activation: "tanh", dropout: 0.2, seed: 1 })],
  ["MMoE", () => createModel("MMoE", { tasks: tasks(), inputs: INPUTS, experts: 3, expertWidths: [6], towers: { price: [4] }, seed: 2 })],
  ["CGC", () => createModel("CGC", { tasks: tasks(), inputs: INPUTS, sharedExperts: 2, taskExperts: 1, expertWidths: [6, 4], towers: [3], activation: "gelu", seed: 3 })],
  ["PLE", () => createModel("PLE", { tasks: tasks(), inputs: INPUTS, sharedExperts: 1, taskExperts: { price: 2, kind: 1, flag: 1 }, expertWidths: [6], layers: 3, dropout: 0.1, seed: 4 })],
  ["CrossStitch", () => createModel("CrossStitch", { tasks: tasks(), inputs: INPUTS, columns: [6, 4], towers: { kind: [3] }, stitchInit: 0.8, dropout: 0.1, seed: 5 })],
  ["SoftSharing", () => createModel("SoftSharing", { tasks: tasks(), inputs: INPUTS, trunk: [6, 4], towers: [3], lambda: 0.01, activation: "elu", seed: 6 })],
  // 3 experts: not a power of two, so the reachability term joins the entropy term (a wide
  // smooth-step keeps the random selector logits off the ends, where a selector of the
  // unused code makes the term infinite)
  ["DSelectK", () => createModel("DSelectK", { tasks: tasks(), inputs: INPUTS, experts: 3, expertWidths: [6], k: 2, gamma: 4, entropyReg: 0.1, towers: [3], seed: 7 })],
  ["DSelectK static", () => createModel("DSelectK", { tasks: tasks(), inputs: INPUTS, experts: 4, expertWidths: [5], k: 2, gamma: 2, entropyReg: 0.05, gating: "static", dropout: 0.1, seed: 8 })],
];
// Every value random (scale 0.4): the initial ones hide mistakes (a cross-stitch matrix with
// equal off-diagonal entries reads the same transposed; DSelect-k's near-zero selector logits
// weigh every expert alike).
function randomise(m: MultiTaskModel, rng: Rng): void {
  m.loadStateDict(Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, { shape: [...t.shape], data: randn([...t.shape], 0, 0.4, rng).f32() }])));
}
const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: "utf8" });

const dirs: Record<string, string> = {}, models: Record<string, MultiTaskModel> = {};
let reports: Record<string, { parameters: number; tensors: number; regularization?: number | null }> = {};
let x: Float32Array;

beforeAll(async () => {
  await init();
  x = randn([N, INPUTS], 0, 1, new Rng(9)).f32();
  for (const [name, make] of cases) {
    const m = models[name] = make();
    randomise(m, new Rng(name.length));
    const dir = dirs[name] = mkdtempSync(join(tmpdir(), "polyhead-export-"));
    writeFileSync(join(dir, "model.safetensors"), saveModelArchive(m));
    writeFileSync(join(dir, "data.safetensors"), encodeSafetensors({ x: { dtype: "F32", shape: [N, INPUTS], data: x } }));
    // the archive for the weights, the config JSON for one case: both are what MODEL may be
    const from = name === "MMoE" ? join(dir, "config.json") : join(dir, "model.safetensors");
    if (name === "MMoE") writeFileSync(from, JSON.stringify(saveModel(m).config, null, 2));
    execFileSync(process.execPath, [cli, "export-torch", from, "-o", join(dir, "model.py")], { encoding: "utf8" });
  }
  reports = runTorchScript("build/torch_export_check.py", dirs);
}, 240_000);

describe("polyhead export-torch", () => {
  for (const [name] of cases) {
    it(`${name}: the exported module loads the archive's weights strictly and predicts what polyhead predicts`, () => {
      const m = models[name];
      expect(reports[name].parameters).toBe(m.numParameters());
      expect(reports[name].tensors).toBe(Object.keys(m.stateDict()).length);
      const pred = parseSafetensors(new Uint8Array(readFileSync(join(dirs[name], "pred.safetensors"))));
      m.eval();
      let worst = 0;
      scope(() => {
        const out = m.forward(zeros([N, INPUTS]).write(x)).outputs;
        for (const t of m.taskNames) {
          const mine = out[t].f32(), theirs = pred.read(`out.${t}`) as Float32Array;
          expect(theirs.length, `${name} ${t}`).toBe(mine.length);
          for (let i = 0; i < mine.length; i++) worst = Math.max(worst, Math.abs(mine[i] - theirs[i]));
        }
      });
      console.log(`${name}: exported torch module vs polyhead, max |diff| ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(1e-6);
      // the penalty the trainer adds (SoftSharing's tie, DSelect-k's entropy and reachability terms)
      m.train();
      const reg = scope(() => { m.forward(zeros([N, INPUTS]).write(x)); return m.regularization()?.item() ?? null; });
      if (reg === null) expect(reports[name].regularization ?? null).toBeNull();
      else expect(Math.abs(reports[name].regularization! - reg), `${name} regularization ${reg}`).toBeLessThan(1e-6 * Math.max(1, Math.abs(reg)));
    });
  }

  it("writes to standard output without -o, and refuses what it cannot export with a message and a non-zero exit", () => {
    const dir = dirs.SharedBottom;
    const out = run(["export-torch", join(dir, "model.safetensors")]);
    expect(out.status).toBe(0);
    expect(out.stdout).toBe(readFileSync(join(dir, "model.py"), "utf8"));
    expect(run([]).status).toBe(2);
    expect(run(["--help"]).stdout).toMatch(/^usage: polyhead export-torch MODEL \[-o OUT\.py\]/);
    const bad = run(["export-tourch", "x"]);
    expect([bad.status, bad.stderr]).toEqual([2, expect.stringMatching(/^polyhead: unknown command "export-tourch" \(known: export-torch\)/)]);
    expect(run(["export-torch", "a", "b"]).stderr).toMatch(/one MODEL only/);
    expect(run(["export-torch", "-x", "a"]).stderr).toMatch(/unknown option "-x"/);
    writeFileSync(join(dir, "plain.safetensors"), saveWeights(models.SharedBottom));
    const plain = run(["export-torch", join(dir, "plain.safetensors")]);
    expect([plain.status, plain.stderr]).toEqual([1, expect.stringMatching(/plain\.safetensors is safetensors weights without a polyhead config/)]);
    const missing = run(["export-torch", join(dir, "nope.safetensors")]);
    expect([missing.status, missing.stderr]).toEqual([1, expect.stringMatching(/^polyhead export-torch: ENOENT/)]);
    // an architecture registered by the user's code, which the command does not run (in
    // process, exportTorch names it as one it cannot export: test/torch-ddp.test.ts)
    if (!architectureNames().includes("MyBottom")) registerArchitecture("MyBottom", (o) => new SharedBottom(o as never));
    const mine = createModel("MyBottom", { tasks: tasks(), inputs: INPUTS, trunk: [4], seed: 5 });
    writeFileSync(join(dir, "mine.safetensors"), saveModelArchive(mine));
    const unknown = run(["export-torch", join(dir, "mine.safetensors")]);
    expect([unknown.status, unknown.stderr]).toEqual([1, expect.stringMatching(/unknown architecture "MyBottom" \(registered: SharedBottom, MMoE, CGC, PLE, CrossStitch, SoftSharing, DSelectK\b[^)]*\)/)]);
  });
});
