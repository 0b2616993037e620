// Principal component analysis, deterministic: the sample covariance (divisor n - 1, as
// scikit-learn's explained_variance_) and its eigen-decomposition by cyclic Jacobi, in
// float64 with + - * / and sqrt only. For features, for initialising an autoencoder, and
// as a check on one (a linear autoencoder spans the PCA subspace).
import type { Tensor } from "../tensor.js";
import { checkOptions, show } from "../validate.js";
import { asMatrix, columnMeans, scatter, symmetricEigen, toTensor, type Matrix } from "./linalg.js";

export interface PCAOptions {
  /** Components kept (default min(samples, features)). */
  components?: number;
  /** Scale the projections to unit variance (divide by sqrt of each explained variance). */
  whiten?: boolean;
}

/**
 * Principal component analysis. Sign convention: each component (a row of `components`)
 * has its entry of largest magnitude positive (the first such on ties). scikit-learn's
 * svd_flip picks signs from the left singular vectors instead, so compare with it after
 * applying this convention.
 * @example
 * const pca = new PCA({ components: 2 }).fit(x);   // x: [samples, features]
 * const z = pca.transform(x);                      // [samples, 2]
 * pca.explainedVarianceRatio;                      // Float64Array(2)
 */
export class PCA {
  readonly options: { components: number | undefined; whiten: boolean };
  /** Per-feature means of the fitted data. */
  mean: Float64Array = new Float64Array(0);
  /** The principal axes, [components, features] row-major, by decreasing variance. */
  components: Float64Array = new Float64Array(0);
  /** Variance along each component (eigenvalues of the covariance, divisor n - 1). */
  explainedVariance: Float64Array = new Float64Array(0);
  /** explainedVariance / total variance of the data. */
  explainedVarianceRatio: Float64Array = new Float64Array(0);
  /** Singular values of the centred data: sqrt(explainedVariance * (n - 1)). */
  singularValues: Float64Array = new Float64Array(0);
  nComponents = 0;
  nFeatures = 0;
  nSamples = 0;

  constructor(opts: PCAOptions = {}) {
    checkOptions("PCA", opts, ["components", "whiten"]);
    const k = opts.components;
    if (k !== undefined && !(Number.isInteger(k) && k > 0)) throw new Error(`PCA: components must be a positive integer, got ${show(k)}`);
    if (opts.whiten !== undefined && typeof opts.whiten !== "boolean") throw new Error(`PCA: whiten must be a boolean, got ${show(opts.whiten)}`);
    this.options = { components: k, whiten: opts.whiten ?? false };
  }

  /** Fit on x ([samples, features] tensor or rows); returns this. */
  fit(x: Tensor | number[][]): this {
    const m = asMatrix(x, "PCA.fit");
    const { rows: n, cols: p } = m;
    if (n < 2) throw new Error(`PCA.fit: needs at least 2 samples, got ${n}`);
    const k = this.options.components ?? Math.min(n, p);
    if (k > Math.min(n, p)) throw new Error(`PCA.fit: components ${k} must be <= min(samples, features) = ${Math.min(n, p)}`);
    const mean = columnMeans(m);
    const { values, vectors } = symmetricEigen(scatter(m, mean, n - 1), p);
    let total = 0;
    for (let i = 0; i < p; i++) total += values[i];
    const ev = new Float64Array(k), ratio = new Float64Array(k), sv = new Float64Array(k);
    for (let i = 0; i < k; i++) {
      ev[i] = values[i] > 0 ? values[i] : 0; // rounding can leave a null direction at -1e-17
      ratio[i] = total > 0 ? ev[i] / total : 0;
      sv[i] = Math.sqrt(ev[i] * (n - 1));
    }
    Object.assign(this, { mean, components: vectors.slice(0, k * p), explainedVariance: ev, explainedVarianceRatio: ratio, singularValues: sv, nComponents: k, nFeatures: p, nSamples: n });
    return this;
  }

  /** Projections onto the components: (x - mean) C^T, [samples, components] (float64 rows). */
  project(x: Tensor | number[][]): Matrix {
    this.fitted("transform");
    const m = asMatrix(x, "PCA.transform", this.nFeatures);
    const { rows: n, cols: p } = m, k = this.nComponents, c = this.components;
    const out = new Float64Array(n * k);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < k; j++) {
        let s = 0;
        for (let f = 0; f < p; f++) s += (m.a[i * p + f] - this.mean[f]) * c[j * p + f];
        out[i * k + j] = this.options.whiten ? s / Math.sqrt(this.explainedVariance[j]) : s;
      }
    }
    return { a: out, rows: n, cols: k };
  }

  /** The projections as a float32 tensor [samples, components]. */
  transform(x: Tensor | number[][]): Tensor { const z = this.project(x); return toTensor(z.a, z.rows, z.cols); }

  /** fit, then transform, on the same samples. */
  fitTransform(x: Tensor | number[][]): Tensor { return this.fit(x).transform(x); }

  /** Back to feature space: z C + mean (undoing whitening), [samples, features]. */
  inverseTransform(z: Tensor | number[][]): Tensor {
    this.fitted("inverseTransform");
    const m = asMatrix(z, "PCA.inverseTransform", this.nComponents);
    const k = this.nComponents, p = this.nFeatures, out = new Float64Array(m.rows * p);
    for (let i = 0; i < m.rows; i++) {
      for (let f = 0; f < p; f++) {
        let s = this.mean[f];
        for (let j = 0; j < k; j++) {
          const zj = this.options.whiten ? m.a[i * k + j] * Math.sqrt(this.explainedVariance[j]) : m.a[i * k + j];
          s += zj * this.components[j * p + f];
        }
        out[i * p + f] = s;
      }
    }
    return toTensor(out, m.rows, p);
  }

  /** The components as a float32 tensor [components, features] (a Linear encoder's weight layout). */
  componentsTensor(): Tensor { this.fitted("componentsTensor"); return toTensor(this.components, this.nComponents, this.nFeatures); }

  private fitted(what: string): void {
    if (this.nComponents === 0) throw new Error(`PCA.${what}: call fit(x) first`);
  }
}
