# Golden values for polyhead's attention family (polyhead/seq): PyTorch's forward outputs
# and gradients of the masked softmax and batched matmul ops (merged into the op table's
# cases by test/helpers.ts loadGolden), scaled dot-product attention with masks,
# nn.MultiheadAttention, nn.TransformerEncoderLayer (pre/post norm, relu/gelu) and a
# transformer encoder classifier's Adam trajectory. Writes test/fixtures/attention.json.
#
#     /usr/bin/python3 build/golden_attention.py          (regenerate every entry)
#     /usr/bin/python3 build/golden_attention.py --add    (keep committed entries, add new ones)
#
# Conventions as build/golden.py: tensors are {"shape", "data"} (float32 values exactly, bool
# and int masks as ints), parameter names are state_dict names, every entry's random
# inputs come from a generator seeded by a hash of its name.

import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_common import T, gen, seed_of, write_fixture  # noqa: E402

torch.manual_seed(0)
torch.set_num_threads(1)
torch.use_deterministic_algorithms(True, warn_only=True)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_PATH = os.path.join(ROOT, "test", "fixtures", "attention.json")


def randn(g, *shape, scale=1.0):
    return (torch.randn(tuple(shape), generator=g) * scale).float()


def grads_of(y, leaves, g):
    """Gradients of sum(y * g) w.r.t. each named leaf."""
    names = list(leaves)
    gs = torch.autograd.grad(y, [leaves[n] for n in names], g, allow_unused=True)
    return {n: T(gr if gr is not None else torch.zeros_like(leaves[n])) for n, gr in zip(names, gs)}


# ---------------------------------------------------------------- ops (the op table's cases)

OPS = {}


def add_op(name, op, inputs, ints, fn):
    leaves = {k: v.clone().requires_grad_(True) for k, v in inputs.items()}
    y = fn(**leaves, **ints)
    g = randn(gen(name + "/g"), *y.shape)
    e = {"op": op, "inputs": {**{k: T(v) for k, v in inputs.items()}, **{k: T(v) for k, v in ints.items()}},
         "attrs": {}, "y": T(y), "g": T(g)}
    e.update({"grad_" + k: v for k, v in grads_of(y, leaves, g).items()})
    OPS[name] = e


def random_mask(g, shape, p=0.35):
    """A bool mask (True = masked out) that leaves the first key of every row open."""
    m = torch.rand(shape, generator=g) < p
    m[..., 0] = False
    return m


def masked_softmax(x, mask):
    return x.masked_fill(mask.bool(), float("-inf")).softmax(-1)


g = gen("masked_softmax")
add_op("masked_softmax", "masked_softmax", {"x": randn(g, 2, 2, 3, 5)},
       {"mask": random_mask(g, (2, 1, 3, 5)).int()}, masked_softmax)
g = gen("masked_softmax_shared")
add_op("masked_softmax_shared", "masked_softmax", {"x": randn(g, 2, 3, 4, 6)},
       {"mask": random_mask(g, (4, 6)).int()}, masked_softmax)
for tag, ta, tb in (("", False, False), ("_tn", True, False), ("_nt", False, True), ("_tt", True, True)):
    g = gen("bmm" + tag)
    a = randn(g, 2, 3, *((5, 4) if ta else (4, 5)))
    b = randn(g, 2, 3, *((2, 5) if tb else (5, 2)))
    add_op("bmm" + tag, "bmm", {"a": a, "b": b}, {},
           lambda a, b, ta=ta, tb=tb: torch.matmul(a.transpose(-1, -2) if ta else a, b.transpose(-1, -2) if tb else b))


# ---------------------------------------------------------------- layers

LAYERS = {}


def sdpa_ref(q, k, v, mask):
    """torch 1.13's _scaled_dot_product_attention: q / sqrt(d), baddbmm with the additive mask."""
    q = q / math.sqrt(q.shape[-1])
    w = (q @ k.transpose(-2, -1) + mask).softmax(-1)
    return w @ v, w


def sdpa_case(name):
    g = gen(name)
    B, H, Lq, Lk, d = 2, 2, 4, 5, 3
    q, k, v = randn(g, B, H, Lq, d), randn(g, B, H, Lk, d), randn(g, B, H, Lk, 4)
    pad = torch.zeros(B, Lk, dtype=torch.bool)
    pad[0, 4] = True
    pad[1, 3:] = True
    attn = randn(g, Lq, Lk, scale=0.5)  # a float additive mask
    causal = torch.ones(Lq, Lk, dtype=torch.bool).triu(1)
    mask = attn.masked_fill(causal, float("-inf"))[None, None] + \
        torch.zeros(B, Lk).masked_fill(pad, float("-inf"))[:, None, None, :]
    leaves = {n: t.clone().requires_grad_(True) for n, t in (("q", q), ("k", k), ("v", v))}
    out, w = sdpa_ref(leaves["q"], leaves["k"], leaves["v"], mask)
    go, gw = randn(g, *out.shape), randn(g, *w.shape)
    loss = (out * go).sum() + (w * gw).sum()
    grads = torch.autograd.grad(loss, list(leaves.values()))
    LAYERS[name] = {"inputs": {"q": T(q), "k": T(k), "v": T(v)}, "attn_mask": T(attn),
                    "key_padding_mask": T(pad.int()), "is_causal": True,
                    "out": T(out), "weights": T(w), "g_out": T(go), "g_weights": T(gw),
                    "grads": {n: T(gr) for n, gr in zip(leaves, grads)}}


