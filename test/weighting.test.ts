// The weighting contract: every registered method trains a small model (shared and head
// parameters both move), returns one finite weight per task, and round-trips its state
// so a resumed trainer continues bit-identically. A new method only has to register.
// Also the context's shared calls (gram, applySharedUpdate, the heads guard) and the
// static weights' state.
import { describe, it, expect, beforeAll } from "vitest";
import {
  init, Rng, MultiTaskDataset, task, SharedBottom, Trainer, Adam, SGD, randn, tensor, vdot, vgram,
  weightingNames, createWeighting, registerWeighting, StaticWeighting,
  type Task, type Weighting, type WeightingContext,
} from "../src/index.js";
import "../src/methods/index.js"; // registers the methods of polyhead/methods
import { threeTasks } from "./helpers.js";

beforeAll(async () => { await init(); });

const TASKS = threeTasks;
const NAMES = ["cls", "reg", "bin"];

function synth(n: number, seed: number): MultiTaskDataset {
  const rng = new Rng(seed);
  const x = randn([n, 6], 0, 1, rng).data() as Float32Array;
  const cls = new Int32Array(n), reg = new Float32Array(n), bin = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const a = x[i * 6] + x[i * 6 + 1], b = x[i * 6 + 2] - x[i * 6 + 3];
    cls[i] = a > 0.5 ? 2 : a > -0.5 ? 1 : 0;
    reg[i] = b - 0.5 * a; // shares a direction with cls (conflict and agreement both occur)
    bin[i] = x[i * 6 + 4] > 0 ? 1 : 0;
  }
  return new MultiTaskDataset({ x, xShape: [6], labels: { cls, reg, bin } });
}

const build = (w: Weighting, seed = 3) => {
  const tasks = TASKS();
  const model = new SharedBottom({ tasks, inputs: 6, trunk: [8], towers: [4], rng: new Rng(1) });
  return { model, trainer: new Trainer(model, { tasks, weighting: w, seed, optimizer: (p) => new Adam(p, { lr: 1e-2 }) }) };
};
const values = (ps: { data(): ArrayLike<number> }[]) => ps.map((p) => Array.from(p.data()));
// bilevel methods (Auto-λ, MOML, FORUM) learn on validation batches
const fitWith = (w: Weighting, epochs: number) => ({ epochs, batchSize: 16, ...(w.needsValidation ? { validation: synth(24, 9) } : {}) });

describe.each(weightingNames().map((name) => ({ name })))("weighting $name", ({ name }) => {
  it("trains shared parameters and every head, with one finite weight per task", async () => {
    const { model, trainer } = build(createWeighting(name, NAMES));
    const shared0 = values(model.sharedParameters());
    const heads0 = Object.fromEntries(NAMES.map((t) => [t, values(model.taskParameters(t))]));
    const data = synth(48, 1);
    const h = await trainer.fit(data, fitWith(trainer.weighting, 2));
    expect(values(model.sharedParameters())).not.toEqual(shared0);
    for (const t of NAMES) {
      expect(model.taskParameters(t).length).toBeGreaterThan(0);
      expect(values(model.taskParameters(t)), `head "${t}" did not train`).not.toEqual(heads0[t]);
    }
    for (const t of NAMES) {
      expect(Number.isFinite(h[1].loss[t])).toBe(true);
      expect(Number.isFinite(h[1].weights[t])).toBe(true);
    }
  });

  it("round-trips its state: a resumed trainer continues bit-identically", async () => {
    const data = synth(48, 2);
    const a = build(createWeighting(name, NAMES));
    await a.trainer.fit(data, fitWith(a.trainer.weighting, 2));
    const b = build(createWeighting(name, NAMES));
    await b.trainer.fit(data, fitWith(b.trainer.weighting, 1));
    const saved = JSON.parse(JSON.stringify(b.trainer.stateDict()));
    const c = build(createWeighting(name, NAMES));
    c.trainer.loadStateDict(saved);
    await c.trainer.fit(data, fitWith(c.trainer.weighting, 1));
    expect(values(c.model.parameters())).toEqual(values(a.model.parameters()));
    expect(JSON.parse(JSON.stringify(c.trainer.weighting.stateDict?.() ?? {}))).toEqual(JSON.parse(JSON.stringify(a.trainer.weighting.stateDict?.() ?? {})));
    // and the method's own state alone
    const w = a.trainer.weighting, w2 = createWeighting(name, NAMES);
    if (w.stateDict) {
      w2.loadStateDict!(JSON.parse(JSON.stringify(w.stateDict())));
      expect(w2.stateDict!()).toEqual(JSON.parse(JSON.stringify(w.stateDict())));
    } else {
      expect(w.loadStateDict).toBeUndefined(); // stateless: neither half
    }
  });
});

describe("the registry", () => {
  it("lists the built-in methods and builds them by name", () => {
    for (const n of ["EW", "static", "UW", "PCGrad"]) expect(weightingNames()).toContain(n);
    expect(createWeighting("PCGrad", NAMES).name).toBe("PCGrad");
    expect(() => createWeighting("nope", NAMES)).toThrow(/unknown method "nope".*PCGrad/);
    expect(() => registerWeighting("PCGrad", () => createWeighting("EW", NAMES))).toThrow(/already registered/);
  });
});

