# Golden-value generator for polyhead's tests: computes reference forward
# outputs, gradients and optimizer steps with PyTorch and writes them to
# test/fixtures/golden.json, which the TypeScript tests load and compare against.
#
# Run from anywhere (paths are resolved from this file's location):
#     /usr/bin/python3 build/golden.py          (npm run golden)
#     /usr/bin/python3 build/golden.py --add    (keep committed entries, add new ones)
# Needs Debian's python3-torch (apt-get install -y python3-torch python3-numpy).
# Output is deterministic: running it twice on one machine gives a byte-identical file.
#
# Fixture conventions: every tensor is {"shape": [...], "data": [flat row-major]}
# (a scalar has shape [] and one element in data); float data are float32 values
# written exactly (Python repr of the f32 value widened to double); int tensors
# (labels, indices, argmax, num_batches_tracked) hold ints. Parameter names are
# PyTorch state_dict names; Linear weight is [out, in]; Conv2d is NCHW with
# weight [out_c, in_c, kh, kw].

import copy
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_num_threads(1)
torch.set_default_dtype(torch.float32)
torch.use_deterministic_algorithms(True, warn_only=True)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT_PATH = os.path.join(ROOT, "test", "fixtures", "golden.json")


# ---------------------------------------------------------------- helpers

# T (a tensor as {"shape", "data"}) and gen (a generator seeded from the entry name, so adding
# or reordering entries changes no other) are golden_common's, shared with the other generators.
from golden_common import T, gen  # noqa: E402


def randn(g, *shape, scale=1.0):
    return (torch.randn(tuple(shape), generator=g) * scale).float()


def uniform(g, lo, hi, *shape):
    return (torch.rand(tuple(shape), generator=g) * (hi - lo) + lo).float()


def away_from(x, points, margin):
    """Push values that lie within `margin` of any kink point away from it."""
    x = x.clone()
    for p in points:
        d = x - p
        close = d.abs() < margin
        sign = torch.where(d >= 0, torch.ones_like(d), -torch.ones_like(d))
        x = torch.where(close, p + sign * margin, x)
    return x.float()


def vjp(y, inputs, g):
    """Gradients of sum(y * g) w.r.t. each input (dict name -> leaf tensor)."""
    names = list(inputs.keys())
    grads = torch.autograd.grad(y, [inputs[n] for n in names], g, allow_unused=True)
    out = {}
    for n, gr in zip(names, grads):
        if gr is None:
            gr = torch.zeros_like(inputs[n])
        out["grad_" + n] = T(gr)
    return out


def op_entry(op, inputs, attrs, fn, name, int_inputs=None, scalar_loss=False):
    """Build a fixture entry. `inputs` are float tensors (get grads), `int_inputs`
    are integer tensors (no grads). fn(**all_inputs) -> y."""
    leaves = {k: v.detach().clone().float().requires_grad_(True) for k, v in inputs.items()}
    ints = dict(int_inputs or {})
    y = fn(**leaves, **ints)
    if scalar_loss:
        g = torch.ones_like(y)
    else:
        g = randn(gen(name + "/g"), *y.shape)
    entry = {"op": op, "inputs": {}, "attrs": attrs, "y": T(y), "g": T(g)}
    for k, v in inputs.items():
        entry["inputs"][k] = T(v)
    for k, v in ints.items():
        entry["inputs"][k] = T(v)
    entry.update(vjp(y, leaves, g))
    return entry


OPS = {}


def add_op(name, *args, **kwargs):
    assert name not in OPS, name
    OPS[name] = op_entry(args[0], *args[1:], name=name, **kwargs)


# ---------------------------------------------------------------- ops: unary

def unary_inputs(name):
    g = gen(name)
    if name in ("relu", "leaky_relu", "elu", "abs"):
        return away_from(randn(g, 3, 5, scale=1.5), [0.0], 0.05)
    if name == "clamp":
        x = away_from(randn(g, 3, 5), [-0.5, 0.5], 0.05)
        assert (x.abs() < 0.5).any() and (x.abs() > 0.5).any()
        return x
    if name in ("log", "sqrt"):
        return uniform(g, 0.1, 3.0, 3, 5)
    if name == "softplus":
        x = randn(g, 3, 5, scale=3.0)
        x[0, 0] = 25.0   # above threshold: y = x, dy/dx = 1
        x[0, 1] = -25.0  # far negative
        x[0, 2] = 20.5   # just above threshold
        return x
    if name in ("gelu", "gelu_tanh", "sigmoid", "tanh"):
        return randn(g, 3, 5, scale=2.0)
    return randn(g, 3, 5)


