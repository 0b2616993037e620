# bench:methods' PyTorch side (bench/methods.mjs runs it once with Debian's /usr/bin/python3):
# one training step of every method on the same shared-bottom model and batch as polyhead's
# (initial weights and data from the inputs file methods.mjs wrote), each method's rule
# written here in plain torch (+ numpy/scipy for the T x T solvers), as a PyTorch user
# would write it. Our own code, no public implementation. Two runs per method and task count:
#  - check: CHECK steps from the initial weights, using polyhead's random draws where the
#    rule is random (PCGrad's orders, RLW's normals, GradVac's orders, GradDrop's uniforms);
#    the per-step losses and the final change of every parameter go back to methods.mjs,
#    which compares them with polyhead's;
#  - timing: warm-up, then the median of the timed steps (torch on 1 thread, as polyhead),
#    and the peak bytes the method's part of one step allocates (the profiler's CPU memory
#    events, from after the forward pass to the update in .grad).
#   /usr/bin/python3 bench/methods_torch.py <dir>   then a job id per line on stdin, a `RESULT <json>` line back for each
import json
import math
import os
import sys
import time

import numpy as np
import scipy.optimize
import torch
import torch.nn.functional as F
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build"))
from bilevel_golden import forum_qp  # noqa: E402  (our FORUM sub-problem by SLSQP)
from methods_golden import aligned, config, gradvac, graddrop, imtl_g, krum, trimmed  # noqa: E402  (our rules on a gradient matrix)

torch.set_default_dtype(torch.float32)  # bilevel_golden sets float64 on import

torch.set_num_threads(1)
folder = sys.argv[1]
man = json.load(open(os.path.join(folder, "inputs.json")))
raw = np.fromfile(os.path.join(folder, "inputs.bin"), dtype=np.float32)
arr = {k: raw[v["offset"]:v["offset"] + v["length"]].reshape(v["shape"]) for k, v in man["arrays"].items()}
LR, CHECK, WARM, STEPS = man["lr"], man["check"], man["warm"], man["steps"]
x = torch.from_numpy(arr["x"].copy())


# ------------------------------------------------------------------ small solvers (float64, numpy)
def sqrt_factor(G):
    """R with R'R = G (G symmetric PSD), from the eigendecomposition."""
    lam, V = np.linalg.eigh(G)
    return np.sqrt(np.clip(lam, 0, None))[:, None] * V.T


def min_norm(G):
    """argmin_{w in simplex} w'Gw, as NNLS with the sum constraint as a heavy penalty row."""
    T = len(G)
    s = max(np.trace(G) / T, 1e-300)
    R = sqrt_factor(G / s)
    M = 1e5
    A = np.vstack([R, M * np.ones((1, T))])
    b = np.r_[np.zeros(T), M]
    w, _ = scipy.optimize.nnls(A, b, maxiter=50 * T)
    return w / w.sum()


def lower_qp(G, lo):
    """argmin_{v >= lo} v'Gv: v = lo + z, z >= 0, NNLS on |R z + R lo|."""
    s = max(np.trace(G) / len(G), 1e-300)
    R = sqrt_factor(G / s)
    z, _ = scipy.optimize.nnls(R, -R @ lo, maxiter=50 * len(G))
    return lo + z


def proj_simplex(v):
    u = np.sort(v)[::-1]
    css = np.cumsum(u)
    k = np.arange(1, len(v) + 1)
    r = np.nonzero(u - (css - 1) / k > 0)[0].max()
    return np.clip(v - (css[r] - 1) / (r + 1), 0, None)


def nash(G):
    """The Nash bargaining weights: w > 0 with (G w)_i = 1 / w_i, by damped Newton on w'Gw/2 - sum log w."""
    w = 1 / np.sqrt(np.clip(np.diag(G), 1e-300, None))
    f = lambda v: 0.5 * v @ G @ v - np.log(v).sum()
    for _ in range(100):
        g = G @ w - 1 / w
        H = G + np.diag(1 / w ** 2)
        d = np.linalg.solve(H, g)
        t = 1.0
        while (w - t * d <= 0).any() or f(w - t * d) > f(w) - 0.25 * t * (g @ d):
            t *= 0.5
            if t < 1e-12:
                break
        w = w - t * d
        if abs(g @ d) < 1e-24:
            break
    return w


