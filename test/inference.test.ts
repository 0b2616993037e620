// Inference without the tape: predict gives the same bits as a batch-by-batch forward pass
// with the tape on, whatever its block size (default 4096 rows), for every activation (SIMD
// lanes and scalar tails must agree); evaluate's losses equal a taped batch-by-batch
// computation with masked labels, bit for bit.
import { describe, it, expect, beforeAll } from "vitest";
import {
  init, Rng, MultiTaskDataset, SharedBottom, MMoE, Trainer, randn, scope, slice, concat, tensor,
  type Tensor, type Activation,
} from "../src/index.js";
import { taskLoss } from "../src/mtl/losses.js";
import { threeTasks } from "./helpers.js";

beforeAll(async () => { await init(); });

const TASKS = threeTasks;
const N = 613, F = 13;  // odd sizes: partial tiles, scalar tails, a last short batch

function data(): MultiTaskDataset {
  const rng = new Rng(5);
  const x = randn([N, F], 0, 1, rng).f32();
  const cls = new Int32Array(N), reg = new Float32Array(N), bin = new Float32Array(N);
  for (let i = 0; i < N; i++) {
    cls[i] = (i * 7) % 3; bin[i] = x[i * F] > 0 ? 1 : 0;
    reg[i] = i % 5 === 0 ? NaN : x[i * F + 1] - x[i * F + 2];  // every fifth unlabelled
  }
  return new MultiTaskDataset({ x, xShape: [F], labels: { cls, reg, bin } });
}

const bits = (t: Tensor) => Array.from(new Uint32Array(t.f32().buffer));

/** Outputs of batch-by-batch forward passes with the tape recording (the training path). */
function taped(m: SharedBottom | MMoE, x: Tensor, names: string[], rows: number): Record<string, number[]> {
  return scope(() => {
    const parts: Record<string, Tensor[]> = {};
    for (let i = 0; i < x.shape[0]; i += rows) {
      const out = m.forward(slice(x, 0, i, Math.min(x.shape[0], i + rows)), names).outputs;
      for (const t of names) (parts[t] ??= []).push(out[t]);
    }
    return Object.fromEntries(names.map((t) => [t, bits(concat(parts[t], 0))]));
  });
}

describe("predict and evaluate (no tape)", () => {
  const acts: Activation[] = ["relu", "gelu", "tanh", "sigmoid", "elu", "leaky_relu"];
  for (const activation of acts) {
    it(`predict: the same bits for any block size and as the taped forward (${activation})`, () => {
      const tasks = TASKS(), names = tasks.map((t) => t.name);
      const m = new SharedBottom({ tasks, inputs: F, trunk: [37, 19], towers: [11], activation, rng: new Rng(2) });
      const tr = new Trainer(m, { tasks });
      const x = tensor(data().inputs(), [N, F]).keep();
      m.eval();
      const want = taped(m, x, names, 64);
      m.train();
      for (const batchSize of [undefined, 1, 7, 256, N, 100000]) {
        scope(() => {
          const out = tr.predict(x, batchSize === undefined ? {} : { batchSize });
          for (const t of names) expect(bits(out[t]), `${t}, batchSize ${batchSize}`).toEqual(want[t]);
        });
      }
      expect(m.training).toBe(true);
      x.dispose();
    });
  }

  it("evaluate: losses equal a batch-by-batch taped computation bit for bit; accuracy equals one from predict", () => {
    const tasks = TASKS(), names = tasks.map((t) => t.name), ds = data();
    const m = new MMoE({ tasks, inputs: F, experts: 3, expertWidths: [17], towers: [5], rng: new Rng(3) });
    const tr = new Trainer(m, { tasks });
    for (const batchSize of [64, 256, 1000]) {
      // the reference: per batch of batchSize, a taped forward and the masked loss, weighted by labelled rows
      m.eval();
      const sum: Record<string, number> = {}, cnt: Record<string, number> = {};
      for (const b of ds.batches(batchSize)) {
        scope(() => {
          const out = m.forward(b.x, names).outputs;
          for (const t of tasks) {
            const n = b.labelledCount(t.name);
            if (n === 0) continue;
            sum[t.name] = (sum[t.name] ?? 0) + taskLoss(t, out[t.name], b.labels[t.name], b.masks[t.name]).item() * n;
            cnt[t.name] = (cnt[t.name] ?? 0) + n;
          }
        });
      }
      m.train();
      const got = tr.evaluate(ds, { batchSize });
      for (const t of names) expect(got[t].loss, `${t}, batchSize ${batchSize}`).toBe(sum[t] / cnt[t]);
      // metrics from whole-dataset predictions agree with the blocked ones
      const pred = scope(() => tr.predict(tensor(ds.inputs(), [N, F]), { batchSize: 1 }).cls.f32());
      const labels = ds.batch(Int32Array.from({ length: N }, (_, i) => i)).labels.cls.data();
      let right = 0;
      for (let i = 0; i < N; i++) {
        const row = Array.from(pred.slice(i * 3, i * 3 + 3));
        if (row.indexOf(Math.max(...row)) === labels[i]) right++;
      }
      expect(got.cls.accuracy).toBeCloseTo(right / N, 12);
    }
  });
});
