// Model configs of the plug-ins with their own inputs or task roles: ESMM (tasks [ctr,
// ctcvr]), MTAN (images) and MatrixFactorization (int32 (user, item) pairs, registered by
// polyhead/unsupervised). Each trains a little, then saveModel/loadModel and the archive
// rebuild it with the same predictions bit for bit; unknown fields and options are refused.
import { describe, it, expect, beforeAll } from "vitest";
import { init, task, tensor, randn, rand, Rng, scope, Trainer, Adam, MultiTaskDataset, type MultiTaskModel, type Tensor, type Task } from "../src/index.js";
import { createModel, modelConfig, saveModel, saveModelArchive, loadModel, ModelConfigError } from "../src/io/index.js";
import { ESMM, MTAN } from "../src/architectures/index.js";
import { MatrixFactorization } from "../src/unsupervised/index.js";

beforeAll(async () => { await init(); });

interface Case {
  name: string;
  tasks: () => Task[];
  options: Record<string, unknown>;
  cls: abstract new (...a: never[]) => MultiTaskModel;
  /** n examples of the model's input, as a flat array and its shape. */
  input: (n: number, r: Rng) => { x: Float32Array | Int32Array; shape: number[] };
  /** a misspelt option, and the error it must give */
  typo: [string, RegExp];
}

const binary = (n: string) => task(n, { kind: "binary", outputs: 1 });
const CASES: Case[] = [
  {
    name: "ESMM", cls: ESMM, tasks: () => [binary("ctr"), binary("ctcvr")],
    options: { inputs: 5, bottom: [6], towers: [4], dropout: 0.1 },
    input: (n, r) => ({ x: randn([n, 5], 0, 1, r).data(), shape: [5] }),
    typo: ["tower", /ESMM: unknown option "tower"/],
  },
  {
    name: "MTAN", cls: MTAN, tasks: () => [task("kind", { kind: "classification", outputs: 3 }), task("size", { kind: "regression", outputs: 1 })],
    options: { inChannels: 1, channels: [2, 3], towers: { kind: [4] }, activation: "tanh" },
    input: (n, r) => ({ x: rand([n * 64], 0, 1, r).data(), shape: [1, 8, 8] }),
    typo: ["channel", /MTAN: unknown option "channel"/],
  },
  {
    name: "MatrixFactorization", cls: MatrixFactorization, tasks: () => [task("rating", { kind: "regression", outputs: 1 }), binary("click")],
    options: { users: 7, items: 9, factors: 3, scorer: { rating: "dot", click: "mlp" }, hidden: [4] },
    input: (n, r) => ({ x: Int32Array.from({ length: 2 * n }, (_, i) => r.int(i % 2 ? 9 : 7)), shape: [2] }),
    typo: ["factor", /MatrixFactorization: unknown option "factor"/],
  },
];

function outputs(m: MultiTaskModel, x: Tensor): Record<string, number[]> {
  return scope(() => Object.fromEntries(Object.entries(m.eval().forward(x).outputs).map(([k, t]) => [k, Array.from(t.data())])));
}

// labels of every task from a seeded stream: the round trip needs weights that differ from the seeded initialisation
function dataset(c: Case, tasks: Task[], n: number): MultiTaskDataset {
  const r = new Rng(11), { x, shape } = c.input(n, r);
  const labels: Record<string, Float32Array | Int32Array> = {};
  for (const t of tasks) {
    labels[t.name] = t.kind === "classification" ? Int32Array.from({ length: n }, () => r.int(t.outputs))
      : t.kind === "binary" ? Float32Array.from({ length: n }, () => r.int(2)) : randn([n], 0, 1, r).data();
  }
  return new MultiTaskDataset({ x, xShape: shape, labels });
}

describe("model configs of ESMM, MTAN and MatrixFactorization", () => {
  for (const c of CASES) {
    it(`${c.name}: trained, then config + weights and the archive rebuild it with the same predictions`, async () => {
      const tasks = c.tasks();
      const m = createModel(c.name, { tasks, seed: 5, ...c.options });
      expect(m).toBeInstanceOf(c.cls);
      const data = dataset(c, tasks, 24);
      const fresh = saveModel(createModel(c.name, { tasks, seed: 5, ...c.options }));
      await new Trainer(m, { tasks, optimizer: (p) => new Adam(p, { lr: 0.05 }), seed: 2 }).fit(data, { epochs: 2, batchSize: 8 });
      m.freeze(m.namedParameters().at(-1)![0]);
      const { x, shape } = c.input(6, new Rng(3));
      const xs = tensor(x, [6, ...shape]);
      const want = outputs(m, xs);
      const saved = saveModel(m);
      expect(saved.weights).not.toEqual(fresh.weights);
      const json = JSON.parse(JSON.stringify(saved.config));
      for (const back of [loadModel({ config: json, weights: saved.weights }), loadModel(saveModelArchive(m))]) {
        expect(back).toBeInstanceOf(c.cls);
        expect(outputs(back, xs)).toEqual(want); // bit for bit: equal float32 values
        expect(back.namedParameters().map(([n, t]) => [n, t.requiresGrad])).toEqual(m.namedParameters().map(([n, t]) => [n, t.requiresGrad]));
        expect(modelConfig(back)).toEqual(saved.config);
      }
    });

    it(`${c.name}: unknown fields and options are refused by name`, () => {
      const good = saveModel(createModel(c.name, { tasks: c.tasks(), ...c.options }));
      const edit = (f: (o: Record<string, any>) => void) => { const o = structuredClone(good.config) as Record<string, any>; f(o); return o; };
      const cases: [Record<string, any>, RegExp][] = [
        [edit((o) => { o.architecture.options[c.typo[0]] = 1; }), c.typo[1]],
        [edit((o) => { o.architecture.extra = 1; }), /architecture: unknown field "extra"/],
        [edit((o) => { o.tasks[1].colour = "red"; }), /tasks\[1\]: unknown field "colour"/],
      ];
      for (const [config, msg] of cases) {
        let err: unknown;
        try { loadModel({ config: config as never, weights: good.weights }); } catch (e) { err = e; }
        expect(err).toBeInstanceOf(ModelConfigError);
        expect((err as Error).message).toMatch(msg);
      }
    });
  }

  it("ESMM's config lists its tasks as [ctr, ctcvr]: other task counts and the constructor's ctr/ctcvr options are refused", () => {
    const [ctr, ctcvr] = [binary("ctr"), binary("ctcvr")];
    const m = createModel("ESMM", { tasks: [ctr, ctcvr], inputs: 3, bottom: [4] }) as ESMM;
    expect([m.ctr, m.ctcvr]).toEqual(["ctr", "ctcvr"]);
    expect(() => createModel("ESMM", { tasks: [ctr], inputs: 3, bottom: [4] })).toThrow(/ESMM: a config's tasks are \[ctr, ctcvr\], got 1 task/);
    expect(() => createModel("ESMM", { tasks: [ctr, ctcvr], ctr: "ctr", inputs: 3, bottom: [4] })).toThrow(/ESMM: option "ctr" is not for a config/);
  });
});
