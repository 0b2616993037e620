// Inter-task affinity (TAG) and suggestTaskGroups: the look-ahead affinities of one step
// equal a direct computation (perturb the shared parameters, forward, compare losses), a
// toy with two planted pairs of related tasks gets its pairs back, and the group
// selection rule on hand-made matrices (closed cases, partitions, errors).
import { describe, it, expect, beforeAll } from "vitest";
import { init, Rng, MultiTaskDataset, task, SharedBottom, Trainer, SGD, randn, EqualWeighting, gradients, type Task } from "../src/index.js";
import { TaskAffinity, suggestTaskGroups } from "../src/methods/index.js";
import { taskLoss } from "../src/mtl/losses.js";

beforeAll(async () => { await init(); });

const NAMES = ["a1", "b1", "a2", "b2"];
// a1, a2 read one direction of x, b1, b2 another: two planted groups
function toy(n: number, seed: number): MultiTaskDataset {
  const x = randn([n, 6], 0, 1, new Rng(seed)).data() as Float32Array;
  const col = (f: (u: number, v: number) => number) => Float32Array.from({ length: n }, (_, r) => f(x[r * 6] + x[r * 6 + 1], x[r * 6 + 2] - x[r * 6 + 3]));
  return new MultiTaskDataset({ x, xShape: [6], labels: { a1: col((u) => u), a2: col((u) => 0.5 * u + 0.3 * u * u), b1: col((_, v) => v), b2: col((_, v) => -2 * v) } });
}
const TASKS = (): Task[] => NAMES.map((t) => task(t, { kind: "regression", outputs: 1 }));

describe("TaskAffinity", () => {
  it("one step's Z_{i->j} = 1 - L_j(θ_s - η g_i) / L_j(θ_s), computed directly", () => {
    const tasks = TASKS();
    const model = new SharedBottom({ tasks, inputs: 6, trunk: [8], towers: [], activation: "tanh", rng: new Rng(1) });
    const lr = 0.1;
    const tag = new TaskAffinity(new EqualWeighting(), { lr });
    const tr = new Trainer(model, { tasks, weighting: tag, optimizer: (p) => new SGD(p, { lr: 0.01 }) });
    const batch = toy(16, 2).batch(Array.from({ length: 16 }, (_, i) => i));
    // the direct computation first, on the initial parameters
    const shared = model.sharedParameters();
    const lossesAt = () => {
      const out = model.forward(batch.x, NAMES).outputs;
      return NAMES.map((t, k) => taskLoss(tasks[k], out[t], batch.labels[t], batch.masks[t]));
    };
    const L0 = lossesAt();
    const v0 = L0.map((l) => l.item());
    const expected = NAMES.map((_, i) => {
      const gs = gradients(L0[i], shared);
      const saved = shared.map((p) => Float32Array.from(p.data()));
      shared.forEach((p, k) => p.write(Array.from(saved[k], (x, e) => x - lr * gs[k].data()[e])));
      const L1 = lossesAt().map((l) => l.item());
      shared.forEach((p, k) => p.write(Array.from(saved[k])));
      return L1.map((l, j) => 1 - l / v0[j]);
    });
    tr.trainStep([{ tasks: NAMES, batch }]);
    const { tasks: order, matrix } = tag.affinity();
    expect(order).toEqual(NAMES);
    NAMES.forEach((_, i) => NAMES.forEach((__, j) => {
      if (i === j) expect(matrix[i][j]).toBeNaN();
      else expect(Math.abs(matrix[i][j] - expected[i][j]), `Z ${NAMES[i]} -> ${NAMES[j]}`).toBeLessThan(1e-5);
    }));
  });

  it("finds the planted groups of a toy: related tasks help each other, and suggestTaskGroups pairs them", async () => {
    const tasks = TASKS();
    const model = new SharedBottom({ tasks, inputs: 6, trunk: [8], towers: [], activation: "tanh", rng: new Rng(1) });
    const tag = new TaskAffinity(new EqualWeighting(), { every: 2 });
    const tr = new Trainer(model, { tasks, weighting: tag, optimizer: (p) => new SGD(p, { lr: 0.05 }) });
    const h = await tr.fit(toy(128, 3), { epochs: 3, batchSize: 16 });
    const A = tag.affinity();
    expect(A.steps).toBe(12); // 24 steps, every other one
    const z = (a: string, b: string) => A.matrix[A.tasks.indexOf(a)][A.tasks.indexOf(b)];
    for (const [p, q] of [["a1", "a2"], ["b1", "b2"]]) {
      for (const o of ["a1", "a2", "b1", "b2"].filter((t) => t !== p && t !== q)) {
        expect(z(p, q), `${p} -> ${q} above ${p} -> ${o}`).toBeGreaterThan(z(p, o));
        expect(z(q, p), `${q} -> ${p} above ${q} -> ${o}`).toBeGreaterThan(z(q, o));
      }
    }
    const best = suggestTaskGroups(A, 2);
    expect(best.groups.map((g) => g.join("+")).sort()).toEqual(["a1+a2", "b1+b2"]);
    expect(h[2].diagnostics?.affinity).toMatchObject({ tasks: A.tasks, steps: 4 });
    // the state round-trips: a resumed wrapper continues with the same sums
    const again = new TaskAffinity(new EqualWeighting());
    again.loadStateDict(JSON.parse(JSON.stringify(tag.stateDict())));
    expect(again.affinity()).toEqual(A);
  });
});

describe("suggestTaskGroups", () => {
  const tasks = ["a", "b", "c"];
  // a and b help each other; c hurts and is hurt by both
  const M = [[NaN, 0.3, -0.2], [0.2, NaN, -0.1], [-0.3, -0.4, NaN]];
  it("picks the groups that maximise the mean best in-group affinity (alone: 0)", () => {
    expect(suggestTaskGroups({ tasks, matrix: M }, 2)).toEqual({ groups: [["a", "b"], ["c"]], score: (0.2 + 0.3 + 0) / 3 });
    // one network: everything together, each task's mean incoming affinity
    const one = suggestTaskGroups({ tasks, matrix: M }, 1);
    expect(one.groups).toEqual([["a", "b", "c"]]);
    expect(one.score).toBeCloseTo(((0.2 - 0.3) / 2 + (0.3 - 0.4) / 2 + (-0.2 - 0.1) / 2) / 3, 15);
  });
  it("with overlap a task may serve two groups; without, each task sits in one", () => {
    // b helps both a and c, which do not help each other
    const N = [[NaN, 0, 0], [0.5, NaN, 0.5], [0, 0, NaN]];
    expect(suggestTaskGroups({ tasks, matrix: N }, 2).groups).toEqual([["a", "b"], ["b", "c"]]);
    const part = suggestTaskGroups({ tasks, matrix: N }, 2, { overlap: false });
    expect(part.groups.flat().sort()).toEqual(["a", "b", "c"]);
    expect(part.score).toBeCloseTo(0.5 / 3, 15);
  });
  it("rejects bad input by name", () => {
    expect(() => suggestTaskGroups({ tasks, matrix: M }, 0)).toThrow(/k must be an integer >= 1/);
    expect(() => suggestTaskGroups({ tasks, matrix: [[0, 1], [1, 0]] }, 1)).toThrow(/3 x 3/);
    expect(() => suggestTaskGroups({ tasks, matrix: [[NaN, NaN, 0], [0, NaN, 0], [0, 0, NaN]] }, 1)).toThrow(/"a" onto "b" is NaN/);
    expect(() => suggestTaskGroups({ tasks, matrix: M }, 2, { overlapp: true } as never)).toThrow(/unknown option "overlapp"/);
  });
});
