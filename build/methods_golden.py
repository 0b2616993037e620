# Reference values for polyhead's multi-task combination rules, computed with PyTorch
# (float64) from each paper's rule, by deliberately different algorithms from polyhead's
# where the rule is an optimisation problem (brute force over active sets, L-BFGS,
# projected gradient with many iterations, eigh, pinv, autograd of the scalarisation).
# Our own code; no public implementation is used. Writes test/fixtures/methods.json,
# which test/methods-rules.test.ts compares against.
#
#     /usr/bin/python3 build/methods_golden.py
#
# Deterministic: running it twice gives a byte-identical file.

import itertools
import json
import os

import torch

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)
HERE = os.path.dirname(os.path.abspath(__file__))
OUT_PATH = os.path.join(os.path.dirname(HERE), "test", "fixtures", "methods.json")


def L(t):
    return [float(x) for x in t.reshape(-1).tolist()]


def case(T, P, seed, scale=1.0, bias=0.3):
    g = torch.Generator().manual_seed(seed)
    common = torch.rand(P, generator=g) * 2 - 1
    grads = (torch.rand(T, P, generator=g) * 2 - 1 + bias * common) * (0.2 + 3 * torch.rand(T, 1, generator=g))
    return grads * scale, 0.2 + 2 * torch.rand(T, generator=g)


def proj_simplex(v):
    u, _ = torch.sort(v, descending=True)
    css = torch.cumsum(u, 0)
    k = torch.arange(1, len(v) + 1, dtype=v.dtype)
    cond = u - (css - 1) / k > 0
    r = int(torch.nonzero(cond).max())
    theta = (css[r] - 1) / (r + 1)
    return torch.clamp(v - theta, min=0)


def min_norm_bruteforce(J):
    """argmin_{w in simplex} |J'w|^2 by trying every support (KKT on each)."""
    T = J.shape[0]
    G = J @ J.T
    best, bw = None, None
    for r in range(1, T + 1):
        for S in itertools.combinations(range(T), r):
            S = list(S)
            A = torch.zeros(r + 1, r + 1)
            A[:r, :r] = G[S][:, S]
            A[:r, r] = 1
            A[r, :r] = 1
            b = torch.zeros(r + 1)
            b[r] = 1
            try:
                x = torch.linalg.solve(A, b)
            except RuntimeError:
                continue
            if (x[:r] < -1e-12).any():
                continue
            w = torch.zeros(T)
            w[S] = x[:r].clamp(min=0)
            w = w / w.sum()
            q = w @ G @ w
            if ((G @ w) < q - 1e-9 * G.diag().max()).any():
                continue
            if best is None or q < best:
                best, bw = q, w
    return bw


def mgda_fw(G, iters=250, tol=1e-5):
    T = G.shape[0]
    w = torch.full((T,), 1.0 / T)
    for _ in range(iters):
        Gw = G @ w
        t = int(torch.argmin(Gw))
        aa, ab, bb = w @ Gw, Gw[t], G[t, t]
        if ab >= aa:
            gamma = 1.0
        elif ab >= bb:
            gamma = 0.0
        else:
            gamma = float((bb - ab) / (aa + bb - 2 * ab))
        nw = (1 - gamma) * w
        nw[t] += gamma
        change = (nw - w).abs().sum()
        w = nw
        if change < tol:
            break
    return w


def cagrad(J, c):
    T = J.shape[0]
    G = J @ J.T
    g0 = J.mean(0)
    r = c * g0.norm()
    b = G.mean(1)
    w = torch.full((T,), 1.0 / T)
    Lc = float(G.diag().sum() * (1 + 10 * r / (g0.norm() + 1e-30)))
    # projected gradient with a decreasing step, many iterations (plain, different from ours)
    y, t = w.clone(), 1.0
    for it in range(60000):
        q = torch.sqrt(y @ G @ y)
        grad = b + r * (G @ y) / q
        nw = proj_simplex(y - grad / Lc)
        nt = (1 + (1 + 4 * t * t) ** 0.5) / 2
        y = nw + (t - 1) / nt * (nw - w)
        w, t = nw, nt
    gw = J.T @ w
    d = g0 + r / gw.norm() * gw
    return d / (1 + c * c)


