// The methods of polyhead/methods as trainer plug-ins: missing labels (a task absent from
// a step sits it out: no NaN, its head and its state untouched), the choice of gradient
// space and the errors of a method that needs the other one, option checks, and that a
// plug-in's update is its pure rule's.
import { describe, it, expect, beforeAll } from "vitest";
import {
  init, Rng, MultiTaskDataset, task, SharedBottom, Trainer, SGD, randn, weightingNames, createWeighting,
  type Task, type Weighting,
} from "../src/index.js";
import * as M from "../src/methods/index.js";

beforeAll(async () => { await init(); });

const NAMES = ["cls", "reg", "bin"];
const TASKS = (): Task[] => [
  task("cls", { kind: "classification", outputs: 3 }),
  task("reg", { kind: "regression", outputs: 1 }),
  task("bin", { kind: "binary", outputs: 1 }),
];
/** 32 rows; "reg" is missing (NaN) in rows 0..15. */
function data(): MultiTaskDataset {
  const n = 32, rng = new Rng(11);
  const x = randn([n, 6], 0, 1, rng).data() as Float32Array;
  const cls = new Int32Array(n), reg = new Float32Array(n), bin = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const a = x[i * 6] + x[i * 6 + 1];
    cls[i] = a > 0.5 ? 2 : a > -0.5 ? 1 : 0;
    reg[i] = i < 16 ? NaN : x[i * 6 + 2] - 0.5 * a;
    bin[i] = x[i * 6 + 4] > 0 ? 1 : 0;
  }
  return new MultiTaskDataset({ x, xShape: [6], labels: { cls, reg, bin } });
}
const build = (w: Weighting) => {
  const tasks = TASKS();
  const model = new SharedBottom({ tasks, inputs: 6, trunk: [8], towers: [4], rng: new Rng(1) });
  const trainer = new Trainer(model, { tasks, weighting: w, seed: 5, optimizer: (p) => new SGD(p, { lr: 0.05 }) });
  // bilevel methods (Auto-λ, MOML, FORUM) read a validation batch, which fit draws; trainStep alone is given one
  const step = trainer.trainStep.bind(trainer);
  if (w.needsValidation) trainer.trainStep = (parts) => step(parts, data().batch(range(16, 32)));
  return { model, trainer };
};
const vals = (ps: { data(): ArrayLike<number> }[]) => ps.map((p) => Array.from(p.data()));
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

describe("missing labels: a task absent from a step sits it out", () => {
  const methods = weightingNames();
  it.each(methods.map((name) => ({ name })))("$name", ({ name }) => {
    const d = data();
    const { model, trainer } = build(createWeighting(name, NAMES));
    trainer.trainStep([{ tasks: NAMES, batch: d.batch(range(16, 32)) }]); // all three tasks
    const state0 = JSON.stringify(trainer.weighting.stateDict?.() ?? {});
    const regHead = vals(model.taskParameters("reg"));
    const r = trainer.trainStep([{ tasks: NAMES, batch: d.batch(range(0, 16)) }]); // no "reg" labels
    expect(Object.keys(r.weights).sort()).toEqual(["bin", "cls"]);
    for (const v of Object.values(r.losses)) expect(Number.isFinite(v)).toBe(true);
    for (const v of Object.values(r.weights)) expect(Number.isFinite(v)).toBe(true);
    for (const p of vals(model.parameters())) expect(p.every(Number.isFinite)).toBe(true);
    expect(vals(model.taskParameters("reg"))).toEqual(regHead);
    // the absent task's own state did not move
    const s0 = JSON.parse(state0), s1 = JSON.parse(JSON.stringify(trainer.weighting.stateDict?.() ?? {}));
    for (const key of Object.keys(s0)) {
      const a = s0[key], b = s1[key];
      if (Array.isArray(a) && a.length === 3) {
        const ra = a[1], rb = b[1];
        expect(rb, `${name}.${key}[reg]`).toEqual(ra);
        if (Array.isArray(ra) && ra.length === 3) expect(b.map((row: number[]) => row[1]), `${name}.${key}[*][reg]`).toEqual(a.map((row: number[]) => row[1])); // pairwise (GradVac)
      }
    }
    // and the next full step trains "reg" again
    trainer.trainStep([{ tasks: NAMES, batch: d.batch(range(16, 32)) }]);
    expect(vals(model.taskParameters("reg"))).not.toEqual(regHead);
  });
});

