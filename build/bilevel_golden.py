# Step-by-step reference for polyhead's bilevel methods (Auto-λ, MOML, FORUM), computed
# with PyTorch autograd in float64 from each paper's update rule: a small shared-bottom
# model (tanh trunk 4 -> 5, one linear head per task; two regression tasks and a binary
# one), plain SGD on the model, three steps on a fixed training batch with a fixed
# validation batch. FORUM's sub-problem is solved by scipy's SLSQP and MOML's min-norm
# point by brute force over supports (methods_golden.py), not by polyhead's algorithms.
# Our own code; no public implementation is used. Writes test/fixtures/bilevel.json,
# which test/methods-bilevel.test.ts compares against after every step.
#
#     /usr/bin/python3 build/bilevel_golden.py
#
# Deterministic: running it twice gives a byte-identical file.

import json
import os
import sys

import numpy as np
import scipy.optimize
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from methods_golden import min_norm_bruteforce  # noqa: E402

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)
HERE = os.path.dirname(os.path.abspath(__file__))
OUT_PATH = os.path.join(os.path.dirname(HERE), "test", "fixtures", "bilevel.json")

TASKS = ["a", "b", "c"]  # a, b: mean squared error; c: binary cross-entropy with logits
LR = 0.05  # the model's SGD learning rate
STEPS = 3


def L(t):
    return [float(x) for x in t.reshape(-1).tolist()]


def make_problem():
    g = torch.Generator().manual_seed(11)
    x = torch.randn(8, 4, generator=g)
    xv = torch.randn(6, 4, generator=g)

    def labels(z):
        # related tasks (one direction drives all three), so MOML's hypergradients agree and α moves
        u = z[:, 0] - 0.5 * z[:, 1]
        return {"a": u, "b": 2 * torch.tanh(u + 0.3 * z[:, 2]), "c": (u + 0.2 * z[:, 3] > 0).double()}

    params = {
        "trunk.0.weight": torch.randn(5, 4, generator=g) * 0.5,
        "trunk.0.bias": torch.randn(5, generator=g) * 0.1,
    }
    for t in TASKS:
        params[f"towers.{t}.0.weight"] = torch.randn(1, 5, generator=g) * 0.5
        params[f"towers.{t}.0.bias"] = torch.randn(1, generator=g) * 0.1
    return x, labels(x), xv, labels(xv), params


NAMES = ["trunk.0.weight", "trunk.0.bias"] + [f"towers.{t}.0.{k}" for t in TASKS for k in ("weight", "bias")]


def losses(ps, x, y):
    h = torch.tanh(x @ ps[0].T + ps[1])
    out = []
    for k, t in enumerate(TASKS):
        p = (h @ ps[2 + 2 * k].T + ps[3 + 2 * k]).reshape(-1)
        if t == "c":
            out.append(torch.nn.functional.binary_cross_entropy_with_logits(p, y[t]))
        else:
            out.append(((p - y[t]) ** 2).mean())
    return out


def flat(gs):
    return torch.cat([g.reshape(-1) for g in gs])


def unflat(v, like):
    out, o = [], 0
    for p in like:
        out.append(v[o:o + p.numel()].reshape(p.shape))
        o += p.numel()
    return out


def leaves(vals):
    return [v.detach().clone().requires_grad_(True) for v in vals]


class Adam:
    """torch.optim.Adam's rule on a vector, one step count for all entries."""

    def __init__(self, x, lr):
        self.x, self.lr = x.clone(), lr
        self.m, self.v, self.t = torch.zeros_like(x), torch.zeros_like(x), 0

    def step(self, g):
        self.t += 1
        self.m = 0.9 * self.m + 0.1 * g
        self.v = 0.999 * self.v + 0.001 * g * g
        mh = self.m / (1 - 0.9 ** self.t)
        vh = self.v / (1 - 0.999 ** self.t)
        self.x = self.x - self.lr * mh / (vh.sqrt() + 1e-8)


def gradient_or_zero(loss, ps):
    gs = torch.autograd.grad(loss, ps, allow_unused=True, retain_graph=True)
    return flat([torch.zeros_like(p) if g is None else g for p, g in zip(ps, gs)])


def auto_lambda(problem, meta_lr):
    x, y, xv, yv, init = problem
    theta = flat([init[n] for n in NAMES])
    like = [init[n] for n in NAMES]
    lam = Adam(torch.full((3,), 0.1), meta_lr)
    steps = []
    for _ in range(STEPS):
        ps = leaves(unflat(theta, like))
        ls = losses(ps, x, y)
        g = gradient_or_zero(sum(lam.x[i] * ls[i] for i in range(3)), ps)
        ahead = leaves(unflat(theta - LR * g, like))
        d = gradient_or_zero(sum(losses(ahead, xv, yv)), ahead)
        eps = 0.01 / d.norm()
        with torch.no_grad():
            lp = torch.stack(losses(unflat(theta + eps * d, like), x, y))
            ln = torch.stack(losses(unflat(theta - eps * d, like), x, y))
        hyper = -LR * (lp - ln) / (2 * eps)
        lam.step(hyper)
        g = gradient_or_zero(sum(lam.x[i] * ls[i] for i in range(3)), ps)
        theta = theta - LR * g
        steps.append({"params": L(theta), "weights": L(lam.x), "adam_m": L(lam.m), "hyper": L(hyper)})
    return steps


