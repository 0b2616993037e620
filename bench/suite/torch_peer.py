# The suite's PyTorch side (bench/suite.mjs runs it with Debian's /usr/bin/python3): one
# workload on PyTorch CPU (or numpy's OpenBLAS for matmul) with a given thread count, from
# the inputs bench/suite/js.mjs wrote (data, initial weights, spec), so it trains the same
# model on the same batch; the same check values and timing policy as the JavaScript side.
#   /usr/bin/python3 bench/suite/torch_peer.py <workload> <dir> <threads>
# prints one line `RESULT <json>`.
import json, os, random, sys, time
import numpy as np
import torch
import torch.nn.functional as F

name, folder, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
torch.set_num_threads(threads)
man = json.load(open(os.path.join(folder, name + ".json")))
W, quick = man["spec"], man["quick"]
raw = np.fromfile(os.path.join(folder, name + ".bin"), dtype=np.float32)
arr = {k: raw[v["offset"]:v["offset"] + v["length"]].reshape(v["shape"]) for k, v in man["arrays"].items()}
CHECK_STEPS = 3 if quick else 10
BUDGET_S, MIN_REPEATS, MAX_REPEATS = (0.3, 2, 3) if quick else (4.0, 5, 200)


def measure(run, check_calls):
    check = [run() for _ in range(check_calls)]
    times, start, r = [], time.perf_counter(), 0
    while r < MAX_REPEATS and (r < MIN_REPEATS or time.perf_counter() - start < BUDGET_S):
        s = time.perf_counter(); run(); times.append((time.perf_counter() - s) * 1000); r += 1
    return check, float(np.median(times)), min(times), max(times), len(times)


def row(workload, impl, metric, res, check, **extra):
    _, med, lo, hi, n = res
    return dict(workload=workload, impl=impl, threads=threads, metric=metric, median=med, min=lo, max=hi, n=n, check=check, **extra)


rows = []
if W["kind"] == "matmul":
    # numpy's matmul is OpenBLAS here (Debian's openblas-pthread); OPENBLAS_NUM_THREADS is set by the suite
    for m, k, n in man["shapes"]:
        a, b = arr["a.%dx%dx%d" % (m, k, n)], arr["b.%dx%dx%d" % (m, k, n)]
        for tA in (False, True):
            for tB in (False, True):
                A = a.reshape(k, m).T if tA else a.reshape(m, k)
                B = b.reshape(n, k).T if tB else b.reshape(k, n)
                c = A @ B
                cf = c.astype(np.float64).ravel()
                check = [float(np.abs(cf).sum()), float((cf * ((np.arange(cf.size) % 7) - 3)).sum())]
                t = time.perf_counter(); A @ B; once = max(time.perf_counter() - t, 1e-6)
                batch = max(1, round((0.005 if quick else 0.02) / once))
                def run():
                    for _ in range(batch): A @ B
                res = measure(run, 0)
                gf = lambda ms: 2 * m * n * k / (ms / batch) / 1e6
                rows.append(dict(workload="matmul %dx%d@%dx%d %s%s" % (m, k, k, n, "T" if tA else "N", "T" if tB else "N"),
                                 impl="openblas (numpy)", threads=threads, metric="GFLOP/s", median=gf(res[1]), min=gf(res[3]), max=gf(res[2]), n=res[4], check=check))
    print("RESULT " + json.dumps(rows))
    sys.exit(0)

tasks = W["tasks"]  # [name, kind, outputs]
P = {k[2:]: torch.nn.Parameter(torch.from_numpy(v.copy())) for k, v in arr.items() if k.startswith("p.")}
x = torch.from_numpy(arr["x"].copy())
ys = {t: torch.from_numpy(arr["y." + t].copy()) for t, _, _ in tasks}


def chain_of(prefix):
    ks = [k[:-len(".weight")] for k in P if k.startswith(prefix + ".") and k.endswith(".weight")]
    ks = [k for k in ks if k[len(prefix) + 1:].isdigit()]
    return sorted(ks, key=lambda k: int(k[len(prefix) + 1:]))


def dense(h, l):
    return F.linear(h, P[l + ".weight"], P.get(l + ".bias"))


def chain(h, prefix, activate_last):
    layers = chain_of(prefix)
    for i, l in enumerate(layers):
        h = dense(h, l)
        if activate_last or i < len(layers) - 1:
            h = torch.relu(h)
    return h