UNARY = [
    ("relu", "relu", {}, lambda x: F.relu(x)),
    ("leaky_relu", "leaky_relu", {"negative_slope": 0.01}, lambda x: F.leaky_relu(x, 0.01)),
    ("elu", "elu", {"alpha": 1.0}, lambda x: F.elu(x, alpha=1.0)),
    ("gelu", "gelu", {"approximate": "none"}, lambda x: F.gelu(x, approximate="none")),
    ("gelu_tanh", "gelu", {"approximate": "tanh"}, lambda x: F.gelu(x, approximate="tanh")),
    ("sigmoid", "sigmoid", {}, torch.sigmoid),
    ("tanh", "tanh", {}, torch.tanh),
    ("softplus", "softplus", {"beta": 1.0, "threshold": 20.0},
     lambda x: F.softplus(x, beta=1, threshold=20)),
    ("exp", "exp", {}, torch.exp),
    ("log", "log", {}, torch.log),
    ("sqrt", "sqrt", {}, torch.sqrt),
    ("abs", "abs", {}, torch.abs),
    ("clamp", "clamp", {"min": -0.5, "max": 0.5}, lambda x: torch.clamp(x, -0.5, 0.5)),
    ("neg", "neg", {}, torch.neg),
    ("square", "square", {}, torch.square),
]

for name, op, attrs, fn in UNARY:
    add_op(name, op, {"x": unary_inputs(name)}, attrs, lambda x, fn=fn: fn(x))


# ---------------------------------------------------------------- ops: binary

BINARY = [
    ("add", torch.add),
    ("sub", torch.sub),
    ("mul", torch.mul),
    ("div", torch.div),
]
BCAST = [
    ("", [3, 4]),        # same shape
    ("_row", [4]),       # row broadcast
    ("_col", [3, 1]),    # column broadcast
    ("_scalar", [1]),    # scalar-like
]

for opname, fn in BINARY:
    for suffix, bshape in BCAST:
        name = opname + suffix
        g = gen(name)
        a = randn(g, 3, 4)
        b = randn(g, *bshape)
        if opname == "div":
            # keep the divisor away from zero: |b| in [0.5, ...)
            b = (torch.sign(b + 1e-12) * (0.5 + b.abs())).float()
        add_op(name, opname, {"a": a, "b": b}, {}, lambda a, b, fn=fn: fn(a, b))


# ---------------------------------------------------------------- ops: matmul

for name, ta, tb in [("matmul", False, False), ("matmul_tn", True, False),
                     ("matmul_nt", False, True), ("matmul_tt", True, True)]:
    g = gen(name)
    a = randn(g, *([5, 4] if ta else [4, 5]))
    b = randn(g, *([3, 5] if tb else [5, 3]))

    def mm(a, b, ta=ta, tb=tb):
        return torch.matmul(a.t() if ta else a, b.t() if tb else b)

    add_op(name, "matmul", {"a": a, "b": b}, {"transpose_a": ta, "transpose_b": tb}, mm)


# ---------------------------------------------------------------- ops: reductions

def distinct_rows(name, rows, cols, gap=0.1):
    g = gen(name)
    while True:
        x = randn(g, rows, cols)
        top2 = torch.topk(x, 2, dim=1).values
        if (top2[:, 0] - top2[:, 1]).min() > gap:
            return x


add_op("sum_all", "sum", {"x": randn(gen("sum_all"), 4, 6)}, {"axis": None, "keepdim": False},
       lambda x: x.sum())
add_op("mean_all", "mean", {"x": randn(gen("mean_all"), 4, 6)}, {"axis": None, "keepdim": False},
       lambda x: x.mean())
add_op("sum_axis0", "sum", {"x": randn(gen("sum_axis0"), 4, 6)}, {"axis": 0, "keepdim": False},
       lambda x: x.sum(dim=0))
add_op("sum_axis1", "sum", {"x": randn(gen("sum_axis1"), 4, 6)}, {"axis": 1, "keepdim": False},
       lambda x: x.sum(dim=1))
add_op("mean_axis1", "mean", {"x": randn(gen("mean_axis1"), 4, 6)}, {"axis": 1, "keepdim": False},
       lambda x: x.mean(dim=1))
add_op("max_axis1", "max", {"x": distinct_rows("max_axis1", 4, 6)}, {"axis": 1, "keepdim": False},
       lambda x: x.max(dim=1).values)
