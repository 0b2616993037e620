// polyhead/io model configs, saveModel/loadModel and storage: every architecture rebuilds
// exactly (same outputs, frozen set, task fields), a config with unknown fields or wrong
// shapes is refused by name, and the memory and file adapters hold bytes whole.
import { describe, it, expect, beforeAll } from "vitest";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { init, task, randn, Rng, scope, fileStorage, SharedBottom, type MultiTaskModel, type Tensor } from "../src/node.js";
import {
  createModel, buildModel, modelConfig, saveModel, saveModelArchive, loadModel, saveWeights, encodeSafetensors,
  parseSafetensors, registerArchitecture, memoryStorage, ModelConfigError, SafetensorsError, IoError, MODEL_CONFIG_VERSION,
} from "../src/io/index.js";

beforeAll(async () => { await init(); });

const tasks = () => [
  task("price", { kind: "regression", outputs: 2, loss: "huber_loss", delta: 0.5, weight: 2 }),
  task("kind", { kind: "classification", outputs: 3, metrics: ["accuracy", "f1"], labelSmoothing: 0.1 }),
];

const ARCHS: [string, Record<string, unknown>][] = [
  ["SharedBottom", { inputs: 6, trunk: [8, 5], towers: [4], activation: "tanh" }],
  ["MMoE", { inputs: 6, experts: 3, expertWidths: [5], towers: { price: [3] } }],
  ["CGC", { inputs: 6, sharedExperts: 2, taskExperts: 1, expertWidths: [4] }],
  ["PLE", { inputs: 6, sharedExperts: 2, taskExperts: { price: 1, kind: 2 }, expertWidths: [4], layers: 2 }],
  ["CrossStitch", { inputs: 6, columns: [5, 4] }],
  ["SoftSharing", { inputs: 6, trunk: [5], lambda: 0.01 }],
  ["DSelectK", { inputs: 6, experts: 4, expertWidths: [4], k: 2 }],
];

function outputs(m: MultiTaskModel, x: Tensor): Record<string, number[]> {
  return scope(() => Object.fromEntries(Object.entries(m.eval().forward(x).outputs).map(([k, t]) => [k, Array.from(t.data())])));
}

