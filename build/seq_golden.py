# Golden values for polyhead's recurrent and bag layers (src/seq/rnn.ts, bag.ts, pool.ts):
# PyTorch's nn.GRU / nn.LSTM (stacked, bidirectional, batch-first, variable lengths through
# pack_padded_sequence), nn.EmbeddingBag and masked pooling over time, forward outputs,
# final states and the gradients of every input and parameter, and 3 Adam steps of small
# GRU and LSTM classifiers, written to
# test/fixtures/seq-rnn.json for test/seq-rnn.test.ts.
#
#     /usr/bin/python3 build/seq_golden.py          (regenerate)
#     /usr/bin/python3 build/seq_golden.py --add    (keep committed entries, add new ones)
# Needs Debian's python3-torch. Same conventions as build/golden.py: tensors are
# {"shape", "data"} row-major, float32 values written exactly, state_dict names; each
# entry's random draws come from a generator seeded by a hash of its name.

import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_common import T, gen, seed_of, write_fixture  # noqa: E402
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

torch.set_num_threads(1)
torch.set_default_dtype(torch.float32)
torch.use_deterministic_algorithms(True, warn_only=True)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT_PATH = os.path.join(ROOT, "test", "fixtures", "seq-rnn.json")


def randn(g, *shape, scale=1.0):
    return (torch.randn(tuple(shape), generator=g) * scale).float()


# ---------------------------------------------------------------- GRU / LSTM

RNN_CASES = [
    # name, kind, input, hidden, layers, bidirectional, batch_first, time, batch, lengths, h0, bias
    ("gru_single", "gru", 3, 4, 1, False, False, 5, 2, None, True, True),
    ("gru_stacked_bi_lengths", "gru", 3, 4, 2, True, True, 6, 3, [6, 2, 4], True, True),
    ("gru_nobias_lengths", "gru", 2, 3, 1, True, False, 5, 3, [3, 5, 1], False, False),
    ("lstm_single", "lstm", 3, 4, 1, False, False, 5, 2, None, True, True),
    ("lstm_stacked_bi_lengths", "lstm", 3, 4, 2, True, True, 6, 3, [6, 3, 1], True, True),
    ("lstm_stacked_lengths_zero_state", "lstm", 2, 3, 3, False, False, 4, 3, [2, 4, 3], False, True),
]


def rnn_case(name, kind, inp, hid, layers, bidir, bf, steps, batch, lengths, with_h0, bias):
    torch.manual_seed(seed_of(name))
    cls = nn.GRU if kind == "gru" else nn.LSTM
    model = cls(inp, hid, num_layers=layers, bias=bias, batch_first=bf, bidirectional=bidir)
    g = gen(name + "/data")
    dirs = 2 if bidir else 1
    x = randn(g, *((batch, steps, inp) if bf else (steps, batch, inp))).requires_grad_(True)
    state = {}
    if with_h0:
        state["h0"] = randn(g, layers * dirs, batch, hid, scale=0.5).requires_grad_(True)
        if kind == "lstm":
            state["c0"] = randn(g, layers * dirs, batch, hid, scale=0.5).requires_grad_(True)
    hx = None
    if with_h0:
        hx = (state["h0"], state["c0"]) if kind == "lstm" else state["h0"]
    if lengths is None:
        y, hn = model(x, hx)
    else:
        packed = pack_padded_sequence(x, torch.tensor(lengths), batch_first=bf, enforce_sorted=False)
        yp, hn = model(packed, hx)
        y, _ = pad_packed_sequence(yp, batch_first=bf, total_length=steps)
    h, c = (hn if kind == "lstm" else (hn, None))
    gy = randn(g, *y.shape)
    gh = randn(g, *h.shape)
    loss = (y * gy).sum() + (h * gh).sum()
    entry = {"kind": kind, "config": {"input_size": inp, "hidden_size": hid, "num_layers": layers,
                                      "bidirectional": bidir, "batch_first": bf, "bias": bias},
             "lengths": lengths, "state_dict": {k: T(v) for k, v in model.state_dict().items()},
             "x": T(x), "y": T(y), "h": T(h), "g_y": T(gy), "g_h": T(gh)}
    for k, v in state.items():
        entry[k] = T(v)
    if c is not None:
        gc = randn(g, *c.shape)
        loss = loss + (c * gc).sum()
        entry["c"] = T(c)
        entry["g_c"] = T(gc)
    loss.backward()
    entry["grad_x"] = T(x.grad)
    for k, v in state.items():
        entry["grad_" + k] = T(v.grad)
    entry["grads"] = {k: T(p.grad) for k, p in model.named_parameters()}
    return entry


# ---------------------------------------------------------------- EmbeddingBag

BAG_CASES = [
    # name, num, dim, mode, input (list or 2-d), offsets, per-sample weights, padding_idx, include_last_offset
    ("bag_sum_offsets", 10, 4, "sum", [1, 2, 4, 5, 4, 3, 2, 9, 1], [0, 2, 2, 6], False, None, False),
    ("bag_mean_offsets", 10, 4, "mean", [1, 2, 4, 5, 4, 3, 2, 9, 1], [0, 2, 2, 6], False, None, False),
    ("bag_mean_2d", 8, 3, "mean", [[1, 2, 3, 3], [0, 7, 6, 1], [5, 5, 5, 2]], None, False, None, False),
    ("bag_sum_per_sample_weights", 10, 4, "sum", [1, 2, 4, 5, 4, 3, 2, 9], [0, 3, 5], True, None, False),
    ("bag_mean_padding_idx", 10, 3, "mean", [0, 2, 0, 5, 0, 0, 7, 2], [0, 3, 4, 6], False, 0, False),
    ("bag_sum_include_last_offset", 10, 4, "sum", [1, 2, 4, 5, 4, 3, 2], [0, 2, 5, 7], False, None, True),
    ("bag_max_offsets", 10, 4, "max", [1, 2, 4, 5, 4, 3, 2, 9, 1], [0, 2, 2, 6], False, None, False),
]