def imtl_g(J):
    n = J.norm(dim=1, keepdim=True)
    U = J / n
    D = J[0:1] - J[1:]
    Ud = U[0:1] - U[1:]
    alpha = J[0] @ Ud.T @ torch.inverse(D @ Ud.T)
    a = torch.cat([1 - alpha.sum().unsqueeze(0), alpha])
    return a @ J


def fair_lbfgs(G, alpha):
    """argmin over w > 0 of w'Gw/2 - sum phi(w), phi' = w^(-1/alpha), as beta = log w, by L-BFGS."""
    T = G.shape[0]
    beta = torch.zeros(T, requires_grad=True)
    opt = torch.optim.LBFGS([beta], lr=1, max_iter=5000, tolerance_grad=1e-15, tolerance_change=1e-30,
                            history_size=50, line_search_fn="strong_wolfe")

    def f():
        opt.zero_grad()
        w = torch.exp(beta)
        if alpha == 1:
            phi = beta.sum()
        else:
            p = 1 - 1 / alpha
            phi = (w ** p / p).sum()
        val = 0.5 * w @ G @ w - phi
        val.backward()
        return val

    for _ in range(5):
        opt.step(f)
    return torch.exp(beta.detach())


def lower_qp_bruteforce(G, lo):
    """argmin_{v >= lo} v'Gv by trying every free set."""
    T = G.shape[0]
    c = G @ lo
    best, bv = None, None
    for r in range(0, T + 1):
        for F in itertools.combinations(range(T), r):
            F = list(F)
            z = torch.zeros(T)
            if F:
                try:
                    zf = torch.linalg.lstsq(G[F][:, F], -c[F]).solution
                except RuntimeError:
                    continue
                if (zf < -1e-12).any():
                    continue
                z[F] = zf.clamp(min=0)
            v = lo + z
            if ((G @ v) < -1e-9 * G.diag().max()).any():
                continue
            q = v @ G @ v
            if best is None or q < best - 1e-15:
                best, bv = q, v
    return bv


def aligned(J, pref):
    G = J @ J.T
    lam, V = torch.linalg.eigh(G)
    tol = lam.max() * G.shape[0] * torch.finfo(torch.float64).eps
    keep = lam > tol
    lam, V = lam[keep], V[:, keep]
    B = lam.min().sqrt() * V @ torch.diag(1 / lam.sqrt()) @ V.T
    return (B @ pref) @ J


def config(J):
    U = J / J.norm(dim=1, keepdim=True)
    gv = torch.linalg.pinv(U) @ torch.ones(J.shape[0])
    u = gv / gv.norm()
    return (J @ u).sum() * u


def gradvac(J, targets, beta, orders):
    T = J.shape[0]
    pc = J.clone()
    for i in range(T):
        for j in orders[i]:
            if j == i:
                continue
            phi = (pc[i] @ J[j]) / (pc[i].norm() * J[j].norm())
            tg = targets[i][j]
            if phi < tg:
                w = pc[i].norm() * (tg * (1 - phi ** 2).sqrt() - phi * (1 - tg ** 2) ** 0.5) / (J[j].norm() * (1 - tg ** 2) ** 0.5)
                pc[i] = pc[i] + w * J[j]
            targets[i][j] = float((1 - beta) * tg + beta * phi)
    return pc.sum(0)


def graddrop(J, u, leak):
    P = 0.5 * (1 + J.sum(0) / J.abs().sum(0))
    M = ((P > u) & (J > 0)) | ((P < u) & (J < 0))
    return ((leak + (1 - leak) * M.double()) * J).sum(0)


def krum(J, f, m):
    T = J.shape[0]
    d = torch.cdist(J, J) ** 2
    k = T - f - 2
    scores = torch.stack([torch.sort(torch.cat([d[i, :i], d[i, i + 1:]]))[0][:k].sum() for i in range(T)])
    sel = torch.argsort(scores, stable=True)[:m]
    return J[sel].mean(0)


