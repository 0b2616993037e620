// nn.Module mechanics and the basic layers.
import { describe, it, expect, beforeAll } from "vitest";
import { init, tensor, Linear, Sequential, ReLU, Tanh, Dropout, Module, Tensor, Rng, seed, sum, gradients, randn } from "../src/index.js";
import { loadGolden, fromGolden, expectClose, gradCheck } from "./helpers.js";

beforeAll(async () => { await init(); });

class Tower extends Module {
  fc1 = new Linear(4, 3);
  act = new ReLU();
  fc2 = new Linear(3, 1);
  forward(x: Tensor): Tensor { return this.fc2.forward(this.act.forward(this.fc1.forward(x))); }
}
class Model extends Module {
  trunk = new Sequential(new Linear(5, 4), new Tanh());
  towers = { a: new Tower(), b: new Tower() };
  forward(x: Tensor): Tensor[] { const h = this.trunk.forward(x); return [this.towers.a.forward(h), this.towers.b.forward(h)]; }
}

describe("Module", () => {
  it("names parameters by dotted path in definition order", () => {
    const m = new Model();
    expect(m.namedParameters().map(([n]) => n)).toEqual([
      "trunk.0.weight", "trunk.0.bias",
      "towers.a.fc1.weight", "towers.a.fc1.bias", "towers.a.fc2.weight", "towers.a.fc2.bias",
      "towers.b.fc1.weight", "towers.b.fc1.bias", "towers.b.fc2.weight", "towers.b.fc2.bias",
    ]);
    expect(m.numParameters()).toBe(5 * 4 + 4 + 2 * (4 * 3 + 3 + 3 + 1));
  });

  it("errors name the layer by its path", () => {
    const m = new Model();
    m.namedParameters();
    expect(() => m.towers.a.fc1.forward(tensor([[1, 2, 3]]))).toThrow('Linear "towers.a.fc1": input Tensor [1, 3] float32 has 3 features, expected 4');
  });

  it("freeze and unfreeze by prefix", () => {
    const m = new Model();
    m.freeze("trunk");
    expect(m.trainableParameters().length).toBe(8);
    m.unfreeze();
    expect(m.trainableParameters().length).toBe(10);
  });

  it("train/eval reaches every descendant", () => {
    const m = new Model();
    m.eval();
    expect(m.towers.b.act.training).toBe(false);
  });

  it("loadStateDict checks everything before changing anything", () => {
    const m = new Model();
    const before = m.trunk.layers[0] as Linear;
    const w0 = Array.from(before.weight.data());
    const sd = Object.fromEntries(Object.entries(new Model().stateDict()).map(([k, t]) => [k, { shape: t.shape, data: t.data() }]));
    sd["towers.b.fc2.bias"] = { shape: [2], data: new Float32Array(2) };
    expect(() => m.loadStateDict(sd)).toThrow(/"towers.b.fc2.bias": shape \[2\], expected \[1\]/);
    expect(Array.from(before.weight.data())).toEqual(w0);
    delete (sd as Record<string, unknown>)["towers.b.fc2.bias"];
    expect(() => m.loadStateDict(sd)).toThrow(/missing "towers.b.fc2.bias"/);
    m.loadStateDict(sd, false);
    expect(Array.from(before.weight.data())).not.toEqual(w0);
  });

  it("the same seed builds the same model", () => {
    seed(5); const a = new Model();
    seed(5); const b = new Model();
    expect(Array.from(a.parameters()[2].data())).toEqual(Array.from(b.parameters()[2].data()));
  });
});

describe("layers", () => {
  it("Linear matches PyTorch's forward on the golden MLP", () => {
    const g = loadGolden().models.mlp;
    const net = new Sequential(new Linear(8, 16), new ReLU(), new Linear(16, 16), new Tanh(), new Linear(16, 3));
    net.loadStateDict(Object.fromEntries(Object.entries(g.init).map(([k, v]) => [k, v as { shape: number[]; data: number[] }])));
    expectClose(net.forward(fromGolden(g.x)), g.out, 1e-5, 1e-6, "mlp out");
  });

  it("Linear gradients (finite differences), rank-3 input", () => {
    const fc = new Linear(3, 2, { rng: new Rng(3) });
    gradCheck((x, w, b) => { fc.weight = w; fc.bias = b; return fc.forward(x); },
      [randn([2, 2, 3], 0, 1, new Rng(4)), fc.weight, fc.bias!]);
  });

  it("Dropout: eval is identity, train keeps the expected fraction and scales", () => {
    const d = new Dropout(0.25, new Rng(9));
    const x = tensor(new Float32Array(4000).fill(1), [4000]);
    const y = d.forward(x).data();
    const kept = y.filter((v) => v !== 0);
    expect(kept.every((v) => Math.abs(v - 1 / 0.75) < 1e-6)).toBe(true);
    expect(Math.abs(kept.length / 4000 - 0.75)).toBeLessThan(0.03);
    d.eval();
    expect(d.forward(x)).toBe(x);
    const [g] = gradients(sum(new Dropout(0.5, new Rng(1)).forward(x)), [x]);
    expect(g).toBeDefined();
  });
});

describe("Dropout streams", () => {
  it("two Dropouts built from one Rng drop different units", async () => {
    const { Dropout, Rng, ones } = await import("../src/index.js");
    const rng = new Rng(3);
    const a = new Dropout(0.5, rng), b = new Dropout(0.5, rng);
    const x = ones([64]);
    expect(Array.from(a.forward(x).data())).not.toEqual(Array.from(b.forward(x).data()));
  });
});
