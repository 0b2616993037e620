// Losses: PyTorch golden values, masks and weights for partially labelled batches, finite
// differences, the fused cross-entropy kernel vs its reference, and error messages.
import { describe, it, expect, beforeAll } from "vitest";
import { init, tensor, crossEntropy, binaryCrossEntropyWithLogits, mseLoss, l1Loss, huberLoss, gradients,
  take, Tensor, logSoftmax, mul, sum, neg, slice, task, taskLoss, type BuiltinLoss } from "../src/index.js";
import { BUILTIN_LOSSES } from "../src/mtl/tasks.js";
import { K } from "../src/engine/engine.js";
import { loadGolden, expectClose, gradCheck } from "./helpers.js";
import { callRef, goldenOp, loadRef, reportMaxDiffs, rnd } from "./nnhelpers.js";

beforeAll(async () => { await init(); await loadRef(); });
reportMaxDiffs("losses");
const attrs = (name: string) => loadGolden().ops[name].attrs;
const int = (v: number[]) => tensor(v, [v.length], "int32");

describe("losses vs PyTorch", () => {
  for (const name of ["cross_entropy", "cross_entropy_sum", "cross_entropy_label_smoothing"]) {
    it(name, () => goldenOp(name, ({ logits, labels }) =>
      crossEntropy(logits, labels, { reduction: attrs(name).reduction, labelSmoothing: attrs(name).label_smoothing })));
  }
  it("bce_with_logits", () => goldenOp("bce_with_logits", ({ logits, target }) => binaryCrossEntropyWithLogits(logits, target)));
  it("mse", () => goldenOp("mse", ({ pred, target }) => mseLoss(pred, target)));
  it("mse_sum", () => goldenOp("mse_sum", ({ pred, target }) => mseLoss(pred, target, { reduction: "sum" })));
  it("l1", () => goldenOp("l1", ({ pred, target }) => l1Loss(pred, target)));
  it("huber", () => goldenOp("huber", ({ pred, target }) => huberLoss(pred, target, { delta: attrs("huber").delta })));
});

describe("cross-entropy kernel vs scalar reference", () => {
  for (const [rows, cols, eps] of [[3, 1, 0], [4, 5, 0.1], [2, 8, 0], [3, 19, 0.2], [2, 64, 0.05]] as const) {
    it(`${rows}x${cols}, smoothing ${eps}`, () => {
      const x = rnd([rows, cols], rows * 7 + cols, 3);
      const lab = int(Array.from({ length: rows }, (_, i) => (i * 5 + 1) % cols));
      const w = tensor(Array.from({ length: rows }, (_, i) => 0.5 + i));
      const l = new Tensor([rows]), s = new Tensor([rows]);
      const total = K().cross_entropy(l.ptr, s.ptr, x.ptr, lab.ptr, w.ptr, rows, cols, eps, -100);
      const r = callRef("cross_entropy_ref", l, s, x, lab, w, rows, cols, eps, -100);
      expectClose(l, r.out[0], 1e-6, 1e-6, "loss");
      expectClose(s, r.out[1], 1e-6, 1e-6, "lse");
      expect(total).toBe(r.result);
      const dl = rnd([rows], 3), ga = new Tensor([rows, cols]);
      K().cross_entropy_grad(ga.ptr, x.ptr, s.ptr, lab.ptr, w.ptr, dl.ptr, rows, cols, eps, -100);
      const gb = callRef("cross_entropy_grad_ref", ga, x, s, lab, w, dl, rows, cols, eps, -100).out[0];
      expectClose(ga, gb, 1e-5, 1e-6, "grad");
    });
  }
});