add_op("logsumexp_axis1", "logsumexp", {"x": randn(gen("logsumexp_axis1"), 4, 6, scale=2.0)},
       {"axis": 1, "keepdim": False}, lambda x: torch.logsumexp(x, dim=1))

# argmax: integer output, no cotangent / gradients
_x = distinct_rows("argmax_axis1", 4, 6)
OPS["argmax_axis1"] = {"op": "argmax", "inputs": {"x": T(_x)},
                       "attrs": {"axis": 1, "keepdim": False},
                       "y": T(torch.argmax(_x, dim=1))}

add_op("softmax_axis1", "softmax", {"x": randn(gen("softmax_axis1"), 4, 6, scale=2.0)},
       {"axis": 1}, lambda x: F.softmax(x, dim=1))
add_op("log_softmax_axis1", "log_softmax", {"x": randn(gen("log_softmax_axis1"), 4, 6, scale=2.0)},
       {"axis": 1}, lambda x: F.log_softmax(x, dim=1))


# ---------------------------------------------------------------- ops: losses

def ce_case(name, reduction, smoothing):
    g = gen(name)
    logits = randn(g, 5, 4, scale=1.5)
    labels = torch.randint(0, 4, (5,), generator=g)
    add_op(name, "cross_entropy", {"logits": logits},
           {"reduction": reduction, "label_smoothing": smoothing},
           lambda logits, labels: F.cross_entropy(logits, labels, reduction=reduction,
                                                  label_smoothing=smoothing),
           int_inputs={"labels": labels}, scalar_loss=True)


ce_case("cross_entropy", "mean", 0.0)
ce_case("cross_entropy_sum", "sum", 0.0)
ce_case("cross_entropy_label_smoothing", "mean", 0.1)

_g = gen("bce_with_logits")
_logits = randn(_g, 6, scale=2.0)
_target = torch.tensor([1.0, 0.0, 0.0, 1.0, 1.0, 0.0])
add_op("bce_with_logits", "bce_with_logits", {"logits": _logits, "target": _target},
       {"reduction": "mean"},
       lambda logits, target: F.binary_cross_entropy_with_logits(logits, target),
       scalar_loss=True)


# Weights for imbalance: torch's per-class `weight` (its weighted mean divides by the sum
# of the rows' class weights), `pos_weight`, and per-example weights done by hand as
# polyhead defines them: sum(w_i l_i) / sum(w_i), with w_i = example weight (x class weight).
def ce_weight_case(name, reduction, smoothing, example_weight=False):
    g = gen(name)
    logits = randn(g, 6, 4, scale=1.5)
    labels = torch.tensor([0, 3, 1, 3, 2, 3])
    cw = torch.tensor([0.5, 2.0, 1.0, 0.25])
    ints = {"labels": labels, "class_weight": cw}
    if example_weight:
        ew = torch.tensor([1.0, 0.0, 2.0, 0.5, 1.5, 1.0])  # a 0: the row counts nothing
        ints["weight"] = ew

        def fn(logits, labels, class_weight, weight):
            rows = F.cross_entropy(logits, labels, weight=class_weight, reduction="none",
                                   label_smoothing=smoothing)
            return (weight * rows).sum() / (weight * class_weight[labels]).sum()
    else:
        def fn(logits, labels, class_weight):
            return F.cross_entropy(logits, labels, weight=class_weight, reduction=reduction,
                                   label_smoothing=smoothing)
    add_op(name, "cross_entropy", {"logits": logits},
           {"reduction": reduction, "label_smoothing": smoothing}, fn,
           int_inputs=ints, scalar_loss=reduction != "none")


ce_weight_case("cross_entropy_class_weight", "mean", 0.0)
ce_weight_case("cross_entropy_class_weight_sum", "sum", 0.0)
ce_weight_case("cross_entropy_class_weight_none", "none", 0.0)
ce_weight_case("cross_entropy_class_weight_smoothing", "mean", 0.2)
ce_weight_case("cross_entropy_class_weight_example_weight", "mean", 0.0, example_weight=True)

_g = gen("bce_with_logits_pos_weight")
_logits = randn(_g, 5, 3, scale=2.0)
_target = (torch.rand(5, 3, generator=_g) < 0.4).float()
_pw = torch.tensor([3.0, 0.5, 1.0])
add_op("bce_with_logits_pos_weight", "bce_with_logits", {"logits": _logits, "target": _target},
       {"reduction": "mean"},
       lambda logits, target, pos_weight: F.binary_cross_entropy_with_logits(
           logits, target, pos_weight=pos_weight),
       int_inputs={"pos_weight": _pw}, scalar_loss=True)
