// The MMoE paper's synthetic two-task regression (Ma et al., KDD 2018, section 4.1) and a
// small deterministic training loop (Adam over host arrays) for comparing architectures.
// Math.sin/exp here generate data and drive the test optimiser only: no library path.
import { Rng, randn, tensor, take, scope, gradients, sub, square, mean, add, noGrad, type Tensor, type MultiTaskModel } from "../src/index.js";

export interface Synthetic { xTrain: Tensor; yTrain: Tensor[]; xTest: Tensor; yTest: Tensor[]; corr: number }

/**
 * Two regression tasks with label correlation controlled by p: orthogonal unit vectors
 * u1, u2; w1 = c u1, w2 = c (p u1 + sqrt(1 - p^2) u2); x ~ N(0, I);
 * y_i = w_i.x + sum_{k<m} sin(alpha_k w_i.x + beta_k) + e_i, e_i ~ N(0, 0.01) (std 0.1).
 * alpha, beta ~ N(0, shapeStd^2); the paper's N(0, 0.01) is shapeStd 0.1 (the default).
 */
export function synthetic(p: number, seed: number, opts: { dim?: number; train?: number; test?: number; c?: number; m?: number; shapeStd?: number } = {}): Synthetic {
  const d = opts.dim ?? 32, nTrain = opts.train ?? 2000, nTest = opts.test ?? 1000, c = opts.c ?? 1, m = opts.m ?? 10;
  const rng = new Rng(seed);
  const g = (n: number, std = 1) => Array.from(randn([n], 0, std, rng).data());
  // u1, u2: Gram-Schmidt on two Gaussian vectors
  const a = g(d), b = g(d);
  const dot = (x: number[], y: number[]) => x.reduce((s, v, i) => s + v * y[i], 0);
  const na = Math.sqrt(dot(a, a));
  const u1 = a.map((v) => v / na);
  const proj = dot(b, u1);
  const r = b.map((v, i) => v - proj * u1[i]);
  const nr = Math.sqrt(dot(r, r));
  const u2 = r.map((v) => v / nr);
  const w1 = u1.map((v) => c * v);
  const w2 = u1.map((v, i) => c * (p * v + Math.sqrt(1 - p * p) * u2[i]));
  const alpha = g(m, opts.shapeStd ?? 0.1), beta = g(m, opts.shapeStd ?? 0.1);
  const make = (n: number) => {
    const x = randn([n, d], 0, 1, rng);
    const xs = x.data();
    const noise = [g(n, 0.1), g(n, 0.1)];
    const ys = [w1, w2].map((w, ti) => {
      const y = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        let z = 0;
        for (let j = 0; j < d; j++) z += w[j] * xs[i * d + j];
        let s = z;
        for (let k = 0; k < m; k++) s += Math.sin(alpha[k] * z + beta[k]);
        y[i] = s + noise[ti][i];
      }
      return y;
    });
    return { x: x.keep(), ys };
  };
  const tr = make(nTrain), te = make(nTest);
  const pearson = (u: Float32Array, v: Float32Array) => {
    const mu = u.reduce((s, x) => s + x, 0) / u.length, mv = v.reduce((s, x) => s + x, 0) / v.length;
    let su = 0, sv = 0, suv = 0;
    for (let i = 0; i < u.length; i++) { su += (u[i] - mu) ** 2; sv += (v[i] - mv) ** 2; suv += (u[i] - mu) * (v[i] - mv); }
    return suv / Math.sqrt(su * sv);
  };
  const col = (y: Float32Array) => tensor(y, [y.length, 1]).keep();
  return { xTrain: tr.x, yTrain: tr.ys.map(col), xTest: te.x, yTest: te.ys.map(col), corr: pearson(tr.ys[0], tr.ys[1]) };
}

/** Train with Adam (host-side state) on the sum of the tasks' MSE; returns the mean test MSE over tasks. */
export function trainAndEvaluate(model: MultiTaskModel, data: Synthetic, opts: { steps: number; batch: number; lr: number; seed: number }): number {
  const names = model.taskNames;
  const params = model.trainableParameters();
  const m1 = params.map((t) => new Float64Array(t.size)), m2 = params.map((t) => new Float64Array(t.size));
  const b1 = 0.9, b2 = 0.999, eps = 1e-8;
  const rng = new Rng(opts.seed);
  const n = data.xTrain.shape[0];
  let perm = rng.permutation(n), at = 0;
  for (let step = 1; step <= opts.steps; step++) {
    if (at + opts.batch > n) { perm = rng.permutation(n); at = 0; }
    const idx = perm.slice(at, at + opts.batch); at += opts.batch;
    scope(() => {
      const xb = take(data.xTrain, idx);
      const out = model.forward(xb).outputs;
      let loss: Tensor | null = null;
      names.forEach((t, i) => { const l = mean(square(sub(out[t], take(data.yTrain[i], idx)))); loss = loss ? add(loss, l) : l; });
      const grads = gradients(loss!, params);
      const c1 = 1 - Math.pow(b1, step), c2 = 1 - Math.pow(b2, step);
      params.forEach((p, k) => {
        const g = grads[k].data(), w = p.data();
        for (let i = 0; i < w.length; i++) {
          m1[k][i] = b1 * m1[k][i] + (1 - b1) * g[i];
          m2[k][i] = b2 * m2[k][i] + (1 - b2) * g[i] * g[i];
          w[i] -= (opts.lr * (m1[k][i] / c1)) / (Math.sqrt(m2[k][i] / c2) + eps);
        }
        p.write(w);
      });
    });
  }
  return scope(() => noGrad(() => {
    model.eval();
    const out = model.forward(data.xTest).outputs;
    model.train();
    return names.reduce((s, t, i) => s + mean(square(sub(out[t], data.yTest[i]))).item(), 0) / names.length;
  }));
}
