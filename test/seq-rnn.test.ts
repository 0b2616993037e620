// GRU and LSTM (src/seq/rnn.ts) against PyTorch (build/seq_golden.py: outputs, final states
// and every gradient, stacked, bidirectional, batch-first, packed lengths; 3 Adam steps of
// small classifiers), finite differences through the functional form, and the properties
// variable lengths promise.
import { describe, it, expect, beforeAll } from "vitest";
import {
  init, Tensor, gradients, concat, reshape, slice, transpose, tensor, randn, Rng, scope, Module, Embedding, Linear, Adam, crossEntropy, backward,
} from "../src/index.js";
import { GRU, LSTM, gru, lstm } from "../src/seq/index.js";
import { expectClose, fromGolden, gradCheck } from "./helpers.js";
import { seqGolden } from "./seqhelpers.js";
import { maxDiffs, reportMaxDiffs } from "./nnhelpers.js";

beforeAll(async () => { await init(); });
reportMaxDiffs("GRU / LSTM");


const RTOL = 1e-5, ATOL = 2e-6;

describe("GRU and LSTM against PyTorch", () => {
  const cases = Object.keys(seqGolden().rnn);
  for (const name of cases) {
    it(name, () => {
      const c = seqGolden().rnn[name];
      const cfg = c.config;
      const Cls = c.kind === "gru" ? GRU : LSTM;
      const m = new Cls(cfg.input_size, cfg.hidden_size, {
        numLayers: cfg.num_layers, bidirectional: cfg.bidirectional, batchFirst: cfg.batch_first, bias: cfg.bias,
      });
      const sd = m.stateDict();
      // torch's names, in torch's order
      expect(Object.keys(sd)).toEqual(Object.keys(c.state_dict));
      m.loadStateDict(c.state_dict);
      const x = fromGolden(c.x);
      const h0 = c.h0 ? fromGolden(c.h0) : undefined, c0 = c.c0 ? fromGolden(c.c0) : undefined;
      const leaves = [x, ...(h0 ? [h0] : []), ...(c0 ? [c0] : [])];
      leaves.forEach((t) => { t.requiresGrad = true; });
      const opts = { ...(h0 ? { h0 } : {}), ...(c0 ? { c0 } : {}), ...(c.lengths ? { lengths: c.lengths } : {}) };
      const r = m.forward(x, opts) as { output: Tensor; h: Tensor; c?: Tensor };
      const d: Record<string, number> = {};
      d.y = expectClose(r.output, c.y, RTOL, ATOL, `${name} output`);
      d.h = expectClose(r.h, c.h, RTOL, ATOL, `${name} h`);
      const ys = [r.output, r.h], dys = [fromGolden(c.g_y), fromGolden(c.g_h)];
      if (c.kind === "lstm") { d.c = expectClose(r.c!, c.c, RTOL, ATOL, `${name} c`); ys.push(r.c!); dys.push(fromGolden(c.g_c)); }
      const names = Object.keys(c.grads);
      const gs = gradients(ys, [...leaves, ...names.map((n) => sd[n])], dys);
      d.grad_x = expectClose(gs[0], c.grad_x, RTOL, ATOL, `${name} grad x`);
      if (h0) d.grad_h0 = expectClose(gs[1], c.grad_h0, RTOL, ATOL, `${name} grad h0`);
      if (c0) d.grad_c0 = expectClose(gs[2], c.grad_c0, RTOL, ATOL, `${name} grad c0`);
      let worst = 0;
      names.forEach((n, i) => { worst = Math.max(worst, expectClose(gs[leaves.length + i], c.grads[n], RTOL, ATOL, `${name} grad ${n}`)); });
      d.grad_params = worst;
      maxDiffs[`${name}`] = d;
    });
  }
});

/** Small torch-named weights for the functional forms, drawn from a fixed seed. */
function weights(kind: "gru" | "lstm", I: number, H: number, layers: number, dirs: number): Record<string, Tensor> {
  const g = kind === "gru" ? 3 : 4, w: Record<string, Tensor> = {};
  let seed = 10;
  for (let l = 0; l < layers; l++) {
    for (let d = 0; d < dirs; d++) {
      const s = `_l${l}${d ? "_reverse" : ""}`, inF = l === 0 ? I : dirs * H;
      w[`weight_ih${s}`] = randn([g * H, inF], 0, 0.5, new Rng(seed++));
      w[`weight_hh${s}`] = randn([g * H, H], 0, 0.5, new Rng(seed++));
      w[`bias_ih${s}`] = randn([g * H], 0, 0.5, new Rng(seed++));
      w[`bias_hh${s}`] = randn([g * H], 0, 0.5, new Rng(seed++));
    }
  }
  return w;
}

