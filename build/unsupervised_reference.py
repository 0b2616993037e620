# Reference values for polyhead/unsupervised: PCA and FactorAnalysis from NumPy and
# scikit-learn (Debian python3-sklearn), the VAE loss and its gradient from PyTorch
# (python3-torch), recall@k and NDCG@k from NumPy, written to test/fixtures/unsupervised.json.
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


def vae_case(name, likelihood, beta, seed):
    """The negative ELBO (per example: reconstruction + beta KL, masked mean) and its gradient
    w.r.t. the VAE head's output [x-hat | mu | logvar], from PyTorch."""
    import torch
    import torch.nn.functional as F
    g = torch.Generator().manual_seed(seed)
    b, d, l = 5, 6, 3
    pred = torch.randn(b, d + 2 * l, generator=g, dtype=torch.float64)
    x = torch.rand(b, d, generator=g, dtype=torch.float64)
    pred, x = pred.float().double().requires_grad_(), x.float().double()
    mask = torch.tensor([1.0, 1.0, 0.0, 1.0, 1.0], dtype=torch.float64)
    out, mu, logvar = pred[:, :d], pred[:, d:d + l], pred[:, d + l:]
    if likelihood == "bernoulli":
        rec = F.binary_cross_entropy_with_logits(out, x, reduction="none").sum(1)
    else:
        rec = 0.5 * ((out - x) ** 2).sum(1)
    kl = -0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum(1)
    loss = ((rec + beta * kl) * mask).sum() / mask.sum()
    loss.backward()
    return {"name": name, "likelihood": likelihood, "beta": beta, "features": d, "latent": l,
            "pred": listed(pred.detach()), "x": listed(x), "mask": listed(mask), "shape": [b, d + 2 * l],
            "reconstruction": listed(rec.detach()), "kl": listed(kl.detach()), "loss": float(loss), "grad": listed(pred.grad)}


def ranking_case(name, users, items, seed):
    """recall@k and NDCG@k (binary relevance, seen items excluded, ties to the lower index) in NumPy."""
    r = np.random.default_rng(seed)
    scores = f32(np.round(r.normal(size=(users, items)), 1))  # rounding makes ties
    relevant = [sorted(r.choice(items, size=int(r.integers(0, 4)), replace=False).tolist()) for _ in range(users)]
    exclude = [sorted(set(r.choice(items, size=2, replace=False).tolist()) - set(rel)) for rel in relevant]
    res = {}
    for k in (1, 3, 5):
        recall, ndcg = [], []
        for u in range(users):
            if not relevant[u]:
                continue
            cand = np.array([j for j in range(items) if j not in exclude[u]])
            order = cand[np.lexsort((cand, -scores[u, cand]))][:k]
            hits = np.isin(order, relevant[u])
            recall.append(hits.sum() / len(relevant[u]))
            dcg = (hits / np.log2(np.arange(2, len(order) + 2))).sum()
            idcg = (1 / np.log2(np.arange(2, min(k, len(relevant[u])) + 2))).sum()
            ndcg.append(dcg / idcg)
        res[str(k)] = {"recall": float(np.mean(recall)), "ndcg": float(np.mean(ndcg))}
    return {"name": name, "items": items, "scores": listed(scores), "relevant": relevant, "exclude": exclude, "at": res}


out["ranking"] = [ranking_case("12 users x 15 items, ties", 12, 15, 3)]
out["vae"] = [vae_case("bernoulli, beta 1", "bernoulli", 1.0, 1), vae_case("gaussian, beta 0.25", "gaussian", 0.25, 2)]
with open(OUT, "w") as f:
    json.dump(out, f, indent=None, separators=(",", ":"))
    f.write("\n")
print("wrote", OUT)
