// Optimisers: 3-step trajectories on the golden MLP against PyTorch, clipping, state
// dictionaries (inspect, round-trip, resume = uninterrupted), memory flatness over a
// long run, frozen parameters, parameter groups and option errors.
import { describe, it, expect, beforeAll } from "vitest";
import {
  init, tensor, scope, memoryStats, backward, noGrad, Sequential, Linear, ReLU, Tanh, Tensor,
  max, sub, exp, sum, log, add, mul, mean,
  SGD, Adam, AdamW, RMSprop, Adagrad, Optimizer, clipGradNorm, clipGradValue, type BaseOptions,
} from "../src/index.js";
import { loadGolden, fromGolden, expectClose, makeOptimizer, type AnyOpt } from "./helpers.js";

beforeAll(async () => { await init(); });

type Golden = { shape: number[]; data: number[] };
const mlp = () => loadGolden().models.mlp;

function buildMlp(): Sequential {
  const net = new Sequential(new Linear(8, 16), new ReLU(), new Linear(16, 16), new Tanh(), new Linear(16, 3));
  net.loadStateDict(mlp().init as Record<string, Golden>);
  return net;
}

/** Mean cross-entropy composed from existing ops: logsumexp (max-shifted) minus the label's logit. */
function crossEntropy(logits: Tensor, onehot: Tensor): Tensor {
  const m = noGrad(() => max(logits, 1, true)); // a constant shift: logsumexp does not depend on it
  const lse = add(m, log(sum(exp(sub(logits, m)), 1, true)));
  return mean(sub(lse, sum(mul(logits, onehot), 1, true)));
}

function batch(): { x: Tensor; onehot: Tensor } {
  const g = mlp();
  const labels = g.labels.data as number[];
  const oh = labels.map((l) => [0, 1, 2].map((c) => (c === l ? 1 : 0)));
  return { x: fromGolden(g.x).keep(), onehot: tensor(oh).keep() };
}

/** One training step as the golden generator takes it; returns the loss before the update. */
function trainStep(net: Sequential, opt: AnyOpt, x: Tensor, onehot: Tensor, clip?: number): number {
  return scope(() => {
    opt.zeroGrad();
    const loss = crossEntropy(net.forward(x), onehot);
    backward(loss);
    if (clip !== undefined) clipGradNorm(net.parameters(), clip);
    opt.step();
    return loss.item();
  });
}

// Tolerances (relative, with an absolute floor) on the parameters after 3 steps. What
// differs from torch is f32 rounding (its CPU kernels fuse multiply-adds, Wasm SIMD
// cannot; its reductions run in another order) carried through the steps. RMSprop and
// Adagrad take ~lr * sign(g) steps at first (g / sqrt(g^2)), which amplifies rounding in
// small gradients most, yet they also stay within 1e-5 here, so one tolerance serves all.
const TOL: Record<string, [number, number]> = {
  sgd: [1e-5, 1e-6], sgd_momentum_nesterov: [1e-5, 1e-6], adam: [1e-5, 1e-6], adamw: [1e-5, 1e-6],
  adam_clip: [1e-5, 1e-6], rmsprop: [1e-5, 1e-6], adagrad: [1e-5, 1e-6],
};

describe("optimisers vs PyTorch (golden MLP, 3 steps from the same init)", () => {
  for (const name of Object.keys(TOL)) {
    it(name, () => {
      const g = mlp();
      const cfg = g.optimizers[name];
      const net = buildMlp();
      const { x, onehot } = batch();
      const opt = makeOptimizer(cfg, net.parameters());
      const losses: number[] = [];
      for (let s = 0; s < g.steps; s++) losses.push(trainStep(net, opt, x, onehot, cfg.clip_grad_norm));
      expectClose(losses, g.step_losses[name], 2e-6, 1e-7, `${name} losses`);
      const [rtol, atol] = TOL[name];
      let worst = 0, worstRel = 0;
      for (const [k, t] of Object.entries(net.stateDict())) {
        const want = g.after[name][k] as Golden;
        worst = Math.max(worst, expectClose(t, want, rtol, atol, `${name} ${k}`));
        const a = t.data();
        for (let i = 0; i < a.length; i++) worstRel = Math.max(worstRel, Math.abs(a[i] - want.data[i]) / Math.max(Math.abs(want.data[i]), 1e-3));
      }
      console.log(`${name}: max |param - torch| after ${g.steps} steps = ${worst.toExponential(2)} (max rel ${worstRel.toExponential(2)})`);
    });
  }
});

/** A parameter with a given gradient (kept, float32). */
function param(values: number[], grad?: number[]): Tensor {
  const p = tensor(values).keep();
  p.requiresGrad = true;
  if (grad) p.grad = tensor(grad).keep();
  return p;
}
const f32 = (v: number[]): number[] => v.map(Math.fround);