_ew = torch.tensor([1.0, 2.0, 0.0, 0.5, 1.0])
add_op("bce_with_logits_pos_weight_example_weight", "bce_with_logits",
       {"logits": _logits, "target": _target}, {"reduction": "mean"},
       lambda logits, target, pos_weight, weight: (
           weight[:, None] * F.binary_cross_entropy_with_logits(
               logits, target, pos_weight=pos_weight, reduction="none")).sum()
       / (weight.sum() * 3),
       int_inputs={"pos_weight": _pw, "weight": _ew}, scalar_loss=True)
_g = gen("mse_example_weight")
_pred, _tgt = randn(_g, 5, 2), randn(_g, 5, 2)
add_op("mse_example_weight", "mse", {"pred": _pred, "target": _tgt}, {"reduction": "mean"},
       lambda pred, target, weight: (weight[:, None] * (pred - target) ** 2).sum()
       / (weight.sum() * 2),
       int_inputs={"weight": _ew}, scalar_loss=True)

def regression_inputs(name, kinks):
    """pred [5,3] and target with residuals (pred - target) kept away from kinks;
    magnitudes spread over roughly [0.05, 3] so Huber sees both regimes."""
    g = gen(name)
    pred = randn(g, 5, 3)
    resid = away_from(randn(g, 5, 3, scale=1.5), kinks, 0.1)
    target = (pred - resid).float()
    r = pred - target
    for k in kinks:
        assert ((r - k).abs() > 0.05).all(), name
    return pred, target


for name, op, red, kinks, fn in [
    ("mse", "mse", "mean", [], lambda p, t: F.mse_loss(p, t)),
    ("mse_sum", "mse", "sum", [], lambda p, t: F.mse_loss(p, t, reduction="sum")),
    ("l1", "l1", "mean", [0.0], lambda p, t: F.l1_loss(p, t)),
    ("huber", "huber", "mean", [0.0, -1.0, 1.0], lambda p, t: F.huber_loss(p, t, delta=1.0)),
]:
    pred, target = regression_inputs(name, kinks)
    attrs = {"reduction": red}
    if op == "huber":
        attrs["delta"] = 1.0
        r = (pred - target).abs()
        assert (r < 1.0).any() and (r > 1.0).any()
    add_op(name, op, {"pred": pred, "target": target}, attrs,
           lambda pred, target, fn=fn: fn(pred, target), scalar_loss=True)


# ---------------------------------------------------------------- ops: normalisation

_g = gen("layer_norm")
add_op("layer_norm", "layer_norm",
       {"x": randn(_g, 4, 6, scale=2.0), "weight": (1.0 + randn(_g, 6, scale=0.3)).float(),
        "bias": randn(_g, 6, scale=0.3)},
       {"normalized_shape": [6], "eps": 1e-5},
       lambda x, weight, bias: F.layer_norm(x, [6], weight, bias, eps=1e-5))

_g = gen("batch_norm_train")
_bn_x = (randn(_g, 5, 3, scale=2.0) + 0.5).float()
_bn_w = (1.0 + randn(_g, 3, scale=0.3)).float()
_bn_b = randn(_g, 3, scale=0.3)
_rm = torch.zeros(3)
_rv = torch.ones(3)
_rm_before, _rv_before = _rm.clone(), _rv.clone()
add_op("batch_norm_train", "batch_norm_train",
       {"x": _bn_x, "weight": _bn_w, "bias": _bn_b},
       {"eps": 1e-5, "momentum": 0.1},
       lambda x, weight, bias: F.batch_norm(x, _rm, _rv, weight, bias, training=True,
                                            momentum=0.1, eps=1e-5))
OPS["batch_norm_train"]["buffers_before"] = {"running_mean": T(_rm_before),
                                             "running_var": T(_rv_before)}
OPS["batch_norm_train"]["buffers_after"] = {"running_mean": T(_rm), "running_var": T(_rv)}


# ---------------------------------------------------------------- ops: embedding

_g = gen("embedding")
_idx = torch.tensor([3, 7, 3, 0, 9, 3], dtype=torch.int64)  # index 3 repeated 3x
add_op("embedding", "embedding", {"weight": randn(_g, 10, 4)}, {},
       lambda weight, indices: F.embedding(indices, weight),
       int_inputs={"indices": _idx})


# ---------------------------------------------------------------- ops: shape

