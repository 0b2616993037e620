// A trainer changes all or nothing: Trainer.loadStateDict checks every part (model,
// optimiser, weighting, counters, the trainer's and every module's random stream) before it
// applies any, and a step that fails (the NaN guard) leaves batch-norm statistics, dropout
// streams, optimiser moments, weighting state and counters as they were. Both are checked
// by hashing the whole state before and after.
import { describe, it, expect, beforeAll } from "vitest";
import { createHash } from "node:crypto";
import {
  init, Rng, MultiTaskDataset, task, SharedBottom, Trainer, Adam, UncertaintyWeighting, Sequential, Linear, BatchNorm1d,
  ReLU, Dropout, randn, type Task, type Tensor, type Weighting, type WeightingContext,
} from "../src/index.js";
import { GradNorm, DBMTL, AutoLambda } from "../src/methods/index.js";
import { encodeCheckpoint } from "../src/io/index.js";

beforeAll(async () => { await init(); });

const TASKS = (): Task[] => [task("cls", { kind: "classification", outputs: 3 }), task("reg", { kind: "regression", outputs: 1 })];

function data(n: number, seed: number, poison = false): MultiTaskDataset {
  const x = randn([n, 6], 0, 1, new Rng(seed)).data() as Float32Array;
  const cls = Int32Array.from({ length: n }, (_, i) => (x[i * 6] > 0 ? 1 : 0) + (x[i * 6 + 1] > 0.5 ? 1 : 0));
  const reg = Float32Array.from({ length: n }, (_, i) => x[i * 6 + 2] - 0.5 * x[i * 6 + 3]);
  if (poison) x[5] = NaN;
  return new MultiTaskDataset({ x, xShape: [6], labels: { cls, reg } });
}

/** A model with every kind of step state: batch norm, two dropout streams, a stateful weighting. */
function build(seed: number, weighting: (names: string[]) => Weighting = (n) => new GradNorm(n)): Trainer {
  const rng = new Rng(seed);
  const trunk = new Sequential(new Linear(6, 8, { rng }), new BatchNorm1d(8), new ReLU(), new Dropout(0.3, rng), new Linear(8, 8, { rng }), new Dropout(0.2, rng));
  const model = new SharedBottom({ tasks: TASKS(), trunk, trunkOutputs: 8, towers: [4], rng });
  return new Trainer(model, { tasks: TASKS(), weighting: weighting(["cls", "reg"]), seed, optimizer: (p) => new Adam(p, { lr: 0.01 }) });
}

/** SHA-256 of everything a trainer would save (exact bits: the binary checkpoint encoding). */
const hash = (t: Trainer) => createHash("sha256").update(encodeCheckpoint(t.stateDict())).digest("hex");
const clone = <T>(v: T): T => structuredClone(v);