def cagrad_dual(G, c):
    """argmin_{w in simplex} b'w + c|g0| sqrt(w'Gw), b = G 1/T (SLSQP on the trace-normalised Gram)."""
    T = len(G)
    s = np.trace(G) / T
    Gn = G / s
    b = Gn.mean(1)
    r = c * math.sqrt(max(b.mean(), 0))
    fun = lambda w: b @ w + r * math.sqrt(max(w @ Gn @ w, 1e-300))
    jac = lambda w: b + r * (Gn @ w) / math.sqrt(max(w @ Gn @ w, 1e-300))
    res = scipy.optimize.minimize(fun, np.full(T, 1 / T), jac=jac, method="SLSQP", bounds=[(0, 1)] * T,
                                  constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1, "jac": lambda w: np.ones(T)}],
                                  options={"ftol": 1e-15, "maxiter": 500})
    return np.clip(res.x, 0, None) / np.clip(res.x, 0, None).sum()


def adam(x, g, st, lr, wd=0.0):
    """torch.optim.Adam's rule on a numpy vector (every entry stepped together)."""
    st["t"] += 1
    g = g + wd * x
    st["m"] = 0.9 * st["m"] + 0.1 * g
    st["v"] = 0.999 * st["v"] + 0.001 * g * g
    mh = st["m"] / (1 - 0.9 ** st["t"])
    vh = st["v"] / (1 - 0.999 ** st["t"])
    return x - lr * mh / (np.sqrt(vh) + 1e-8)


def fresh_adam(T):
    return {"t": 0, "m": np.zeros(T), "v": np.zeros(T)}


# ------------------------------------------------------------------ the model and one step
class Step:
    """One step's context: the losses, the parameters, and ways to apply an update."""

    def __init__(self, model, ls, z, draws):
        self.m, self.ls, self.z, self.draws = model, ls, z, draws
        self.T = len(ls)
        self._J = None

    def J(self):
        if self._J is None:
            self._J = torch.stack([torch.cat([g.reshape(-1) for g in torch.autograd.grad(l, self.m.shared, retain_graph=True)]) for l in self.ls])
        return self._J

    def gram(self):
        J = self.J().double()
        return (J @ J.T).numpy()

    def rep_grads(self):
        return [torch.autograd.grad(l, self.z, retain_graph=True)[0] for l in self.ls]

    def weighted(self, w):
        return sum(float(wi) * l for wi, l in zip(w, self.ls))

    def backward_weighted(self, w):
        self.weighted(w).backward()

    def heads(self, w):
        gs = torch.autograd.grad(self.weighted(w), self.m.heads, retain_graph=True)
        for p, g in zip(self.m.heads, gs):
            p.grad = g if p.grad is None else p.grad + g

    def shared_update(self, d, w):
        off = 0
        for p in self.m.shared:
            p.grad = d[off:off + p.numel()].view_as(p).clone()
            off += p.numel()
        self.heads(w)

    def weights_update(self, w, heads=None):
        self.shared_update(torch.tensor(np.asarray(w), dtype=torch.float32) @ self.J(), heads if heads is not None else [1.0] * self.T)

    def rep_update(self, dz, w):
        gs = torch.autograd.grad(self.z, self.m.shared, dz, retain_graph=True)
        for p, g in zip(self.m.shared, gs):
            p.grad = g
        self.heads(w)

    def draw(self, key, fallback):
        """polyhead's draws in the check run, torch's own in the timing run."""
        return self.draws[key] if self.draws is not None else fallback()