add_op("reshape", "reshape", {"x": randn(gen("reshape"), 3, 4)}, {"shape": [2, 6]},
       lambda x: x.reshape(2, 6))
add_op("transpose", "transpose", {"x": randn(gen("transpose"), 2, 3, 4)}, {"perm": [2, 0, 1]},
       lambda x: x.permute(2, 0, 1))
_g = gen("concat_axis1")
add_op("concat_axis1", "concat", {"a": randn(_g, 2, 3), "b": randn(_g, 2, 1), "c": randn(_g, 2, 2)},
       {"axis": 1}, lambda a, b, c: torch.cat([a, b, c], dim=1))
add_op("slice_axis1", "slice", {"x": randn(gen("slice_axis1"), 3, 5, 2)}, {"axis": 1, "start": 1, "end": 4},
       lambda x: x[:, 1:4])
_idx = torch.tensor([4, 0, 4, 2], dtype=torch.int64)  # row 4 twice: its gradient adds up
add_op("take", "take", {"x": randn(gen("take"), 5, 3)}, {},
       lambda x, indices: x[indices], int_inputs={"indices": _idx})


# ---------------------------------------------------------------- ops: maximum / minimum, affine

for _name, _fn in [("maximum", torch.maximum), ("minimum", torch.minimum)]:
    _g = gen(_name)
    _a = randn(_g, 3, 4)
    _b = (_a - away_from(randn(_g, 3, 4), [0.0], 0.1)).float()  # no ties: |a - b| >= 0.1
    add_op(_name, _name, {"a": _a, "b": _b}, {}, lambda a, b, fn=_fn: fn(a, b))

add_op("affine", "affine", {"x": randn(gen("affine"), 3, 5)}, {"scale": 1.5, "shift": -0.25},
       lambda x: x * 1.5 - 0.25)


# ---------------------------------------------------------------- ops: conv / pool

for name, stride, pad in [("conv2d_s1p1", 1, 1), ("conv2d_s2p0", 2, 0)]:
    g = gen(name)
    x = randn(g, 2, 3, 6, 6)
    w = randn(g, 4, 3, 3, 3, scale=0.3)
    b = randn(g, 4, scale=0.3)
    add_op(name, "conv2d", {"x": x, "weight": w, "bias": b},
           {"stride": stride, "padding": pad, "dilation": 1, "groups": 1},
           lambda x, weight, bias, s=stride, p=pad: F.conv2d(x, weight, bias, stride=s, padding=p))


def pool_input(name):
    g = gen(name)
    x = randn(g, 2, 3, 6, 6)
    assert x.reshape(-1).unique().numel() == x.numel()  # no ties anywhere
    return x


add_op("max_pool2d_k2s2", "max_pool2d", {"x": pool_input("max_pool2d_k2s2")},
       {"kernel_size": 2, "stride": 2, "padding": 0},
       lambda x: F.max_pool2d(x, 2, 2, 0))
add_op("avg_pool2d_k2s2", "avg_pool2d", {"x": pool_input("avg_pool2d_k2s2")},
       {"kernel_size": 2, "stride": 2, "padding": 0},
       lambda x: F.avg_pool2d(x, 2, 2, 0))
add_op("max_pool2d_k3s2p1", "max_pool2d", {"x": pool_input("max_pool2d_k3s2p1")},
       {"kernel_size": 3, "stride": 2, "padding": 1},
       lambda x: F.max_pool2d(x, 3, 2, 1))


# ---------------------------------------------------------------- ops: transfer (polyhead/transfer)

class _GradReverse(torch.autograd.Function):
    """Ganin et al. 2016's gradient reversal: identity forward, -lambda * grad backward."""

    @staticmethod
    def forward(ctx, x, lam):
        ctx.lam = lam
        return x.view_as(x).clone()

    @staticmethod
    def backward(ctx, g):
        return -ctx.lam * g, None


add_op("gradient_reversal", "gradient_reversal", {"x": randn(gen("gradient_reversal"), 3, 5)},
       {"lambda": 0.7}, lambda x: _GradReverse.apply(x, 0.7))


def _cov(x):
    c = x - x.mean(dim=0, keepdim=True)
    return c.t() @ c / (x.shape[0] - 1)


def _coral(source, target):
    # Sun & Saenko 2016: ||C_s - C_t||_F^2 / (4 d^2)
    d = source.shape[1]
    return ((_cov(source) - _cov(target)) ** 2).sum() / (4 * d * d)