sdpa_case("sdpa_masks")


def module_case(name, module, inputs, call, fn=None):
    """fn(*inputs, **call) (default: module's forward) on float `inputs` (leaves) gives a
    tensor or a tuple of them; loss = sum over outputs of out * g. Records the module's
    state dict, the outputs, cotangents and every parameter's and input's gradient."""
    g = gen(name + "/g")
    init = {k: T(v) for k, v in module.state_dict().items()}
    leaves = {k: v.clone().requires_grad_(True) for k, v in inputs.items()}
    r = (fn or module)(*leaves.values(), **call)
    outs = [o for o in (r if isinstance(r, tuple) else (r,)) if o is not None]
    gs = [randn(g, *o.shape) for o in outs]
    loss = sum((o * c).sum() for o, c in zip(outs, gs))
    params = dict(module.named_parameters())
    grads = torch.autograd.grad(loss, list(params.values()) + list(leaves.values()))
    LAYERS[name] = {"init": init, "inputs": {k: T(v) for k, v in inputs.items()},
                    "outs": [T(o) for o in outs], "gs": [T(c) for c in gs],
                    "grads": {n: T(gr) for n, gr in zip(list(params) + ["input_" + k for k in leaves], grads)}}
    return LAYERS[name]


def mha_self(name):
    torch.manual_seed(seed_of(name))
    E, H, L, B = 8, 2, 5, 3
    mha = nn.MultiheadAttention(E, H)  # batch_first=False: [L, B, E]
    with torch.no_grad():
        mha.in_proj_bias.normal_(0, 0.1)
        mha.out_proj.bias.normal_(0, 0.1)
    g = gen(name)
    x = randn(g, L, B, E)
    pad = torch.zeros(B, L, dtype=torch.bool)
    pad[1, 4] = True
    pad[2, 2:] = True
    attn = torch.ones(L, L, dtype=torch.bool).triu(1)
    c = module_case(name, mha, {"x": x}, {"key_padding_mask": pad, "attn_mask": attn},
                    lambda x, **kw: mha(x, x, x, **kw))
    c["key_padding_mask"], c["attn_mask"] = T(pad.int()), T(attn.int())
    c["options"] = {"embed_dim": E, "num_heads": H, "batch_first": False}


def mha_cross(name):
    torch.manual_seed(seed_of(name))
    E, H, Lq, Lk, B = 12, 3, 4, 6, 2
    mha = nn.MultiheadAttention(E, H, batch_first=True)
    with torch.no_grad():
        mha.in_proj_bias.normal_(0, 0.1)
        mha.out_proj.bias.normal_(0, 0.1)
    g = gen(name)
    q, kv = randn(g, B, Lq, E), randn(g, B, Lk, E)
    attn = randn(g, B * H, Lq, Lk, scale=0.5)  # float, per batch item and head
    c = module_case(name, mha, {"q": q, "kv": kv}, {"attn_mask": attn, "average_attn_weights": False},
                    lambda q, kv, **kw: mha(q, kv, kv, **kw))
    c["attn_mask"] = T(attn)
    c["options"] = {"embed_dim": E, "num_heads": H, "batch_first": True}


mha_self("mha_self_masks")
mha_cross("mha_cross_batch_first")


def perturb(module, g, scale=0.1):
    """Nonzero biases and non-unit norm weights, so that every parameter shows in the output."""
    with torch.no_grad():
        for n, p in module.named_parameters():
            if n.endswith("bias") or "norm" in n:
                p.add_(randn(g, *p.shape, scale=scale))


def encoder_layer_case(name, activation, norm_first, batch_first):
    torch.manual_seed(seed_of(name))
    E, H, FF, L, B = 8, 2, 16, 5, 3
    layer = nn.TransformerEncoderLayer(E, H, FF, dropout=0.0, activation=activation,
                                       batch_first=batch_first, norm_first=norm_first)
    g = gen(name)
    perturb(layer, g)
    x = randn(g, *((B, L, E) if batch_first else (L, B, E)))
    pad = torch.zeros(B, L, dtype=torch.bool)
    pad[0, 4] = True
    pad[2, 3:] = True
    causal = torch.ones(L, L, dtype=torch.bool).triu(1)
    c = module_case(name, layer, {"x": x}, {"src_mask": causal, "src_key_padding_mask": pad})
    c["src_key_padding_mask"], c["src_mask"] = T(pad.int()), T(causal.int())
    c["options"] = {"d_model": E, "nhead": H, "dim_feedforward": FF, "activation": activation,
                    "norm_first": norm_first, "batch_first": batch_first}


