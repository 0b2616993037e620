// The multi-task architectures (soft sharing, cross-stitch, MMoE, CGC, PLE, DSelect-k) and
// output fusion: shapes, the shared/task parameter split, gradient flow, finite
// differences, gates, and each architecture's defining property.
import { describe, it, expect, beforeAll } from "vitest";
import { init, task, tensor, randn, sum, gradients, noGrad, scope, memoryStats, concat, reshape, Rng, Tensor, Module, SharedBottom, MMoE, type MultiTaskModel, type Sequential } from "../src/index.js";
import { SoftSharing, CrossStitch, CGC, PLE, DSelectK, Fusion, ESMM, MTAN, smoothStep } from "../src/architectures/index.js";
import { Autoencoder, VAE, vaeTask } from "../src/unsupervised/index.js";
import { softmaxRows } from "../src/mtl/architectures/base.js";
import { expectClose, gradCheck } from "./helpers.js";

beforeAll(async () => { await init(); });

const tasks = [
  task("a", { kind: "regression", outputs: 2 }),
  task("b", { kind: "classification", outputs: 3 }),
  task("c", { kind: "regression", outputs: 2 }),
];
const IN = 5, B = 6;
const features = (seed = 11, n = B) => randn([n, IN], 0, 1, new Rng(seed));
const input = features;
const final = task("final", { kind: "regression", outputs: 2 });
// auxiliary unsupervised heads (polyhead/unsupervised) over a base model's representation
const recon = task("recon", { kind: "reconstruction", outputs: IN });
const vae = vaeTask("vae", { features: IN, latent: 2, likelihood: "gaussian" });
const ctr = task("ctr", { kind: "binary", outputs: 1 }), ctcvr = task("ctcvr", { kind: "binary", outputs: 1 });
// MTAN reads images: [n, 1, 4, 4]
const image = (seed = 11, n = B) => randn([n, 1, 4, 4], 0, 1, new Rng(seed));

type Act = "relu" | "tanh";
interface Case {
  name: string;
  build: (act: Act, seed: number) => MultiTaskModel;
  /** The input batch (default: [n, IN] features). */
  input?: (seed?: number, n?: number) => Tensor;
  /**
   * True when no other task's parameters reach a task's output. Not so in cross-stitch
   * (the units mix the columns) and PLE (lower task experts feed the shared gate): there
   * only the other tasks' towers (and PLE's top layer) are checked.
   */
}

const CASES: Case[] = [
  { name: "SharedBottom", build: (activation, s) => new SharedBottom({ tasks, inputs: IN, trunk: [4], towers: [3], activation, rng: new Rng(s) }) },
  { name: "SoftSharing", build: (activation, s) => new SoftSharing({ tasks, inputs: IN, trunk: [4, 3], towers: [3], activation, rng: new Rng(s) }) },
  { name: "CrossStitch", build: (activation, s) => new CrossStitch({ tasks, inputs: IN, columns: [4, 3], towers: [3], activation, rng: new Rng(s) }) },
  { name: "MMoE", build: (activation, s) => new MMoE({ tasks, inputs: IN, experts: 3, expertWidths: [4], towers: [3], activation, rng: new Rng(s) }) },
  { name: "CGC", build: (activation, s) => new CGC({ tasks, inputs: IN, sharedExperts: 2, taskExperts: { a: 1, b: 2, c: 1 }, expertWidths: [4], towers: [3], activation, rng: new Rng(s) }) },
  { name: "PLE", build: (activation, s) => new PLE({ tasks, inputs: IN, sharedExperts: 2, taskExperts: 1, expertWidths: [4, 3], layers: 2, towers: [3], activation, rng: new Rng(s) }) },
  { name: "DSelectK", build: (activation, s) => new DSelectK({ tasks, inputs: IN, experts: 4, k: 2, expertWidths: [4], towers: [3], activation, rng: new Rng(s) }) },
  { name: "DSelectK (static, 3 experts)", build: (activation, s) => new DSelectK({ tasks, inputs: IN, experts: 3, k: 2, expertWidths: [4], gating: "static", activation, rng: new Rng(s) }) },
  {
    name: "Fusion (mlp over MMoE)",
    build: (activation, s) => new Fusion({
      model: new MMoE({ tasks, inputs: IN, experts: 2, expertWidths: [4], activation, rng: new Rng(s) }),
      task: final, sources: tasks, method: "mlp", hidden: [3], activation, rng: new Rng(s + 1),
    }),
  },
  {
    name: "Fusion (learned weights over CrossStitch)",
    build: (activation, s) => new Fusion({
      model: new CrossStitch({ tasks, inputs: IN, columns: [3], activation, rng: new Rng(s) }),
      task: final, sources: [tasks[0], tasks[2]], method: "weighted",
    }),
  },
  {
    name: "Autoencoder (decoder over SharedBottom)",
    build: (activation, s) => new Autoencoder({
      model: new SharedBottom({ tasks, inputs: IN, trunk: [4], towers: [3], activation, rng: new Rng(s) }),
      task: recon, width: 4, decoder: [3], activation, rng: new Rng(s + 1),
    }),
  },
  {
    // eval mode: z = mu, so finite differences see one function (the draw is tested in unsupervised-ae)
    name: "VAE (over MMoE, eval mode)",
    build: (activation, s) => new VAE({
      model: new MMoE({ tasks, inputs: IN, experts: 2, expertWidths: [3], activation, rng: new Rng(s) }),
      task: vae, width: 6, decoder: [3], activation, rng: new Rng(s + 1),
    }).eval() as unknown as MultiTaskModel,
  },
  { name: "ESMM", build: (activation, s) => new ESMM({ ctr, ctcvr, inputs: IN, bottom: [4], towers: [3], activation, rng: new Rng(s) }) },
  { name: "MTAN", input: image, build: (activation, s) => new MTAN({ tasks, inChannels: 1, channels: [2, 3], towers: [3], activation, rng: new Rng(s) }) },
];