def moml(problem, meta_lr, inner_lr=0.1):
    x, y, xv, yv, init = problem
    theta = flat([init[n] for n in NAMES])
    like = [init[n] for n in NAMES]
    alpha = Adam(torch.full((3,), 1 / 3), meta_lr)
    steps = []
    for _ in range(STEPS):
        ps = leaves(unflat(theta, like))
        ls = losses(ps, x, y)
        gf = torch.stack([gradient_or_zero(l, ps) for l in ls])
        # the look-ahead as a function of α, differentiated by autograd (not by the closed form)
        a = alpha.x.clone().requires_grad_(True)
        ahead = unflat(theta - inner_lr * torch.softmax(a, 0) @ gf, like)
        val = losses(ahead, xv, yv)
        rows = torch.stack([torch.autograd.grad(v, a, retain_graph=True)[0] for v in val])
        unit = rows / rows.norm(dim=1, keepdim=True)
        w = min_norm_bruteforce(unit)
        direction = w @ unit
        alpha.step(direction)
        s = torch.softmax(alpha.x, 0)
        g = gradient_or_zero(sum(s[i] * ls[i] for i in range(3)), ps)
        theta = theta - LR * g
        steps.append({"params": L(theta), "weights": L(s), "alpha": L(alpha.x), "direction": L(direction)})
    return steps


def forum_qp(M, pi, c):
    n = len(pi)

    def obj(w):
        return w @ M @ w - c * w[n]

    def jac(w):
        j = 2 * M @ w
        j[n] -= c
        return j

    cons = [{"type": "eq", "fun": lambda w: np.sum(w[:n]) - 1, "jac": lambda w: np.r_[np.ones(n), 0.0]},
            {"type": "ineq", "fun": lambda w: w[n] - pi @ w[:n], "jac": lambda w: np.r_[-pi, 1.0]}]
    w0 = np.r_[np.full(n, 1.0 / n), max(float(pi.mean()), 0) + 1.0]
    r = scipy.optimize.minimize(obj, w0, jac=jac, method="SLSQP", bounds=[(0, None)] * (n + 1), constraints=cons,
                                options={"ftol": 1e-16, "maxiter": 1000})
    assert r.success, r.message
    return r.x


def forum(problem, meta_lr, phi=0.1, inner_lr=0.1, inner_steps=5):
    x, y, xv, yv, init = problem
    theta = flat([init[n] for n in NAMES])
    like = [init[n] for n in NAMES]
    alpha = Adam(torch.full((3,), 1 / 3), meta_lr)
    lam = torch.zeros(3)
    steps = []
    for epoch in range(STEPS):
        a = alpha.x.clone().requires_grad_(True)
        ps = leaves(unflat(theta, like))
        f = torch.softmax(a, 0) @ torch.stack(losses(ps, x, y))
        ga = torch.autograd.grad(f, a, retain_graph=True)[0]
        gt = gradient_or_zero(f, ps)
        cur = theta.clone()
        for _ in range(inner_steps):
            q = leaves(unflat(cur, like))
            fk = torch.softmax(alpha.x, 0) @ torch.stack(losses(q, x, y))
            if fk.item() > 1e5:
                break
            cur = cur - inner_lr * gradient_or_zero(fk, q)
        a2 = alpha.x.clone().requires_grad_(True)
        fK = torch.softmax(a2, 0) @ torch.stack(losses(unflat(cur, like), x, y))
        gq = torch.cat([ga - torch.autograd.grad(fK, a2)[0], gt])
        vl = losses(ps, xv, yv)
        gF = torch.stack([gradient_or_zero(v, ps) for v in vl])
        gF = gF / gF.norm(dim=1, keepdim=True)
        gF = torch.cat([torch.zeros(3, 3), gF], 1)
        denom = gq.norm() ** 2 + 1e-8
        pi = phi - (gF @ gq) / denom
        A = torch.cat([gF, gq[None]], 0)
        w = torch.tensor(forum_qp((A @ A.T).numpy(), pi.numpy(), float(phi * denom)))
        lam = lam + (1 / (epoch + 1) ** 0.75) * (w[:3] - lam)
        nu = max(float(lam @ pi), 0.0)
        final = lam @ gF + nu * gq
        alpha.step(final[:3])
        theta = theta - LR * final[3:]
        steps.append({"params": L(theta), "alpha": L(alpha.x), "lambda": L(lam), "qp": L(w),
                      "weights": L(nu * torch.softmax(a.detach(), 0))})
    return steps


def main():
    problem = make_problem()
    x, y, xv, yv, init = problem
    out = {
        "note": "written by build/bilevel_golden.py; do not edit",
        "tasks": TASKS, "lr": LR, "meta_lr": 0.01,
        "train": {"x": L(x), **{t: L(y[t]) for t in TASKS}},
        "validation": {"x": L(xv), **{t: L(yv[t]) for t in TASKS}},
        "init": {n: {"shape": list(init[n].shape), "values": L(init[n])} for n in NAMES},
        "names": NAMES,
        "Auto-Lambda": auto_lambda(problem, 0.01),
        "MOML": moml(problem, 0.01),
        "FORUM": forum(problem, 0.01, phi=0.5), "FORUM_phi": 0.5,
    }
    with open(OUT_PATH, "w") as fh:
        json.dump(out, fh, indent=1, sort_keys=True)
        fh.write("\n")
    print("wrote", OUT_PATH)


if __name__ == "__main__":
    main()