class Model:
    def __init__(self, T):
        self.names = man["params"][str(T)]
        self.P = {n: torch.nn.Parameter(torch.from_numpy(arr[f"p{T}.{n}"].copy())) for n in self.names}
        self.tasks = [f"t{i}" for i in range(T)]
        self.ys = [torch.from_numpy(arr[f"y.{t}"].copy()).view(-1, 1) for t in self.tasks]
        self.shared = [self.P[n] for n in self.names if n.startswith("trunk.")]
        self.heads = [self.P[n] for n in self.names if not n.startswith("trunk.")]
        self.all = self.shared + self.heads

    def chain(self, h, prefix, P, relu_last):
        """The Linear layers named prefix.<k>.weight in order, ReLU between (and after, for the trunk)."""
        ks = sorted({int(n[len(prefix) + 1:].split(".")[0]) for n in self.names if n.startswith(prefix + ".")})
        for i, k in enumerate(ks):
            h = F.linear(h, P[f"{prefix}.{k}.weight"], P[f"{prefix}.{k}.bias"])
            if relu_last or i < len(ks) - 1:
                h = torch.relu(h)
        return h

    def losses(self, ps=None):
        """A forward pass (with parameter values `ps` by name if given): the representation and the T losses."""
        P = ps or self.P
        z = self.chain(x, "trunk", P, True)
        return z, [F.mse_loss(self.chain(z, f"towers.{t}", P, False), y) for t, y in zip(self.tasks, self.ys)]

    def flat(self):
        return torch.cat([p.detach().reshape(-1) for p in self.all])

    def at(self, v):
        """Parameter values by name from a flat vector over `all` (for look-aheads)."""
        out, o = {}, 0
        for n in self.names:
            p = self.P[n]
            out[n] = v[o:o + p.numel()].view_as(p)
            o += p.numel()
        return out


def flat_grad(loss, ps):
    gs = torch.autograd.grad(loss, ps, retain_graph=True, allow_unused=True)
    return torch.cat([(torch.zeros_like(p) if g is None else g).reshape(-1) for p, g in zip(ps, gs)])


# ------------------------------------------------------------------ the methods' rules
class Method:
    params = ()

    def __init__(self, T, model):
        self.T, self.model = T, model


class EW(Method):
    def backward(self, s):
        s.backward_weighted([1.0] * s.T)


class UW(Method):
    def __init__(self, T, model):
        super().__init__(T, model)
        self.s = torch.zeros(T, requires_grad=True)
        self.params = (self.s,)

    def backward(self, s):
        L = torch.stack(s.ls)
        (0.5 * (L * torch.exp(-self.s)).sum() + 0.5 * self.s.sum()).backward()


class IMTLL(UW):
    def backward(self, s):
        L = torch.stack(s.ls)
        ((L * torch.exp(self.s)).sum() - self.s.sum()).backward()


class PCGrad(Method):
    def backward(self, s):
        J = s.J()
        G = s.gram()
        orders = s.draw("orders", lambda: [torch.randperm(s.T).tolist() for _ in range(s.T)])
        upd = torch.zeros_like(J[0])
        for i in range(s.T):
            p = J[i].clone()
            for j in orders[i]:
                j = int(j)
                if j == i or G[j, j] == 0:
                    continue
                d = float(p @ J[j])
                if d < 0:
                    p -= (d / G[j, j]) * J[j]
            upd += p
        s.shared_update(upd, [1.0] * s.T)


class Gram(Method):
    """A method whose weights are a function of the Gram matrix; the heads get weight 1."""

    def backward(self, s):
        s.weights_update(self.weights(s.gram(), s))


class MGDA(Gram):
    def weights(self, G, s):
        return min_norm(G)


class MGDAUB(Method):
    def backward(self, s):
        R = torch.stack([g.reshape(-1) for g in s.rep_grads()])
        Rd = R.double()
        w = min_norm((Rd @ Rd.T).numpy())
        s.rep_update((torch.tensor(w, dtype=torch.float32) @ R).view_as(s.z), [1.0] * s.T)