describe("the weighting context", () => {
  // A step's context from inside a method, on a real model (the trainer builds it).
  const withContext = (fn: (ctx: WeightingContext) => number[]) => {
    const method: Weighting = { name: "probe", backward: fn };
    const { model, trainer } = build(method);
    const data = synth(16, 5);
    trainer.trainStep([{ tasks: NAMES, batch: data.batch([...Array(16).keys()]) }]);
    return model;
  };

  it("gram() is the inner products of sharedGrads(), exactly symmetric, of the representation too", () => {
    withContext((ctx) => {
      const g = ctx.sharedGrads(), G = ctx.gram();
      expect(G.length).toBe(3);
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 3; j++) {
          expect(G[i][j]).toBe(G[j][i]);
          // against a float64 scalar reference
          const a = g[i].data(), b = g[j].data();
          let ref = 0;
          for (let k = 0; k < a.length; k++) ref += a[k] * b[k];
          expect(Math.abs(G[i][j] - ref)).toBeLessThanOrEqual(1e-5 * (Math.abs(ref) + 1));
          expect(G[i][j]).toBe(vdot(g[i], g[j]));
        }
      }
      expect(ctx.gram()).toBe(G); // once per step
      const R = ctx.gram("representation"), z = ctx.representationGrads();
      expect(R[0][1]).toBe(vdot(z[0], z[1]));
      ctx.applySharedUpdate(g[0], [1, 1, 1]);
      return [1, 1, 1];
    });
  });

  it("applySharedUpdate trains the heads with the given weights", () => {
    // With SGD lr 1 the update is the gradient: heads get sum_i w_i dL_i, shared get the vector given.
    const run = (w: number[]) => {
      const tasks = TASKS();
      const model = new SharedBottom({ tasks, inputs: 6, trunk: [8], towers: [4], rng: new Rng(1) });
      let shared: number[] = [];
      const method: Weighting = { name: "probe", backward: (ctx) => { const g = ctx.sharedGrads()[1]; shared = Array.from(g.data()); ctx.applySharedUpdate(g, w); return w; } };
      const tr = new Trainer(model, { tasks, weighting: method, optimizer: (p) => new SGD(p, { lr: 1 }) });
      const before = values(model.parameters());
      const sharedBefore = values(model.sharedParameters()).flat();
      tr.trainStep([{ tasks: NAMES, batch: synth(16, 5).batch([...Array(16).keys()]) }]);
      const delta = values(model.sharedParameters()).flat().map((v, i) => sharedBefore[i] - v);
      delta.forEach((d, i) => expect(d).toBeCloseTo(shared[i], 5));
      return { model, before };
    };
    const one = run([1, 0, 0]), two = run([2, 0, 0]);
    const head = (m: SharedBottom, before: number[][], t: string) => {
      const idx = m.parameters().map((p, i) => [p, i] as const).filter(([p]) => m.taskParameters(t).includes(p)).map(([, i]) => i);
      return idx.flatMap((i) => Array.from(m.parameters()[i].data(), (v, j) => before[i][j] - v));
    };
    const d1 = head(one.model, one.before, "cls"), d2 = head(two.model, two.before, "cls");
    expect(d1.some((v) => v !== 0)).toBe(true);
    d1.forEach((v, i) => expect(d2[i]).toBeCloseTo(2 * v, 5));
    expect(head(one.model, one.before, "reg").every((v) => v === 0)).toBe(true); // weight 0: untouched
  });

  it("a method that updates the shared parameters but forgets the heads fails the step", () => {
    expect(() => withContext((ctx) => { ctx.addSharedGrad(ctx.sharedGrads()[0]); return [1, 1, 1]; }))
      .toThrow(/probe: updated the shared parameters but not the task-specific ones/);
  });

  it("rejects a weight list of the wrong length and a shared vector of the wrong size, naming them", () => {
    expect(() => withContext((ctx) => { ctx.backwardWeighted([1, 1]); return [1, 1, 1]; })).toThrow(/probe: backwardWeighted needs one weight per active task \(3: cls, reg, bin\), got 2/);
    expect(() => withContext((ctx) => { ctx.applySharedUpdate(tensor([1, 2, 3]), [1, 1, 1]); return [1, 1, 1]; })).toThrow(/addSharedGrad: vector has 3 values, shared parameters have \d+/);
  });

  it("vgram matches vdot pairwise", () => {
    const vs = [tensor([1, 2, 3]), tensor([-1, 0, 2]), tensor([0.5, 0.5, 0.5])];
    const G = vgram(vs);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(G[i][j]).toBe(vdot(vs[i], vs[j]));
    expect(G[0][1]).toBe(5);
  });
});

describe("StaticWeighting state", () => {
  it("loadStateDict restores the weights it saved (they replace the constructor's)", () => {
    const a = new StaticWeighting({ cls: 2, reg: 0.5 });
    const b = new StaticWeighting();
    b.loadStateDict(JSON.parse(JSON.stringify(a.stateDict())));
    expect(b.stateDict()).toEqual({ weights: { cls: 2, reg: 0.5 } });
    // and it trains with them: same update as the original
    const step = (w: Weighting) => {
      const { model, trainer } = build(w);
      trainer.trainStep([{ tasks: NAMES, batch: synth(16, 5).batch([...Array(16).keys()]) }]);
      return values(model.parameters());
    };
    expect(step(b)).toEqual(step(new StaticWeighting({ cls: 2, reg: 0.5 })));
    expect(step(b)).not.toEqual(step(new StaticWeighting()));
  });

  it("rejects bad saved weights by name and keeps its own", () => {
    const s = new StaticWeighting({ cls: 3 });
    expect(() => s.loadStateDict({ weights: { cls: -1 } })).toThrow(/StaticWeighting.loadStateDict: weight of "cls" must be finite and >= 0, got -1/);
    expect(() => s.loadStateDict({ weights: [1, 2] })).toThrow(/weights must be an object/);
    expect(s.stateDict()).toEqual({ weights: { cls: 3 } });
  });
});