/** All outputs of a forward pass, flattened into one vector (task order). */
function flatOutputs(m: MultiTaskModel, x: Tensor): Tensor {
  const out = m.forward(x).outputs;
  return concat(m.taskNames.map((t) => reshape(out[t], [-1])));
}

/** The module that holds each named parameter and the field it sits in. */
function owners(m: Module): Map<string, [Module, string]> {
  const mods = new Map(m.namedModules());
  const res = new Map<string, [Module, string]>();
  for (const [n] of m.namedParameters()) {
    const i = n.lastIndexOf(".");
    res.set(n, [mods.get(i < 0 ? "" : n.slice(0, i))!, n.slice(i + 1)]);
  }
  return res;
}

describe.each(CASES)("$name", ({ build, input = features }) => {
  it("forward: every task, and a subset with the same values", () => {
    const m = build("relu", 1);
    const x = input();
    const full = m.forward(x).outputs;
    expect(Object.keys(full)).toEqual(m.taskNames);
    for (const t of m.taskNames) {
      const spec = [...tasks, final, recon, vae, ctr, ctcvr].find((k) => k.name === t)!;
      expect([...full[t].shape], t).toEqual([B, spec.outputs]);
    }
    const last = m.taskNames[m.taskNames.length - 1], first = m.taskNames.includes("b") ? "b" : m.taskNames[0];
    const sub = m.forward(x, [first, last]).outputs;
    expect(Object.keys(sub).sort()).toEqual([first, last].sort());
    expectClose(sub[first], full[first], 0, 0, `subset ${first}`);
    expectClose(sub[last], full[last], 0, 0, `subset ${last}`);
    expect(() => m.forward(x, ["nope"])).toThrow(/unknown task "nope"/);
  });

  it("shared and task parameters partition the trainable ones", () => {
    const m = build("relu", 2);
    const all = m.trainableParameters();
    const groups = [m.sharedParameters(), ...m.taskNames.map((t) => m.taskParameters(t))];
    const seen = new Map<Tensor, number>();
    for (const g of groups) for (const p of g) seen.set(p, (seen.get(p) ?? 0) + 1);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(seen.size).toBe(all.length);
    // every task owns something, except fusion sources (the fused loss trains their heads too)
    // and ESMM's CTR task (the CTCVR loss trains the CTR tower too)
    for (const t of m.taskNames) {
      if (m instanceof Fusion && t !== m.task.name) continue;
      if (m instanceof ESMM && t === m.ctr) continue;
      expect(m.taskParameters(t).length, `task ${t} owns parameters`).toBeGreaterThan(0);
    }
  });

  it("a task's parameters are reached by that task's output alone; shared ones by two or more", () => {
    // tanh: a ReLU unit dead on the whole small batch would zero a gradient legitimately
    const m = build("tanh", 3);
    const named = m.namedParameters();
    const params = named.map(([, p]) => p);
    const out = m.forward(input()).outputs;
    const reach = new Map<Tensor, string[]>(params.map((p) => [p, []]));
    for (const t of m.taskNames) {
      gradients(sum(out[t]), params).forEach((g, i) => { if (g.data().some((v) => v !== 0)) reach.get(params[i])!.push(t); });
    }
    const nameOf = new Map(named.map(([n, p]) => [p, n]));
    for (const p of m.sharedParameters()) expect(reach.get(p)!.length, `shared ${nameOf.get(p)} reached by ${reach.get(p)}`).toBeGreaterThanOrEqual(2);
    for (const t of m.taskNames) {
      for (const p of m.taskParameters(t)) expect(reach.get(p), `${t}'s ${nameOf.get(p)}`).toEqual([t]);
    }
  });

  it("the ownership contract holds: every task prefix matches, no parameter is unowned or owned twice", () => {
    const m = build("relu", 3);
    expect(() => m.checkOwnership()).not.toThrow();
    expect(m.sharedPrefixes(), "built-in architectures declare their shared prefixes").not.toBeNull();
  });

  it("gradients match finite differences (every parameter and the input)", () => {
    const m = build("tanh", 4);
    const x = input(5, 3);
    const named = m.namedParameters();
    const where = owners(m);
    const originals = named.map(([, p]) => p);
    const set = (ps: Tensor[]) => named.forEach(([n], i) => { const [mod, key] = where.get(n)!; (mod as unknown as Record<string, Tensor>)[key] = ps[i]; });
    try {
      gradCheck((xi, ...ps) => { set(ps); return flatOutputs(m, xi); }, [x, ...originals]);
    } finally { set(originals); }
  });

  it("a training step inside a scope frees every temporary", () => {
    const m = build("relu", 6);
    const x = input().keep();
    const step = () => scope(() => { const out = m.forward(x).outputs; gradients(sum(out[m.taskNames[0]]), m.parameters()); const r = m.regularization(); if (r) r.item(); });
    step();
    const live = memoryStats().liveAllocations;
    step(); step();
    expect(memoryStats().liveAllocations).toBe(live);
  });
});

