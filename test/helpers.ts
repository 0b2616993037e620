// Test helpers: init once, finite-difference gradient checks, golden fixtures, and a
// comparison that reports the max difference.
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { init, tensor, gradients, sum, mul, noGrad, Tensor, Rng, randn, SGD, Adam, AdamW, RMSprop, Adagrad, task, type Optimizer, type BaseOptions, type Task } from "../src/index.js";

export async function setup(): Promise<void> { await init(); }

/** Three tasks of the three kinds: "cls" (3 classes), "reg" (regression), "bin" (binary). */
export const threeTasks = (): Task[] => [
  task("cls", { kind: "classification", outputs: 3 }),
  task("reg", { kind: "regression", outputs: 1 }),
  task("bin", { kind: "binary", outputs: 1 }),
];

export interface GoldenTensor { shape: number[]; data: number[] }

let golden: any = null;
/**
 * test/fixtures/golden.json, with the `ops` of every other golden fixture of a family
 * (a test/fixtures/*.json with the same magic, written by its own generator in build/)
 * merged into `ops`, so the op table's suite covers them all.
 */
export function loadGolden(): any {
  if (!golden) {
    golden = loadFixture("golden.json");
    for (const f of readdirSync(fileURLToPath(new URL("./fixtures/", import.meta.url)))) {
      if (f === "golden.json" || !f.endsWith(".json")) continue;
      const more = JSON.parse(readFileSync(fileURLToPath(new URL(`./fixtures/${f}`, import.meta.url)), "utf8"));
      if (more.magic !== "polyhead-golden") continue;
      for (const [k, v] of Object.entries(more.ops ?? {})) {
        if (k in golden.ops) throw new Error(`${f}: op case "${k}" is also in another golden fixture`);
        golden.ops[k] = v;
      }
    }
  }
  return golden;
}

/** One golden fixture file of test/fixtures (magic and version checked). */
export function loadFixture(file: string): any {
  const g = JSON.parse(readFileSync(fileURLToPath(new URL(`./fixtures/${file}`, import.meta.url)), "utf8"));
  if (g.magic !== "polyhead-golden" || g.version !== 1) throw new Error(`${file}: bad magic/version`);
  return g;
}

export function fromGolden(g: GoldenTensor, dtype: "float32" | "int32" = "float32"): Tensor {
  return tensor(g.data, g.shape, dtype);
}

/** max |a - b| / (atol + rtol |b|) must be <= 1; returns the max absolute difference. */
export function expectClose(actual: Tensor | ArrayLike<number>, expected: Tensor | GoldenTensor | ArrayLike<number>,
  rtol = 1e-5, atol = 1e-6, label = ""): number {
  const a = actual instanceof Tensor ? actual.data() : actual;
  const e = expected instanceof Tensor ? expected.data() : ("data" in (expected as object) && !ArrayBuffer.isView(expected) ? (expected as GoldenTensor).data : expected as ArrayLike<number>);
  if (expected && !(expected instanceof Tensor) && "shape" in (expected as object) && actual instanceof Tensor) {
    expect([...actual.shape], `${label} shape`).toEqual((expected as GoldenTensor).shape);
  }
  expect(a.length, `${label} length`).toBe(e.length);
  let maxDiff = 0, worst = 0, at = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - e[i]);
    const r = d / (atol + rtol * Math.abs(e[i]));
    if (Number.isNaN(d)) { worst = Infinity; at = i; break; }
    if (d > maxDiff) maxDiff = d;
    if (r > worst) { worst = r; at = i; }
  }
  if (worst > 1) throw new Error(`${label}: mismatch at ${at}: got ${a[at]}, expected ${e[at]} (max |diff| ${maxDiff})`);
  return maxDiff;
}

/**
 * Compare autograd with central finite differences (in f64 on the host, evaluating the
 * f32 function) for f(inputs) contracted with a fixed random cotangent. `scale` multiplies
 * the finite differences, for an op whose backward is by definition a multiple of its
 * forward's derivative (gradient reversal: -lambda).
 */
export function gradCheck(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], opts: { eps?: number; rtol?: number; atol?: number; skip?: number[]; scale?: number } = {}): void {
  const eps = opts.eps ?? 1e-2, rtol = opts.rtol ?? 2e-2, atol = opts.atol ?? 2e-3;
  for (const x of inputs) x.requiresGrad = true;
  const y0 = f(...inputs);
  const cot = randn(y0.shape, 0, 1, new Rng(1234));
  const scalar = (ys: Tensor) => sum(mul(ys, cot));
  const grads = gradients(scalar(y0), inputs);
  inputs.forEach((x, xi) => {
    if (opts.skip?.includes(xi)) return;
    const base = x.data() as Float32Array;
    const g = grads[xi].data();
    for (let i = 0; i < x.size; i++) {
      const eval1 = (v: number) => {
        const arr = Float32Array.from(base); arr[i] = v;
        const xs = inputs.map((t, k) => (k === xi ? tensor(arr, t.shape) : t));
        return noGrad(() => scalar(f(...xs)).item());
      };
      const num = (opts.scale ?? 1) * (eval1(base[i] + eps) - eval1(base[i] - eps)) / (2 * eps);
      const diff = Math.abs(num - g[i]);
      if (diff > atol + rtol * Math.abs(num)) {
        throw new Error(`gradCheck: input ${xi} element ${i}: autograd ${g[i]}, finite difference ${num}`);
      }
    }
  });
}

/** An optimiser from a PyTorch config object of the golden file (build/golden.py). */
export type AnyOpt = Optimizer<BaseOptions>;
export function makeOptimizer(cfg: Record<string, unknown>, params: Tensor[]): AnyOpt {
  const c = cfg as Record<string, never>;
  switch (cfg.type) {
    case "sgd": return new SGD(params, { lr: c.lr, momentum: c.momentum, dampening: c.dampening, weightDecay: c.weight_decay, nesterov: c.nesterov }) as unknown as AnyOpt;
    case "adam": return new Adam(params, { lr: c.lr, betas: c.betas, eps: c.eps, weightDecay: c.weight_decay, amsgrad: c.amsgrad }) as unknown as AnyOpt;
    case "adamw": return new AdamW(params, { lr: c.lr, betas: c.betas, eps: c.eps, weightDecay: c.weight_decay, amsgrad: c.amsgrad }) as unknown as AnyOpt;
    case "rmsprop": return new RMSprop(params, { lr: c.lr, alpha: c.alpha, eps: c.eps, weightDecay: c.weight_decay, momentum: c.momentum, centered: c.centered }) as unknown as AnyOpt;
    case "adagrad": return new Adagrad(params, { lr: c.lr, lrDecay: c.lr_decay, weightDecay: c.weight_decay, initialAccumulatorValue: c.initial_accumulator_value, eps: c.eps }) as unknown as AnyOpt;
  }
  throw new Error(`unknown optimizer type ${String(cfg.type)}`);
}

