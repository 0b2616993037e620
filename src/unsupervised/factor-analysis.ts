// Factor analysis by EM, as scikit-learn's FactorAnalysis with svd_method="lapack" (an
// exact decomposition each iteration; the randomized variant is not reproduced): x =
// W^T z + mean + e, z ~ N(0, I), e ~ N(0, diag(psi)). Each iteration takes the top
// eigenpairs of diag(psi)^-1/2 S diag(psi)^-1/2 (S the covariance, divisor n), which are
// the squared singular values and right singular vectors scikit-learn reads from
// X / (sqrt(psi) sqrt(n)). Float64, + - * / and sqrt only (the log-likelihood's logs too).
import type { Tensor } from "../tensor.js";
import { checkOptions, show } from "../validate.js";
import { asMatrix, columnMeans, inverse, log64, scatter, signRows, symmetricEigen, toTensor } from "./linalg.js";

export interface FactorAnalysisOptions {
  /** Latent factors (default: features). */
  components?: number;
  /** Stop when the log-likelihood gains less than this (default 1e-2, as scikit-learn). */
  tol?: number;
  /** Most EM iterations (default 1000). */
  maxIter?: number;
  /** Initial noise variances, one per feature (default all 1). */
  noiseVarianceInit?: ArrayLike<number>;
}

const SMALL = 1e-12; // scikit-learn's floor on psi and its offset on sqrt(psi)
const LOG_2PI = 1.8378770664093453;

/**
 * Factor analysis. Sign convention as PCA's: each row of `components` has its entry of
 * largest magnitude positive (scikit-learn's signs follow LAPACK's SVD; compare after
 * applying this).
 * @example
 * const fa = new FactorAnalysis({ components: 2 }).fit(x);
 * fa.components;      // [2, features] loadings W
 * fa.noiseVariance;   // psi, per feature
 * fa.transform(x);    // posterior means of the factors, [samples, 2]
 */
export class FactorAnalysis {
  readonly options: { components: number | undefined; tol: number; maxIter: number; noiseVarianceInit: Float64Array | null };
  mean: Float64Array = new Float64Array(0);
  /** Loadings W, [components, features] row-major. */
  components: Float64Array = new Float64Array(0);
  /** Per-feature noise variance psi. */
  noiseVariance: Float64Array = new Float64Array(0);
  /** The log-likelihood after each iteration. */
  loglike: number[] = [];
  nIter = 0;
  /** False when maxIter ran out before the tolerance was met. */
  converged = false;
  nComponents = 0;
  nFeatures = 0;

  constructor(opts: FactorAnalysisOptions = {}) {
    checkOptions("FactorAnalysis", opts, ["components", "tol", "maxIter", "noiseVarianceInit"]);
    const k = opts.components;
    if (k !== undefined && !(Number.isInteger(k) && k > 0)) throw new Error(`FactorAnalysis: components must be a positive integer, got ${show(k)}`);
    const tol = opts.tol ?? 1e-2, maxIter = opts.maxIter ?? 1000;
    if (!(typeof tol === "number" && tol >= 0 && Number.isFinite(tol))) throw new Error(`FactorAnalysis: tol must be a finite number >= 0, got ${show(opts.tol)}`);
    if (!(Number.isInteger(maxIter) && maxIter > 0)) throw new Error(`FactorAnalysis: maxIter must be a positive integer, got ${show(opts.maxIter)}`);
    let init: Float64Array | null = null;
    if (opts.noiseVarianceInit !== undefined) {
      init = Float64Array.from(opts.noiseVarianceInit as ArrayLike<number>);
      if (!init.every((v) => v > 0 && Number.isFinite(v))) throw new Error(`FactorAnalysis: noiseVarianceInit must be positive finite numbers, got ${show(opts.noiseVarianceInit)}`);
    }
    this.options = { components: k, tol, maxIter, noiseVarianceInit: init };
  }

