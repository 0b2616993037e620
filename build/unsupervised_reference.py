# Reference values for polyhead/unsupervised's PCA and FactorAnalysis, from NumPy and
# scikit-learn (Debian python3-sklearn), written to test/fixtures/unsupervised.json.
#     /usr/bin/python3 build/unsupervised_reference.py
# Inputs are float32 values (what a polyhead tensor holds) fitted in float64. Signs of
# components and projections follow polyhead's convention (each component's entry of
# largest magnitude positive; scikit-learn's own signs come from LAPACK), applied here so
# the test compares values directly. Deterministic: the same file on every run.
import json
import os

import numpy as np
import sklearn
from sklearn.decomposition import PCA, FactorAnalysis

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "fixtures", "unsupervised.json")


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def sign_flip(components):
    """Flip rows so the entry of largest magnitude (the first such) is positive; return the signs."""
    signs = np.ones(components.shape[0])
    for i, row in enumerate(components):
        j = int(np.argmax(np.abs(row)))
        if row[j] < 0:
            signs[i] = -1.0
    return signs


def listed(a):
    return np.asarray(a, dtype=np.float64).ravel().tolist()


def pca_case(name, x, k, whiten=False):
    p = PCA(n_components=k, svd_solver="full", whiten=whiten).fit(x)
    s = sign_flip(p.components_)
    z = p.transform(x) * s
    return {
        "name": name, "x": listed(x), "shape": list(x.shape), "components": k, "whiten": whiten,
        "mean": listed(p.mean_), "axes": listed(p.components_ * s[:, None]),
        "explained_variance": listed(p.explained_variance_),
        "explained_variance_ratio": listed(p.explained_variance_ratio_),
        "singular_values": listed(p.singular_values_), "transform": listed(z),
        "inverse": listed(p.inverse_transform(p.transform(x))),
    }


def fa_case(name, x, k, tol=1e-2, max_iter=1000):
    fa = FactorAnalysis(n_components=k, tol=tol, max_iter=max_iter, svd_method="lapack").fit(x)
    s = sign_flip(fa.components_)
    return {
        "name": name, "x": listed(x), "shape": list(x.shape), "components": k, "tol": tol, "max_iter": max_iter,
        "mean": listed(fa.mean_), "loadings": listed(fa.components_ * s[:, None]),
        "noise_variance": listed(fa.noise_variance_), "loglike": listed(fa.loglike_),
        "n_iter": int(fa.n_iter_), "transform": listed(fa.transform(x) * s),
        "covariance": listed(fa.get_covariance()),
    }


rng = np.random.default_rng(20261201)
# correlated Gaussian data: a random mixing of independent scales, so eigenvalues are distinct
mix = rng.normal(size=(6, 6))
x1 = f32(rng.normal(size=(40, 6)) * np.array([3.0, 2.0, 1.5, 1.0, 0.5, 0.2]) @ mix + np.arange(6))
x2 = f32(rng.normal(size=(5, 8)))  # fewer samples than features
# a planted 2-factor model with unequal noise
load = rng.normal(size=(2, 7))
noise = np.array([0.1, 0.3, 0.2, 0.5, 0.15, 0.4, 0.25])
x3 = f32(rng.normal(size=(150, 2)) @ load + rng.normal(size=(150, 7)) * np.sqrt(noise) + 1.0)

out = {
    "generator": "build/unsupervised_reference.py",
    "numpy": np.__version__, "sklearn": sklearn.__version__,
    "pca": [pca_case("correlated 40x6, 3 components", x1, 3), pca_case("correlated 40x6, whitened, all", x1, 6, whiten=True),
            pca_case("5x8 (samples < features), 4 components (the rank after centring)", x2, 4)],
    "fa": [fa_case("planted 2 factors, 150x7", x3, 2), fa_case("planted, 3 factors, 25 iterations", x3, 3, tol=0.0, max_iter=25),
           fa_case("correlated 40x6, 2 factors", x1, 2)],
}
with open(OUT, "w") as f:
    json.dump(out, f, indent=None, separators=(",", ":"))
    f.write("\n")
print("wrote", OUT)