def _sqdist(a, b):
    return (a * a).sum(1).reshape(-1, 1) - 2 * (a @ b.t()) + (b * b).sum(1).reshape(1, -1)


def _mmd(source, target, bandwidth, kernels=5, mul=2.0):
    # multi-kernel Gaussian MMD^2, biased estimate; bandwidths bandwidth * mul^(i - kernels // 2)
    base = bandwidth / mul ** (kernels // 2)

    def k(d):
        return sum(torch.exp(-d / (base * mul ** i)) for i in range(kernels)).mean()

    return k(_sqdist(source, source)) + k(_sqdist(target, target)) - 2 * k(_sqdist(source, target))


_g = gen("coral")
add_op("coral", "coral", {"source": randn(_g, 7, 4), "target": (randn(_g, 9, 4, scale=1.5) + 0.3).float()},
       {}, _coral, scalar_loss=True)
_g = gen("mmd")
add_op("mmd", "mmd", {"source": randn(_g, 6, 3), "target": (randn(_g, 5, 3) + 0.5).float()},
       {"kernels": 5, "kernel_mul": 2.0, "bandwidth": 4.0},
       lambda source, target: _mmd(source, target, 4.0), scalar_loss=True)


# ---------------------------------------------------------------- models

OPTIMIZERS = {
    "sgd": {"type": "sgd", "lr": 0.1, "momentum": 0.0, "dampening": 0.0,
            "weight_decay": 0.0, "nesterov": False},
    "sgd_momentum_nesterov": {"type": "sgd", "lr": 0.1, "momentum": 0.9, "dampening": 0.0,
                              "weight_decay": 1e-3, "nesterov": True},
    "adam": {"type": "adam", "lr": 0.01, "betas": [0.9, 0.999], "eps": 1e-8,
             "weight_decay": 0.0, "amsgrad": False},
    "adamw": {"type": "adamw", "lr": 0.01, "betas": [0.9, 0.999], "eps": 1e-8,
              "weight_decay": 0.1, "amsgrad": False},
    "rmsprop": {"type": "rmsprop", "lr": 0.01, "alpha": 0.99, "eps": 1e-8,
                "weight_decay": 0.0, "momentum": 0.0, "centered": False},
    "adagrad": {"type": "adagrad", "lr": 0.1, "lr_decay": 0.0, "weight_decay": 0.0,
                "initial_accumulator_value": 0.0, "eps": 1e-10},
    "adam_clip": {"type": "adam", "lr": 0.01, "betas": [0.9, 0.999], "eps": 1e-8,
                  "weight_decay": 0.0, "amsgrad": False, "clip_grad_norm": 0.5},
}
STEPS = 3


def make_optimizer(cfg, params):
    t = cfg["type"]
    if t == "sgd":
        return torch.optim.SGD(params, lr=cfg["lr"], momentum=cfg["momentum"],
                               dampening=cfg["dampening"], weight_decay=cfg["weight_decay"],
                               nesterov=cfg["nesterov"])
    if t == "adam":
        return torch.optim.Adam(params, lr=cfg["lr"], betas=tuple(cfg["betas"]), eps=cfg["eps"],
                                weight_decay=cfg["weight_decay"], amsgrad=cfg["amsgrad"])
    if t == "adamw":
        return torch.optim.AdamW(params, lr=cfg["lr"], betas=tuple(cfg["betas"]), eps=cfg["eps"],
                                 weight_decay=cfg["weight_decay"], amsgrad=cfg["amsgrad"])
    if t == "rmsprop":
        return torch.optim.RMSprop(params, lr=cfg["lr"], alpha=cfg["alpha"], eps=cfg["eps"],
                                   weight_decay=cfg["weight_decay"], momentum=cfg["momentum"],
                                   centered=cfg["centered"])
    if t == "adagrad":
        return torch.optim.Adagrad(params, lr=cfg["lr"], lr_decay=cfg["lr_decay"],
                                   weight_decay=cfg["weight_decay"],
                                   initial_accumulator_value=cfg["initial_accumulator_value"],
                                   eps=cfg["eps"])
    raise ValueError(t)


def state_dict_T(model):
    return {k: T(v) for k, v in model.state_dict().items()}


def check_kinks(model, x, min_abs=1e-4, pool_gap=1e-4):
    """True if no ReLU pre-activation is within min_abs of 0 (and some are on,
    some off), and every MaxPool window with a positive max has a clear winner."""
    model = copy.deepcopy(model)  # forward in train mode would update BN buffers
    ok = [True]
    handles = []

    def relu_hook(mod, inp, out):
        z = inp[0]
        if z.abs().min() < min_abs or not (z > 0).any() or not (z < 0).any():
            ok[0] = False

    def pool_hook(mod, inp, out):
        z = inp[0]
        k = mod.kernel_size
        win = F.unfold(z.reshape(-1, 1, *z.shape[-2:]), k, stride=mod.stride)
        top2 = torch.topk(win, 2, dim=1).values
        gap = top2[:, 0] - top2[:, 1]
        if ((top2[:, 0] > 0) & (gap < pool_gap)).any():
            ok[0] = False

    for m in model.modules():
        if isinstance(m, nn.ReLU):
            handles.append(m.register_forward_hook(relu_hook))
        if isinstance(m, nn.MaxPool2d):
            handles.append(m.register_forward_hook(pool_hook))
    with torch.no_grad():
        model(x)
    for h in handles:
        h.remove()
    return ok[0]


def build_model_case(name, arch, build, make_data, loss_fn, loss_name, optimizers,
                     base_seed, extra=None):
    """Find the first seed >= base_seed whose init+batch avoid ReLU/maxpool kinks
    (also checked along every optimizer trajectory), then record the case."""
    seed = base_seed
    while True:
        torch.manual_seed(seed)
        model = build()
        init = {k: v.detach().clone() for k, v in model.state_dict().items()}
        data = make_data(torch.Generator().manual_seed(seed))
        if check_kinks(model, data["x"]):
            trajectories = {}
            good = True
            for oname in optimizers:
                cfg = OPTIMIZERS[oname]
                model.load_state_dict(init)
                model.train()
                params = list(model.parameters())
                opt = make_optimizer(cfg, params)
                losses = []
                for _ in range(STEPS):
                    if not check_kinks(model, data["x"]):
                        good = False
                    opt.zero_grad()
                    loss = loss_fn(model(data["x"]), data)
                    losses.append(float(loss.detach()))
                    loss.backward()
                    if "clip_grad_norm" in cfg:
                        torch.nn.utils.clip_grad_norm_(params, cfg["clip_grad_norm"])
                    opt.step()
                if not check_kinks(model, data["x"]):
                    good = False
                trajectories[oname] = (state_dict_T(model), losses)
            if good:
                break
        seed += 1

    # forward/backward at init (train mode)
    model.load_state_dict(init)
    model.train()
    model.zero_grad()
    out = model(data["x"])
    loss = loss_fn(out, data)
    loss.backward()
    case = {
        "arch": arch,
        "seed": seed,
        "loss_fn": loss_name,
        "param_names": [n for n, _ in model.named_parameters()],
        "init": {k: T(v) for k, v in init.items()},
    }
    for k, v in data.items():
        case[k] = T(v)
    case["out"] = T(out)
    case["loss"] = T(loss)
    case["grads"] = {n: T(p.grad) for n, p in model.named_parameters()}
    if extra is not None:
        extra(case, model, data, init)
    case["steps"] = STEPS
    case["optimizers"] = {o: OPTIMIZERS[o] for o in optimizers}
    case["after"] = {o: trajectories[o][0] for o in optimizers}
    case["step_losses"] = {o: trajectories[o][1] for o in optimizers}
    return case


ALL_OPTS = list(OPTIMIZERS.keys())
MODELS = {}

# ---- mlp
MLP_ARCH = """nn.Sequential(
    nn.Linear(8, 16),
    nn.ReLU(),
    nn.Linear(16, 16),
    nn.Tanh(),
    nn.Linear(16, 3),
)
# loss = F.cross_entropy(out, labels)  # mean"""


def mlp_build():
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.Tanh(),
                         nn.Linear(16, 3))


