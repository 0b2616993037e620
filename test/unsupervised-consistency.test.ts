// The consistency (Π-model) head of polyhead/unsupervised: a training pass outputs the
// target head's softmax under two noise draws from the head's seeded stream, minus each
// other; eval passes are clean (zero); the task owns no parameters and its loss trains the
// trunk and the target head; bad options are refused by name.
import { describe, it, expect, beforeAll } from "vitest";
import { init, task, randn, Rng, SharedBottom, Trainer, Adam, MultiTaskDataset, softmax, sub, gradients, mseLoss, zeros, scope } from "../src/index.js";
import { Consistency, corrupt } from "../src/unsupervised/index.js";
import { expectClose } from "./helpers.js";

beforeAll(async () => { await init(); });

const IN = 5;
const digit = task("digit", { kind: "classification", outputs: 3 });
const agree = task("agree", { kind: "regression", outputs: 3, loss: "mse_loss" });
const base = (seed: number) => new SharedBottom({ tasks: [digit], inputs: IN, trunk: [4], activation: "tanh", rng: new Rng(seed) });
const noise = { kind: "gaussian", std: 0.5 } as const;

describe("Consistency head", () => {
  it("training: softmax(f(x + n1)) - softmax(f(x + n2)) from the head's stream; eval: zero; the other heads see clean input", () => {
    const m = new Consistency({ model: base(1), task: agree, target: "digit", noise, rng: new Rng(2) });
    const x = randn([6, IN], 0, 1, new Rng(3));
    const state = m.rngState();
    const out = m.forward(x).outputs;
    const r = Rng.fromState(state);
    const a = softmax(m.model.forward(corrupt(x, noise, r)).outputs.digit), b = softmax(m.model.forward(corrupt(x, noise, r)).outputs.digit);
    expectClose(out.agree, sub(a, b), 0, 0, "two views from the stream");
    expect(Math.max(...Array.from(out.agree.data(), Math.abs))).toBeGreaterThan(1e-3);
    expectClose(out.digit, m.model.forward(x).outputs.digit, 0, 0, "digit head on clean input");
    m.eval();
    expect(Array.from(m.forward(x).outputs.agree.data()).every((v) => v === 0)).toBe(true);
    // sigmoid and raw comparisons
    const raw = new Consistency({ model: base(1), task: agree, target: "digit", noise, compare: "raw", rng: new Rng(2) });
    const s2 = raw.rngState(), r2 = Rng.fromState(s2);
    const got = raw.forward(x, ["agree"]).outputs.agree;
    expectClose(got, sub(raw.model.forward(corrupt(x, noise, r2)).outputs.digit, raw.model.forward(corrupt(x, noise, r2)).outputs.digit), 0, 0, "raw");
  });

  it("owns no parameters; its loss reaches the trunk and the target head, and it trains through the Trainer", async () => {
    const m = new Consistency({ model: base(4), task: agree, target: "digit", noise, rng: new Rng(5) });
    m.checkOwnership();
    expect(m.taskParameters("agree")).toEqual([]);
    expect(m.taskParameters("digit").length).toBeGreaterThan(0);
    scope(() => {
      const x = randn([8, IN], 0, 1, new Rng(6));
      const loss = mseLoss(m.forward(x, ["agree"]).outputs.agree, zeros([8, 3]));
      const named = m.namedParameters();
      const gs = gradients(loss, named.map(([, p]) => p));
      for (const [i, [n]] of named.entries()) expect(Math.max(...Array.from(gs[i].data(), Math.abs)), n).toBeGreaterThan(0);
    });
    const n = 64, r = new Rng(7);
    const data = { digit: new Int32Array(n).map(() => r.int(3)), agree: { values: new Float32Array(n * 3), shape: [3] } };
    const ds = new MultiTaskDataset({ x: randn([n, IN], 0, 1, r).data(), xShape: [IN], labels: data });
    const trainer = new Trainer(m, { tasks: [digit, agree], optimizer: (p) => new Adam(p, { lr: 0.01 }), seed: 1 });
    const logs = await trainer.fit({ digit: ds.withTasks(["digit"]), agree: ds.withTasks(["agree"]) }, { epochs: 2, batchSize: 16 });
    expect(logs.every((l) => Number.isFinite(l.loss.agree) && Number.isFinite(l.loss.digit))).toBe(true);
  });

  it("refuses bad options by name", () => {
    const mk = (o: Record<string, unknown>) => () => new Consistency({ model: base(1), task: agree, target: "digit", noise, ...o } as never);
    expect(mk({ target: "dgit" })).toThrow(/Consistency: target must name a task of the model \(digit\), got "dgit"/);
    expect(mk({ noise: undefined })).toThrow(/Consistency: noise is required/);
    expect(mk({ noise: { kind: "blur" } })).toThrow(/Consistency: denoise kind must be "mask" or "gaussian"/);
    expect(mk({ compare: "kl" })).toThrow(/Consistency: compare must be "softmax", "sigmoid" or "raw"/);
    expect(mk({ nois: 1 })).toThrow(/Consistency: unknown option "nois"/);
    expect(mk({ task: digit })).toThrow(/already a task of the model/);
    const wrong = new Consistency({ model: base(1), task: task("agree", { kind: "regression", outputs: 2 }), target: "digit", noise });
    expect(() => wrong.forward(randn([2, IN], 0, 1, new Rng(1)))).toThrow(/Consistency: task "agree" has 2 outputs, the target head gives/);
  });
});