const rowSums = (t: Tensor) => {
  const d = t.f32(), w = t.shape[t.rank - 1];
  return Array.from({ length: t.size / w }, (_, i) => d.slice(i * w, (i + 1) * w).reduce((s, v) => s + v, 0));
};
const allNear = (xs: number[], v: number, tol = 1e-6) => xs.every((x) => Math.abs(x - v) <= tol);

describe("softmaxRows", () => {
  it("matches the definition, is stable for large logits, and has the right gradient", () => {
    const x = tensor([[1, 2, 3], [1000, 1000, 999], [-5, 0, 5]]);
    const y = softmaxRows(x).data();
    const ref = [[1, 2, 3], [1, 1, 0], [-5, 0, 5]].flatMap((r) => { const e = r.map((v) => Math.exp(v - Math.max(...r))); const s = e.reduce((p, q) => p + q); return e.map((v) => v / s); });
    expectClose(y, ref, 1e-5, 1e-7, "softmax");
    gradCheck((t) => softmaxRows(t), [randn([3, 4], 0, 1, new Rng(2))], { eps: 1e-3 });
  });
});

describe("option checks", () => {
  it("SharedBottom rejects unknown options, listing the known ones", () => {
    expect(() => new SharedBottom({ tasks, inputs: IN, trunk: [4], tower: [3] } as never))
      .toThrow('SharedBottom: unknown option "tower" (known: tasks, inputs, trunk, trunkOutputs, towers, activation, dropout, rng)');
  });

  it("common options are checked by every architecture", () => {
    expect(() => new SoftSharing({ tasks: [], inputs: IN, trunk: [4] })).toThrow("SoftSharing: tasks must be a non-empty list of task() declarations");
    expect(() => new CrossStitch({ tasks, inputs: 0, columns: [4] })).toThrow("CrossStitch: inputs must be >= 1, got 0");
    expect(() => new MMoE({ tasks, inputs: IN, experts: 2, expertWidths: [4], dropout: 1 })).toThrow("MMoE: dropout must be in [0, 1), got 1");
    expect(() => new SoftSharing({ tasks, inputs: IN, trunk: [4], lambda: -1 })).toThrow("SoftSharing: lambda must be a finite number >= 0, got -1");
  });
});

