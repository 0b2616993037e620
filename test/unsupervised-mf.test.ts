// Matrix factorisation and ranking metrics (polyhead/unsupervised): recall@k and NDCG@k
// on hand-computable cases and against NumPy (build/unsupervised_reference.py), a planted
// low-rank ratings matrix recovered near the noise floor, and rating regression + click
// classification trained jointly on the same users through the Trainer.
import { describe, it, expect, beforeAll } from "vitest";
import { readFileSync } from "node:fs";
import { init, task, tensor, randn, Rng, Trainer, Adam, MultiTaskDataset, scope, noGrad, memoryStats } from "../src/index.js";
import { MatrixFactorization, recallAtK, ndcgAtK, rankItems } from "../src/unsupervised/index.js";

beforeAll(async () => { await init(); });

interface RankRef { name: string; items: number; scores: number[]; relevant: number[][]; exclude: number[][]; at: Record<string, { recall: number; ndcg: number }> }
const ref = JSON.parse(readFileSync(new URL("./fixtures/unsupervised.json", import.meta.url), "utf8")) as { ranking: RankRef[] };

describe("ranking metrics", () => {
  it("hand-computed cases: recall@k and NDCG@k, exclusions and ties", () => {
    // one user, items scored 0.9 0.1 0.5 0.7; relevant {1, 2}: ranking 0, 3, 2, 1
    const one = { scores: [0.9, 0.1, 0.5, 0.7], items: 4, relevant: [[1, 2]] };
    expect(rankItems(one.scores, 4)).toEqual([0, 3, 2, 1]);
    expect(recallAtK(one, 2)).toBe(0);
    expect(recallAtK(one, 3)).toBe(0.5);
    expect(recallAtK(one, 4)).toBe(1);
    // NDCG@3: hit at rank 3 -> (1/log2 4) / (1 + 1/log2 3)
    expect(ndcgAtK(one, 3)).toBeCloseTo(0.5 / (1 + 1 / Math.log2(3)), 12);
    // excluding the two seen items 0 and 3 puts both relevant ones on top
    expect(ndcgAtK({ ...one, exclude: [[0, 3]] }, 2)).toBeCloseTo(1, 12);
    // ties rank the lower index first; users with no relevant item are skipped
    const tied = { scores: [1, 1, 1, 0, 0, 0], items: 3, relevant: [[2], []] };
    expect(recallAtK(tied, 2)).toBe(0);
    expect(recallAtK(tied, 3)).toBe(1);
    expect(ndcgAtK(tied, 3)).toBeCloseTo(0.5, 12);
    expect(() => recallAtK({ scores: [1, 2, 3], items: 2, relevant: [[0]] }, 1)).toThrow("recallAtK: 3 scores are not whole rows of 2 items");
    expect(() => ndcgAtK(one, 0)).toThrow("ndcgAtK: k must be a positive integer, got 0");
  });

  it.each(ref.ranking)("matches NumPy: $name", (c) => {
    for (const [k, want] of Object.entries(c.at)) {
      const input = { scores: tensor(c.scores, [c.relevant.length, c.items]), items: c.items, relevant: c.relevant, exclude: c.exclude };
      expect(recallAtK(input, Number(k))).toBeCloseTo(want.recall, 12);
      expect(ndcgAtK(input, Number(k))).toBeCloseTo(want.ndcg, 12);
    }
  });
});

// a planted rank-3 ratings matrix R = U V^T + noise (std 0.1), 70% of the entries observed
const U = 40, I = 30, R = 3, NOISE = 0.1;
function planted() {
  const u = randn([U, R], 0, 1, new Rng(1)).data(), v = randn([I, R], 0, 1, new Rng(2)).data(), e = randn([U * I], 0, NOISE, new Rng(3)).data();
  const order = new Rng(4).permutation(U * I);
  const pairs = new Int32Array(U * I * 2), rating = new Float32Array(U * I), clean = new Float32Array(U * I);
  order.forEach((cell, n) => {
    const a = Math.floor(cell / I), b = cell % I;
    let s = 0;
    for (let r = 0; r < R; r++) s += u[a * R + r] * v[b * R + r];
    pairs[2 * n] = a; pairs[2 * n + 1] = b; clean[n] = s; rating[n] = s + e[cell];
  });
  return { pairs, rating, clean };
}

