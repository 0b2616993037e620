// Training trajectories against PyTorch: the golden CNN, embedding and batch-norm
// models, each optimiser config, 3 steps on one batch from the same init; the
// parameters and buffers afterwards must match torch's (issue: "parameters after a few
// optimiser steps for a small MLP, a small CNN and an embedding model").
import { describe, it, beforeAll, expect } from "vitest";
import { init, Sequential, Linear, ReLU, Conv2d, MaxPool2d, AvgPool2d, Flatten, Embedding, LayerNorm, BatchNorm1d,
  Module, Tensor, crossEntropy, binaryCrossEntropyWithLogits, mseLoss, mean, reshape, backward, clipGradNorm, scope } from "../src/index.js";
import { loadGolden, fromGolden, expectClose, makeOptimizer } from "./helpers.js";

beforeAll(async () => { await init(); });

class EmbeddingModel extends Module {
  emb = new Embedding(20, 8);
  norm = new LayerNorm(8);
  head = new Linear(8, 1);
  forward(idx: Tensor): Tensor { return reshape(this.head.forward(this.norm.forward(mean(this.emb.forward(idx), 1))), [-1]); }
}

const MODELS: Record<string, { build: () => Module; run: (m: Module, g: any) => Tensor }> = {
  cnn: {
    build: () => new Sequential(new Conv2d(1, 4, 3, { padding: 1 }), new ReLU(), new MaxPool2d(2), new Conv2d(4, 6, 3), new ReLU(), new AvgPool2d(2), new Flatten(), new Linear(6, 5)),
    run: (m, g) => crossEntropy((m as Sequential).forward(fromGolden(g.x)), fromGolden(g.labels, "int32")),
  },
  embedding: {
    build: () => new EmbeddingModel(),
    run: (m, g) => binaryCrossEntropyWithLogits((m as EmbeddingModel).forward(fromGolden(g.x, "int32")), fromGolden(g.targets)),
  },
  mlp_batchnorm: {
    build: () => new Sequential(new Linear(4, 6), new BatchNorm1d(6), new ReLU(), new Linear(6, 2)),
    run: (m, g) => mseLoss((m as Sequential).forward(fromGolden(g.x)), fromGolden(g.targets)),
  },
};

for (const [name, spec] of Object.entries(MODELS)) {
  describe(`${name}: 3 optimiser steps vs PyTorch`, () => {
    const g = loadGolden().models[name];
    for (const opt of Object.keys(g.optimizers)) {
      it(opt, () => {
        const cfg = g.optimizers[opt];
        const model = spec.build();
        model.loadStateDict(g.init);
        const o = makeOptimizer(cfg, model.parameters());
        const losses: number[] = [];
        for (let s = 0; s < g.steps; s++) {
          losses.push(scope(() => {
            o.zeroGrad();
            const loss = spec.run(model, g);
            backward(loss);
            if (cfg.clip_grad_norm !== undefined) clipGradNorm(model.parameters(), cfg.clip_grad_norm);
            o.step();
            return loss.item();
          }));
        }
        expectClose(losses, g.step_losses[opt], 1e-5, 1e-6, `${name}/${opt} losses`);
        let worst = 0;
        const sd = model.stateDict();
        expect(Object.keys(sd).sort()).toEqual(Object.keys(g.after[opt]).sort());
        for (const [k, t] of Object.entries(sd)) worst = Math.max(worst, expectClose(t, g.after[opt][k], 2e-5, 2e-6, `${name}/${opt} ${k}`));
        console.log(`${name}/${opt}: max |param - torch| after ${g.steps} steps = ${worst.toExponential(2)}`);
      });
    }
  });
}