def mlp_data(g):
    return {"x": randn(g, 5, 8), "labels": torch.tensor([0, 2, 1, 2, 0], dtype=torch.int64)}


MODELS["mlp"] = build_model_case(
    "mlp", MLP_ARCH, mlp_build, mlp_data,
    lambda out, d: F.cross_entropy(out, d["labels"]), "cross_entropy", ALL_OPTS, 100)

# ---- cnn
CNN_ARCH = """nn.Sequential(
    nn.Conv2d(1, 4, 3, padding=1),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Conv2d(4, 6, 3),
    nn.ReLU(),
    nn.AvgPool2d(2),
    nn.Flatten(),
    nn.Linear(6, 5),
)
# x: [2, 1, 8, 8] -> conv [2,4,8,8] -> pool [2,4,4,4] -> conv [2,6,2,2] -> pool [2,6,1,1] -> [2,6] -> [2,5]
# loss = F.cross_entropy(out, labels)  # mean"""


def cnn_build():
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(4, 6, 3), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(),
                         nn.Linear(6, 5))


def cnn_data(g):
    return {"x": randn(g, 2, 1, 8, 8), "labels": torch.tensor([3, 1], dtype=torch.int64)}


MODELS["cnn"] = build_model_case(
    "cnn", CNN_ARCH, cnn_build, cnn_data,
    lambda out, d: F.cross_entropy(out, d["labels"]), "cross_entropy", ALL_OPTS, 200)