def bag_case(name, num, dim, mode, inp, offsets, psw, padding_idx, last):
    g = gen(name)
    weight = randn(g, num, dim).requires_grad_(True)
    bag = nn.EmbeddingBag(num, dim, mode=mode, padding_idx=padding_idx, include_last_offset=last)
    with torch.no_grad():
        bag.weight.copy_(weight)
    idx = torch.tensor(inp)
    off = torch.tensor(offsets) if offsets is not None else None
    w = randn(g, idx.numel()).requires_grad_(True) if psw else None
    y = bag(idx, off, per_sample_weights=w)
    gy = randn(g, *y.shape)
    (y * gy).sum().backward()
    entry = {"mode": mode, "num": num, "dim": dim, "padding_idx": padding_idx, "include_last_offset": last,
             "weight": T(weight), "input": T(idx), "y": T(y), "g_y": T(gy), "grad_weight": T(bag.weight.grad)}
    if off is not None:
        entry["offsets"] = T(off)
    if w is not None:
        entry["per_sample_weights"] = T(w)
        entry["grad_per_sample_weights"] = T(w.grad)
    return entry


# ---------------------------------------------------------------- pooling over time

def pool_case(name, how):
    g = gen(name)
    B, S, D = 3, 5, 4
    x = randn(g, B, S, D).requires_grad_(True)
    lengths = torch.tensor([5, 2, 3])
    mask = (torch.arange(S)[None, :] < lengths[:, None])
    m = mask.float()[:, :, None]
    if how == "mean":
        y = (x * m).sum(1) / m.sum(1)
    elif how == "max":
        y = x.masked_fill(~mask[:, :, None], float("-inf")).max(1).values
    elif how == "first":
        y = x[:, 0, :]
    else:  # last valid step
        y = x[torch.arange(B), lengths - 1, :]
    gy = randn(g, *y.shape)
    (y * gy).sum().backward()
    return {"how": how, "x": T(x), "mask": T(mask.int()), "lengths": T(lengths), "y": T(y), "g_y": T(gy),
            "grad_x": T(x.grad)}


# ---------------------------------------------------------------- optimiser trajectories

class RecurrentClassifier(nn.Module):
    """Embedding -> (bidirectional) GRU/LSTM over packed lengths -> both final states -> Linear."""

    def __init__(self, kind, layers):
        super().__init__()
        self.emb = nn.Embedding(12, 5)
        self.rnn = (nn.GRU if kind == "gru" else nn.LSTM)(5, 6, num_layers=layers, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(12, 3)
        self.kind = kind

    def forward(self, ids, lengths):
        packed = pack_padded_sequence(self.emb(ids), lengths, batch_first=True, enforce_sorted=False)
        _, h = self.rnn(packed)
        if self.kind == "lstm":
            h = h[0]
        return self.fc(torch.cat([h[-2], h[-1]], dim=1))


TRAJ_CASES = [("gru_classifier_adam", "gru", 1), ("lstm_classifier_adam", "lstm", 2)]


def trajectory_case(name, kind, layers, steps=3):
    torch.manual_seed(seed_of(name))
    model = RecurrentClassifier(kind, layers)
    g = gen(name + "/data")
    B, S = 4, 6
    lengths = [6, 3, 5, 1]
    ids = torch.randint(1, 12, (B, S), generator=g)
    for b, n in enumerate(lengths):
        ids[b, n:] = 0
    labels = torch.randint(0, 3, (B,), generator=g)
    init = {k: T(v) for k, v in model.state_dict().items()}
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(model(ids, torch.tensor(lengths)), labels)
        loss.backward()
        opt.step()
        losses.append(float(loss))
    return {"kind": kind, "layers": layers, "ids": T(ids), "lengths": lengths, "labels": T(labels), "lr": 0.01, "steps": steps,
            "init": init, "losses": losses, "after": {k: T(v) for k, v in model.state_dict().items()}}


fixture = {
    "magic": "polyhead-seq-rnn", "version": 1, "torch": torch.__version__, "generator": "build/seq_golden.py",
    "rnn": {c[0]: rnn_case(*c) for c in RNN_CASES},
    "bag": {c[0]: bag_case(*c) for c in BAG_CASES},
    "pool": {("pool_" + h): pool_case("pool_" + h, h) for h in ("mean", "max", "first", "last")},
    "trajectories": {c[0]: trajectory_case(*c) for c in TRAJ_CASES},
}

size = write_fixture(OUT_PATH, fixture, ("rnn", "bag", "pool", "trajectories"), "--add" in sys.argv)
print("wrote %s (%d bytes, %d rnn, %d bag, %d pool, %d trajectory cases)" % (
    os.path.relpath(OUT_PATH, ROOT), size, len(fixture["rnn"]), len(fixture["bag"]), len(fixture["pool"]),
    len(fixture["trajectories"])))