describe("SoftSharing", () => {
  it("the penalty is lambda * sum over task pairs of ||theta_i - theta_j||^2", () => {
    const m = new SoftSharing({ tasks, inputs: IN, trunk: [4, 3], lambda: 0.25, rng: new Rng(1) });
    const vec = (t: string) => m.trunks[t].parameters().flatMap((p) => Array.from(p.data()));
    const names = ["a", "b", "c"];
    let want = 0;
    for (let i = 0; i < 3; i++) for (let j = i + 1; j < 3; j++) {
      const u = vec(names[i]), v = vec(names[j]);
      want += u.reduce((s, ui, k) => s + (ui - v[k]) ** 2, 0);
    }
    expect(m.regularization()!.item()).toBeCloseTo(0.25 * want, 4);
    expect(m.sharedParameters()).toEqual([]);
    expect(m.forward(input()).representation).toBeNull();
  });

  it("the penalty is zero when the trunks are equal, and null for one task", () => {
    const m = new SoftSharing({ tasks, inputs: IN, trunk: [4], rng: new Rng(2) });
    const sd = m.trunks.a.stateDict();
    m.trunks.b.loadStateDict(sd);
    m.trunks.c.loadStateDict(sd);
    expect(m.regularization()!.item()).toBe(0);
    expect(new SoftSharing({ tasks: [tasks[0]], inputs: IN, trunk: [4] }).regularization()).toBeNull();
  });

  it("the penalty's gradient pulls the trunks together", () => {
    const m = new SoftSharing({ tasks: tasks.slice(0, 2), inputs: IN, trunk: [3], lambda: 0.5, rng: new Rng(3) });
    const wa = (m.trunks.a.layers[0] as unknown as { weight: Tensor }).weight, wb = (m.trunks.b.layers[0] as unknown as { weight: Tensor }).weight;
    const [ga] = gradients(m.regularization()!, [wa]);
    const a = wa.data(), b = wb.data();
    expectClose(ga, Array.from(a, (v, i) => 2 * 0.5 * (v - b[i])), 1e-5, 1e-7, "d penalty / d theta_a");
  });
});

describe("CrossStitch", () => {
  it("units start near identity: diagonal 0.9, the rest split evenly", () => {
    const m = new CrossStitch({ tasks, inputs: IN, columns: [4, 3], rng: new Rng(1) });
    expect(m.stitches.length).toBe(2);
    expectClose(m.stitches[0].alpha, [0.9, 0.05, 0.05, 0.05, 0.9, 0.05, 0.05, 0.05, 0.9], 1e-6, 1e-7, "alpha");
    // after the first unit every task reaches every column: columns and units are shared, towers are not
    const shared = new Set(m.sharedParameters());
    for (const s of m.stitches) expect(shared.has(s.alpha)).toBe(true);
    for (const t of m.taskNames) for (const p of m.columns[t].flatMap((c) => c.parameters())) expect(shared.has(p)).toBe(true);
  });

  it("at identity init it equals independent columns", () => {
    const m = new CrossStitch({ tasks, inputs: IN, columns: [4, 3], towers: [2], stitchInit: 1, rng: new Rng(2) });
    const x = input();
    const out = m.forward(x).outputs;
    for (const t of m.taskNames) {
      let h = x;
      for (const layer of m.columns[t]) h = layer.forward(h);
      expectClose(out[t], m.towers[t].forward(h), 0, 0, t);
    }
  });

  it("off identity the tasks' columns mix", () => {
    const m = new CrossStitch({ tasks: tasks.slice(0, 2), inputs: IN, columns: [4], stitchInit: 0.5, rng: new Rng(3) });
    const x = input();
    const ha = m.columns.a[0].forward(x).data(), hb = m.columns.b[0].forward(x).data();
    const mixed = Array.from(ha, (v, i) => 0.5 * v + 0.5 * hb[i]);
    expectClose(m.forward(x).outputs.a, m.towers.a.forward(tensor(mixed, [B, 4])), 1e-6, 1e-6, "mixed a");
  });
});