describe("clipping", () => {
  it("clipGradNorm scales all gradients by maxNorm / (norm + 1e-6) and returns the norm", () => {
    const a = param([1, 2], [3, 4]), b = param([0], [12]), c = param([5]); // c has no gradient
    const norm = clipGradNorm([a, b, c], 6.5);
    expect(norm).toBe(13);
    const coef = Math.fround(6.5 / (13 + 1e-6));
    expect(Array.from(a.grad!.data())).toEqual(f32([3 * coef, 4 * coef]));
    expect(Array.from(b.grad!.data())).toEqual(f32([12 * coef]));
    expect(c.grad).toBeNull();
  });

  it("clipGradNorm leaves gradients under the limit untouched", () => {
    const a = param([1, 2], [0.3, 0.4]);
    expect(clipGradNorm(a, 1)).toBeCloseTo(0.5, 7);
    expect(Array.from(a.grad!.data())).toEqual(f32([0.3, 0.4]));
  });

  it("clipGradValue clamps each element", () => {
    const a = param([1, 2, 3, 4], [-3, -0.2, 0.2, 3]);
    clipGradValue([a], 0.5);
    expect(Array.from(a.grad!.data())).toEqual(f32([-0.5, -0.2, 0.2, 0.5]));
    expect(() => clipGradValue([a], -1)).toThrow("clipGradValue: clipValue must be a number >= 0, got -1");
  });
});

describe("parameters, groups and penalties", () => {
  it("skips frozen parameters and those without a gradient", () => {
    const net = buildMlp();
    const { x, onehot } = batch();
    net.freeze("0.");
    const frozen = (net.layers[0] as Linear).weight;
    const before = Array.from(frozen.data());
    const opt = new Adam(net.parameters(), { lr: 0.01 });
    for (let i = 0; i < 3; i++) trainStep(net, opt, x, onehot);
    expect(Array.from(frozen.data())).toEqual(before);
    expect(opt.getState(frozen)).toBeUndefined();
    // a parameter frozen after it got a gradient is still left alone
    const last = (net.layers[4] as Linear).bias!;
    scope(() => { opt.zeroGrad(); backward(crossEntropy(net.forward(x), onehot)); });
    last.requiresGrad = false;
    const lastBefore = Array.from(last.data());
    opt.step();
    expect(Array.from(last.data())).toEqual(lastBefore);
    expect(opt.getState(last)!.step).toBe(3);
  });

  it("zeroGrad releases gradients (a parameter without one is not moved by momentum); zeroGrad(false) zeroes them", () => {
    const p = param([1, 2], [0.5, -0.5]);
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
    opt.step();
    const after1 = Array.from(p.data());
    opt.zeroGrad();
    expect(p.grad).toBeNull();
    opt.step();
    expect(Array.from(p.data())).toEqual(after1);
    p.grad = tensor([1, 1]).keep();
    opt.zeroGrad(false);
    expect(Array.from(p.grad!.data())).toEqual([0, 0]);
  });

  it("parameter groups take their own hyper-parameters", () => {
    const a = param([1, 1], [1, -1]), b = param([1, 1], [1, -1]);
    const opt = new SGD([{ params: [a] }, { params: [b], lr: 0.5 }], { lr: 0.1 });
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.1, 0.5]);
    opt.step();
    expect(Array.from(a.data())).toEqual(f32([1 - 0.1, 1 + 0.1]));
    expect(Array.from(b.data())).toEqual(f32([0.5, 1.5]));
  });

  it("weightDecay (L2) and l1 are added to the gradient", () => {
    const p = param([2, -2, 0], [0.5, 0.5, 0.5]);
    new SGD([p], { lr: 0.1, weightDecay: 0.1, l1: 0.01 }).step();
    const fr = Math.fround;
    const want = [2, -2, 0].map((v, i) => {
      let d = fr(0.5 + fr(fr(0.1) * v));
      d = fr(d + fr(fr(0.01) * [1, -1, 0][i]));
      return fr(v + fr(-fr(0.1) * d));
    });
    expect(Array.from(p.data())).toEqual(want);
  });

  it("errors name the optimiser, the group and the option", () => {
    const a = param([1]), b = param([2]);
    expect(() => new Adam([a], { lr: 0.1, weight_decay: 0.1 } as never)).toThrow('Adam: unknown option "weight_decay" in the options');
    expect(() => new Adam([a], { betas: [0.9, 1] })).toThrow("Adam: betas must be two numbers in [0, 1), got [0.9, 1]");
    expect(() => new SGD([{ params: [a] }, { params: [b], lr: -1 }])).toThrow("SGD (param group 1): lr must be a number >= 0, got -1");
    expect(() => new SGD([a], { nesterov: true })).toThrow("SGD: nesterov needs momentum > 0 and dampening 0");
    expect(() => new SGD([{ params: [a] }, { params: [a] }])).toThrow("appears more than once");
    expect(() => new RMSprop([])).toThrow("RMSprop: got an empty parameter list");
    expect(new Adam([a], { lr: undefined, eps: 1e-6 }).paramGroups[0]).toMatchObject({ lr: 1e-3, eps: 1e-6, weightDecay: 0 });
    expect(new AdamW([b]).paramGroups[0].weightDecay).toBe(1e-2);
  });
});