def forward(x):
    # the same graph as forwardGraph in js.mjs
    names, out = [t for t, _, _ in tasks], {}
    if W["model"] == "shared-bottom":
        h = chain(x, "trunk", True)
        for t in names: out[t] = chain(h, "towers." + t, False)
    elif W["model"] == "mmoe":
        ex = torch.stack([chain(x, "experts.%d" % e, True) for e in range(W["experts"])], 1)
        for t in names:
            g = torch.softmax(dense(x, "gates." + t), -1)
            out[t] = chain((ex * g.unsqueeze(-1)).sum(1), "towers." + t, False)
    else:
        conv = lambda h, l: F.conv2d(h, P[l + ".weight"], P[l + ".bias"], padding=1)
        h = F.max_pool2d(torch.relu(conv(F.max_pool2d(torch.relu(conv(x, "conv1")), 2), "conv2")), 2)
        z = torch.relu(dense(h.flatten(1), "fc"))
        for t in names: out[t] = chain(z, "towers." + t, False)
    return out


def task_losses(out):
    ls = []
    for t, kind, _ in tasks:
        z, y = out[t], ys[t]
        if kind == "classification": ls.append(F.cross_entropy(z, y.long()))
        elif kind == "binary": ls.append(F.binary_cross_entropy_with_logits(z, y.view(-1, 1)))
        else: ls.append(F.mse_loss(z, y.view(-1, 1)))
    return ls


def min_norm_exact(G):
    # argmin_{w in simplex} w'Gw exactly, as polyhead's minNormPoint (Wolfe's algorithm) finds it:
    # every support set S, the KKT system [G_S 1; 1' 0] [w; -l] = [0; 1], the feasible one of least value
    T, best, bw = len(G), np.inf, None
    for mask in range(1, 1 << T):
        S = [i for i in range(T) if mask >> i & 1]
        K = np.zeros((len(S) + 1, len(S) + 1)); K[:-1, :-1] = G[np.ix_(S, S)]; K[:-1, -1] = 1; K[-1, :-1] = 1
        rhs = np.zeros(len(S) + 1); rhs[-1] = 1
        try: sol = np.linalg.solve(K, rhs)
        except np.linalg.LinAlgError: continue
        if (sol[:-1] < -1e-12).any(): continue
        w = np.zeros(T); w[S] = sol[:-1]
        v = w @ G @ w
        if v < best - 1e-15: best, bw = v, w
    return np.clip(bw, 0, None) / np.clip(bw, 0, None).sum()


shared = [p for k, p in P.items() if not (k.startswith("towers.") or k.startswith("gates."))]
heads = [p for k, p in P.items() if k.startswith("towers.") or k.startswith("gates.")]
rng = random.Random(3)


def train_step(opt):
    opt.zero_grad()
    ls = task_losses(forward(x))
    total = float(sum(l.item() for l in ls))
    method = W.get("method")
    if method is None:
        sum(ls).backward()
    else:
        g = [torch.cat([q.reshape(-1) for q in torch.autograd.grad(l, shared, retain_graph=True)]) for l in ls]
        if method == "PCGrad":
            w = [1.0] * len(ls)
            upd = torch.zeros_like(g[0])
            for i, gi in enumerate(g):
                p = gi.clone()
                order = list(range(len(g))); rng.shuffle(order)
                for j in order:
                    gg = float(g[j] @ g[j])
                    if j == i or gg == 0: continue
                    d = float(p @ g[j])
                    if d < 0: p -= (d / gg) * g[j]
                upd += p
        else:  # MGDA: the exact min-norm point of the shared gradients' hull, from their Gram matrix
            Gm = torch.stack(g).double(); G = (Gm @ Gm.T).numpy()
            w = [float(v) for v in min_norm_exact(G)]
            upd = sum(wi * gi for wi, gi in zip(w, g))
        off = 0
        for q in shared:
            q.grad = upd[off:off + q.numel()].view_as(q).clone(); off += q.numel()
        hg = torch.autograd.grad(sum(wi * l for wi, l in zip(w, ls)), heads)
        for q, gq in zip(heads, hg): q.grad = gq
    opt.step()
    return total


def summary(outs):
    res = []
    for o in outs:
        v = o.reshape(-1)
        res += [float(t) for t in v[:8]] + [float(v.abs().double().sum())]
    return res


if W["kind"] == "train":
    opt = torch.optim.Adam(list(P.values()), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    res = measure(lambda: train_step(opt), CHECK_STEPS)
    rows.append(row(name, "pytorch", "ms/step", res, res[0]))
else:
    def infer():
        with torch.no_grad():
            out = forward(x)
            return summary([out[t] for t, _, _ in tasks])
    res = measure(infer, 2)
    rows.append(row(name, "pytorch", "ms/call", res, res[0][0]))
print("RESULT " + json.dumps(rows))