describe("model configs", () => {
  for (const [name, options] of ARCHS) {
    it(`${name}: config + weights and the archive rebuild the same model`, () => {
      const m = createModel(name, { tasks: tasks(), seed: 3, ...options });
      m.freeze(m.namedParameters()[0][0]);
      const x = randn([3, 6], 0, 1, new Rng(9));
      const want = outputs(m, x);
      const saved = saveModel(m);
      const json = JSON.parse(JSON.stringify(saved.config));
      expect(json.version).toBe(MODEL_CONFIG_VERSION);
      for (const back of [loadModel({ config: json, weights: saved.weights }), loadModel(saveModelArchive(m))]) {
        expect(outputs(back, x)).toEqual(want);
        expect(back.namedParameters().map(([n, t]) => [n, t.requiresGrad])).toEqual(m.namedParameters().map(([n, t]) => [n, t.requiresGrad]));
        expect(modelConfig(back)).toEqual(saved.config);
      }
    });
  }

  it("keeps every task field", () => {
    const m = createModel("SharedBottom", { tasks: tasks(), inputs: 4, trunk: [3] });
    const c = modelConfig(loadModel(saveModelArchive(m)));
    expect(c.tasks).toEqual([
      { name: "price", kind: "regression", outputs: 2, loss: "huber_loss", metrics: ["mse", "r2"], weight: 2, delta: 0.5, labelSmoothing: 0 },
      { name: "kind", kind: "classification", outputs: 3, loss: "cross_entropy", metrics: ["accuracy", "f1"], weight: 1, delta: 1, labelSmoothing: 0.1 },
    ]);
  });

  it("keeps the tasks' class and positive weights", () => {
    const ts = [task("kind", { kind: "classification", outputs: 3, classWeight: [1, 2.5, 0.5] }), task("flag", { kind: "binary", outputs: 1, posWeight: 4 })];
    const back = loadModel(saveModelArchive(createModel("SharedBottom", { tasks: ts, inputs: 4, trunk: [3] })));
    const c = modelConfig(back);
    // the config of the rebuilt model is made from its rebuilt task() declarations: they carry the weights
    expect([c.tasks[0].classWeight, c.tasks[1].posWeight, c.tasks[0].posWeight]).toEqual([[1, 2.5, 0.5], [4], undefined]);
  });

  it("refuses unknown fields, wrong versions, unknown architectures and bad options by name", () => {
    const m = createModel("MMoE", { tasks: tasks(), inputs: 4, experts: 2, expertWidths: [3] });
    const good = saveModel(m);
    const edit = (f: (c: Record<string, any>) => void) => { const c = structuredClone(good.config) as Record<string, any>; f(c); return c; };
    const cases: [string, Record<string, any>, RegExp][] = [
      ["top-level field", edit((c) => { c.extra = 1; }), /config: unknown field "extra"/],
      ["architecture field", edit((c) => { c.architecture.kind = "x"; }), /architecture: unknown field "kind"/],
      ["task field", edit((c) => { c.tasks[0].colour = "red"; }), /tasks\[0\]: unknown field "colour"/],
      ["missing field", edit((c) => { delete c.tensors; }), /missing field "tensors"/],
      ["version", edit((c) => { c.version = 99; }), /version 99 is not supported/],
      ["format", edit((c) => { c.format = "keras"; }), /format is "keras"/],
      ["architecture", edit((c) => { c.architecture.name = "Transformer9"; }), /unknown architecture "Transformer9" \(registered: SharedBottom, MMoE/],
      ["option", edit((c) => { c.architecture.options.expertz = 3; }), /MMoE: unknown option "expertz"/],
      ["option value", edit((c) => { c.architecture.options.experts = 0; }), /MMoE: experts must be >= 1/],
      ["task kind", edit((c) => { c.tasks[1].kind = "ranking"; }), /tasks\[1\]: task "kind": kind must be one of/],
      ["shapes vs architecture", edit((c) => { c.tensors["gates.price.weight"] = [3, 4]; }), /"gates.price.weight": the config says \[3,4\], the weights hold \[2, 4\]/],
      ["extra tensor", edit((c) => { c.tensors["head.weight"] = [1]; }), /the config lists "head.weight", the weights lack it/],
      ["frozen", edit((c) => { c.frozen = ["nope.weight"]; }), /frozen "nope.weight" is not a parameter/],
      ["seed", edit((c) => { c.seed = 1.5; }), /seed must be an integer/],
    ];
    for (const [what, config, msg] of cases) {
      let err: unknown;
      try { loadModel({ config: config as never, weights: good.weights }); } catch (e) { err = e; }
      expect(err, what).toBeInstanceOf(ModelConfigError);
      expect((err as Error).message, what).toMatch(msg);
    }
    expect(() => buildModel("{not json")).toThrow(ModelConfigError);
    expect(() => loadModel({ ...good, extra: 1 } as never)).toThrow(/unknown field "extra"/);
  });

  it("refuses weights that disagree with the config, and files without a config", () => {
    const a = createModel("SharedBottom", { tasks: tasks(), inputs: 4, trunk: [3] });
    const b = createModel("SharedBottom", { tasks: tasks(), inputs: 4, trunk: [5] });
    expect(() => loadModel({ config: modelConfig(a), weights: saveWeights(b) })).toThrow(/config and weights disagree: "trunk.0.weight": the config says \[3,4\], the weights hold \[5, 4\]/);
    // a config whose table matches the weights but whose options build something else
    const lying = { ...modelConfig(b), architecture: modelConfig(a).architecture };
    expect(() => loadModel({ config: lying, weights: saveWeights(b) })).toThrow(/"trunk.0.weight": the config says \[5, 4\], the architecture builds \[3, 4\]/);
    expect(() => loadModel(saveWeights(a))).toThrow(/without a polyhead config/);
    // an archive whose config text is broken
    const bad = encodeSafetensors({}, { metadata: { "polyhead.model": "{\"format\":1" } });
    expect(() => loadModel(bad)).toThrow(ModelConfigError);
    const nan = saveModel(a);
    const f = parseSafetensors(nan.weights);
    const w = f.read("trunk.0.weight") as Float32Array; w[0] = NaN;
    const bytes = encodeSafetensors(f.names.map((n) => [n, { dtype: f.info(n).dtype, shape: f.info(n).shape, data: n === "trunk.0.weight" ? w : f.read(n) }]));
    expect(() => loadModel({ config: nan.config, weights: bytes }, { requireFinite: true })).toThrow(SafetensorsError);
    expect(() => loadModel({ config: nan.config, weights: bytes })).not.toThrow();
  });

  it("createModel refuses what a config cannot hold; plug-ins register by name", () => {
    expect(() => createModel("SharedBottom", { tasks: tasks(), inputs: 4, trunk: [3], rng: new Rng(1) })).toThrow(/pass seed/);
    expect(() => createModel("SharedBottom", { tasks: [task("y", { kind: "regression", outputs: 1, loss: (p) => p })], inputs: 4, trunk: [3] })).toThrow(/its loss is a function/);
    expect(() => createModel("SharedBottom", { tasks: tasks(), inputs: 4, trunk: new Map() as never })).toThrow(/options.trunk is not plain data/);
    expect(() => modelConfig(createModel("SharedBottom", { tasks: tasks(), inputs: 4, trunk: [3] }))).not.toThrow();
    registerArchitecture("TestWide", (o) => new SharedBottom({ tasks: o.tasks, rng: o.rng, inputs: o.inputs as number, trunk: [o.width as number] }));
    expect(() => registerArchitecture("TestWide", () => null as never)).toThrow(/already registered/);
    const back = loadModel(saveModelArchive(createModel("TestWide", { tasks: tasks(), inputs: 4, width: 7 })));
    expect(back.stateDict()["trunk.0.weight"].shape).toEqual([7, 4]);
    expect(modelConfig(back).architecture).toEqual({ name: "TestWide", options: { inputs: 4, width: 7 } });
  });
});

describe("storage adapters", () => {
  it("memory and files hold bytes whole; missing keys are a clear error", async () => {
    const dir = mkdtempSync(join(tmpdir(), "polyhead-store-"));
    const m = createModel("SharedBottom", { tasks: tasks(), inputs: 4, trunk: [3] });
    const bytes = saveModelArchive(m);
    for (const s of [memoryStorage(), fileStorage(dir)]) {
      await s.write("model.safetensors", bytes);
      await s.write("model.safetensors", bytes); // overwrite in place
      expect(await s.list()).toEqual(["model.safetensors"]);
      const back = loadModel(await s.read("model.safetensors"));
      expect(modelConfig(back)).toEqual(modelConfig(m));
      await expect(s.read("absent")).rejects.toThrow(IoError);
      await expect(s.write("../escape", bytes)).rejects.toThrow(/key must be/);
      await s.remove("model.safetensors");
      expect(await s.list()).toEqual([]);
    }
    // a killed writer's temporary file is not a key
    writeFileSync(join(dir, ".model.safetensors.123.tmp"), "partial");
    expect(await fileStorage(dir).list()).toEqual([]);
    expect(readdirSync(dir)).toContain(".model.safetensors.123.tmp");
  });
});

describe("the polyhead/io entry", () => {
  // A child Node process, so the imports go through the package's exports (the built dist/):
  // a model from "polyhead" saves through "polyhead/io" and files through "polyhead/node".
  it("shares the engine with polyhead and polyhead/node", async () => {
    const { execFileSync } = await import("node:child_process");
    const dir = mkdtempSync(join(tmpdir(), "polyhead-entry-"));
    const script = `
      const ph = await import("polyhead");
      const io = await import("polyhead/io");
      const node = await import("polyhead/node");
      await ph.init();
      const m = io.createModel("MMoE", { tasks: [ph.task("y", { kind: "regression", outputs: 1 })], inputs: 3, experts: 2, expertWidths: [4] });
      const store = node.fileStorage(${JSON.stringify(dir)});
      await store.write("m.safetensors", io.saveModelArchive(m));
      const back = io.loadModel(await store.read("m.safetensors"));
      console.log(JSON.stringify({ same: back instanceof ph.MMoE, tensor: back.parameters()[0] instanceof ph.Tensor, keys: await store.list() }));`;
    const out = JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: new URL("..", import.meta.url), encoding: "utf8" }));
    expect(out).toEqual({ same: true, tensor: true, keys: ["m.safetensors"] });
  });
});