class CAGrad(Gram):
    def weights(self, G, s, c=0.5):
        T = len(G)
        w = cagrad_dual(G, c)
        g0 = math.sqrt(max(np.full(T, 1 / T) @ G @ np.full(T, 1 / T), 0))
        gw = math.sqrt(max(w @ G @ w, 0))
        lam = c * g0 / gw if gw > 0 else 0
        return (1 / T + lam * w) / (1 + c * c)


class IMTL(Method):
    """IMTL (hybrid): IMTL-G's closed form on the gradients scaled by exp(s), IMTL-L's loss scale s learned."""
    hybrid = True

    def __init__(self, T, model):
        super().__init__(T, model)
        self.s = torch.zeros(T, requires_grad=self.hybrid)
        self.params = (self.s,) if self.hybrid else ()

    def backward(self, s):
        e = torch.exp(self.s.detach()) if self.hybrid else torch.ones(s.T)
        s.shared_update(imtl_g(s.J().double() * e.double()[:, None]).float(), e.tolist())
        if self.hybrid:
            L = torch.tensor([l.item() for l in s.ls])
            self.s.grad = e * L - 1


class IMTLG(IMTL):
    hybrid = False


class Nash(Gram):
    def weights(self, G, s):
        return nash(G)


class UPGrad(Gram):
    def weights(self, G, s):
        return sum(lower_qp(G, np.eye(len(G))[i]) for i in range(len(G)))


class DualProj(Gram):
    def weights(self, G, s):
        return lower_qp(G, np.ones(len(G)))


class Aligned(Method):
    def backward(self, s):
        s.shared_update(aligned(s.J().double(), torch.ones(s.T, dtype=torch.float64)).float(), [1.0] * s.T)


class ConFIG(Method):
    def backward(self, s):
        s.shared_update(config(s.J()), [1.0] * s.T)


class SDMGrad(Gram):
    def weights(self, G, s, lam=0.3):
        T = len(G)
        rs = G.mean(1)
        Gs = G + lam * (rs[:, None] + rs[None, :]) + lam * lam * rs.mean()
        return (min_norm(Gs) + lam / T) / (1 + lam)


class Krum(Method):
    def backward(self, s):
        J = s.J()
        if s.T < 3:
            return s.weights_update(np.full(s.T, 1 / s.T))
        s.shared_update(krum(J.double(), 0, 1).float(), [1.0] * s.T)