const flat = (ts: Tensor[]): Tensor => concat(ts.map((t) => reshape(t, [-1])), 0);

describe("finite differences through gru() and lstm()", () => {
  for (const kind of ["gru", "lstm"] as const) {
    it(`${kind}: two layers, bidirectional, lengths [3, 1], w.r.t. the input, initial states and every weight`, () => {
      const T = 3, B = 2, I = 2, H = 2;
      const w = weights(kind, I, H, 2, 2), names = Object.keys(w);
      const x = randn([T, B, I], 0, 1, new Rng(1)), h0 = randn([4, B, H], 0, 0.5, new Rng(2)), c0 = randn([4, B, H], 0, 0.5, new Rng(3));
      const f = (xx: Tensor, hh: Tensor, cc: Tensor, ...ws: Tensor[]): Tensor => {
        const wd = Object.fromEntries(names.map((n, i) => [n, ws[i]]));
        if (kind === "gru") { const r = gru(xx, wd, { h0: hh, lengths: [3, 1] }); return flat([r.output, r.h, cc]); }
        const r = lstm(xx, wd, { h0: hh, c0: cc, lengths: [3, 1] });
        return flat([r.output, r.h, r.c]);
      };
      gradCheck(f, [x, h0, c0, ...names.map((n) => w[n])], { eps: 1e-2, skip: kind === "gru" ? [2] : [] });
    });
  }
});

describe("variable lengths and layouts", () => {
  const T = 5, B = 3, I = 3, H = 4;
  const same = (a: Tensor, b: Tensor) => expect(Array.from(a.data())).toEqual(Array.from(b.data()));

  it("lengths equal to the time axis give the same bits as no lengths; a mask equals its lengths", () => {
    scope(() => {
      for (const kind of ["gru", "lstm"] as const) {
        const f = kind === "gru" ? gru : lstm, w = weights(kind, I, H, 2, 2);
        const x = randn([T, B, I], 0, 1, new Rng(5));
        const a = f(x, w), b = f(x, w, { lengths: [T, T, T] });
        same(a.output, b.output); same(a.h, b.h);
        const mask = [[1, 1, 1, 1, 1], [1, 1, 0, 0, 0], [1, 1, 1, 1, 0]];
        const c = f(x, w, { lengths: [5, 2, 4] }), d = f(x, w, { mask }), e = f(x, w, { mask: tensor(mask.flat(), [3, 5]) });
        same(c.output, d.output); same(c.h, d.h); same(c.output, e.output);
      }
    });
  });

  it("padded steps change nothing: their inputs are ignored, their outputs are 0, the final state is the last valid one", () => {
    scope(() => {
      for (const kind of ["gru", "lstm"] as const) {
        const f = kind === "gru" ? gru : lstm, w = weights(kind, I, H, 1, 2);
        const x = randn([T, B, I], 0, 1, new Rng(6));
        const x2 = x.data().slice();
        for (let i = 0; i < I; i++) x2[(4 * B + 1) * I + i] += 7; // step 4 of sequence 1 (length 2) is padding
        const a = f(x, w, { lengths: [5, 2, 4] }), b = f(tensor(x2, [T, B, I]), w, { lengths: [5, 2, 4] });
        same(a.output, b.output); same(a.h, b.h);
        const out = a.output.data();
        for (let t = 2; t < T; t++) for (let k = 0; k < 2 * H; k++) expect(out[(t * B + 1) * 2 * H + k] === 0).toBe(true);
        // sequence 1 alone, cut to its 2 steps: the same forward state and outputs
        const solo = f(tensor(Array.from({ length: 2 * I }, (_, j) => x2[(Math.floor(j / I) * B + 1) * I + (j % I)]), [2, 1, I]), w);
        const hs = a.h.data(), hsolo = solo.h.data();
        for (let k = 0; k < H; k++) { expect(hs[B * H * 0 + H + k]).toBeCloseTo(hsolo[k], 6); expect(hs[B * H + H + k]).toBeCloseTo(hsolo[H + k], 6); }
      }
    });
  });

  it("batchFirst is the time-major computation transposed", () => {
    scope(() => {
      const m = new GRU(I, H, { numLayers: 2, bidirectional: true, rng: new Rng(3) });
      const mb = new GRU(I, H, { numLayers: 2, bidirectional: true, batchFirst: true, rng: new Rng(3) });
      const x = randn([T, B, I], 0, 1, new Rng(7));
      const a = m.forward(x, { lengths: [5, 1, 3] }), b = mb.forward(transpose(x, [1, 0, 2]), { lengths: [5, 1, 3] });
      same(transpose(a.output, [1, 0, 2]), b.output); same(a.h, b.h);
    });
  });

  it("dropout between layers acts only in training", () => {
    scope(() => {
      const m = new LSTM(I, H, { numLayers: 2, dropout: 0.5, rng: new Rng(4) });
      const x = randn([T, B, I], 0, 1, new Rng(8));
      const a = m.forward(x).output.data(), b = m.forward(x).output.data();
      expect(Array.from(a)).not.toEqual(Array.from(b));
      m.eval();
      same(m.forward(x).output, m.forward(x).output);
    });
  });
});