describe("masks, weights and ignored labels", () => {
  let logits: Tensor;
  const labels = [2, 0, 3, 1, 2];
  beforeAll(() => { logits = rnd([5, 4], 21, 2).keep(); });

  it("cross-entropy: a 0/1 mask averages over the labelled rows only", () => {
    logits.requiresGrad = true;
    const mask = tensor([1, 0, 1, 1, 0]);
    const masked = crossEntropy(logits, labels, { mask });
    const rows = [0, 2, 3];
    const sub = take(logits, rows);
    expectClose([masked.item()], [crossEntropy(sub, rows.map((i) => labels[i])).item()], 1e-6, 1e-7);
    const [g] = gradients(masked, [logits]);
    const gd = g.data();
    for (const r of [1, 4]) for (let c = 0; c < 4; c++) expect(gd[r * 4 + c]).toBe(0);
    // ignoreIndex gives the same loss and gradient as the mask
    const ign = crossEntropy(logits, [2, -1, 3, 1, -1], { ignoreIndex: -1 });
    expect(ign.item()).toBe(masked.item());
    expectClose(gradients(ign, [logits])[0], g, 0, 0);
  });

  it("cross-entropy: masked rows may hold any label, and an all-missing batch gives 0, not NaN", () => {
    const l = crossEntropy(logits, [2, 99, 3, -7, 2], { mask: tensor([1, 0, 1, 0, 1]) });
    expect(Number.isFinite(l.item())).toBe(true);
    logits.requiresGrad = true;
    const none = crossEntropy(logits, [-100, -100, -100, -100, -100]);
    expect(none.item()).toBe(0);
    expect(Array.from(gradients(none, [logits])[0].data()).every((v) => v === 0)).toBe(true);
  });

  it("cross-entropy: weighted mean is sum(w l) / sum(w), reduction none gives w l", () => {
    const w = tensor([0.5, 2, 1, 0, 1.5]);
    const per = crossEntropy(logits, labels, { reduction: "none" }).data();
    const wl = crossEntropy(logits, labels, { reduction: "none", weight: w }).data();
    const wv = w.data();
    let num = 0, den = 0;
    for (let i = 0; i < 5; i++) { expectClose([wl[i]], [wv[i] * per[i]], 1e-6, 1e-7); num += wv[i] * per[i]; den += wv[i]; }
    expectClose([crossEntropy(logits, labels, { weight: w }).item()], [num / den], 1e-6, 1e-7);
    expectClose([crossEntropy(logits, labels, { weight: w, reduction: "sum" }).item()], [num], 1e-6, 1e-7);
  });

  it("cross-entropy with label smoothing equals the smoothed-target formula", () => {
    const eps = 0.2, lp = logSoftmax(logits).data();
    let want = 0;
    for (let r = 0; r < 5; r++) for (let c = 0; c < 4; c++) want -= ((c === labels[r] ? 1 - eps : 0) + eps / 4) * lp[r * 4 + c];
    expectClose([crossEntropy(logits, labels, { labelSmoothing: eps }).item()], [want / 5], 1e-6, 1e-7);
  });

  it("regression: a per-example mask [N] covers every output of [N, D], and NaN targets of masked rows do not leak", () => {
    const pred = rnd([4, 3], 31); pred.requiresGrad = true;
    const t = rnd([4, 3], 32).data();
    for (let j = 0; j < 3; j++) t[1 * 3 + j] = NaN;
    const target = tensor(t, [4, 3]);
    const mask = tensor([1, 0, 1, 1]);
    for (const f of [mseLoss, l1Loss, huberLoss, binaryCrossEntropyWithLogits]) {
      const l = f(pred, target, { mask });
      const keep = [0, 2, 3];
      const want = f(take(pred, keep), take(target, keep)).item();
      expectClose([l.item()], [want], 1e-6, 1e-7, f.name);
      const g = gradients(l, [pred])[0].data();
      expect(Array.from(g).every(Number.isFinite)).toBe(true);
      expect([g[3], g[4], g[5]]).toEqual([0, 0, 0]);
    }
    // a [N, 1] mask broadcasts the same way
    expect(mseLoss(pred, target, { mask: tensor([[1], [0], [1], [1]]) }).item()).toBe(mseLoss(pred, target, { mask }).item());
  });

  it("per-element masks: mean over the labelled elements", () => {
    const pred = rnd([2, 3], 33), target = rnd([2, 3], 34);
    const mask = tensor([[1, 0, 1], [0, 0, 1]]);
    const per = binaryCrossEntropyWithLogits(pred, target, { reduction: "none" }).data();
    const want = (per[0] + per[2] + per[5]) / 3;
    expectClose([binaryCrossEntropyWithLogits(pred, target, { mask }).item()], [want], 1e-6, 1e-7);
    expect(mseLoss(pred, target, { mask: tensor([[0, 0, 0], [0, 0, 0]]) }).item()).toBe(0);
  });
});

describe("loss gradients (finite differences)", () => {
  // residuals kept away from the L1 kink (0) and the Huber ones (+-0.9)
  const resid = [0.31, -0.72, 1.63, -2.14, 0.47, -1.38, 0.22, 2.6, -0.55, 1.21, -0.18, 0.63];
  let pred: Tensor, target: Tensor, mask: Tensor, w: Tensor;
  beforeAll(() => {
    pred = rnd([4, 3], 41);
    target = tensor(Array.from(pred.data()).map((v, i) => v - resid[i]), [4, 3]);
    mask = tensor([1, 0, 1, 1]);
    w = tensor([[0.5, 1, 2], [1, 0, 1], [3, 1, 0.25], [1, 1, 1]]);
  });

  it("cross-entropy: mean, sum, none, smoothing, weights, ignored rows", () => {
    const x = rnd([4, 5], 42, 2);
    const lab = int([1, 4, 0, 2]);
    gradCheck((t) => crossEntropy(t, lab), [x]);
    gradCheck((t) => crossEntropy(t, lab, { reduction: "sum", labelSmoothing: 0.1 }), [x]);
    gradCheck((t) => crossEntropy(t, lab, { reduction: "none", weight: tensor([0.5, 2, 0, 1]) }), [x]);
    gradCheck((t) => crossEntropy(t, int([1, -100, 0, 2])), [x]);
    gradCheck((t) => crossEntropy(t, lab, { mask, labelSmoothing: 0.3 }), [x]);
  });

  it("BCE, MSE, L1, Huber, with and without masks, both inputs", () => {
    const probs = tensor(Array.from({ length: 12 }, (_, i) => (i % 4) / 3), [4, 3]);
    for (const opts of [{}, { mask }, { weight: w, reduction: "sum" as const }, { reduction: "none" as const, mask }]) {
      gradCheck((p, t) => binaryCrossEntropyWithLogits(p, t, opts), [mul(pred, 2), probs]);
      gradCheck((p, t) => mseLoss(p, t, opts), [pred, target]);
      gradCheck((p, t) => l1Loss(p, t, opts), [pred, target]);
      gradCheck((p, t) => huberLoss(p, t, { ...opts, delta: 0.9 }), [pred, target]);
    }
  });

  it("losses compose with other ops (the graph continues past the reduction)", () => {
    const x = rnd([3, 2], 43);
    gradCheck((p) => neg(sum(mseLoss(slice(p, 0, 0, 2), slice(p, 0, 1, 3), { reduction: "none" }))), [x]);
  });
});