describe("Trainer.loadStateDict is all or nothing", () => {
  it("a bad entry in any part leaves the whole trainer as it was; the good state then loads exactly", async () => {
    const donor = build(1);
    await donor.fit(data(48, 2), { epochs: 2, batchSize: 16 });
    const good = donor.stateDict() as Record<string, any>;
    const target = build(3);
    await target.fit(data(48, 4), { epochs: 1, batchSize: 16 });
    const before = hash(target);
    const path0 = Object.keys(good.dropout)[0];
    const corruptions: [string, (s: Record<string, any>) => void, RegExp][] = [
      ["a model entry of the wrong length", (s) => { const k = Object.keys(s.model)[1]; s.model[k].data = s.model[k].data.slice(1); }, /"trunk.0.bias": 7 values .*, expected 8/],
      ["a string in the model's values", (s) => { const k = Object.keys(s.model)[0]; s.model[k].data[0] = "1"; }, /value 0 is "1" \(string\)/],
      ["a bad optimiser step", (s) => { s.optimizer.state["0"].step = -1; }, /step must be a non-negative integer/],
      ["an optimiser buffer of the wrong shape", (s) => { s.optimizer.state["1"].exp_avg.shape = [1]; }, /exp_avg: shape \[1\]/],
      ["a bad weighting state (applied last before)", (s) => { s.weighting.t = "abc"; }, /GradNorm\.loadStateDict: t must be an integer/],
      ["another method's weighting state", (s) => { s.weightingMethod = "UW"; }, /bad weightingMethod \(this trainer's is GradNorm\) "UW"/],
      ["a random-stream counter of \"abc\"", (s) => { s.rng.counter = "abc"; }, /bad rng \{"key":\[\d+,\d+\],"counter":"abc"\}/],
      ["a random-stream key that is not two uint32", (s) => { s.rng.key = [1, -2]; }, /bad rng \{"key":\[1,-2\]/],
      ["a malformed dropout stream", (s) => { s.dropout[path0] = { key: [1, 2] }; }, /bad dropout "trunk\.3" \{"key":\[1,2\]\}/],
      ["a missing dropout stream", (s) => { delete s.dropout[path0]; }, /bad dropout \(streams of trunk\.3,trunk\.5\) \["trunk\.5"\]/],
      ["a dropout stream for no module", (s) => { s.dropout["trunk.9"] = s.dropout[path0]; }, /bad dropout \(streams of trunk\.3,trunk\.5\) \["trunk\.3","trunk\.5","trunk\.9"\]/],
      ["a fractional step", (s) => { s.step = 1.5; }, /bad step 1\.5/],
      ["a negative epoch", (s) => { s.epoch = -1; }, /bad epoch -1/],
      ["not a trainer state", (s) => { s.format = "other"; }, /bad format\/version \(not a trainer state\) \["other",1\]/],
    ];
    for (const [what, corrupt, msg] of corruptions) {
      const bad = clone(good);
      corrupt(bad);
      expect(() => target.loadStateDict(bad), what).toThrow(msg);
      expect(hash(target), what).toBe(before);
    }
    target.loadStateDict(clone(good));
    expect(hash(target)).toBe(hash(donor));
  });

  it("a weighting state a method rejects part-way is put back (uncertainty weighting's log-variances)", async () => {
    const tr = build(5, (n) => new UncertaintyWeighting(n));
    await tr.fit(data(32, 6), { epochs: 1, batchSize: 16 });
    const before = hash(tr);
    const bad = clone(tr.stateDict()) as Record<string, any>;
    bad.weighting.logVars = [0.5];
    expect(() => tr.loadStateDict(bad)).toThrow(/logVars must have 2 values/);
    expect(hash(tr)).toBe(before);
  });
});

/** Wraps a method and poisons a shared gradient after the inner method has updated its state. */
class PoisonAfter implements Weighting {
  readonly name: string;
  poison = false;
  params: () => Tensor[] = () => [];
  constructor(readonly inner: Weighting) { this.name = inner.name; }
  get needsValidation() { return this.inner.needsValidation; }
  get needsLookahead() { return this.inner.needsLookahead; }
  backward(ctx: WeightingContext): number[] {
    const w = this.inner.backward(ctx);
    if (this.poison) {
      const p = this.params().find((q) => q.grad)!;
      const g = p.grad!.data() as Float32Array;
      g[0] = NaN;
      p.grad!.write(g);
    }
    return w;
  }
  stateDict() { return this.inner.stateDict!(); }
  loadStateDict(s: Record<string, unknown>) { this.inner.loadStateDict!(s); }
}

describe("a step that fails changes no state", () => {
  it("a NaN input: batch norm, dropout streams, optimiser, weighting and counters are as before, and training goes on identically", async () => {
    const a = build(7), b = build(7);
    const train = data(32, 8);
    await a.fit(train, { epochs: 1, batchSize: 16 });
    await b.fit(train, { epochs: 1, batchSize: 16 });
    const before = hash(a);
    const bad = data(16, 9, true).batch(Int32Array.from({ length: 16 }, (_, i) => i));
    expect(() => a.trainStep([{ tasks: ["cls", "reg"], batch: bad }])).toThrow(/loss of task "cls" is NaN.*parameters were not updated/);
    expect(hash(a)).toBe(before);
    // the failed step left nothing behind: both continue bit-identically
    await a.fit(train, { epochs: 1, batchSize: 16 });
    await b.fit(train, { epochs: 1, batchSize: 16 });
    expect(hash(a)).toBe(hash(b));
  });

  it("a NaN gradient after the weighting moved its state (DB-MTL's EMA buffers, GradNorm's weights) is undone", async () => {
    for (const make of [(n: string[]) => new DBMTL(n), (n: string[]) => new GradNorm(n)]) {
      let w!: PoisonAfter;
      const tr = build(11, (n) => (w = new PoisonAfter(make(n))));
      w.params = () => tr.model.parameters();
      const train = data(32, 12);
      await tr.fit(train, { epochs: 1, batchSize: 16 });
      const before = hash(tr);
      w.poison = true;
      const batch = train.batch(Int32Array.from({ length: 16 }, (_, i) => i));
      expect(() => tr.trainStep([{ tasks: ["cls", "reg"], batch }]), w.name).toThrow(/gradient of ".*" has NaN\/Inf.*parameters were not updated/);
      expect(hash(tr), w.name).toBe(before);
    }
  });

  it("a bilevel method's failed step leaves the validation stream where it was: fit resumes to the bits of a run that never failed", async () => {
    const train = data(48, 13), validation = data(20, 14);
    const whole = build(15, (n) => new AutoLambda(n));
    await whole.fit(train, { epochs: 2, batchSize: 8, validation });
    let w!: PoisonAfter;
    const tr = build(15, (n) => (w = new PoisonAfter(new AutoLambda(n))));
    w.params = () => tr.model.parameters();
    let before = "";
    // step 4 draws its validation batch, then fails the gradient check
    const cb = { onBatchEnd: (step: number) => { if (step === 3) { before = hash(tr); w.poison = true; } } };
    await expect(tr.fit(train, { epochs: 2, batchSize: 8, validation, callbacks: [cb] })).rejects.toThrow(/gradient of ".*" has NaN\/Inf/);
    expect(hash(tr)).toBe(before);
    w.poison = false;
    await tr.fit(train, { epochs: 2, batchSize: 8, validation });
    expect(hash(tr)).toBe(hash(whole));
  });
});
