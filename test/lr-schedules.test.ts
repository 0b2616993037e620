// Learning-rate schedules against their closed forms (computed here with JS Math, which
// test code may use; the library computes pow/cos in Wasm), reduce-on-plateau against a
// hand trace of torch's rules, composition, and state round-trips.
import { describe, it, expect, beforeAll } from "vitest";
import {
  init, tensor, Tensor, powInt, SGD, StepLR, ExponentialLR, CosineAnnealingLR, LinearWarmup, ReduceLROnPlateau,
} from "../src/index.js";

beforeAll(async () => { await init(); });

function param(): Tensor { const p = tensor([1, 2]).keep(); p.requiresGrad = true; return p; }
/** An optimiser with two groups, lrs 0.1 and 0.02. */
const twoGroups = () => new SGD([{ params: [param()] }, { params: [param()], lr: 0.02 }], { lr: 0.1 });
const BASE = [0.1, 0.02];

function expectLrs(actual: number[], expected: number[], rel = 1e-14): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => {
    if (Math.abs(a - expected[i]) > rel * Math.abs(expected[i]) + 1e-300) throw new Error(`lr[${i}]: ${a}, expected ${expected[i]}`);
  });
}

describe("powInt (integer powers by repeated squaring)", () => {
  it("is exact where the power is representable and within n ulps elsewhere", () => {
    expect(powInt(0.5, 10)).toBe(2 ** -10);
    expect(powInt(3, 0)).toBe(1);
    expect(powInt(0.9, 1)).toBe(0.9);
    expect(powInt(0.999, 2)).toBe(0.999 * 0.999);
    for (const [x, n] of [[0.9, 37], [0.999, 1000], [0.9999, 54321]]) {
      expect(Math.abs(powInt(x, n) / x ** n - 1)).toBeLessThan(n * 2.3e-16);
    }
    expect(() => powInt(2, 1.5)).toThrow("powInt: exponent must be an integer >= 0, got 1.5");
  });
});

describe("closed-form schedules", () => {
  it("StepLR: base * gamma^floor(t / stepSize)", () => {
    const opt = twoGroups();
    const s = new StepLR(opt, { stepSize: 3, gamma: 0.1 });
    for (let t = 0; t <= 10; t++) {
      if (t > 0) s.step();
      expectLrs(opt.paramGroups.map((g) => g.lr), BASE.map((b) => b * 0.1 ** Math.floor(t / 3)));
    }
    expect(s.t).toBe(10);
  });

  it("ExponentialLR: base * gamma^t", () => {
    const opt = twoGroups();
    const s = new ExponentialLR(opt, { gamma: 0.9 });
    for (let t = 0; t <= 50; t++) {
      if (t > 0) s.step();
      expectLrs(s.lrs, BASE.map((b) => b * 0.9 ** t));
    }
  });

  it("CosineAnnealingLR: etaMin + (base - etaMin)(1 + cos(pi t / tMax)) / 2, past tMax too", () => {
    const opt = twoGroups();
    const s = new CosineAnnealingLR(opt, { tMax: 10, etaMin: 0.001 });
    for (let t = 0; t <= 25; t++) {
      if (t > 0) s.step();
      expectLrs(s.lrs, BASE.map((b) => 0.001 + (b - 0.001) * (1 + Math.cos(Math.PI * t / 10)) / 2), 1e-13);
    }
    const z = new CosineAnnealingLR(twoGroups(), { tMax: 4 });
    for (let t = 0; t < 4; t++) z.step();
    expect(z.lrs).toEqual([0, 0]); // cos(pi) = -1 exactly in Wasm
  });

  it("LinearWarmup ramps from startFactor to the base lr, then holds", () => {
    const opt = twoGroups();
    const s = new LinearWarmup(opt, { warmupSteps: 4, startFactor: 0.2 });
    for (let t = 0; t <= 6; t++) {
      if (t > 0) s.step();
      expectLrs(s.lrs, BASE.map((b) => b * (t < 4 ? 0.2 + 0.8 * t / 4 : 1)));
    }
  });

  it("LinearWarmup hands over to another schedule, whose count starts at the end of warm-up", () => {
    const opt = twoGroups();
    const cos = new CosineAnnealingLR(opt, { tMax: 8 });
    const s = new LinearWarmup(opt, { warmupSteps: 3, after: cos });
    for (let t = 0; t <= 12; t++) {
      if (t > 0) s.step();
      const want = BASE.map((b) => (t < 3 ? b * t / 3 : b * (1 + Math.cos(Math.PI * (t - 3) / 8)) / 2));
      expectLrs(s.lrs, want, 1e-13);
      expect(cos.t).toBe(Math.max(0, t - 3));
    }
    expect(() => new LinearWarmup(twoGroups(), { warmupSteps: 3, after: cos }))
      .toThrow("LinearWarmup: after must be null or a schedule on the same optimizer, got CosineAnnealingLR");
  });

  it("errors name the schedule and the option", () => {
    expect(() => new StepLR(twoGroups(), { stepSize: 0 })).toThrow("StepLR: stepSize must be an integer >= 1, got 0");
    expect(() => new CosineAnnealingLR(twoGroups(), { tMax: 10, etaMin: -1 })).toThrow("CosineAnnealingLR: etaMin must be a number >= 0, got -1");
    expect(() => new LinearWarmup(twoGroups(), { warmupSteps: 5, startFactor: 2 })).toThrow("LinearWarmup: startFactor must be a number in [0, 1], got 2");
  });

  it("state round-trips through JSON; resuming continues the same sequence", () => {
    const run = (n: number, resumeAt?: number): number[][] => {
      let opt = twoGroups();
      let s = new LinearWarmup(opt, { warmupSteps: 3, startFactor: 0.1, after: new StepLR(opt, { stepSize: 2, gamma: 0.5 }) });
      const out: number[][] = [];
      for (let t = 1; t <= n; t++) {
        if (t === resumeAt) {
          const saved = JSON.parse(JSON.stringify(s.stateDict()));
          opt = twoGroups();
          s = new LinearWarmup(opt, { warmupSteps: 3, after: new StepLR(opt, { stepSize: 5 }) });
          s.loadStateDict(saved);
        }
        s.step();
        out.push(s.lrs);
      }
      return out;
    };
    expect(run(10, 5)).toEqual(run(10));
    const s = new ExponentialLR(twoGroups(), { gamma: 0.5 });
    const d = s.stateDict();
    expect(d).toEqual({ type: "ExponentialLR", last_epoch: 0, base_lrs: [0.1, 0.02], gamma: 0.5 });
    expect(() => s.loadStateDict({ ...d, gamma: -1 })).toThrow("ExponentialLR.loadStateDict: gamma must be a number >= 0, got -1");
    expect(() => s.loadStateDict({ ...d, base_lrs: [1] })).toThrow("base_lrs must be 2 numbers >= 0");
    expect(() => s.loadStateDict({ ...d, type: "StepLR" })).toThrow("the dict is for StepLR, not ExponentialLR");
    expect(s.options.gamma).toBe(0.5);
  });
});