describe("loss errors name the op and shapes", () => {
  let logits: Tensor;
  beforeAll(() => { logits = rnd([2, 3], 51); });
  it("labels out of range", () => {
    expect(() => crossEntropy(logits, [0, 3])).toThrow(/crossEntropy: label 3 at position 1 is out of range \[0, 3\) for logits Tensor \[2, 3\] float32/);
    expect(() => crossEntropy(logits, [-1, 0])).toThrow(/label -1 at position 0 is out of range/);
  });
  it("labels that do not match the logits", () => {
    expect(() => crossEntropy(logits, int([0, 1, 2]))).toThrow("crossEntropy: labels Tensor [3] int32 do not match logits Tensor [2, 3] float32: expected labels [2]");
    expect(() => crossEntropy(logits, tensor([0, 1]))).toThrow("crossEntropy: labels Tensor [2] float32 must be int32 class indices");
    expect(() => crossEntropy(rnd([6], 1), [0])).toThrow("crossEntropy: logits Tensor [6] float32 must be float32 [batch, classes]");
  });
  it("targets and masks of the wrong shape", () => {
    expect(() => mseLoss(rnd([3, 1], 1), rnd([3], 2))).toThrow("mseLoss: target Tensor [3] float32 does not match pred Tensor [3, 1] float32");
    expect(() => binaryCrossEntropyWithLogits(rnd([3, 2], 1), rnd([3, 2], 2), { mask: tensor([1, 0, 1, 0]) }))
      .toThrow(/binaryCrossEntropyWithLogits: mask Tensor \[4\] float32 does not fit logits \[3, 2\]/);
    expect(() => crossEntropy(logits, [0, 1], { mask: tensor([1, 0, 1]) })).toThrow(/crossEntropy: mask Tensor \[3\] float32 does not fit labels \[2\]/);
    expect(() => mseLoss(rnd([2], 1), rnd([2], 2), { reduction: "avg" as never })).toThrow('mseLoss: reduction must be "mean", "sum" or "none", got "avg"');
  });
});

describe("task losses: one name per loss, the op's kernel name", () => {
  it("each built-in task loss is its op, and an unknown name lists the built-in ones", () => {
    const pred = rnd([4, 1], 61), labels = tensor([1, 0, 0, 1]), mask = tensor([1, 1, 0, 1]);
    const target = tensor([1, 0, 0, 1], [4, 1]);
    const ops: Record<BuiltinLoss, () => Tensor> = {
      cross_entropy: () => crossEntropy(rnd([4, 2], 62), [1, 0, 0, 1], { mask }),
      binary_cross_entropy_with_logits: () => binaryCrossEntropyWithLogits(pred, target, { mask }),
      mse_loss: () => mseLoss(pred, target, { mask }),
      l1_loss: () => l1Loss(pred, target, { mask }),
      huber_loss: () => huberLoss(pred, target, { mask, delta: 1 }),
    };
    expect(Object.keys(ops)).toEqual([...BUILTIN_LOSSES]);
    for (const loss of BUILTIN_LOSSES) {
      const ce = loss === "cross_entropy";
      const t = task("t", { kind: ce ? "classification" : "regression", outputs: ce ? 2 : 1, loss });
      expect(taskLoss(t, ce ? rnd([4, 2], 62) : pred, labels, mask).item(), loss).toBe(ops[loss]().item());
    }
    expect(() => task("t", { kind: "regression", outputs: 1, loss: "mse" as never }))
      .toThrow(`task "t": unknown loss "mse" (${BUILTIN_LOSSES.join(", ")}, or a function)`);
  });
});

describe("loss means", () => {
  it("a loss mean over more than 2^24 elements counts every one", async () => {
    const { zeros, ones, mseLoss } = await import("../src/index.js");
    const n = (1 << 24) + 8;
    expect(mseLoss(zeros([n]), ones([n])).item()).toBe(1);
  });
});