def trimmed(J, f):
    s, _ = torch.sort(J, dim=0)
    return s[f:J.shape[0] - f].mean(0)


def main():
    out = {"cases": []}
    specs = [(2, 6, 1, 1.0), (3, 7, 2, 1.0), (5, 9, 3, 1.0), (3, 7, 4, 300.0), (4, 3, 5, 1.0)]
    for (T, P, seed, scale) in specs:
        J, losses = case(T, P, seed, scale)
        G = J @ J.T
        res = {}
        w = min_norm_bruteforce(J)
        res["MGDA"] = L(J.T @ w)
        res["MGDA-FW"] = L(J.T @ mgda_fw(G))
        n = J.norm(dim=1)
        res["MGDA-l2"] = L(J.T @ (min_norm_bruteforce(J / n[:, None]) / n))
        res["CAGrad"] = L(cagrad(J, 0.5))
        if T <= P:
            res["IMTL-G"] = L(imtl_g(J))
            res["Nash-MTL"] = L(J.T @ fair_lbfgs(G, 1))
            res["FairGrad-2"] = L(J.T @ fair_lbfgs(G, 2.0))
        ones = torch.ones(T)
        up = sum(lower_qp_bruteforce(G, torch.eye(T)[i]) for i in range(T))
        res["UPGrad"] = L(J.T @ up)
        res["DualProj"] = L(J.T @ lower_qp_bruteforce(G, ones / T))
        res["Aligned-MTL"] = L(aligned(J, ones))
        res["ConFIG"] = L(config(J))
        lam = 0.3
        g0 = J.mean(0)
        ws = min_norm_bruteforce(J + lam * g0)
        res["SDMGrad"] = L((J.T @ ws + lam * g0) / (1 + lam))
        targets = [[0.0] * T for _ in range(T)]
        orders = [[(i + 1 + k) % T for k in range(T - 1)] for i in range(T)]
        res["GradVac-1"] = L(gradvac(J, targets, 0.5, orders))
        J2 = J.flip(1)
        res["GradVac-2"] = L(gradvac(J2, targets, 0.5, orders))
        gu = torch.Generator().manual_seed(100 + seed)
        u = torch.rand(P, generator=gu)
        res["uniforms"] = L(u)
        res["GradDrop"] = L(graddrop(J, u, 0.0))
        res["GradDrop-leak"] = L(graddrop(J, u, 0.25))
        if T >= 5:
            res["Krum-1"] = L(krum(J, 1, 1))
            res["Krum-2"] = L(krum(J, 1, 2))
            res["TrimmedMean-1"] = L(trimmed(J, 1))
            res["TrimmedMean-2"] = L(trimmed(J, 2))
        # three steps of the stateful rules on J, J flipped, J rolled
        steps = [J, J.flip(1), torch.roll(J, 1, 1)]
        beta = 0.9
        buf = torch.zeros(T, P)
        db = []
        for k, Jk in enumerate(steps):
            gl = Jk / (losses[:, None] * (1 + 0.1 * k) + 1e-8)
            buf = beta * buf + (1 - beta) * gl
            nb = buf.norm(dim=1)
            db.append(L((nb.max() / nb)[:, None].mul(buf).sum(0)))
        res["DB-MTL"] = db
        Y = torch.zeros(T, P)
        lam_m = torch.full((T,), 1.0 / T)
        mo = []
        for Jk in steps:
            Y = Y - 0.5 * (Y - Jk)
            lam_m = proj_simplex(lam_m - 0.1 * (Y @ Y.T @ lam_m + 0.05 * lam_m))
            mo.append(L(Y.T @ lam_m))
        res["MoCo"] = mo
        lam_d = torch.full((T,), 1.0 / T)
        md = []
        for Jk in steps:
            lam_d = proj_simplex(lam_d - 0.1 * (Jk @ Jk.T @ lam_d + 0.05 * lam_d))
            md.append(L(Jk.T @ lam_d))
        res["MoDo"] = md
        acc = torch.zeros(T, P)
        wts = torch.ones(T)
        init = None
        ex = []
        for Jk in steps:
            acc = acc + Jk ** 2
            risk = ((Jk ** 2) / torch.sqrt(acc + 1e-7)).sum(1)
            if init is None:
                init = risk
            else:
                wts = wts * torch.exp(0.1 * risk / init)
                wts = wts / wts.sum() * T
            ex.append(L(wts))
        res["ExcessMTL"] = ex
        out["cases"].append({"T": T, "P": P, "grads": L(J), "losses": L(losses), "expect": res})

    # loss weightings: functions of the losses only
    lw = {}
    Ls = torch.tensor([0.7, 2.5, 0.05, 1.3])
    x = Ls.clone().requires_grad_(True)
    gm = torch.exp(torch.log(x).mean())
    gm.backward()
    lw["GLS"] = {"total": float(gm), "weights": L(x.grad)}
    pref = torch.tensor([0.4, 0.3, 0.2, 0.1])
    ideal = torch.tensor([0.1, 0.2, 0.0, 0.5])
    x = Ls.clone().requires_grad_(True)
    mu = 0.3
    st = mu * torch.logsumexp(pref * (x - ideal) / mu, 0)
    st.backward()
    lw["STCH"] = {"total": float(st), "weights": L(x.grad), "pref": L(pref), "ideal": L(ideal), "mu": mu}
    x = Ls.clone().requires_grad_(True)
    ph = pref / pref.norm()
    r = x - ideal
    d1 = r @ ph
    d2 = (r - d1 * ph).norm()
    pb = d1 + 5.0 * d2
    pb.backward()
    lw["PBI"] = {"total": float(pb), "weights": L(x.grad), "theta": 5.0}
    last, before = torch.tensor([0.9, 0.5, 1.2, 0.3]), torch.tensor([1.0, 0.8, 1.1, 0.6])
    lw["DWA"] = {"last": L(last), "before": L(before), "weights": L(4 * torch.softmax(last / before / 2.0, 0))}
    normals = torch.tensor([0.3, -1.2, 0.8, 2.1])
    lw["RLW"] = {"normals": L(normals), "weights": L(torch.softmax(normals, 0))}
    w = torch.tensor([1.2, 0.6, 1.5, 0.7], requires_grad=True)
    norms = torch.tensor([2.0, 5.0, 0.4, 1.1])
    L0 = torch.tensor([2.3, 1.0, 0.5, 1.4])
    rr = (Ls / L0) / (Ls / L0).mean()
    Gw = w * norms
    target = (Gw.mean() * rr ** 1.5).detach()
    lg = (Gw - target).abs().sum()
    lg.backward()
    lw["GradNorm"] = {"w": L(w.detach()), "norms": L(norms), "initial": L(L0), "alpha": 1.5, "loss": float(lg), "grad": L(w.grad)}
    xi = torch.tensor([0.2, -0.4, 0.1, 0.6], requires_grad=True)
    z = torch.softmax(xi, 0)
    D = Ls + 1e-8
    fw = z / D / (z / D).sum()
    after = torch.tensor([0.6, 2.6, 0.04, 1.0])
    delta = torch.log(Ls + 1e-8) - torch.log(after + 1e-8)
    d = torch.autograd.grad(torch.softmax(xi, 0), xi, grad_outputs=delta)[0]
    opt = torch.optim.Adam([xi], lr=0.025, weight_decay=1e-3)
    xi.grad = d.clone()
    opt.step()
    xi.grad = d.clone() * 0.5
    opt.step()
    lw["FAMO"] = {"logits": [0.2, -0.4, 0.1, 0.6], "after": L(after), "weights": L(fw.detach()), "logitGrad": L(d), "logitsAfterTwoAdamSteps": L(xi.detach())}
    lw["losses"] = L(Ls)
    out["lossWeighting"] = lw
    with open(OUT_PATH, "w") as fh:
        json.dump(out, fh, indent=1, sort_keys=True)
        fh.write("\n")
    print("wrote", OUT_PATH)


if __name__ == "__main__":
    main()
