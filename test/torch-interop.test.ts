// polyhead <-> PyTorch through safetensors: build/torch_interop.py loads polyhead's file
// into a torch nn.Module of the same shape (load_state_dict, strict), must get polyhead's
// outputs, trains a step and writes F32/BF16/F16 files back, which polyhead loads and
// must match torch's outputs on. Needs /usr/bin/python3 with torch (Debian python3-torch).
import { describe, it, expect, beforeAll } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { runTorchScript } from "./torch-run.js";
import { join } from "node:path";
import {
  init, Linear, Sequential, ReLU, Tanh, Sigmoid, ELU, LeakyReLU, Identity, LayerNorm, BatchNorm1d, SharedBottom,
  Module, Rng, task, randn, scope, type Tensor,
} from "../src/index.js";
import { saveWeights, loadWeights, encodeSafetensors, parseSafetensors } from "../src/io/index.js";

beforeAll(async () => { await init(); });

/** The module tree as build/torch_interop.py's spec (the layers this test uses). */
function spec(m: Module): unknown {
  if (m instanceof SharedBottom) return { kind: "shared_bottom", trunk: spec(m.trunk), towers: Object.fromEntries(Object.entries(m.towers).map(([k, v]) => [k, spec(v)])) };
  if (m instanceof Sequential) return { kind: "sequential", layers: m.layers.map(spec) };
  if (m instanceof Linear) return { kind: "linear", in: m.inFeatures, out: m.outFeatures, bias: m.bias !== null };
  if (m instanceof LayerNorm) return { kind: "layer_norm", shape: m.normalizedShape, eps: m.eps, affine: m.weight !== null };
  if (m instanceof BatchNorm1d) return { kind: "batch_norm_1d", features: m.numFeatures, eps: m.eps, momentum: m.momentum };
  for (const [cls, kind] of [[ReLU, "relu"], [Tanh, "tanh"], [Sigmoid, "sigmoid"], [ELU, "elu"], [LeakyReLU, "leaky_relu"], [Identity, "identity"]] as const) {
    if (m instanceof cls) return { kind };
  }
  throw new Error(`spec: no torch counterpart for ${m.constructor.name}`);
}

function outputsOf(m: Module, x: Tensor): Record<string, Float32Array> {
  return scope(() => {
    const y = (m as unknown as { forward(x: Tensor): unknown }).forward(x);
    if (m instanceof SharedBottom) return Object.fromEntries(Object.entries((y as { outputs: Record<string, Tensor> }).outputs).map(([k, t]) => [k, t.f32()]));
    return { "": (y as Tensor).f32() };
  });
}

function maxDiff(a: Record<string, Float32Array>, b: Record<string, Float32Array>): number {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  let d = 0;
  for (const k of Object.keys(a)) {
    expect(a[k].length).toBe(b[k].length);
    for (let i = 0; i < a[k].length; i++) d = Math.max(d, Math.abs(a[k][i] - b[k][i]));
  }
  return d;
}

const readOutputs = (path: string) => {
  const f = parseSafetensors(new Uint8Array(readFileSync(path)));
  return Object.fromEntries(f.names.map((n) => [n === "out" ? "" : n.slice(4), f.read(n) as Float32Array]));
};

const models: [string, (seed: number) => Module][] = [
  ["Sequential with LayerNorm and BatchNorm1d", (s) => new Sequential(
    new Linear(6, 8, { rng: new Rng(s) }), new Tanh(), new LayerNorm(8), new Linear(8, 5, { rng: new Rng(s + 1) }), new BatchNorm1d(5), new ReLU(), new Linear(5, 3, { rng: new Rng(s + 2) }),
  )],
  ["SharedBottom with two towers", (s) => new SharedBottom({
    tasks: [task("price", { kind: "regression", outputs: 2 }), task("kind", { kind: "classification", outputs: 3 })],
    inputs: 6, trunk: [10, 7], towers: { price: [4], kind: [] }, activation: "tanh", rng: new Rng(s),
  })],
];

const dirs: Record<string, string> = {};
const reports: Record<string, { polyhead_to_torch_max_diff: number }> = {};
const inputs: Record<string, Tensor> = {};
const sent: Record<string, Record<string, Float32Array>> = {};

// Every case's files first, then one Python process for all of them.
beforeAll(() => {
  for (const [what, make] of models) {
    const dir = dirs[what] = mkdtempSync(join(tmpdir(), "polyhead-torch-"));
    const model = make(11);
    // non-trivial BatchNorm statistics, so the buffers matter
    for (const [n, t] of Object.entries(model.stateDict())) if (n.endsWith("running_var")) t.write(Array.from({ length: t.size }, (_, i) => 0.5 + i));
    model.eval();
    const x = inputs[what] = randn([4, 6], 0, 1, new Rng(5)).keep();
    const ours = sent[what] = outputsOf(model, x);
    writeFileSync(join(dir, "spec.json"), JSON.stringify(spec(model)));
    writeFileSync(join(dir, "model.safetensors"), saveWeights(model, { metadata: { format: "pt" } }));
    writeFileSync(join(dir, "io.safetensors"), encodeSafetensors([
      ["x", { dtype: "F32", shape: x.shape, data: x.f32() }],
      ...Object.entries(ours).map(([k, v]) => [k ? `out.${k}` : "out", { dtype: "F32", shape: [4, v.length / 4], data: v }] as [string, { dtype: "F32"; shape: number[]; data: Float32Array }]),
    ]));
  }
  Object.assign(reports, runTorchScript("build/torch_interop.py", dirs));
}, 120_000);

describe("PyTorch interop through safetensors", () => {
  for (const [what, make] of models) {
    it(`${what}: torch matches polyhead's outputs, polyhead matches torch's after it trains`, () => {
      const dir = dirs[what], x = inputs[what];
      console.log(`${what}: polyhead -> torch max |diff| ${reports[what].polyhead_to_torch_max_diff}`);
      expect(reports[what].polyhead_to_torch_max_diff).toBeLessThan(1e-6);
      for (const tag of ["f32", "bf16", "f16"]) {
        const back = make(99);
        loadWeights(back, new Uint8Array(readFileSync(join(dir, `torch.${tag}.safetensors`))));
        back.eval();
        const d = maxDiff(outputsOf(back, x), readOutputs(join(dir, `torch.${tag}.out.safetensors`)));
        console.log(`${what}: torch ${tag} -> polyhead max |diff| ${d}`);
        expect(d, tag).toBeLessThan(1e-6);
        // torch trained: the weights that came back are not the ones that went out
        expect(maxDiff(outputsOf(back, x), sent[what]), tag).toBeGreaterThan(1e-3);
      }
      const bn = Object.keys(make(1).stateDict()).find((n) => n.endsWith("num_batches_tracked"));
      if (bn) {
        const back = make(99);
        loadWeights(back, new Uint8Array(readFileSync(join(dir, "torch.f32.safetensors"))));
        expect(back.stateDict()[bn].item()).toBe(1); // torch's int64 counter after one train step
      }
    });
  }
});
