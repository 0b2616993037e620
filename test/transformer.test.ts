// Transformer encoders and positional encodings (polyhead/seq) against PyTorch
// (test/fixtures/attention.json, build/golden_attention.py): encoder layers post/pre-norm
// with ReLU and GELU under padding and causal masks, a stack with a final norm, the
// sinusoidal table, finite differences, seeded dropout, and a two-layer encoder
// classifier's 3 Adam steps against torch.optim.Adam's.
import { describe, it, expect, beforeAll } from "vitest";
import {
  init, tensor, Tensor, gradients, sum, mul, div, Rng, scope, backward, crossEntropy, Module, Embedding, Linear,
  memoryStats,
} from "../src/index.js";
import {
  TransformerEncoderLayer, TransformerEncoder, LearnedPositionalEmbedding, SinusoidalPositionalEncoding, sinusoidalPositions,
} from "../src/seq/index.js";
import { expectClose, fromGolden, gradCheck, loadFixture, makeOptimizer } from "./helpers.js";
import { maxDiffs, reportMaxDiffs, rnd } from "./nnhelpers.js";

beforeAll(async () => { await init(); });
reportMaxDiffs("transformer");
const fx = () => loadFixture("attention.json").layers;
const int = (g: { shape: number[]; data: number[] }) => fromGolden(g, "int32");
type Golden = { shape: number[]; data: number[] };

/** Forward a golden module case, compare outputs and every parameter's and input's gradient. */
function checkModule(name: string, m: Module, run: (x: Tensor) => Tensor): void {
  const c = fx()[name];
  expect(Object.keys(m.stateDict()).sort(), "state-dict names").toEqual(Object.keys(c.init).sort());
  m.loadStateDict(c.init);
  const x = fromGolden(c.inputs.x);
  x.requiresGrad = true;
  const y = run(x);
  const d: Record<string, number> = { out: expectClose(y, c.outs[0], 1e-5, 1e-5, `${name} out`) };
  const params = m.namedParameters();
  const gs = gradients(sum(mul(y, fromGolden(c.gs[0]))), [...params.map(([, t]) => t), x]);
  params.forEach(([n], i) => { d[n] = expectClose(gs[i], c.grads[n], 1e-4, 2e-5, `${name} grad ${n}`); });
  d.input_x = expectClose(gs[params.length], c.grads.input_x, 1e-4, 2e-5, `${name} grad input`);
  maxDiffs[name] = d;
}

describe("nn.TransformerEncoderLayer vs PyTorch (padding and causal masks)", () => {
  for (const name of ["encoder_layer_post_relu", "encoder_layer_pre_relu", "encoder_layer_post_gelu", "encoder_layer_pre_gelu"]) {
    it(name, () => {
      const c = fx()[name], o = c.options;
      const layer = new TransformerEncoderLayer(o.d_model, o.nhead, {
        dimFeedforward: o.dim_feedforward, dropout: 0, activation: o.activation, normFirst: o.norm_first, batchFirst: o.batch_first,
      });
      checkModule(name, layer, (x) => layer.forward(x, { mask: int(c.src_mask), srcKeyPaddingMask: int(c.src_key_padding_mask) }));
    });
  }

  it("nn.TransformerEncoder: two pre-norm GELU layers and a final norm", () => {
    const name = "encoder_stack_prenorm_final_norm", c = fx()[name], o = c.options;
    const enc = new TransformerEncoder(o.d_model, o.nhead, o.num_layers,
      { dimFeedforward: o.dim_feedforward, dropout: 0, activation: "gelu", normFirst: true, batchFirst: true, norm: true });
    checkModule(name, enc, (x) => enc.forward(x, { srcKeyPaddingMask: int(c.src_key_padding_mask) }));
  });

  it("finite differences through a post-norm GELU layer with padding", () => {
    const layer = new TransformerEncoderLayer(4, 2, { dimFeedforward: 6, dropout: 0, activation: "gelu", batchFirst: true, rng: new Rng(2) });
    const pad = tensor([0, 0, 0, 0, 0, 1], [2, 3], "int32");
    gradCheck((x) => layer.forward(x, { srcKeyPaddingMask: pad }), [rnd([2, 3, 4], 11)]);
  });
});

describe("dropout, options and memory", () => {
  it("dropout comes from each module's seeded stream and is off in eval", () => {
    const make = () => new TransformerEncoder(8, 2, 2, { dimFeedforward: 16, dropout: 0.3, batchFirst: true, rng: new Rng(7) });
    const a = make(), b = make(), x = rnd([2, 5, 8], 3);
    const y1 = a.forward(x);
    expectClose(y1, b.forward(x), 0, 0, "same seed, same masks");
    expect(() => expectClose(a.forward(x), y1, 1e-4, 1e-4), "the next step draws new masks").toThrow();
    a.eval();
    const e = a.forward(x);
    expectClose(e, a.forward(x), 0, 0, "eval is deterministic");
    expect(() => expectClose(e, y1, 1e-4, 1e-4)).toThrow();
  });

  it("options are checked by name; temporaries are freed", () => {
    expect(() => new TransformerEncoderLayer(8, 2, { dim_feedforward: 4 } as never)).toThrow(/dim_feedforward.*dimFeedforward/);
    expect(() => new TransformerEncoderLayer(8, 2, { activation: "tanh" as never })).toThrow(/activation must be "relu" or "gelu"/);
    expect(() => new TransformerEncoder(8, 2, 0)).toThrow(/numLayers must be a positive integer/);
    const enc = new TransformerEncoder(8, 2, 2, { dimFeedforward: 16, batchFirst: true });
    expect(() => enc.forward(rnd([2, 3, 8], 1), { srcKeyPadingMask: null } as never)).toThrow(/srcKeyPadingMask.*srcKeyPaddingMask/);
    const x = rnd([2, 3, 8], 1), before = memoryStats().bytesInUse;
    for (let i = 0; i < 2; i++) scope(() => { gradients(sum(enc.forward(x, { isCausal: true })), enc.parameters()); });
    expect(memoryStats().bytesInUse).toBe(before);
  });
});