describe("bad input names what is wrong and changes nothing", () => {
  it("options, shapes, states, lengths and masks", () => {
    const m = new GRU(3, 4, { numLayers: 2 });
    const x = randn([5, 2, 3]);
    expect(() => new GRU(3, 4, { numLayer: 2 } as never)).toThrow(/unknown option "numLayer".*did you mean "numLayers"/);
    expect(() => new LSTM(3, 4, { dropout: 1 })).toThrow(/dropout must be in \[0, 1\)/);
    expect(() => new GRU(0, 4)).toThrow(/positive integers/);
    expect(() => m.forward(randn([5, 2, 4]))).toThrow(/weight_ih_l0.*input has 4 features/);
    expect(() => m.forward(randn([5, 3]))).toThrow(/GRU: input must be a float32 \[time, batch, features\]/);
    expect(() => m.forward(x, { lenghts: [1, 2] } as never)).toThrow(/unknown option "lenghts".*did you mean "lengths"/);
    expect(() => m.forward(x, { c0: randn([2, 2, 4]) } as never)).toThrow(/unknown option "c0"/);
    expect(() => m.forward(x, { h0: randn([1, 2, 4]) })).toThrow(/GRU: h0 is Tensor \[1, 2, 4\] float32, expected float32 \[2, 2, 4\]/);
    expect(() => m.forward(x, { lengths: [5] })).toThrow(/lengths has 1 entries, the batch has 2/);
    expect(() => m.forward(x, { lengths: [5, 6] })).toThrow(/lengths\[1\] is 6 \(number\), expected an integer in \[0, 5\]/);
    expect(() => m.forward(x, { lengths: [5, 2], mask: [[1], [1]] })).toThrow(/lengths or mask, not both/);
    expect(() => m.forward(x, { mask: [[1, 1, 1, 1, 1], [1, 2, 0, 0, 0]] })).toThrow(/mask\[1\]\[1\] is 2/);
    expect(() => m.forward(x, { mask: tensor([1, 1], [1, 2]) })).toThrow(/mask .* must be \[batch 2, time 5\]/);
    expect(() => gru(x, { weight_ih_l0: randn([12, 3]) })).toThrow(/weights lack "weight_hh_l0"/);
  });
});

class RecurrentClassifier extends Module {
  emb = new Embedding(12, 5);
  rnn: GRU | LSTM;
  fc = new Linear(12, 3);
  constructor(kind: string, layers: number) {
    super();
    this.rnn = new (kind === "gru" ? GRU : LSTM)(5, 6, { numLayers: layers, batchFirst: true, bidirectional: true });
  }
  forward(ids: Tensor, lengths: number[]): Tensor {
    const { h } = this.rnn.forward(this.emb.forward(ids), { lengths });
    const n = h.shape[0], last = (k: number) => reshape(slice(h, 0, k, k + 1), [h.shape[1], h.shape[2]]);
    return this.fc.forward(concat([last(n - 2), last(n - 1)], 1));
  }
}

describe("3 Adam steps of a recurrent classifier vs torch.optim.Adam", () => {
  for (const name of Object.keys(seqGolden().trajectories)) {
    it(name, () => {
      const g = seqGolden().trajectories[name];
      const model = new RecurrentClassifier(g.kind, g.layers);
      expect(Object.keys(model.stateDict())).toEqual(Object.keys(g.init));
      model.loadStateDict(g.init);
      const opt = new Adam(model.parameters(), { lr: g.lr });
      const ids = fromGolden(g.ids, "int32"), labels = fromGolden(g.labels, "int32");
      const losses: number[] = [];
      for (let s = 0; s < g.steps; s++) {
        losses.push(scope(() => {
          opt.zeroGrad();
          const loss = crossEntropy(model.forward(ids, g.lengths), labels);
          backward(loss);
          opt.step();
          return loss.item();
        }));
      }
      expectClose(losses, g.losses, 1e-5, 1e-6, `${name} losses`);
      let worst = 0;
      for (const [k, t] of Object.entries(model.stateDict())) worst = Math.max(worst, expectClose(t, g.after[k], 2e-5, 2e-6, `${name} ${k}`));
      maxDiffs[name] = { params_after: worst };
    });
  }
});