class TrimmedMean(Method):
    def backward(self, s):
        s.shared_update(trimmed(s.J().double(), min(1, (s.T - 1) // 2)).float(), [1.0] * s.T)


class GradVac(Method):
    def __init__(self, T, model):
        super().__init__(T, model)
        self.targets = [[0.0] * T for _ in range(T)]

    def backward(self, s, beta=0.5):
        orders = s.draw("orders", lambda: [torch.randperm(s.T).tolist() for _ in range(s.T)])
        s.shared_update(gradvac(s.J().double(), self.targets, beta, [[int(j) for j in o] for o in orders]).float(), [1.0] * s.T)


class GradDrop(Method):
    def backward(self, s):
        R = torch.stack(s.rep_grads())
        u = s.draw("u", lambda: torch.rand(R.shape[1:]))
        u = torch.as_tensor(np.asarray(u, dtype=np.float32)).view(R.shape[1:])
        s.rep_update(graddrop(R, u, 0.0).float(), [1.0] * s.T)


class DBMTL(Method):
    def __init__(self, T, model):
        super().__init__(T, model)
        self.buf = None

    def backward(self, s, beta=0.9):
        L = torch.tensor([l.item() for l in s.ls])
        gl = s.J().double() / (L.double()[:, None] + 1e-8)  # the gradients of log(L + 1e-8)
        self.buf = (1 - beta) * gl if self.buf is None else beta * self.buf + (1 - beta) * gl
        n = self.buf.norm(dim=1)
        s.shared_update(((n.max() / n)[:, None] * self.buf).sum(0).float(), (1 / (L + 1e-8)).tolist())


class MoCo(Method):
    def __init__(self, T, model):
        super().__init__(T, model)
        self.Y, self.lam = None, np.full(T, 1 / T)

    def backward(self, s, beta=0.5, gamma=0.1):
        J = s.J().double()
        self.Y = J.clone() if self.Y is None else self.Y - beta * (self.Y - J)
        Gy = (self.Y @ self.Y.T).numpy()
        self.lam = proj_simplex(self.lam - gamma * (Gy @ self.lam))
        s.shared_update((torch.from_numpy(self.lam) @ self.Y).float(), [1.0] * s.T)


class MoDo(Gram):
    def __init__(self, T, model):
        super().__init__(T, model)
        self.lam = np.full(T, 1 / T)

    def weights(self, G, s, gamma=0.1):
        self.lam = proj_simplex(self.lam - gamma * (G @ self.lam))
        return self.lam


class CRMOGM(Gram):
    def __init__(self, T, model):
        super().__init__(T, model)
        self.lam = None

    def weights(self, G, s, alpha=0.9):
        cur = min_norm(G)
        self.lam = cur if self.lam is None else alpha * self.lam + (1 - alpha) * cur
        return self.lam


class ExcessMTL(Method):
    def __init__(self, T, model):
        super().__init__(T, model)
        self.acc, self.init, self.w = None, None, np.ones(T)
        self.eta = man["excessEta"]

    def backward(self, s):
        J = s.J().double()
        self.acc = J ** 2 if self.acc is None else self.acc + J ** 2
        risk = ((J ** 2) / torch.sqrt(self.acc + 1e-7)).sum(1).numpy()
        if self.init is None:
            self.init = risk
        else:
            self.w = self.w * np.exp(self.eta * risk / self.init)
            self.w = self.w / self.w.sum() * self.T
        s.weights_update(self.w, self.w.tolist())


class FAMO(Method):
    def __init__(self, T, model):
        super().__init__(T, model)
        self.xi, self.st, self.prev = np.zeros(T), fresh_adam(T), None

    def backward(self, s):
        L = np.array([l.item() for l in s.ls], dtype=np.float64)
        if self.prev is not None:
            z = np.exp(self.xi - self.xi.max()); z /= z.sum()
            delta = np.log(self.prev + 1e-8) - np.log(L + 1e-8)
            self.xi = adam(self.xi, z * (delta - z @ delta), self.st, 0.025, 1e-3)
        z = np.exp(self.xi - self.xi.max()); z /= z.sum()
        D = L + 1e-8
        s.backward_weighted(z / D / (z / D).sum())
        self.prev = L


class GradNorm(Method):
    def __init__(self, T, model):
        super().__init__(T, model)
        self.w, self.L0, self.st = np.ones(T), None, fresh_adam(T)

    def backward(self, s, alpha=1.5):
        L = np.array([l.item() for l in s.ls], dtype=np.float64)
        if self.L0 is None:
            self.L0 = L
        w = self.w
        s.weights_update(w, w.tolist())
        n = np.sqrt(np.diag(s.gram()))
        r = (L / self.L0) / (L / self.L0).mean()
        wt = torch.tensor(w, requires_grad=True)
        Gw = wt * torch.from_numpy(n)
        ((Gw - (Gw.mean() * torch.from_numpy(r) ** alpha).detach()).abs().sum()).backward()
        x = adam(w.copy(), wt.grad.numpy(), self.st, 0.025)
        x = np.maximum(x, 1e-8)
        self.w = x / x.sum() * self.T


class RLW(Method):
    def backward(self, s):
        nrm = torch.as_tensor(np.asarray(s.draw("normals", lambda: torch.randn(s.T)), dtype=np.float64))
        s.backward_weighted(torch.softmax(nrm, 0).tolist())


class GLS(Method):
    def backward(self, s):
        torch.exp(torch.log(torch.stack(s.ls)).mean()).backward()


class STCH(Method):
    def backward(self, s, mu=1.0):
        (mu * torch.logsumexp(torch.stack(s.ls) / mu, 0)).backward()


class PBI(Method):
    def backward(self, s, theta=5.0):
        r = torch.stack(s.ls)
        ph = torch.ones(s.T) / math.sqrt(s.T)
        d1 = r @ ph
        (d1 + theta * (r - d1 * ph).norm()).backward()


class AutoLambda(Method):
    def __init__(self, T, model):
        super().__init__(T, model)
        self.lam, self.st = np.full(T, 0.1), fresh_adam(T)

    def backward(self, s):
        m = self.model
        ps = m.all
        theta = m.flat()
        g = flat_grad(s.weighted(self.lam), ps)
        ahead = [t.detach().requires_grad_(True) for t in m.at(theta - LR * g).values()]
        _, val = m.losses(dict(zip(m.names, ahead)))  # the validation batch is the training batch here
        d = flat_grad(sum(val), ahead)
        eps = 0.01 / d.norm()
        with torch.no_grad():
            lp = np.array([l.item() for l in m.losses(m.at(theta + eps * d))[1]])
            ln = np.array([l.item() for l in m.losses(m.at(theta - eps * d))[1]])
        self.lam = adam(self.lam, -LR * (lp - ln) / (2 * float(eps)), self.st, 1e-4)
        s.backward_weighted(self.lam)


def softmax_np(a):
    e = np.exp(a - a.max())
    return e / e.sum()


class MOML(Method):
    def __init__(self, T, model):
        super().__init__(T, model)
        self.alpha, self.st = np.full(T, 1 / T), fresh_adam(T)

    def backward(self, s, eta=0.1):
        m = self.model
        sm = softmax_np(self.alpha)
        gf = torch.stack([flat_grad(l, m.all) for l in s.ls]).double()
        ahead = [t.detach().requires_grad_(True) for t in m.at((m.flat().double() - eta * torch.from_numpy(sm) @ gf).float()).values()]
        _, val = m.losses(dict(zip(m.names, ahead)))
        rows = []
        for v in val:
            c = (gf @ flat_grad(v, ahead).double()).numpy()
            rows.append(-eta * sm * (c - sm @ c))  # the softmax Jacobian' c
        U = np.array([r / np.linalg.norm(r) for r in rows if np.linalg.norm(r) > 0])
        if len(U):
            self.alpha = adam(self.alpha, min_norm(U @ U.T) @ U, self.st, 1e-3)
        s.backward_weighted(softmax_np(self.alpha))


class FORUM(Method):
    def __init__(self, T, model):
        super().__init__(T, model)
        self.alpha, self.lam, self.st = np.full(T, 1 / T), np.zeros(T), fresh_adam(T)

    def backward(self, s, phi=0.1, inner_steps=5, inner_lr=0.1):
        m = self.model
        sm = softmax_np(self.alpha)
        gq_theta = flat_grad(s.weighted(sm), m.all).double()
        cur = m.flat().double()
        for _ in range(inner_steps):
            q = [t.detach().requires_grad_(True) for t in m.at(cur.float()).values()]
            fk = s_weighted(sm, m.losses(dict(zip(m.names, q)))[1])
            if fk.item() > 1e5:
                break
            cur = cur - inner_lr * flat_grad(fk, q).double()
        with torch.no_grad():
            LK = np.array([l.item() for l in m.losses(m.at(cur.float()))[1]])
        L = np.array([l.item() for l in s.ls])
        jt = lambda c: sm * (c - sm @ c)
        gq_alpha = jt(L) - jt(LK)
        qq = float(gq_theta @ gq_theta) + float(gq_alpha @ gq_alpha)
        _, val = m.losses()
        units = []
        for v in val:
            g = flat_grad(v, m.all).double()
            units.append(g / g.norm())
        Uv = torch.stack(units)
        denom = qq + 1e-8
        gq = (Uv @ gq_theta).numpy()
        pi = phi - gq / denom
        n = s.T
        M = np.zeros((n + 1, n + 1))
        M[:n, :n] = (Uv @ Uv.T).numpy()
        M[:n, n] = M[n, :n] = gq
        M[n, n] = qq
        w = forum_qp(M, pi, phi * denom)
        self.lam = self.lam + 1.0 * (w[:n] - self.lam)  # rate 1 / (epoch + 1)^0.75, epoch 0 here
        nu = max(float(self.lam @ pi), 0.0)
        upd = (torch.from_numpy(self.lam) @ Uv + nu * gq_theta).float()
        off = 0
        for p in m.all:
            p.grad = upd[off:off + p.numel()].view_as(p).clone()
            off += p.numel()
        self.alpha = adam(self.alpha, nu * gq_alpha, self.st, 1e-3)


def s_weighted(w, ls):
    return sum(float(wi) * l for wi, l in zip(w, ls))


METHODS = {
    "EW": EW, "static": EW, "UW": UW, "PCGrad": PCGrad, "MGDA": MGDA, "MGDA-UB": MGDAUB, "CAGrad": CAGrad,
    "IMTL": IMTL, "IMTL-G": IMTLG, "IMTL-L": IMTLL, "Nash-MTL": Nash, "FairGrad": Nash, "UPGrad": UPGrad,
    "DualProj": DualProj, "Aligned-MTL": Aligned, "ConFIG": ConFIG, "SDMGrad": SDMGrad, "Krum": Krum,
    "TrimmedMean": TrimmedMean, "GradVac": GradVac, "GradDrop": GradDrop, "DB-MTL": DBMTL, "MoCo": MoCo,
    "MoDo": MoDo, "CR-MOGM": CRMOGM, "ExcessMTL": ExcessMTL, "DWA": EW, "FAMO": FAMO, "GradNorm": GradNorm,
    "RLW": RLW, "GLS": GLS, "STCH": STCH, "PBI": PBI, "Auto-Lambda": AutoLambda, "MOML": MOML, "FORUM": FORUM,
}


def run(name, T, draws, profile_one=False):
    model = Model(T)
    method = METHODS[name](T, model)
    params = model.all + list(method.params)
    opt = torch.optim.SGD(params, lr=LR)

    def step(k, prof=None):
        opt.zero_grad(set_to_none=True)
        z, ls = model.losses()
        s = Step(model, ls, z, None if draws is None else draws[k])
        if prof is None:
            method.backward(s)
        else:
            with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as p:
                method.backward(s)
            prof.append(p)
        opt.step()
        return [l.item() for l in ls]

    if draws is not None:  # the check run
        before = model.flat().clone()
        losses = [step(k) for k in range(CHECK)]
        return losses, (model.flat() - before).numpy()
    for k in range(WARM):
        step(k)
    times = []
    for k in range(STEPS):
        t0 = time.perf_counter()
        step(k)
        times.append((time.perf_counter() - t0) * 1000)
    peak = 0
    if profile_one:
        profs = []
        step(0, profs)
        ev = [(e.start_us(), e.nbytes()) for e in profs[0].profiler.kineto_results.events() if e.name() == "[memory]"]
        cur = 0
        for _, b in sorted(ev):
            cur += b
            peak = max(peak, cur)
    return float(np.median(times)), peak


def do(job):
    name, T = job["method"], job["T"]
    row = {"method": name, "tasks": T}
    try:
        draws = [{k: (arr[v["array"]] if isinstance(v, dict) else v) for k, v in d.items()} for d in job.get("draws") or [{}] * CHECK]
        losses, delta = run(name, T, draws)
        out = os.path.join(folder, f"delta.{job['id']}.f32")
        delta.astype(np.float32).tofile(out)
        row.update(losses=losses, delta=out)
        if job.get("time"):
            ms, peak = run(name, T, None, profile_one=True)
            row.update(ms=ms, peakBytes=peak)
    except Exception as e:  # noqa: BLE001 - reported beside polyhead's row
        row["error"] = f"{type(e).__name__}: {e}"[:200]
    return row


# one job per line on stdin (its id), one `RESULT <json>` line back: methods.mjs times polyhead's
# step of the same job right after, so both sides of a row see the same load
jobs = {j["id"]: j for j in man["jobs"]}
for line in sys.stdin:
    print("RESULT " + json.dumps(do(jobs[int(line)])), flush=True)
