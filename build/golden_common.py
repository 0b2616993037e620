# Helpers shared by the PyTorch golden-value generators beside it (golden.py,
# golden_attention.py, seq_golden.py): one serialisation of a tensor, one per-entry seeded
# generator and one fixture writer, so every fixture is written the same way.
import json
import math
import os
import zlib

import torch


def seed_of(name):
    """A stable seed from an entry's name: adding or reordering entries changes no other."""
    return zlib.crc32(name.encode("utf-8"))


def gen(name):
    """A generator seeded from the entry's name."""
    return torch.Generator().manual_seed(seed_of(name))


def T(t):
    """Serialise a tensor as {"shape", "data"}: float32 (finite) or integers."""
    t = t.detach().contiguous()
    flat = t.reshape(-1).tolist()
    if t.dtype.is_floating_point:
        assert t.dtype == torch.float32, t.dtype
        data = [float(v) for v in flat]
        assert all(math.isfinite(v) for v in data)
    else:
        data = [int(v) for v in flat]
    return {"shape": list(t.shape), "data": data}


def write_fixture(path, fixture, parts, add):
    """Write `fixture` as compact JSON; with `add`, the committed file's entries of `parts`
    replace the regenerated ones (a full regeneration on another CPU may move the last bit
    of a BLAS result), so only new entries are added. Returns the bytes written."""
    if add and os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            committed = json.load(f)
        for part in parts:
            for k, v in committed.get(part, {}).items():
                if k in fixture[part]:
                    fixture[part][k] = v
    text = json.dumps(fixture, separators=(",", ":"), allow_nan=False)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    return len(text) + 1