describe("positional encodings", () => {
  for (const name of ["sinusoid_64x16", "sinusoid_7x5"]) {
    it(`${name}: the sinusoidal table equals float64 sin/cos rounded to float32`, () => {
      const c = fx()[name];
      maxDiffs[name] = { table: expectClose(sinusoidalPositions(c.length, c.dim, c.base), c.table, 1e-7, 1e-7, name) };
    });
  }

  it("sinusoidal encoding: x + table, nothing in the state dict; learned: weight [maxLen, dim] with its gradient", () => {
    const x = rnd([2, 3, 4], 1);
    const sin = new SinusoidalPositionalEncoding(10, 4);
    expect(Object.keys(sin.stateDict())).toEqual([]);
    const pe = sinusoidalPositions(10, 4).data();
    const want = Array.from(x.data(), (v, i) => v + pe[i % 12]);
    expectClose(sin.forward(x), want, 1e-7, 0, "batch first");
    const seqFirst = new SinusoidalPositionalEncoding(10, 4, { batchFirst: false }).forward(rnd([3, 2, 4], 1));
    const xs = rnd([3, 2, 4], 1).data();
    expectClose(seqFirst, Array.from(xs, (v, i) => v + pe[Math.floor(i / 8) * 4 + (i % 4)]), 1e-7, 0, "seq first");
    const pos = new LearnedPositionalEmbedding(5, 4, { rng: new Rng(1) });
    expect(Object.keys(pos.stateDict())).toEqual(["weight"]);
    const [g] = gradients(sum(pos.forward(x)), [pos.weight]);
    expect([...g.data()]).toEqual([...Array(12).fill(2), ...Array(8).fill(0)]);
    expect(() => pos.forward(rnd([2, 6, 4], 1))).toThrow(/6 positions, more than maxLen 5/);
    expect(() => sinusoidalPositions(0, 4)).toThrow(/positive integers/);
  });
});

describe("a two-layer transformer encoder classifier: 3 Adam steps equal torch's", () => {
  class Classifier extends Module {
    embed: Embedding; pos: LearnedPositionalEmbedding; encoder: TransformerEncoder; head: Linear;
    constructor(o: Record<string, number>) {
      super();
      this.embed = new Embedding(o.vocab, o.d_model);
      this.pos = new LearnedPositionalEmbedding(o.max_len, o.d_model);
      this.encoder = new TransformerEncoder(o.d_model, o.nhead, o.num_layers,
        { dimFeedforward: o.dim_feedforward, dropout: 0, activation: "gelu", batchFirst: true });
      this.head = new Linear(o.d_model, o.classes);
    }
    forward(tokens: Tensor, pad: Tensor): Tensor {
      const [B, L] = tokens.shape, p = pad.data();
      const h = this.encoder.forward(this.pos.forward(this.embed.forward(tokens)), { srcKeyPaddingMask: pad });
      const keep = tensor(Array.from(p, (v) => 1 - v), [B, L, 1]);
      const count = tensor(Array.from({ length: B }, (_, b) => L - Array.from(p.slice(b * L, (b + 1) * L)).reduce((s, v) => s + v, 0)), [B, 1]);
      return this.head.forward(div(sum(mul(h, keep), 1), count));
    }
  }

  it("losses and every parameter after each step", () => {
    const c = fx().classifier_adam_3_steps;
    const model = new Classifier(c.options);
    expect(Object.keys(model.stateDict()).sort()).toEqual(Object.keys(c.init).sort());
    model.loadStateDict(c.init);
    const opt = makeOptimizer(c.optimizer, model.parameters());
    const losses = c.batches.map((b: Record<string, Golden>) => scope(() => {
      opt.zeroGrad();
      const loss = crossEntropy(model.forward(int(b.tokens), int(b.pad)), int(b.labels));
      backward(loss);
      opt.step();
      return loss.item();
    }));
    const d: Record<string, number> = { losses: expectClose(losses, c.losses, 2e-6, 1e-7, "losses") };
    // The key part of in_proj_bias (rows E..2E) has a gradient of exactly zero in exact
    // arithmetic (it adds q.b_k to every score of a query's row, which softmax ignores):
    // both sides' gradients there are rounding noise (~1e-9) that Adam normalises into
    // steps of up to lr. Those entries are checked for being noise-sized moves only.
    const E = c.options.d_model, lr = c.optimizer.lr;
    let worst = 0;
    for (const [k, t] of Object.entries(model.stateDict())) {
      const a = t.data(), want = c.after[k].data as number[], before = c.init[k].data as number[];
      const keyBias = k.endsWith("self_attn.in_proj_bias");
      for (let i = 0; i < a.length; i++) {
        if (keyBias && i >= E && i < 2 * E) {
          expect(Math.abs(a[i] - before[i]), `${k}[${i}] moves at most 3 lr`).toBeLessThanOrEqual(3 * lr * 1.0001);
          expect(Math.abs(want[i] - before[i]), `torch's ${k}[${i}] too`).toBeLessThanOrEqual(3 * lr * 1.0001);
          continue;
        }
        const diff = Math.abs(a[i] - want[i]);
        if (diff > 1e-6 + 1e-5 * Math.abs(want[i])) throw new Error(`after ${k}[${i}]: ${a[i]}, torch ${want[i]}`);
        worst = Math.max(worst, diff);
      }
    }
    d.params = worst;
    maxDiffs.classifier_adam_3_steps = d;
  });
});