describe("gradient spaces", () => {
  it("MGDA-UB works on the representation and matches its pure rule there", () => {
    const d = data();
    let G: number[][] = [];
    const probe: Weighting = { name: "probe", backward: (ctx) => { G = ctx.gram("representation"); ctx.backwardWeighted([1, 1, 1]); return [1, 1, 1]; } };
    build(probe).trainer.trainStep([{ tasks: NAMES, batch: d.batch(range(16, 32)) }]);
    const ub = build(new M.MGDA({ on: "representation" }));
    expect(ub.trainer.weighting.name).toBe("MGDA-UB");
    const r = ub.trainer.trainStep([{ tasks: NAMES, batch: d.batch(range(16, 32)) }]);
    const want = M.mgdaWeights(G);
    NAMES.forEach((t, i) => expect(r.weights[t]).toBeCloseTo(want[i], 6));
  });
  it("a method that needs one space refuses the other, saying which it needs", () => {
    expect(() => new M.GradDrop({ on: "shared" as never })).toThrow(/GradDrop: needs the per-task gradients w.r.t. the shared representation \(on: "representation"\)/);
    expect(() => new M.DBMTL(NAMES, { on: "representation" as never })).toThrow(/DB-MTL: needs the per-task gradients w.r.t. the shared parameters \(on: "shared"\)/);
    expect(() => new M.MoCo(NAMES, { on: "representation" as never })).toThrow(/MoCo: needs .* shared parameters/);
    expect(() => new M.ExcessMTL(NAMES, { on: "representation" as never })).toThrow(/ExcessMTL: needs .* shared parameters/);
    expect(() => new M.CAGrad({ on: "weights" as never })).toThrow(/CAGrad: on must be "shared" or "representation"/);
  });
  it("every gradient method that allows both trains on the representation too", () => {
    const d = data();
    for (const w of [new M.CAGrad({ on: "representation" }), new M.NashMTL({ on: "representation" }), new M.UPGrad({ on: "representation" }),
      new M.IMTL(NAMES, { on: "representation" }), new M.AlignedMTL({ on: "representation" }), new M.GradVac(NAMES, { on: "representation" }),
      new M.GradNorm(NAMES, { on: "representation" }), new M.ConFIG({ on: "representation" }), new M.TrimmedMean({ on: "representation" })]) {
      const { model, trainer } = build(w);
      const before = vals(model.sharedParameters());
      trainer.trainStep([{ tasks: NAMES, batch: d.batch(range(16, 32)) }]);
      expect(vals(model.sharedParameters()), w.name).not.toEqual(before);
      for (const p of vals(model.parameters())) expect(p.every(Number.isFinite)).toBe(true);
    }
  });
});

describe("options", () => {
  it("unknown options are rejected by name; bad values name the option", () => {
    expect(() => new M.MGDA({ solvr: "exact" } as never)).toThrow(/MGDA: unknown option "solvr"/);
    expect(() => new M.CAGrad({ c: -1 })).toThrow(/CAGrad: c must be >= 0/);
    expect(() => new M.FAMO(NAMES, { lr: 0 })).toThrow(/FAMO: lr must be > 0/);
    expect(() => new M.STCH(NAMES, { pref: [1] })).toThrow(/STCH: pref must have 3 values/);
    expect(() => new M.Krum({ f: 1.5 })).toThrow(/Krum: f must be an integer/);
  });
  it("loadStateDict validates before changing anything", () => {
    const g = new M.GradNorm(NAMES);
    expect(() => g.loadStateDict({ weights: [1, 2], initial: [1, 1, 1], m: [0, 0, 0], v: [0, 0, 0], t: 0 })).toThrow(/GradNorm.loadStateDict: weights must be 3 finite numbers/);
    expect(g.weights).toEqual([1, 1, 1]);
    const m = new M.MoCo(NAMES);
    expect(() => m.loadStateDict({ tracked: [null, null], lambda: [0.2, 0.3, 0.5] })).toThrow(/MoCo.loadStateDict: expected 3 buffers/);
    expect(m.lambda).toEqual([1 / 3, 1 / 3, 1 / 3]);
  });
});

describe("the polyhead/methods entry", () => {
  // A child Node process, so the import goes through the package's exports (the built dist/).
  it("registers its methods in the core's registry (one engine, one registry)", async () => {
    const { execFileSync } = await import("node:child_process");
    const script = `
      const ph = await import("polyhead");
      const m = await import("polyhead/methods");
      await ph.init();
      const w = ph.createWeighting("CAGrad", ["a", "b"]);
      console.log(JSON.stringify({ cagrad: w instanceof m.CAGrad, names: ph.weightingNames().length, mgda: m.mgdaWeights([[1, 0], [0, 1]]) }));`;
    const out = JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: new URL("..", import.meta.url), encoding: "utf8" }));
    expect(out.cagrad).toBe(true);
    expect(out.names).toBeGreaterThan(25);
    expect(out.mgda).toEqual([0.5, 0.5]);
  });
});
