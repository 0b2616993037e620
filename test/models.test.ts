// Whole models against PyTorch at initialisation: load the golden state_dict, then
// compare the output, the loss and every parameter's gradient (and, for batch norm, the
// running stats after one training forward and the eval-mode output).
import { describe, it, expect, beforeAll } from "vitest";
import { init, Sequential, Linear, ReLU, Tanh, Conv2d, MaxPool2d, AvgPool2d, Flatten, Embedding, LayerNorm, BatchNorm1d,
  Module, Tensor, crossEntropy, binaryCrossEntropyWithLogits, mseLoss, gradients, mean, reshape, noGrad } from "../src/index.js";
import { loadGolden, fromGolden, expectClose } from "./helpers.js";
import { maxDiffs, reportMaxDiffs } from "./nnhelpers.js";

beforeAll(async () => { await init(); });
reportMaxDiffs("models");

interface Case { init: Record<string, { shape: number[]; data: number[] }>; out: never; loss: never; grads: Record<string, never> }

/** Load init, run forward + loss, compare out, loss and each gradient; return the model. */
function checkModel<M extends Module>(name: string, model: M, forward: (m: M) => Tensor, loss: (out: Tensor) => Tensor,
  rtol = 1e-5, atol = 1e-6): M {
  const g: Case = loadGolden().models[name];
  model.loadStateDict(g.init);
  const out = forward(model);
  const l = loss(out);
  const d: Record<string, number> = {
    out: expectClose(out, g.out, rtol, atol, `${name} out`),
    loss: expectClose(l, g.loss, rtol, atol, `${name} loss`),
  };
  const named = model.namedParameters();
  expect(named.map(([n]) => n).sort()).toEqual(Object.keys(g.grads).sort());
  const grads = gradients(l, named.map(([, t]) => t));
  let worst = 0;
  named.forEach(([n], i) => { worst = Math.max(worst, expectClose(grads[i], g.grads[n], rtol, atol, `${name} grad ${n}`)); });
  d.grads = worst;
  maxDiffs[name] = d;
  return model;
}

class EmbeddingModel extends Module {
  emb = new Embedding(20, 8);
  norm = new LayerNorm(8);
  head = new Linear(8, 1);
  forward(idx: Tensor): Tensor {
    return reshape(this.head.forward(this.norm.forward(mean(this.emb.forward(idx), 1))), [-1]);
  }
}

describe("models vs PyTorch at init", () => {
  it("mlp (cross-entropy)", () => {
    const g = loadGolden().models.mlp;
    checkModel("mlp", new Sequential(new Linear(8, 16), new ReLU(), new Linear(16, 16), new Tanh(), new Linear(16, 3)),
      (m) => m.forward(fromGolden(g.x)), (out) => crossEntropy(out, fromGolden(g.labels, "int32")));
  });

  it("cnn: conv, relu, max pool, conv, relu, avg pool, flatten, linear (cross-entropy)", () => {
    const g = loadGolden().models.cnn;
    checkModel("cnn", new Sequential(new Conv2d(1, 4, 3, { padding: 1 }), new ReLU(), new MaxPool2d(2), new Conv2d(4, 6, 3),
      new ReLU(), new AvgPool2d(2), new Flatten(), new Linear(6, 5)),
    (m) => m.forward(fromGolden(g.x)), (out) => crossEntropy(out, fromGolden(g.labels, "int32")));
  });

  it("embedding: embedding, mean, layer norm, linear (BCE with logits)", () => {
    const g = loadGolden().models.embedding;
    checkModel("embedding", new EmbeddingModel(), (m) => m.forward(fromGolden(g.x, "int32")),
      (out) => binaryCrossEntropyWithLogits(out, fromGolden(g.targets)));
  });

  it("mlp_batchnorm: running stats after one training forward, eval output (MSE)", () => {
    const g = loadGolden().models.mlp_batchnorm;
    const net = checkModel("mlp_batchnorm", new Sequential(new Linear(4, 6), new BatchNorm1d(6), new ReLU(), new Linear(6, 2)),
      (m) => m.forward(fromGolden(g.x)), (out) => mseLoss(out, fromGolden(g.targets)));
    const sd = net.stateDict();
    const d = maxDiffs.mlp_batchnorm;
    for (const k of ["1.running_mean", "1.running_var"]) d[k.slice(2)] = expectClose(sd[k], g.buffers_after_forward[k], 1e-5, 1e-6, k);
    expect(sd["1.num_batches_tracked"].item()).toBe(g.buffers_after_forward["1.num_batches_tracked"].data[0]);
    net.eval();
    d.out_eval = expectClose(noGrad(() => net.forward(fromGolden(g.x))), g.out_eval, 1e-5, 1e-6, "out_eval");
  });
});