describe("MatrixFactorization", () => {
  const rating = task("rating", { kind: "regression", outputs: 1, metrics: ["rmse"] });
  const click = task("click", { kind: "binary", outputs: 1, metrics: ["auc"] });

  it("recovers a planted low-rank matrix near the noise floor (held-out RMSE)", async () => {
    const { pairs, rating: y } = planted();
    const ds = new MultiTaskDataset({ x: pairs, xShape: [2], labels: { rating: y } });
    const cut = (U * I) * 0.7;
    const train = ds.subset(Int32Array.from({ length: cut }, (_, i) => i)), test = ds.subset(Int32Array.from({ length: U * I - cut }, (_, i) => cut + i));
    const mf = new MatrixFactorization({ tasks: [rating], users: U, items: I, factors: R, rng: new Rng(5) });
    const trainer = new Trainer(mf, { tasks: [rating], optimizer: (p) => new Adam(p, { lr: 0.03 }), seed: 1 });
    await trainer.fit(train, { epochs: 60, batchSize: 100 });
    const rmse = trainer.evaluate(test).rating.rmse;
    // the noise floor is 0.1; predicting the mean would give about sqrt(3) = 1.7
    expect(rmse).toBeLessThan(1.6 * NOISE);
    expect(rmse).toBeGreaterThan(0.8 * NOISE);
  });

  it("rating regression and click classification train jointly on the same users (dot + mlp scorers)", async () => {
    const { pairs, rating: y } = planted();
    const clicks = Float32Array.from(y, (v) => (v > 0.5 ? 1 : 0));
    const n = U * I;
    const ds = new MultiTaskDataset({ x: pairs, xShape: [2], labels: { rating: y, click: clicks } });
    const train = ds.subset(Int32Array.from({ length: n * 0.7 }, (_, i) => i)), test = ds.subset(Int32Array.from({ length: n * 0.3 }, (_, i) => n * 0.7 + i));
    const mf = new MatrixFactorization({ tasks: [rating, click], users: U, items: I, factors: 4, scorer: { rating: "dot", click: "mlp" }, hidden: [8], rng: new Rng(6) });
    expect(() => mf.checkOwnership()).not.toThrow();
    const trainer = new Trainer(mf, { tasks: [rating, click], optimizer: (p) => new Adam(p, { lr: 0.02 }), seed: 2 });
    await trainer.fit(train, { epochs: 2, batchSize: 128 });
    const live = memoryStats().liveAllocations;
    await trainer.fit(train, { epochs: 25, batchSize: 128 });
    expect(memoryStats().liveAllocations).toBe(live);
    const m = trainer.evaluate(test);
    expect(m.rating.rmse).toBeLessThan(0.4);
    expect(m.click.auc).toBeGreaterThan(0.9);
    // ranking: score every item for every user, held-out positives relevant, training items excluded
    const all = Int32Array.from({ length: n * 2 }, (_, j) => (j % 2 === 0 ? Math.floor(j / 2 / I) : (j / 2 | 0) % I));
    const scores = scope(() => noGrad(() => Array.from(trainer.predict(tensor(all, [n, 2], "int32"), { tasks: ["rating"] }).rating.data())));
    const relevant: number[][] = Array.from({ length: U }, () => []), exclude: number[][] = Array.from({ length: U }, () => []);
    for (let j = 0; j < n; j++) (j < n * 0.7 ? exclude : clicks[j] ? relevant : [])[pairs[2 * j]]?.push(pairs[2 * j + 1]);
    const random = { scores: randn([U * I], 0, 1, new Rng(9)).data(), items: I, relevant, exclude };
    expect(ndcgAtK({ scores, items: I, relevant, exclude }, 5)).toBeGreaterThan(ndcgAtK(random, 5) + 0.3);
    expect(recallAtK({ scores, items: I, relevant, exclude }, 5)).toBeGreaterThan(recallAtK(random, 5) + 0.2);
  });

  it("checks its input and options", () => {
    expect(() => new MatrixFactorization({ tasks: [rating], users: 3, items: 2, factors: 2, scorer: "svd" as never })).toThrow(/scorer of task "rating" must be "dot", "gmf" or "mlp"/);
    expect(() => new MatrixFactorization({ tasks: [rating], users: 3, items: 2, factor: 2 } as never)).toThrow(/unknown option "factor".*did you mean "factors"/);
    expect(() => new MatrixFactorization({ tasks: [task("k", { kind: "classification", outputs: 3 })], users: 3, items: 2, factors: 2 })).toThrow(/"dot" scorer gives one score/);
    const mf = new MatrixFactorization({ tasks: [rating], users: 3, items: 2, factors: 2 });
    expect(() => mf.forward(tensor([[0, 1]]))).toThrow(/must be int32 \[batch, 2\]/);
    expect(() => mf.forward(tensor([[3, 1]], undefined, "int32"))).toThrow(/index 3 .* out of range \[0, 3\)/);
  });
});