describe("state dictionaries", () => {
  type Make = (ps: Tensor[]) => AnyOpt;
  const makers: Record<string, Make> = {
    "SGD (momentum, nesterov)": (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-3 }) as unknown as AnyOpt,
    "Adam (amsgrad, l1)": (ps) => new Adam(ps, { lr: 0.01, amsgrad: true, l1: 1e-4 }) as unknown as AnyOpt,
    AdamW: (ps) => new AdamW([{ params: ps.slice(0, 2), lr: 0.02 }, { params: ps.slice(2) }], { lr: 0.01 }) as unknown as AnyOpt,
    "RMSprop (centered, momentum)": (ps) => new RMSprop(ps, { lr: 0.01, centered: true, momentum: 0.5 }) as unknown as AnyOpt,
    "Adagrad (lr decay)": (ps) => new Adagrad(ps, { lr: 0.1, lrDecay: 0.01, initialAccumulatorValue: 0.1 }) as unknown as AnyOpt,
  };
  for (const [name, make] of Object.entries(makers)) {
    it(`${name}: train 2, save, load into a fresh optimiser, train 3 = train 5`, () => {
      const { x, onehot } = batch();
      const a = buildMlp(), optA = make(a.parameters());
      for (let i = 0; i < 2; i++) trainStep(a, optA, x, onehot);
      const saved = JSON.stringify(optA.stateDict());
      const params = Object.fromEntries(Object.entries(a.stateDict()).map(([k, t]) => [k, { shape: [...t.shape], data: Array.from(t.data()) }]));
      const b = buildMlp();
      b.loadStateDict(params);
      const optB = make(b.parameters());
      optB.loadStateDict(JSON.parse(saved));
      expect(optB.stateDict()).toEqual(JSON.parse(saved));
      for (let i = 0; i < 3; i++) expect(trainStep(b, optB, x, onehot)).toBe(trainStep(a, optA, x, onehot));
      for (const [k, t] of Object.entries(a.stateDict())) expect(Array.from(b.stateDict()[k].data()), k).toEqual(Array.from(t.data()));
    });
  }

  it("is plain data in torch's layout, keyed by parameter index", () => {
    const { x, onehot } = batch();
    const net = buildMlp();
    const opt = new Adam(net.parameters(), { lr: 0.01 });
    trainStep(net, opt, x, onehot);
    const sd = opt.stateDict();
    expect(sd.type).toBe("Adam");
    expect(sd.param_groups).toEqual([{ params: [0, 1, 2, 3, 4, 5], lr: 0.01, betas: [0.9, 0.999], eps: 1e-8,
      weight_decay: 0, amsgrad: false, l1: 0, param_names: ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"] }]);
    expect(Object.keys(sd.state)).toEqual(["0", "1", "2", "3", "4", "5"]);
    expect(sd.state["0"].step).toBe(1);
    const m = sd.state["0"].exp_avg as { shape: number[]; data: number[] };
    expect(m.shape).toEqual([16, 8]);
    expect(m.data).toEqual(Array.from(opt.getState(net.parameters()[0])!.buffers.exp_avg.data()));
  });

  it("loadStateDict checks everything before changing anything", () => {
    const { x, onehot } = batch();
    const net = buildMlp();
    const opt = new Adam(net.parameters(), { lr: 0.01 });
    trainStep(net, opt, x, onehot);
    const good = opt.stateDict();
    const fresh = new Adam(buildMlp().parameters(), { lr: 0.5 });
    const bad = JSON.parse(JSON.stringify(good));
    bad.param_groups[0].lr = 0.001;
    bad.state["5"].exp_avg.shape = [4];
    expect(() => fresh.loadStateDict(bad)).toThrow('Adam.loadStateDict: state "5".exp_avg: shape [4], expected [3]');
    expect(fresh.paramGroups[0].lr).toBe(0.5);
    expect(fresh.getState(fresh.paramGroups[0].params[0])).toBeUndefined();
    bad.state["5"].exp_avg.shape = [3];
    bad.state["5"].velocity = bad.state["5"].exp_avg;
    expect(() => fresh.loadStateDict(bad)).toThrow('unknown buffer "velocity"');
    expect(() => fresh.loadStateDict({ ...good, type: "SGD" })).toThrow("Adam.loadStateDict: the dict is for SGD, not Adam");
    const renamed = JSON.parse(JSON.stringify(good));
    renamed.param_groups[0].param_names[0] = "trunk.weight";
    expect(() => fresh.loadStateDict(renamed)).toThrow('params[0] is "trunk.weight" in the dict, "0.weight" here');
  });
});

describe("memory", () => {
  it("2,000 training steps with Adam (and clipping) hold memory flat", () => {
    const { x, onehot } = batch();
    const net = buildMlp();
    const opt = new Adam(net.parameters(), { lr: 1e-3, amsgrad: true });
    const marks: number[] = [], live: number[] = [];
    for (let i = 0; i < 2000; i++) {
      trainStep(net, opt, x, onehot, 1.0);
      if (i % 200 === 199) { marks.push(memoryStats().highWater); live.push(memoryStats().liveAllocations); }
    }
    expect(new Set(marks).size).toBe(1);
    expect(new Set(live).size).toBe(1);
  });
});
