// export-torch and the way out to a cluster: a shared-bottom and an MMoE model are
// exported as PyTorch modules, build/torch_ddp.py trains each for a few steps with
// DistributedDataParallel (gloo, two processes on loopback), and polyhead loads the
// trained weights back through its config and predicts what torch predicts.
import { describe, it, expect, beforeAll } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { runTorchScript } from "./torch-run.js";
import { join } from "node:path";
import { init, task, randn, zeros, Rng, scope, SharedBottom, type MultiTaskModel } from "../src/index.js";
import { createModel, registerArchitecture, architectureNames, saveModel, loadModel, exportTorch, encodeSafetensors, parseSafetensors, modelConfig, ModelConfigError, type ModelConfig } from "../src/io/index.js";

const N = 16, INPUTS = 5;
const tasks = () => [task("price", { kind: "regression", outputs: 2 }), task("kind", { kind: "classification", outputs: 3 })];
const cases: [string, () => MultiTaskModel][] = [
  ["SharedBottom", () => createModel("SharedBottom", { tasks: tasks(), inputs: INPUTS, trunk: [8, 6], towers: [4], activation: "tanh", seed: 1 })],
  ["MMoE", () => createModel("MMoE", { tasks: tasks(), inputs: INPUTS, experts: 3, expertWidths: [6], towers: { price: [4] }, seed: 2 })],
];

const dirs: Record<string, string> = {}, configs: Record<string, ModelConfig> = {}, sent: Record<string, Uint8Array> = {};
const reports: Record<string, { ddp_vs_single_max_diff: number }> = {};
let x: Float32Array;

beforeAll(async () => {
  await init();
  x = randn([N, INPUTS], 0, 1, new Rng(3)).f32();
  const r = new Rng(4);
  const yPrice = randn([N, 2], 0, 1, r).f32();
  const yKind = Int32Array.from({ length: N }, (_, i) => (i * 7) % 3);
  for (const [name, make] of cases) {
    const m = make();
    m.freeze("towers.kind.0.bias"); // a frozen part stays frozen in torch
    const saved = saveModel(m);
    const dir = dirs[name] = mkdtempSync(join(tmpdir(), "polyhead-ddp-"));
    configs[name] = saved.config;
    sent[name] = saved.weights;
    writeFileSync(join(dir, "model.py"), exportTorch(saved.config));
    writeFileSync(join(dir, "weights.safetensors"), saved.weights);
    writeFileSync(join(dir, "data.safetensors"), encodeSafetensors({
      x: { dtype: "F32", shape: [N, INPUTS], data: x },
      "y.price": { dtype: "F32", shape: [N, 2], data: yPrice },
      "y.kind": { dtype: "I32", shape: [N], data: yKind },
    }));
  }
  Object.assign(reports, runTorchScript("build/torch_ddp.py", dirs));
}, 240_000);

describe("export-torch and DistributedDataParallel", () => {
  for (const [name] of cases) {
    it(`${name}: trained under DDP (gloo, 2 processes), loaded back, predicts as torch does`, () => {
      const dir = dirs[name];
      console.log(`${name}: DDP vs single-process training, max |diff| of predictions ${reports[name].ddp_vs_single_max_diff}`);
      expect(reports[name].ddp_vs_single_max_diff).toBeLessThan(1e-5);
      const trained = new Uint8Array(readFileSync(join(dir, "trained.safetensors")));
      const back = loadModel({ config: configs[name], weights: trained });
      const pred = parseSafetensors(new Uint8Array(readFileSync(join(dir, "pred.safetensors"))));
      let d = 0, moved = 0;
      const before = loadModel({ config: configs[name], weights: sent[name] });
      scope(() => {
        const xt = zeros([N, INPUTS]).write(x);
        const ours = back.eval().forward(xt).outputs, old = before.eval().forward(xt).outputs;
        for (const t of ["price", "kind"]) {
          const want = pred.read(`out.${t}`) as Float32Array, got = ours[t].f32(), was = old[t].f32();
          for (let i = 0; i < want.length; i++) { d = Math.max(d, Math.abs(got[i] - want[i])); moved = Math.max(moved, Math.abs(was[i] - want[i])); }
        }
      });
      console.log(`${name}: torch (DDP-trained) -> polyhead predictions max |diff| ${d}`);
      expect(d).toBeLessThan(1e-6);
      expect(moved).toBeGreaterThan(1e-3); // training changed the model
      // the frozen bias did not train, and is still frozen after the round trip
      const f0 = parseSafetensors(sent[name]).read("towers.kind.0.bias"), f1 = parseSafetensors(trained).read("towers.kind.0.bias");
      expect(Array.from(f1 as ArrayLike<number>)).toEqual(Array.from(f0 as ArrayLike<number>));
      expect(modelConfig(back).frozen).toEqual(["towers.kind.0.bias"]);
    });
  }

  it("names the architectures it cannot export (one registered by the user)", () => {
    if (!architectureNames().includes("MyBottom")) registerArchitecture("MyBottom", (o) => new SharedBottom(o as never));
    const m = createModel("MyBottom", { tasks: tasks(), inputs: 4, trunk: [3] });
    expect(() => exportTorch(modelConfig(m))).toThrow(ModelConfigError);
    expect(() => exportTorch(modelConfig(m))).toThrow(/"MyBottom" has no torch export yet/);
  });
});