for act in ("relu", "gelu"):
    for nf in (False, True):
        encoder_layer_case("encoder_layer_%s_%s" % ("pre" if nf else "post", act), act, nf, nf)


def encoder_stack_case(name):
    torch.manual_seed(seed_of(name))
    E, H, FF, L, B = 8, 4, 12, 4, 2
    layer = nn.TransformerEncoderLayer(E, H, FF, dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
    enc = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(E))
    g = gen(name)
    with torch.no_grad():  # the deep copies start equal: make the layers differ
        for p in enc.parameters():
            p.add_(randn(g, *p.shape, scale=0.1))
    x = randn(g, B, L, E)
    pad = torch.tensor([[False, False, False, True], [False, False, False, False]])
    c = module_case(name, enc, {"x": x}, {"src_key_padding_mask": pad})
    c["src_key_padding_mask"] = T(pad.int())
    c["options"] = {"d_model": E, "nhead": H, "dim_feedforward": FF, "num_layers": 2}


encoder_stack_case("encoder_stack_prenorm_final_norm")


def sinusoid_case(name, length, dim, base=10000.0):
    """The table in float64 (the exact values, rounded once to float32 at the end)."""
    pos = torch.arange(length, dtype=torch.float64)[:, None]
    i = torch.arange(0, dim, 2, dtype=torch.float64)
    w = torch.exp(-i * math.log(base) / dim)
    pe = torch.zeros(length, dim, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(pos * w)
    pe[:, 1::2] = torch.cos(pos * w)[:, : dim // 2]
    LAYERS[name] = {"length": length, "dim": dim, "base": base, "table": T(pe.float())}


sinusoid_case("sinusoid_64x16", 64, 16)
sinusoid_case("sinusoid_7x5", 7, 5, 100.0)


# ---- a two-layer transformer encoder classifier's Adam trajectory

class Classifier(nn.Module):
    def __init__(self, V, L, E, H, FF, C):
        super().__init__()
        self.embed = nn.Embedding(V, E)
        self.pos = nn.Embedding(L, E)  # learned positions, used as a table
        layer = nn.TransformerEncoderLayer(E, H, FF, dropout=0.0, activation="gelu", batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2)
        self.head = nn.Linear(E, C)

    def forward(self, tokens, pad):
        L = tokens.shape[1]
        h = self.encoder(self.embed(tokens) + self.pos.weight[:L], src_key_padding_mask=pad)
        keep = (~pad).float().unsqueeze(-1)
        return self.head((h * keep).sum(1) / keep.sum(1))  # mean over the unpadded positions


def trajectory_case(name, steps=3):
    torch.manual_seed(seed_of(name))
    V, L, E, H, FF, C, B = 12, 6, 8, 2, 16, 3, 4
    model = Classifier(V, L, E, H, FF, C)
    g = gen(name)
    with torch.no_grad():  # the encoder's layers start as deep copies: make them differ
        for p in model.encoder.parameters():
            p.add_(randn(g, *p.shape, scale=0.05))
    init = {k: T(v) for k, v in model.state_dict().items()}
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    batches, losses = [], []
    for _ in range(steps):
        tokens = torch.randint(0, V, (B, L), generator=g)
        lengths = torch.randint(2, L + 1, (B,), generator=g)
        pad = torch.arange(L)[None, :] >= lengths[:, None]
        labels = torch.randint(0, C, (B,), generator=g)
        opt.zero_grad()
        loss = F.cross_entropy(model(tokens, pad), labels)
        loss.backward()
        opt.step()
        losses.append(float(loss))
        batches.append({"tokens": T(tokens), "pad": T(pad.int()), "labels": T(labels)})
    LAYERS[name] = {"init": init, "batches": batches, "losses": losses,
                    "after": {k: T(v) for k, v in model.state_dict().items()},
                    "options": {"vocab": V, "max_len": L, "d_model": E, "nhead": H, "dim_feedforward": FF,
                                "classes": C, "activation": "gelu", "num_layers": 2},
                    "optimizer": {"type": "adam", "lr": 1e-2, "betas": [0.9, 0.999], "eps": 1e-8,
                                  "weight_decay": 0.0, "amsgrad": False}}


trajectory_case("classifier_adam_3_steps")


# ---------------------------------------------------------------- write

fixture = {"magic": "polyhead-golden", "version": 1, "torch": torch.__version__,
           "generator": "build/golden_attention.py", "ops": OPS, "layers": LAYERS}
size = write_fixture(OUT_PATH, fixture, ("ops", "layers"), "--add" in sys.argv)
print("wrote %s (%d bytes, %d ops, %d layers)" % (os.path.relpath(OUT_PATH, ROOT), size, len(OPS), len(LAYERS)))
