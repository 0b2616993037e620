// Attention (polyhead/seq): the masked-softmax and batched-matmul kernels against their
// scalar references, scaled dot-product attention and nn.MultiheadAttention against PyTorch
// (test/fixtures/attention.json, build/golden_attention.py) with masks, finite differences,
// the fully-masked-row policy, and the errors.
import { describe, it, expect, beforeAll } from "vitest";
import { init, tensor, zeros, Tensor, gradients, sum, mul, add, Rng, scope, memoryStats } from "../src/index.js";
import {
  bmm, maskedSoftmax, scaledDotProductAttention, causalMask, MultiheadAttention,
} from "../src/seq/index.js";
import { K } from "../src/engine/engine.js";
import { expectClose, fromGolden, gradCheck, loadFixture } from "./helpers.js";
import { callRef, loadRef, maxDiffs, reportMaxDiffs, rnd } from "./nnhelpers.js";

beforeAll(async () => { await init(); await loadRef(); });
reportMaxDiffs("attention");
const fx = () => loadFixture("attention.json");
const int = (g: { shape: number[]; data: number[] }) => fromGolden(g, "int32");
/** sum over pairs of sum(out * g): one scalar whose gradient checks every output at once. */
const dotAll = (outs: Tensor[], gs: Tensor[]) => outs.map((o, i) => sum(mul(o, gs[i]))).reduce((a, b) => add(a, b));

describe("kernels vs their scalar references", () => {
  for (const [groups, lq, cols, rep, mb] of [[1, 3, 1, 1, 1], [4, 3, 5, 2, 2], [6, 4, 8, 3, 2], [2, 5, 17, 1, 2], [4, 2, 64, 2, 1]]) {
    it(`masked_softmax ${groups}x${lq}x${cols}, rep ${rep}, ${mb} mask block(s)`, () => {
      const rows = groups * lq, x = rnd([rows, cols], rows + cols, 3);
      // some entries masked, and one fully masked row in the first block
      const m = tensor(Array.from({ length: mb * lq * cols }, (_, i) =>
        (i * 7919 % 5 === 0 || Math.floor(i / cols) === lq - 1 ? -Infinity : (i % 3) * 0.25)), [mb * lq, cols]);
      const y = new Tensor([rows, cols]);
      const full = K().masked_softmax(y.ptr, x.ptr, m.ptr, rows, cols, lq, rep, mb);
      const r = callRef("masked_softmax_ref", y, x, m, rows, cols, lq, rep, mb);
      expect(full).toBe(r.result);
      expect(full).toBeGreaterThanOrEqual(1);
      expectClose(y, r.out[0], 1e-6, 1e-7, "y");
    });
  }
  for (const [batch, m, n, k, tA, tB] of [[1, 1, 1, 1, 0, 0], [3, 4, 5, 6, 0, 1], [6, 7, 3, 9, 1, 0], [2, 33, 9, 17, 1, 1]]) {
    it(`bmm ${batch} x (${m}x${k})(${k}x${n}), transposes ${tA}${tB}`, () => {
      const a = rnd([batch, m * k], batch + m), b = rnd([batch, k * n], k + n);
      const c = new Tensor([batch, m * n]);
      K().bmm(c.ptr, a.ptr, b.ptr, batch, m, n, k, tA, tB);
      const r = callRef("bmm_ref", c, a, b, batch, m, n, k, tA, tB);
      expectClose(c, r.out[0], 1e-5, 1e-5, "c");
    });
  }
});

describe("scaled dot-product attention vs PyTorch", () => {
  it("padding, causal and a float mask: output, weights and the gradients of q, k, v", () => {
    const c = fx().layers.sdpa_masks;
    const [q, k, v] = ["q", "k", "v"].map((n) => fromGolden(c.inputs[n]));
    for (const t of [q, k, v]) t.requiresGrad = true;
    const { output, weights } = scaledDotProductAttention(q, k, v,
      { attnMask: fromGolden(c.attn_mask), keyPaddingMask: int(c.key_padding_mask), isCausal: c.is_causal });
    const d: Record<string, number> = {};
    d.out = expectClose(output, c.out, 1e-5, 1e-6, "out");
    d.weights = expectClose(weights, c.weights, 1e-5, 1e-6, "weights");
    const gs = gradients(dotAll([output, weights], [fromGolden(c.g_out), fromGolden(c.g_weights)]), [q, k, v]);
    ["q", "k", "v"].forEach((n, i) => { d[`grad_${n}`] = expectClose(gs[i], c.grads[n], 1e-4, 1e-5, `grad ${n}`); });
    maxDiffs.sdpa_masks = d;
  });

  it("finite differences through the masks", () => {
    const pad = tensor([0, 0, 1, 0, 0, 0], [2, 3], "int32");
    gradCheck((q, k, v) => scaledDotProductAttention(q, k, v, { keyPaddingMask: pad, isCausal: true }).output,
      [rnd([2, 2, 3, 4], 1), rnd([2, 2, 3, 4], 2), rnd([2, 2, 3, 2], 3)]);
  });
});

