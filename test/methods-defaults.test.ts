// Defaults that follow the authors' reference code where the paper leaves them open, each
// a regression test of a default that was once wrong (found by bench:methods -- --mnist).
import { describe, it, expect, beforeAll } from "vitest";
import { init } from "../src/index.js";
import * as M from "../src/methods/index.js";

beforeAll(async () => { await init(); });

describe("method defaults", () => {
  it("ExcessMTL's weight step is the authors' robust_step_size, 1e-2 (0.1 made the weights collapse onto one task)", () => {
    expect(new M.ExcessMTL(["a", "b"]).eta).toBe(0.01);
    // what the step size does: e^(eta * sum of risk ratios) over 200 steps where task a's relative
    // excess risk stays at 1 and b's decays; with 0.01 b keeps a fair share, with 0.1 it had ~1e-8
    let w = [1, 1];
    for (let t = 1; t <= 200; t++) w = M.excessMtlWeights(w, [1, 1 / Math.sqrt(t)], [1, 1], new M.ExcessMTL(["a", "b"]).eta);
    expect(w[1] / w[0]).toBeGreaterThan(0.1);
    expect(w[0] + w[1]).toBeCloseTo(2, 12);
  });
});
