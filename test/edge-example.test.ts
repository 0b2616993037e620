// examples/edge/: the workerd function started for real on loopback (config in the
// example), called over HTTP: it loads its model with polyhead/io from a safetensors
// archive (a data module) and predicts what Node predicts from the same file,
// bit for bit; the shipped model has learned its tasks; a fine-tune of one head on the
// request's batch lowers that batch's loss and matches the same fine-tune in Node; bad
// requests get a 400 naming the problem.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { startWorkerd, type Workerd } from "./runtimes/workerd.js";
// @ts-ignore -- the built universal bundle (npm test builds first)
import * as ph from "../dist/index.js";
// @ts-ignore -- the built polyhead/io entry (shares the engine chunk with dist/index.js)
import * as io from "../dist/io.js";
// @ts-ignore -- plain ESM shared with the worker
import { loadModel, predict, fineTuneHead } from "../examples/edge/model.mjs";
// @ts-ignore -- plain ESM
import { syntheticRows } from "../examples/edge/data.mjs";
// @ts-ignore -- plain ESM
import { buildEdgeExample } from "../examples/edge/build.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const archive = new Uint8Array(readFileSync(`${root}examples/edge/model.safetensors`));

/** n fresh rows (not the training draw) as nested arrays, with their labels. */
function rows(n: number, seed: number) {
  const x = ph.scope(() => ph.randn([n, 8], 0, 1, new ph.Rng(seed)).data()) as Float32Array;
  const l = syntheticRows(x);
  return { ...l, x: Array.from({ length: n }, (_, i) => Array.from(x.subarray(i * 8, i * 8 + 8))) };
}

let wd: Workerd;
const post = async (path: string, body: unknown) => {
  const res = await fetch(`${wd.origin}${path}`, { method: "POST", body: JSON.stringify(body) });
  return { status: res.status, json: await res.json() as Record<string, unknown> };
};

beforeAll(async () => { await ph.init(); await buildEdgeExample(); wd = await startWorkerd("examples/edge/config.capnp"); }, 30_000);
afterAll(async () => { await wd?.stop(); });

describe("examples/edge (workerd)", () => {
  it("GET / describes the model from the archive's config", async () => {
    const info = await (await fetch(`${wd.origin}/`)).json() as { architecture: string; options: { inputs: number }; tasks: { name: string }[] };
    expect(info.tasks.map((t) => t.name)).toEqual(["kind", "score", "flag"]);
    expect([info.architecture, info.options.inputs]).toEqual(["SharedBottom", 8]);
    // the same config polyhead/io reads in Node from the same file
    expect(info.tasks).toEqual(io.modelConfig(io.loadModel(archive)).tasks);
  });

  it("predicts Node's bits for the same saved model, and the model has learned its tasks", async () => {
    const { x, kind, flag } = rows(200, 77);
    const r = await post("/predict", { x });
    expect(r.status).toBe(200);
    const { model } = loadModel(ph, io, archive);
    expect(r.json).toEqual(predict(ph, model, x, 8));
    const logits = r.json.kind as number[][], f = r.json.flag as number[][];
    const acc = logits.filter((l, i) => l.indexOf(Math.max(...l)) === kind[i]).length / x.length;
    const accFlag = f.filter((l, i) => (l[0] > 0 ? 1 : 0) === flag[i]).length / x.length;
    expect(acc).toBeGreaterThan(0.85);
    expect(accFlag).toBeGreaterThan(0.85);
  });

  it("fine-tunes one head on the request's batch: its loss falls, and Node computes the same", async () => {
    const { x } = rows(64, 78);
    const y = x.map((r: number[]) => (r[3] - r[0] > 0 ? 1 : 0)); // a changed rule the shipped head does not know
    const req = { task: "flag", x, y, steps: 20, lr: 0.02 };
    const r = await post("/finetune", req);
    expect(r.status).toBe(200);
    const losses = r.json.losses as number[];
    expect(losses.length).toBe(20);
    expect(losses[19]).toBeLessThan(losses[0] * 0.8);
    expect(r.json).toEqual(fineTuneHead(ph, io, archive, req));
    expect(Object.keys(r.json.head as object).every((k) => k.startsWith("towers.flag."))).toBe(true);
  });

  it("a bad request gets a 400 naming what is wrong, and the model is unchanged", async () => {
    const { x } = rows(4, 79);
    expect(await post("/predict", { x: [[1, 2]] })).toEqual({ status: 400, json: { error: "x[0] must be 8 numbers, got 2" } });
    expect((await post("/finetune", { task: "nope", x, y: [0, 1, 0, 1] })).json.error).toMatch(/task must be one of kind, score, flag/);
    expect((await post("/finetune", { task: "flag", x, y: [0, 1, 0, 1], steps: 500 })).json.error).toMatch(/steps must be an integer in \[1, 50\]/);
    expect((await post("/finetune", { task: "flag", x, y: [0, 1] })).json.error).toMatch(/one label per row/);
    const after = await post("/predict", { x });
    expect(after.json).toEqual(predict(ph, loadModel(ph, io, archive).model, x, 8));
  });
});