  /** Fit by EM on x ([samples, features] tensor or rows); returns this. */
  fit(x: Tensor | number[][]): this {
    const m = asMatrix(x, "FactorAnalysis.fit");
    const { rows: n, cols: p } = m;
    const k = this.options.components ?? p;
    if (k > p) throw new Error(`FactorAnalysis.fit: components ${k} must be <= features ${p}`);
    const init = this.options.noiseVarianceInit;
    if (init && init.length !== p) throw new Error(`FactorAnalysis.fit: noiseVarianceInit has ${init.length} values, x has ${p} features`);
    const mean = columnMeans(m);
    const cov = scatter(m, mean, n); // X^T X / n of the centred data
    const variance = new Float64Array(p);
    for (let j = 0; j < p; j++) variance[j] = cov[j * p + j];
    let psi = init ? Float64Array.from(init) : new Float64Array(p).fill(1);
    const llconst = p * LOG_2PI + k;
    const w = new Float64Array(k * p), scaled = new Float64Array(p * p), sq = new Float64Array(p);
    const loglike: number[] = [];
    let old = -Infinity, iter = 0, converged = false;
    for (; iter < this.options.maxIter; iter++) {
      for (let j = 0; j < p; j++) sq[j] = Math.sqrt(psi[j]) + SMALL;
      for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) scaled[i * p + j] = cov[i * p + j] / (sq[i] * sq[j]);
      const { values, vectors } = symmetricEigen(scaled, p);
      // scikit-learn's SVD of the [n, p] data has min(n, p) values; the rest are 0 here
      const r = Math.min(n, p);
      let ll = llconst, unexplained = 0;
      for (let i = 0; i < r; i++) {
        const s2 = values[i] > 0 ? values[i] : 0;
        if (i < k) {
          ll += log64(s2);
          const c = s2 - 1 > 0 ? Math.sqrt(s2 - 1) : 0;
          for (let j = 0; j < p; j++) w[i * p + j] = c * vectors[i * p + j] * sq[j];
        } else unexplained += s2;
      }
      for (let i = r; i < k; i++) { ll += log64(0); w.fill(0, i * p, (i + 1) * p); }
      ll += unexplained;
      for (let j = 0; j < p; j++) ll += log64(psi[j]);
      ll *= -n / 2;
      loglike.push(ll);
      if (ll - old < this.options.tol) { converged = true; break; }
      old = ll;
      const next = new Float64Array(p);
      for (let j = 0; j < p; j++) {
        let s = 0;
        for (let i = 0; i < k; i++) s += w[i * p + j] * w[i * p + j];
        next[j] = variance[j] - s > SMALL ? variance[j] - s : SMALL;
      }
      psi = next;
    }
    signRows(w, k, p);
    Object.assign(this, { mean, components: w, noiseVariance: psi, loglike, nIter: converged ? iter + 1 : iter, converged, nComponents: k, nFeatures: p });
    return this;
  }

  /** Posterior means of the factors, E[z | x] = (x - mean) Wpsi^T (I + Wpsi W^T)^-1, [samples, components]. */
  transform(x: Tensor | number[][]): Tensor {
    if (this.nComponents === 0) throw new Error("FactorAnalysis.transform: call fit(x) first");
    const m = asMatrix(x, "FactorAnalysis.transform", this.nFeatures);
    const k = this.nComponents, p = this.nFeatures, w = this.components, psi = this.noiseVariance;
    const wpsi = new Float64Array(k * p);
    for (let i = 0; i < k; i++) for (let j = 0; j < p; j++) wpsi[i * p + j] = w[i * p + j] / psi[j];
    const g = new Float64Array(k * k);
    for (let i = 0; i < k; i++) {
      for (let l = 0; l < k; l++) {
        let s = i === l ? 1 : 0;
        for (let j = 0; j < p; j++) s += wpsi[i * p + j] * w[l * p + j];
        g[i * k + l] = s;
      }
    }
    const covZ = inverse(g, k, "FactorAnalysis.transform");
    const out = new Float64Array(m.rows * k), tmp = new Float64Array(k);
    for (let r = 0; r < m.rows; r++) {
      for (let i = 0; i < k; i++) {
        let s = 0;
        for (let j = 0; j < p; j++) s += (m.a[r * p + j] - this.mean[j]) * wpsi[i * p + j];
        tmp[i] = s;
      }
      for (let l = 0; l < k; l++) {
        let s = 0;
        for (let i = 0; i < k; i++) s += tmp[i] * covZ[i * k + l];
        out[r * k + l] = s;
      }
    }
    return toTensor(out, m.rows, k);
  }

  /** The model's covariance W^T W + diag(psi), [features, features] row-major. */
  covariance(): Float64Array {
    if (this.nComponents === 0) throw new Error("FactorAnalysis.covariance: call fit(x) first");
    const k = this.nComponents, p = this.nFeatures, w = this.components, c = new Float64Array(p * p);
    for (let a = 0; a < p; a++) {
      for (let b = 0; b < p; b++) {
        let s = a === b ? this.noiseVariance[a] : 0;
        for (let i = 0; i < k; i++) s += w[i * p + a] * w[i * p + b];
        c[a * p + b] = s;
      }
    }
    return c;
  }
}