describe("MMoE", () => {
  it("each task's gate is a softmax over the experts (rows sum to 1)", () => {
    const m = new MMoE({ tasks, inputs: IN, experts: 4, expertWidths: [3], rng: new Rng(1) });
    const g = m.gateWeights(input());
    for (const t of m.taskNames) {
      expect([...g[t].shape]).toEqual([B, 4]);
      expect(allNear(rowSums(g[t]), 1), t).toBe(true);
      expect(g[t].data().every((v) => v > 0)).toBe(true);
    }
  });

  it("the output is the tower on the gated sum of experts; the representation is the experts' stack", () => {
    const m = new MMoE({ tasks: tasks.slice(0, 1), inputs: IN, experts: 3, expertWidths: [4], rng: new Rng(2) });
    const x = input();
    const { outputs, representation } = m.forward(x);
    const g = m.gateWeights(x).a.data();
    const ex = m.experts.map((e) => e.forward(x).data());
    const mix = new Float32Array(B * 4);
    for (let i = 0; i < B; i++) for (let e = 0; e < 3; e++) for (let h = 0; h < 4; h++) mix[i * 4 + h] += g[i * 3 + e] * ex[e][i * 4 + h];
    expectClose(outputs.a, m.towers.a.forward(tensor(mix, [B, 4])), 1e-5, 1e-6, "mmoe a");
    expect([...representation!.shape]).toEqual([B, 3, 4]);
  });

  it("errors name the option at fault", () => {
    expect(() => new MMoE({ tasks, inputs: IN, experts: 0, expertWidths: [4] })).toThrow("MMoE: experts must be >= 1, got 0");
    expect(() => new MMoE({ tasks, inputs: IN, experts: 2, expertWidths: [] })).toThrow(/MMoE: expertWidths must be a non-empty list/);
    expect(() => new MMoE({ tasks, inputs: IN, experts: 2, expertWidths: [4], expert: 3 } as never))
      .toThrow('MMoE: unknown option "expert" (known: tasks, inputs, towers, activation, dropout, rng, experts, expertWidths)');
    expect(() => new MMoE({ tasks: [tasks[0], tasks[0]], inputs: IN, experts: 2, expertWidths: [4] })).toThrow(/MMoE: the task name "a" is used twice/);
  });
});

describe("CGC and PLE", () => {
  it("CGC: each task's gate covers its own experts then the shared ones, rows sum to 1", () => {
    const m = new CGC({ tasks, inputs: IN, sharedExperts: 2, taskExperts: { a: 1, b: 3, c: 2 }, expertWidths: [4], rng: new Rng(1) });
    const [layer] = m.gateWeights(input());
    expect(layer.shared).toBeNull();
    expect(Object.fromEntries(Object.entries(layer.tasks).map(([t, g]) => [t, g.shape[1]]))).toEqual({ a: 3, b: 5, c: 4 });
    for (const g of Object.values(layer.tasks)) expect(allNear(rowSums(g), 1)).toBe(true);
    expect([...m.forward(input()).representation!.shape]).toEqual([B, 2, 4]);
    expect(m.taskParameters("b").length).toBe(3 * 2 + 1 + 2); // 3 experts (w, b), gate (w), tower (w, b)
  });

  it("PLE: non-final layers have a shared gate over every expert; the task-owned parts are per layer", () => {
    const m = new PLE({ tasks, inputs: IN, sharedExperts: 2, taskExperts: 1, expertWidths: [4], layers: 3, rng: new Rng(2) });
    const gates = m.gateWeights(input());
    expect(gates.length).toBe(3);
    expect(gates[0].shared!.shape[1]).toBe(2 + 3);
    expect(allNear(rowSums(gates[1].shared!), 1)).toBe(true);
    expect(gates[2].shared).toBeNull();
    expect(m.forward(input()).representation).toBeNull();
    // lower layers' task experts feed the shared gate, so only the top layer's are the task's
    expect(m.taskPrefixes("a")).toEqual([
      "layers.2.taskExperts.a.", "layers.0.gates.a.", "layers.1.gates.a.", "layers.2.gates.a.", "towers.a."]);
  });

  it("errors name the model and option", () => {
    expect(() => new CGC({ tasks, inputs: IN, sharedExperts: 1, taskExperts: 1, expertWidths: [4], layers: 2 } as never)).toThrow(/CGC: unknown option "layers"/);
    expect(() => new PLE({ tasks, inputs: IN, sharedExperts: 0, taskExperts: 1, expertWidths: [4] })).toThrow("PLE: sharedExperts must be >= 1, got 0");
    expect(() => new PLE({ tasks, inputs: IN, sharedExperts: 1, taskExperts: { a: 1, d: 1 }, expertWidths: [4] })).toThrow(/PLE: taskExperts names unknown task "d"/);
    expect(() => new PLE({ tasks, inputs: IN, sharedExperts: 1, taskExperts: { a: 1 }, expertWidths: [4] })).toThrow(/PLE: taskExperts.b must be an integer >= 1, got undefined/);
  });
});