describe("schedules drive the optimiser's updates", () => {
  it("the lr a schedule sets is the lr the next step uses", () => {
    const p = param();
    p.grad = tensor([1, -1]).keep();
    const opt = new SGD([p], { lr: 0.5 });
    const s = new StepLR(opt, { stepSize: 1, gamma: 0.5 });
    opt.step(); // lr 0.5
    s.step();
    opt.step(); // lr 0.25
    expect(Array.from(p.data())).toEqual([1 - 0.75, 2 + 0.75]);
  });
});

describe("ReduceLROnPlateau", () => {
  it("follows torch's rules: patience, relative threshold, cooldown, min_lr, eps", () => {
    const opt = new SGD([{ params: [param()] }, { params: [param()], lr: 1 }], { lr: 0.1 });
    const s = new ReduceLROnPlateau(opt, { patience: 2, factor: 0.5, threshold: 0.1, cooldown: 1, minLr: [0, 0.6] });
    const metrics = [1.0, 0.95, 0.95, 0.95, 0.95, 0.5, 0.5, 0.5, 0.5, 0.5];
    // hand trace: 0.95 is not below 1.0 * (1 - 0.1), so steps 2-4 are bad and step 4 reduces
    // (bad 3 > patience 2); step 5 is absorbed by the cooldown; 0.5 improves; steps 7-9
    // are bad and step 9 reduces again, except group 1, held at its min_lr 0.6.
    const want = [[0.1, 1], [0.1, 1], [0.1, 1], [0.05, 0.6], [0.05, 0.6], [0.05, 0.6], [0.05, 0.6], [0.05, 0.6], [0.025, 0.6], [0.025, 0.6]];
    metrics.forEach((m, i) => { s.step(m); expect(s.lrs, `step ${i + 1}`).toEqual(want[i]); });
    expect(s.best).toBe(0.5);
  });

  it("mode max with an absolute threshold", () => {
    const opt = new SGD([param()], { lr: 1 });
    const s = new ReduceLROnPlateau(opt, { mode: "max", thresholdMode: "abs", threshold: 0.05, patience: 0, factor: 0.1 });
    s.step(0.5); expect(s.lrs).toEqual([1]);
    s.step(0.54); expect(s.lrs).toEqual([0.1]); // not above 0.5 + 0.05
    s.step(0.6); expect(s.lrs).toEqual([0.1]);
  });

  it("state round-trips through JSON (best = null before the first metric)", () => {
    const make = () => { const opt = new SGD([param()], { lr: 1 }); return [opt, new ReduceLROnPlateau(opt, { patience: 1 })] as const; };
    const [, fresh] = make();
    expect(fresh.stateDict().best).toBeNull();
    const [optA, a] = make();
    for (const m of [3, 2, 2]) a.step(m);
    const [optB, b] = make();
    b.loadStateDict(JSON.parse(JSON.stringify(a.stateDict())));
    optB.loadStateDict(JSON.parse(JSON.stringify(optA.stateDict())));
    for (const m of [2, 2, 2, 1, 1, 1]) { a.step(m); b.step(m); expect(b.lrs).toEqual(a.lrs); }
    expect(b.stateDict()).toEqual(a.stateDict());
    expect(() => b.loadStateDict({ ...a.stateDict(), factor: 2 })).toThrow("ReduceLROnPlateau.loadStateDict: factor must be a number in [0, 1), got 2");
    expect(() => new ReduceLROnPlateau(optA, { mode: "up" as never })).toThrow('ReduceLROnPlateau: mode must be "min" or "max", got "up" (string)');
  });
});