describe("a query whose every key is masked", () => {
  let mask: Tensor; // row 1 masks both keys
  beforeAll(() => { mask = tensor([0, 1, 1, 1], [2, 2], "int32").keep(); });

  it("is an error by default, naming the row, and records nothing", () => {
    const x = rnd([2, 2], 5);
    x.requiresGrad = true;
    expect(() => maskedSoftmax(x, mask)).toThrow(/1 row\(s\) of x Tensor \[2, 2\].*every key masked.*query 1 of block 0.*NaN/);
  });

  it("is a row of zeros with { fullyMasked: \"zero\" }, and its gradient is zero", () => {
    const x = rnd([2, 2], 5);
    x.requiresGrad = true;
    const y = maskedSoftmax(x, mask, { fullyMasked: "zero" });
    expect([...y.data()]).toEqual([1, 0, 0, 0]);
    const [g] = gradients(sum(mul(y, rnd([2, 2], 6))), [x]);
    expect([...g.data()].every((v) => v === 0)).toBe(true);
  });

  it("bad options and masks are named", () => {
    const x = rnd([2, 2], 5);
    expect(() => maskedSoftmax(x, mask, { fullyMasked: "nan" as never })).toThrow(/fullyMasked must be "error" or "zero"/);
    expect(() => maskedSoftmax(x, mask, { fullMasked: "zero" } as never)).toThrow(/fullMasked.*fullyMasked/);
    expect(() => maskedSoftmax(rnd([2, 3, 2], 1), tensor([0, 0, 0, 0], [2, 2], "int32"))).toThrow(/mask Tensor \[2, 2\] int32 does not broadcast against x Tensor \[2, 3, 2\]/);
    expect(() => maskedSoftmax(rnd([2, 3, 2], 1), zeros([3, 3, 2]))).toThrow(/does not broadcast/);
    const [q, k, v] = [rnd([2, 3, 4], 1), rnd([2, 5, 4], 2), rnd([2, 5, 4], 3)];
    expect(() => scaledDotProductAttention(q, k, v, { keyPaddingMask: tensor([0, 0, 0], [1, 3], "int32") })).toThrow(/keyPaddingMask Tensor \[1, 3\] int32 must be \[2, 5\]/);
    expect(() => scaledDotProductAttention(q, k, v, { attnMask: causalMask(3) })).toThrow(/attnMask Tensor \[3, 3\] float32 must be \[3, 5\]/);
    expect(() => scaledDotProductAttention(q, rnd([2, 5, 3], 2), v)).toThrow(/must be \[\.\.\., Lq, d\]/);
  });
});

