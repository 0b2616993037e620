// The MMoE paper's synthetic experiment at small scale (Ma et al., KDD 2018, sections
// 4.1-4.3): two regression tasks with label correlation p; MMoE against a shared-bottom
// model of about the same size, same data, same optimiser and steps.
//
// Scale: input 32, 2000 training and 1000 test examples, 400 Adam steps of 64 examples
// (lr 0.005); MMoE 8 experts x 16 units (5026 parameters) against a 113-unit shared
// bottom (5571), towers of 8 units, as the paper sizes them.
// One departure: the paper draws the sine parameters alpha, beta ~ N(0, 0.01), which at
// this scale leaves both tasks almost linear. With that data both models end near the
// noise floor (test MSE 0.016-0.02); MMoE was lower on 6 of 8 seeds at p = 0 but by
// ~5%, and one seed reverses some 3-seed means, so no non-flaky assertion. We draw
// alpha, beta with std 0.5, which makes each label clearly nonlinear in its projection
// (and lowers the labels' Pearson correlation below p, as the paper notes). Then over
// seeds 1-12 MMoE's test MSE was lower on 11 of 12 at p = 0 (means 0.040 vs 0.075) and
// 11 of 12 at p = 0.5 (0.042 vs 0.076). The gap is as large at p = 1 (seeds 7-12: 0.040
// vs 0.071), so at this scale it reflects MMoE fitting the sines better, not the paper's
// widening gap as the tasks decorrelate; this test asserts only the low-p comparison.
import { describe, it, expect, beforeAll } from "vitest";
import { init, task, MMoE, SharedBottom, Rng } from "../src/index.js";
import { synthetic, trainAndEvaluate } from "./synthetic.js";

beforeAll(async () => { await init(); });

const tasks = [task("y1", { kind: "regression", outputs: 1 }), task("y2", { kind: "regression", outputs: 1 })];
const SEEDS = [1, 2, 3];
const TRAIN = { steps: 400, batch: 64, lr: 0.005 };

describe("MMoE vs shared-bottom on the MMoE paper's synthetic data", () => {
  for (const p of [0, 0.5]) {
    it(`p = ${p}: MMoE's test loss is lower, averaged over ${SEEDS.length} seeds`, () => {
      let mmoe = 0, sb = 0;
      const rows: string[] = [];
      for (const s of SEEDS) {
        const data = synthetic(p, 100 + s, { dim: 32, train: 2000, test: 1000, shapeStd: 0.5 });
        const a = trainAndEvaluate(new MMoE({ tasks, inputs: 32, experts: 8, expertWidths: [16], towers: [8], rng: new Rng(s) }), data, { ...TRAIN, seed: s });
        const b = trainAndEvaluate(new SharedBottom({ tasks, inputs: 32, trunk: [113], towers: [8], rng: new Rng(s) }), data, { ...TRAIN, seed: s });
        rows.push(`seed ${s} (label corr ${data.corr.toFixed(2)}): MMoE ${a.toFixed(4)}, shared-bottom ${b.toFixed(4)}`);
        mmoe += a / SEEDS.length; sb += b / SEEDS.length;
      }
      console.log(`p = ${p}: MMoE ${mmoe.toFixed(4)}, shared-bottom ${sb.toFixed(4)}\n  ${rows.join("\n  ")}`);
      expect(mmoe).toBeLessThan(sb);
    });
  }
});
