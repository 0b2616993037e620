# Helpers shared by the PyTorch golden-value generators beside it (golden_attention.py,
# seq_golden.py): one serialisation of a tensor and one per-entry seeded generator, so
# every fixture is written the same way.
import math
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