describe("nn.MultiheadAttention vs PyTorch", () => {
  it("state-dict names are torch's, one to one", () => {
    const names = Object.keys(new MultiheadAttention(8, 2).stateDict()).sort();
    expect(names).toEqual(Object.keys(fx().layers.mha_self_masks.init).sort());
    expect(Object.keys(new MultiheadAttention(8, 2, { bias: false }).stateDict()).sort()).toEqual(["in_proj_weight", "out_proj.weight"]);
  });

  for (const name of ["mha_self_masks", "mha_cross_batch_first"]) {
    it(`${name}: outputs, weights and every gradient`, () => {
      const c = fx().layers[name], o = c.options;
      const mha = new MultiheadAttention(o.embed_dim, o.num_heads, { batchFirst: o.batch_first });
      mha.loadStateDict(c.init);
      const inputs = Object.values(c.inputs as Record<string, { shape: number[]; data: number[] }>).map((g) => fromGolden(g));
      for (const t of inputs) t.requiresGrad = true;
      const [y, w] = name === "mha_self_masks"
        ? mha.forward(inputs[0], inputs[0], inputs[0], { keyPaddingMask: int(c.key_padding_mask), attnMask: int(c.attn_mask) })
        : mha.forward(inputs[0], inputs[1], inputs[1], { attnMask: fromGolden(c.attn_mask), averageAttnWeights: false });
      const d: Record<string, number> = {};
      d.out = expectClose(y, c.outs[0], 1e-5, 1e-6, "out");
      d.weights = expectClose(w!, c.outs[1], 1e-5, 1e-6, "weights");
      const params = mha.namedParameters();
      const gs = gradients(dotAll([y, w!], c.gs.map((g: never) => fromGolden(g))), [...params.map(([, t]) => t), ...inputs]);
      params.forEach(([n], i) => { d[n] = expectClose(gs[i], c.grads[n], 1e-4, 1e-5, `grad ${n}`); });
      Object.keys(c.inputs).forEach((n, i) => { d[`input_${n}`] = expectClose(gs[params.length + i], c.grads[`input_${n}`], 1e-4, 1e-5, `grad input ${n}`); });
      maxDiffs[name] = d;
    });
  }

  it("finite differences of the input and the projections", () => {
    const mha = new MultiheadAttention(4, 2, { batchFirst: true, rng: new Rng(3) });
    const pad = tensor([0, 0, 0, 0, 0, 1], [2, 3], "int32");
    const run = (x: Tensor, w: Tensor, wo: Tensor) => {
      mha.in_proj_weight.write(w.data()); mha.out_proj.weight.write(wo.data());
      return mha.forward(x, x, x, { keyPaddingMask: pad, needWeights: false })[0];
    };
    const w0 = tensor(mha.in_proj_weight.data(), mha.in_proj_weight.shape), wo0 = tensor(mha.out_proj.weight.data(), [4, 4]);
    // the module's own parameters are the leaves here: gradCheck writes copies into them
    gradCheck((x) => run(x, w0, wo0), [rnd([2, 3, 4], 8)]);
    gradCheck((x) => mha.forward(x, x, x, { isCausal: true, needWeights: false })[0], [rnd([3, 4], 9)]);
  });

  it("initialises as torch (Xavier-uniform in_proj, zero biases), dropout is seeded and off in eval", () => {
    const mha = new MultiheadAttention(16, 4, { dropout: 0.5, batchFirst: true, rng: new Rng(1) });
    const a = Math.sqrt(6 / (16 + 48));
    expect([...mha.in_proj_weight.data()].every((v) => Math.abs(v) <= a)).toBe(true);
    expect([...mha.in_proj_bias!.data(), ...mha.out_proj.bias!.data()].every((v) => v === 0)).toBe(true);
    const x = rnd([2, 5, 16], 4);
    const twin = new MultiheadAttention(16, 4, { dropout: 0.5, batchFirst: true, rng: new Rng(1) });
    const [y1] = mha.forward(x), [y2] = twin.forward(x);
    expectClose(y1, y2, 0, 0, "same seed, same dropout");
    mha.eval(); twin.eval();
    const [e1] = mha.forward(x), [e2] = new MultiheadAttention(16, 4, { batchFirst: true, rng: new Rng(1) }).eval().forward(x);
    expectClose(e1, e2, 0, 0, "eval: no dropout");
    expect(() => expectClose(y1, e1, 1e-3, 1e-3)).toThrow();
  });

  it("checks its options, shapes and masks by name, and frees its temporaries", () => {
    expect(() => new MultiheadAttention(10, 3)).toThrow(/embedDim \(10.*must be a positive multiple of numHeads \(3/);
    expect(() => new MultiheadAttention(8, 2, { batch_first: true } as never)).toThrow(/batch_first.*batchFirst/);
    const mha = new MultiheadAttention(8, 2);
    expect(() => mha.forward(rnd([3, 2, 6], 1))).toThrow(/query Tensor \[3, 2, 6\] float32 must be \[seq, batch, 8\]/);
    expect(() => mha.forward(rnd([3, 2, 8], 1), undefined, undefined, { needWeight: false } as never)).toThrow(/needWeight.*needWeights/);
    expect(() => mha.forward(rnd([3, 2, 8], 1), undefined, undefined, { attnMask: rnd([3, 3, 3], 1) })).toThrow(/3-d attnMask Tensor \[3, 3, 3\] float32 must be \[4, 3, 3\]/);
    const x = rnd([3, 2, 8], 1);
    const before = memoryStats().bytesInUse;
    for (let i = 0; i < 3; i++) scope(() => { mha.forward(x, x, x, { isCausal: true }); });
    expect(memoryStats().bytesInUse).toBe(before);
  });
});