# ---- embedding
EMB_ARCH = """class EmbeddingModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(20, 8)
        self.norm = nn.LayerNorm(8)   # eps=1e-5, elementwise affine
        self.head = nn.Linear(8, 1)

    def forward(self, idx):           # idx: int [4, 3]
        return self.head(self.norm(self.emb(idx).mean(dim=1))).squeeze(-1)   # [4]

# loss = F.binary_cross_entropy_with_logits(out, targets)  # mean"""


class EmbeddingModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(20, 8)
        self.norm = nn.LayerNorm(8)
        self.head = nn.Linear(8, 1)

    def forward(self, idx):
        return self.head(self.norm(self.emb(idx).mean(dim=1))).squeeze(-1)


def emb_data(g):
    # index 5 appears several times (incl. twice in one row) so grads accumulate
    idx = torch.tensor([[5, 2, 17], [5, 5, 11], [0, 19, 8], [13, 5, 2]], dtype=torch.int64)
    return {"x": idx, "targets": torch.tensor([1.0, 0.0, 1.0, 0.0])}


MODELS["embedding"] = build_model_case(
    "embedding", EMB_ARCH, EmbeddingModel, emb_data,
    lambda out, d: F.binary_cross_entropy_with_logits(out, d["targets"]),
    "bce_with_logits", ALL_OPTS, 300)

# ---- mlp_batchnorm
MLPBN_ARCH = """nn.Sequential(
    nn.Linear(4, 6),
    nn.BatchNorm1d(6),   # eps=1e-5, momentum=0.1, running_var uses unbiased batch variance
    nn.ReLU(),
    nn.Linear(6, 2),
)
# loss = F.mse_loss(out, targets)  # mean; trained in model.train() mode"""


def mlpbn_build():
    return nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 2))


def mlpbn_data(g):
    return {"x": randn(g, 5, 4), "targets": randn(g, 5, 2)}


def mlpbn_extra(case, model, data, init):
    # `model` has just run one train-mode forward from init: buffers updated once.
    sd = model.state_dict()
    case["buffers_after_forward"] = {k: T(sd[k]) for k in
                                     ("1.running_mean", "1.running_var", "1.num_batches_tracked")}
    model.eval()
    with torch.no_grad():
        case["out_eval"] = T(model(data["x"]))
    model.train()


MODELS["mlp_batchnorm"] = build_model_case(
    "mlp_batchnorm", MLPBN_ARCH, mlpbn_build, mlpbn_data,
    lambda out, d: F.mse_loss(out, d["targets"]), "mse", ["sgd"], 400, extra=mlpbn_extra)


# ---------------------------------------------------------------- write

fixture = {
    "magic": "polyhead-golden",
    "version": 1,
    "torch": torch.__version__,
    "generator": "build/golden.py",
    "ops": OPS,
    "models": MODELS,
}

# `--add`: keep the committed entries and only add new ones. PyTorch's matmul (its BLAS
# kernel, picked per CPU) can differ in the last bit from one machine to another, so a
# full regeneration elsewhere would move existing entries that the tests were written on.
if "--add" in sys.argv and os.path.exists(OUT_PATH):
    with open(OUT_PATH, encoding="utf-8") as f:
        committed = json.load(f)
    for part in ("ops", "models"):
        for k, v in committed[part].items():
            if k in fixture[part]:
                fixture[part][k] = v

os.makedirs(os.path.dirname(OUT_PATH), exist_ok=True)
text = json.dumps(fixture, separators=(",", ":"), allow_nan=False)
with open(OUT_PATH, "w", encoding="utf-8") as f:
    f.write(text)
    f.write("\n")
print("wrote %s (%d bytes, %d ops, %d models)" % (os.path.relpath(OUT_PATH, ROOT), len(text) + 1,
                                                  len(OPS), len(MODELS)))