describe("DSelectK", () => {
  it("smoothStep is the piecewise cubic: 0 below -gamma/2, 1 above gamma/2", () => {
    const g = 2;
    const xs = [-3, -1, -0.7, -0.2, 0, 0.3, 0.99, 1, 1.5];
    const want = xs.map((t) => (t <= -g / 2 ? 0 : t >= g / 2 ? 1 : (-2 / g ** 3) * t ** 3 + (3 / (2 * g)) * t + 0.5));
    expectClose(smoothStep(tensor(xs), g), want, 1e-6, 1e-7, "smooth-step");
    gradCheck((t) => smoothStep(t, g), [tensor([-0.8, -0.3, 0.1, 0.6])], { eps: 1e-3 });
  });

  it("gates sum to 1 with a power-of-two expert count (example and static gating)", () => {
    for (const gating of ["example", "static"] as const) {
      const m = new DSelectK({ tasks, inputs: IN, experts: 8, k: 3, expertWidths: [2], gating, rng: new Rng(1) });
      const g = m.gateWeights(input());
      for (const t of m.taskNames) {
        expect([...g[t].shape]).toEqual(gating === "example" ? [B, 8] : [8]);
        expect(allNear(rowSums(g[t]), 1, 2e-6), `${gating} ${t}`).toBe(true);
      }
      expect(m.regularization()).toBeNull();
    }
  });

  it("selects at most k experts once the selector logits saturate", () => {
    const m = new DSelectK({ tasks: tasks.slice(0, 1), inputs: IN, experts: 8, k: 2, expertWidths: [2], gating: "static", gamma: 1, rng: new Rng(2) });
    const gate = m.gates.a;
    // selector 0 -> code 101 (expert 5), selector 1 -> code 010 (expert 2)
    (gate.z as Tensor).write([0.7, -0.6, 2, -1, 0.5, -0.5]);
    (gate.w as Tensor).write([0.3, -0.1]);
    const w = Array.from(m.gateWeights(input()).a.data());
    const a0 = 1 / (1 + Math.exp(-0.4));
    expectClose(w, [0, 0, 1 - a0, 0, 0, a0, 0, 0], 1e-6, 1e-7, "sparse gate");
  });

  it("the entropy regulariser is entropyReg * -sum r log(r + 1e-6) over each task's selectors", () => {
    const m = new DSelectK({ tasks: tasks.slice(0, 2), inputs: IN, experts: 4, k: 2, expertWidths: [3], entropyReg: 0.1, rng: new Rng(3) });
    const x = input();
    m.forward(x);
    let want = 0;
    for (const t of m.taskNames) for (const r of m.gates[t].forward(x).selectors.data()) want -= r * Math.log(r + 1e-6);
    expect(m.regularization()!.item()).toBeCloseTo(0.1 * want, 4);
    // the selectors of a pass in eval mode or without gradients are not recorded
    const fresh = new DSelectK({ tasks, inputs: IN, experts: 4, k: 1, expertWidths: [3], entropyReg: 0.1 });
    noGrad(() => fresh.forward(x));
    expect(() => fresh.regularization()).toThrow(/DSelectK: regularization\(\) reads the gates' selectors/);
  });

  it("with a non-power-of-two expert count, regularization() adds sum 1 / sum(r) and the gates sum to at most 1", () => {
    const m = new DSelectK({ tasks: tasks.slice(0, 1), inputs: IN, experts: 5, k: 2, expertWidths: [3], rng: new Rng(4) });
    const x = input();
    m.forward(x);
    const sel = m.gates.a.forward(x).selectors; // [B, k, 5]
    expect(rowSums(m.gateWeights(x).a).every((s) => s <= 1 + 1e-6)).toBe(true);
    const want = rowSums(sel).reduce((s, v) => s + 1 / v, 0);
    expect(m.regularization()!.item()).toBeCloseTo(want, 3);
  });

  it("errors name the option at fault", () => {
    expect(() => new DSelectK({ tasks, inputs: IN, experts: 4, k: 5, expertWidths: [3] })).toThrow("DSelectK: k must be <= experts (4), got 5");
    expect(() => new DSelectK({ tasks, inputs: IN, experts: 1, k: 1, expertWidths: [3] })).toThrow("DSelectK: experts must be >= 2, got 1");
    expect(() => new DSelectK({ tasks, inputs: IN, experts: 4, k: 1, expertWidths: [3], gating: "dynamic" as never })).toThrow(/DSelectK: gating must be "example" or "static"/);
  });
});

describe("Fusion", () => {
  const two = [task("p", { kind: "regression", outputs: 2 }), task("q", { kind: "regression", outputs: 2 })];
  const base = (s = 1) => new MMoE({ tasks: two, inputs: IN, experts: 2, expertWidths: [3], rng: new Rng(s) });

  it("behaves as a model whose tasks include the fused one; its parameters belong to it", () => {
    const inner = base();
    const m = new Fusion({ model: inner, task: final, sources: two, method: "mlp", hidden: [4], rng: new Rng(2) });
    expect(m.taskNames).toEqual(["p", "q", "final"]);
    expect(m.taskPrefixes("final")).toEqual(["fusion."]);
    expect(m.taskPrefixes("p")).toEqual([]); // a source: the fused loss trains its head too
    expect(m.taskParameters("final")).toEqual((m.fusion as Sequential).parameters());
    expect(m.sharedParameters()).toEqual(inner.trainableParameters());
    const x = input();
    const only = m.forward(x, ["final"]);
    expect(Object.keys(only.outputs)).toEqual(["final"]);
    expect([...only.representation!.shape]).toEqual([B, 2, 3]);
    // the fused loss trains the source towers too
    const [g] = gradients(sum(only.outputs.final), [inner.towers.q.parameters()[0]]);
    expect(g.data().some((v) => v !== 0)).toBe(true);
  });

  it("mlp: a network on the concatenated outputs", () => {
    const inner = base();
    const m = new Fusion({ model: inner, task: final, sources: two, method: "mlp", rng: new Rng(3) });
    const x = input();
    const out = inner.forward(x).outputs;
    expectClose(m.forward(x).outputs.final, (m.fusion as Sequential).forward(concat([out.p, out.q], 1)), 0, 0, "mlp");
  });

  it("weighted (fixed), weighted (learned, starting uniform) and average", () => {
    const inner = base();
    const x = input();
    const out = inner.forward(x).outputs;
    const p = out.p.data(), q = out.q.data();
    const fixed = new Fusion({ model: inner, task: final, sources: two, method: "weighted", weights: [0.25, 2] });
    expectClose(fixed.forward(x).outputs.final, Array.from(p, (v, i) => 0.25 * v + 2 * q[i]), 1e-6, 1e-6, "fixed");
    expect(fixed.weights()).toEqual([0.25, 2]);
    const avg = new Fusion({ model: inner, task: final, sources: two, method: "average" });
    const mean = Array.from(p, (v, i) => (v + q[i]) / 2);
    expectClose(avg.forward(x).outputs.final, mean, 1e-6, 1e-6, "average");
    const learned = new Fusion({ model: inner, task: final, sources: two, method: "weighted" });
    expectClose(learned.forward(x).outputs.final, mean, 1e-6, 1e-6, "learned at init");
    expect(learned.weights()).toEqual([0.5, 0.5]);
    const [g] = gradients(sum(learned.forward(x).outputs.final), learned.taskParameters("final"));
    expect(g.data().some((v) => v !== 0)).toBe(true);
  });

  it("errors name the option at fault", () => {
    const inner = base();
    const narrow = task("n", { kind: "regression", outputs: 1 });
    const m2 = new MMoE({ tasks: [two[0], narrow], inputs: IN, experts: 2, expertWidths: [3] });
    expect(() => new Fusion({ model: m2, task: final, sources: [two[0], narrow], method: "average" }))
      .toThrow('Fusion: method "average" needs every source as wide as the fused task "final" (2); "n" has 1');
    expect(() => new Fusion({ model: inner, task: two[0], sources: two, method: "average" })).toThrow(/Fusion: the fused task "p" is already a task/);
    expect(() => new Fusion({ model: inner, task: final, sources: [narrow], method: "mlp" })).toThrow(/Fusion: source "n" is not a task of the model/);
    expect(() => new Fusion({ model: inner, task: final, sources: two, method: "weighted", weights: [1] })).toThrow(/Fusion: weights must be "learned" or 2 finite numbers/);
    expect(() => new Fusion({ model: inner, task: final, sources: two, method: "vote" as never })).toThrow(/Fusion: method must be/);
    expect(() => new Fusion({ model: inner, task: final, sources: two, method: "mlp", hiden: [3] } as never)).toThrow(/Fusion: unknown option "hiden"/);
  });
});

describe("the ownership contract catches misnamed fields", () => {
  // a user's architecture whose heads live under "heads", while the default prefix says "towers"
  class Misnamed extends SharedBottom {
    constructor(prefixes: "default" | "fixed", shared: string[]) {
      super({ tasks, inputs: IN, trunk: [4], rng: new Rng(1) });
      (this as unknown as { heads: unknown }).heads = this.towers;
      (this as unknown as { towers: unknown }).towers = {};
      this.fix = prefixes === "fixed";
      this.shared = shared;
    }
    private fix: boolean;
    private shared: string[];
    override taskPrefixes(t: string): string[] { return this.fix ? [`heads.${t}.`] : [`towers.${t}.`]; }
    override sharedPrefixes(): string[] { return this.shared; }
  }
  it("a task prefix that matches nothing is an error naming it", () => {
    expect(() => new Misnamed("default", ["trunk."]).checkOwnership()).toThrow(/task "a"'s prefix "towers.a." matches no parameter.*heads\.a\.0\.weight/);
  });
  it("a parameter neither shared nor a task's is an error naming it", () => {
    expect(() => new Misnamed("fixed", ["stem."]).checkOwnership()).toThrow(/parameter "trunk.0.weight" is no task's and not shared \(stem.\)/);
    expect(() => new Misnamed("fixed", ["trunk."]).checkOwnership()).not.toThrow();
  });
  it("a parameter claimed by two tasks is an error naming it", () => {
    class Greedy extends SharedBottom { override taskPrefixes(t: string): string[] { return [`towers.${t}.`, "towers.a."]; } }
    expect(() => new Greedy({ tasks, inputs: IN, trunk: [4], rng: new Rng(1) }).checkOwnership()).toThrow(/parameter "towers.a.0.weight" belongs to two tasks, "a" and "b"/);
  });
});

describe("option checks, Fusion widths and leaks, DSelect-k's regulariser", () => {
  it("task names and architecture options are checked", async () => {
    const { task, SharedBottom, Sequential, Linear } = await import("../src/index.js");
    expect(() => task("a.b", { kind: "regression", outputs: 1 })).toThrow(/must not contain "\."/);
    const t = task("a", { kind: "regression", outputs: 1 });
    expect(() => new SharedBottom({ tasks: [t, t], inputs: 3, trunk: [4] })).toThrow(/"a" is used twice/);
    expect(() => new SharedBottom({ tasks: [t], trunk: new Sequential(new Linear(3, 4)), trunkOutputs: 4, dropout: 0.5 })).toThrow(/dropout applies to an MLP trunk only/);
    expect(() => new CrossStitch({ tasks: [t, task("b", { kind: "regression", outputs: 1 })], inputs: 3, columns: [4], stitchInit: 5 })).toThrow(/stitchInit must be in \[0, 1\]/);
  });

  it("Fusion checks the sources' real widths, does not leak in weights(), rejects dropout without hidden layers", async () => {
    const { task, SharedBottom, randn, memoryStats } = await import("../src/index.js");
    const a = task("a", { kind: "classification", outputs: 3 }), b = task("b", { kind: "regression", outputs: 1 });
    const f = task("f", { kind: "regression", outputs: 1 });
    const base = () => new SharedBottom({ tasks: [a, b], inputs: 4, trunk: [5], rng: new Rng(1) });
    const lying = { ...a, outputs: 1 }; // declared 1 wide, the head gives 3
    const avg = new Fusion({ model: base(), task: f, sources: [lying, b], method: "average" });
    expect(() => avg.forward(randn([2, 4], 0, 1, new Rng(2)))).toThrow(/source "a" was declared with 1 outputs, its head gives 3/);
    const w = new Fusion({ model: base(), task: f, sources: [b], method: "weighted" });
    w.weights();
    const live = memoryStats().liveAllocations;
    for (let i = 0; i < 50; i++) w.weights();
    expect(memoryStats().liveAllocations).toBe(live);
    expect(() => new Fusion({ model: base(), task: f, sources: [b], method: "mlp", dropout: 0.2 })).toThrow(/dropout and activation need hidden layers/);
  });

  it("DSelect-k's static-gate regulariser covers only the tasks of the step", async () => {
    const { task, randn, gradients } = await import("../src/index.js");
    const tasks = [task("a", { kind: "regression", outputs: 1 }), task("b", { kind: "regression", outputs: 1 })];
    const m = new DSelectK({ tasks, inputs: 4, experts: 4, k: 2, expertWidths: [3], gating: "static", entropyReg: 0.1, rng: new Rng(1) });
    m.forward(randn([3, 4], 0, 1, new Rng(2)), ["a"]);
    const bParams = m.taskParameters("b");
    const gs = gradients(m.regularization()!, bParams);
    expect(gs.every((g) => g.data().every((v) => v === 0))).toBe(true);
  });
});
