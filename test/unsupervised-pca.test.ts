// PCA and factor analysis (polyhead/unsupervised) against scikit-learn: components,
// explained variance, projections, EM iterates, from build/unsupervised_reference.py's
// fixture; plus the linear-algebra pieces (Jacobi, log64) and option checks.
import { describe, it, expect, beforeAll } from "vitest";
import { readFileSync } from "node:fs";
import { init, tensor } from "../src/index.js";
import { PCA, FactorAnalysis, symmetricEigen, log64 } from "../src/unsupervised/index.js";
import { expectClose } from "./helpers.js";

beforeAll(async () => { await init(); });

interface Ref { name: string; x: number[]; shape: [number, number]; components: number; [k: string]: unknown }
const ref = JSON.parse(readFileSync(new URL("./fixtures/unsupervised.json", import.meta.url), "utf8")) as { pca: Ref[]; fa: Ref[] };
const rows = (c: Ref) => Array.from({ length: c.shape[0] }, (_, i) => c.x.slice(i * c.shape[1], (i + 1) * c.shape[1]));
const num = (c: Ref, k: string) => c[k] as number[];

describe.each(ref.pca)("PCA vs scikit-learn: $name", (c) => {
  it("mean, components, explained variance (ratio), singular values, projections, inverse", () => {
    // the fixture's x holds float32 values: the tensor path and the plain-rows path read the same numbers
    const x = tensor(c.x, c.shape);
    const pca = new PCA({ components: c.components, whiten: c.whiten as boolean }).fit(x);
    expectClose(pca.mean, num(c, "mean"), 1e-12, 1e-12, "mean");
    expectClose(pca.components, num(c, "axes"), 1e-9, 1e-10, "components");
    expectClose(pca.explainedVariance, num(c, "explained_variance"), 1e-11, 1e-12, "explained_variance");
    expectClose(pca.explainedVarianceRatio, num(c, "explained_variance_ratio"), 1e-11, 1e-12, "ratio");
    expectClose(pca.singularValues, num(c, "singular_values"), 1e-11, 1e-12, "singular values");
    expectClose(pca.project(rows(c)).a, num(c, "transform"), 1e-9, 1e-9, "transform (float64)");
    expectClose(pca.transform(x), num(c, "transform"), 1e-5, 1e-5, "transform (tensor)");
    expectClose(pca.inverseTransform(pca.transform(x)), num(c, "inverse"), 1e-5, 1e-5, "inverse_transform");
  });
});

describe.each(ref.fa)("FactorAnalysis vs scikit-learn (svd_method lapack): $name", (c) => {
  it("iterations, log-likelihood path, loadings, noise variance, transform, covariance", () => {
    const fa = new FactorAnalysis({ components: c.components, tol: c.tol as number, maxIter: c.max_iter as number }).fit(rows(c));
    expect(fa.nIter).toBe(c.n_iter);
    expect(fa.loglike.length).toBe(num(c, "loglike").length);
    expectClose(fa.loglike, num(c, "loglike"), 1e-10, 1e-9, "loglike");
    expectClose(fa.mean, num(c, "mean"), 1e-12, 1e-12, "mean");
    expectClose(fa.components, num(c, "loadings"), 1e-7, 1e-8, "components");
    expectClose(fa.noiseVariance, num(c, "noise_variance"), 1e-7, 1e-9, "noise_variance");
    expectClose(fa.transform(rows(c)), num(c, "transform"), 1e-5, 1e-5, "transform");
    expectClose(fa.covariance(), num(c, "covariance"), 1e-8, 1e-9, "get_covariance");
  });
});

describe("linear algebra", () => {
  it("Jacobi: A v = lambda v, orthonormal vectors, values descending, sign convention", () => {
    const p = 7, a = new Float64Array(p * p);
    for (let i = 0; i < p; i++) for (let j = 0; j <= i; j++) { const v = ((i * 31 + j * 17) % 13) / 13 - 0.5 + (i === j ? i : 0); a[i * p + j] = v; a[j * p + i] = v; }
    const { values, vectors } = symmetricEigen(a, p);
    for (let r = 0; r < p; r++) {
      if (r > 0) expect(values[r]).toBeLessThanOrEqual(values[r - 1]);
      let big = 0;
      for (let k = 0; k < p; k++) if (Math.abs(vectors[r * p + k]) > Math.abs(big)) big = vectors[r * p + k];
      expect(big).toBeGreaterThan(0);
      for (let i = 0; i < p; i++) {
        let av = 0;
        for (let k = 0; k < p; k++) av += a[i * p + k] * vectors[r * p + k];
        expect(Math.abs(av - values[r] * vectors[r * p + i])).toBeLessThan(1e-12);
      }
      for (let s = 0; s < p; s++) {
        let d = 0;
        for (let k = 0; k < p; k++) d += vectors[r * p + k] * vectors[s * p + k];
        expect(Math.abs(d - (r === s ? 1 : 0))).toBeLessThan(1e-13);
      }
    }
  });

  it("log64 agrees with Math.log to a few ulps, over many magnitudes", () => {
    for (const x of [1, 2, 0.5, 1e-300, 3.7e-12, 0.999999, 1.000001, 10, 12345.678, 1e300, Math.E]) {
      expect(Math.abs(log64(x) - Math.log(x))).toBeLessThanOrEqual(4 * Number.EPSILON * Math.max(1, Math.abs(Math.log(x))));
    }
    expect(log64(0)).toBe(-Infinity);
    expect(log64(-1)).toBeNaN();
  });
});

describe("options and input checks", () => {
  it("reject unknown options and bad values by name, and unfitted use", () => {
    expect(() => new PCA({ component: 2 } as never)).toThrow(/PCA: unknown option "component".*did you mean "components"/);
    expect(() => new PCA({ components: 0 })).toThrow("PCA: components must be a positive integer, got 0");
    expect(() => new PCA().transform([[1, 2]])).toThrow("PCA.transform: call fit(x) first");
    expect(() => new PCA({ components: 3 }).fit([[1, 2], [3, 4]])).toThrow("PCA.fit: components 3 must be <= min(samples, features) = 2");
    expect(() => new PCA().fit([[1, 2], [3, NaN]])).toThrow("PCA.fit: x has a non-finite value NaN at row 1, column 1");
    const pca = new PCA({ components: 1 }).fit([[1, 2], [3, 5], [0, 1]]);
    expect(() => pca.transform([[1, 2, 3]])).toThrow("PCA.transform: x has 3 features, fitted on 2");
    expect(() => new FactorAnalysis({ maxiter: 3 } as never)).toThrow(/did you mean "maxIter"/);
    expect(() => new FactorAnalysis({ tol: -1 })).toThrow("FactorAnalysis: tol must be a finite number >= 0, got -1");
    expect(() => new FactorAnalysis({ noiseVarianceInit: [1, 0] })).toThrow(/noiseVarianceInit must be positive/);
    expect(() => new FactorAnalysis({ noiseVarianceInit: [1, 1, 1] }).fit([[1, 2], [3, 5]])).toThrow("noiseVarianceInit has 3 values, x has 2 features");
  });
});
