// Helpers for the neural-network suites: run one golden op (forward and every input's
// gradient against PyTorch's), kernel-vs-reference comparisons, and a record of the max
// differences that each suite prints at the end.
import { afterAll } from "vitest";
import { gradients, Tensor, randn, Rng } from "../src/index.js";
import { loadGolden, fromGolden, expectClose } from "./helpers.js";

const INT_INPUTS = new Set(["labels", "indices"]);

/** Max |difference| per golden op and quantity, printed after the suite. */
export const maxDiffs: Record<string, Record<string, number>> = {};
export function reportMaxDiffs(title: string): void {
  afterAll(() => {
    const lines = Object.entries(maxDiffs).map(([op, d]) =>
      `  ${op.padEnd(30)} ${Object.entries(d).map(([k, v]) => `${k} ${v.toExponential(2)}`).join("  ")}`);
    if (lines.length) console.log(`max |diff| vs PyTorch (${title}):\n${lines.join("\n")}`);
  });
}

/**
 * Run golden op `name`: inputs from the fixture (labels/indices as int32), y = run(inputs),
 * then the vector-Jacobian product with the fixture's cotangent g for every grad_<input>.
 */
export function goldenOp(name: string, run: (x: Record<string, Tensor>) => Tensor, rtol = 1e-5, atol = 1e-6): void {
  const c = loadGolden().ops[name];
  if (!c) throw new Error(`golden.json has no op "${name}"`);
  const inputs: Record<string, Tensor> = {};
  const diffable: string[] = [];
  for (const [k, v] of Object.entries(c.inputs as Record<string, { shape: number[]; data: number[] }>)) {
    inputs[k] = fromGolden(v, INT_INPUTS.has(k) ? "int32" : "float32");
    if (`grad_${k}` in c) { inputs[k].requiresGrad = true; diffable.push(k); }
  }
  const y = run(inputs);
  const d: Record<string, number> = { y: expectClose(y, c.y, rtol, atol, `${name} y`) };
  const gs = gradients(y, diffable.map((k) => inputs[k]), [fromGolden(c.g)]);
  diffable.forEach((k, i) => { d[`grad_${k}`] = expectClose(gs[i], c[`grad_${k}`], rtol, atol, `${name} grad_${k}`); });
  maxDiffs[name] = d;
}

/** Random float32 data of a shape, from a fixed seed. */
export function rnd(shape: number[], seed: number, std = 1): Tensor { return randn(shape, 0, std, new Rng(seed)); }
