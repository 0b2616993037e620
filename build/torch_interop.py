# PyTorch interop check for polyhead's safetensors files, driven by
# test/torch-interop.test.ts. It builds a torch nn.Module of the same shape as a polyhead
# model (from a JSON module spec), loads polyhead's weights with load_state_dict
# (strict: the names are PyTorch's state_dict names), checks that it gets polyhead's
# outputs on the same input, then trains one SGD step (so the weights and BatchNorm
# buffers are torch's own) and writes its state_dict back as F32, BF16 and F16 files
# with the outputs each gives, for polyhead to load and match.
#
#     /usr/bin/python3 build/torch_interop.py DIR [DIR ...]
#
# Each DIR holds spec.json, model.safetensors (polyhead's weights) and io.safetensors
# (the input "x" and polyhead's outputs "out" or "out.<task>"); the script writes
# torch.<f32|bf16|f16>.safetensors and torch.<tag>.out.safetensors there and prints one
# JSON line per DIR. One process for all (importing torch is the slow part).
#
# Needs Debian's python3-torch only: Debian has no python3-safetensors, so the format is
# read and written here with struct and json (8-byte little-endian header length, JSON
# header, data; header padded with spaces to a multiple of 8).
#
# Name mapping (polyhead -> torch): identical. A polyhead Module's stateDict() names are
# its field paths, as torch's are its attribute paths: Sequential children "0", "1", ...;
# Linear "weight" [out, in] and "bias" [out]; LayerNorm/BatchNorm1d "weight", "bias",
# "running_mean", "running_var", "num_batches_tracked" (int32 in polyhead, int64 in torch;
# each side converts on load); SharedBottom "trunk.<i>.*" and "towers.<task>.<i>.*"
# (an nn.ModuleDict keyed by task name).

import json
import struct
import sys

import torch
import torch.nn as nn

DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
    "U8": torch.uint8, "BOOL": torch.bool,
}
NAMES = {v: k for k, v in DTYPES.items()}


def read_safetensors(path):
    with open(path, "rb") as f:
        buf = f.read()
    (n,) = struct.unpack("<Q", buf[:8])
    if n > 100_000_000 or 8 + n > len(buf):
        raise ValueError(f"{path}: bad header length {n}")
    header = json.loads(buf[8:8 + n].decode("utf-8"))
    header.pop("__metadata__", None)
    data = buf[8 + n:]
    out, end = {}, 0
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
        b, e = info["data_offsets"]
        if b != end:
            raise ValueError(f"{path}: tensor {name} starts at {b}, expected {end}")
        end = e
        dtype = DTYPES[info["dtype"]]
        t = torch.frombuffer(bytearray(data[b:e]), dtype=dtype) if e > b else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(info["shape"]).clone()
    if end != len(data):
        raise ValueError(f"{path}: tensors cover {end} of {len(data)} data bytes")
    return out


def write_safetensors(path, tensors, metadata=None):
    header, chunks, off = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        raw = t.view(torch.int16).numpy().tobytes() if t.dtype == torch.bfloat16 else t.numpy().tobytes()
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        chunks.append(raw)
        off += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)


ACTIVATIONS = {
    "relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "elu": nn.ELU,
    "leaky_relu": nn.LeakyReLU, "identity": nn.Identity,
}


class SharedBottom(nn.Module):
    def __init__(self, trunk, towers):
        super().__init__()
        self.trunk = trunk
        self.towers = nn.ModuleDict(towers)

    def forward(self, x):
        h = self.trunk(x)
        return {k: m(h) for k, m in self.towers.items()}


def build(spec):
    k = spec["kind"]
    if k == "sequential":
        return nn.Sequential(*[build(s) for s in spec["layers"]])
    if k == "linear":
        return nn.Linear(spec["in"], spec["out"], bias=spec["bias"])
    if k == "layer_norm":
        return nn.LayerNorm(spec["shape"], eps=spec["eps"], elementwise_affine=spec["affine"])
    if k == "batch_norm_1d":
        return nn.BatchNorm1d(spec["features"], eps=spec["eps"], momentum=spec["momentum"])
    if k == "shared_bottom":
        return SharedBottom(build(spec["trunk"]), {t: build(s) for t, s in spec["towers"].items()})
    if k in ACTIVATIONS:
        return ACTIVATIONS[k]()
    raise ValueError(f"unknown module kind {k!r}")


def outputs(model, x):
    y = model(x)
    return y if isinstance(y, dict) else {"": y}


def max_diff(a, b):
    return max(float((a[k].double() - b[k].double()).abs().max()) for k in a) if a else 0.0


def run(d):
    spec_path = f"{d}/spec.json"
    with open(spec_path) as f:
        model = build(json.load(f))
    state = read_safetensors(f"{d}/model.safetensors")
    model.load_state_dict(state, strict=True)  # torch converts int32 num_batches_tracked to int64
    io = read_safetensors(f"{d}/io.safetensors")
    x = io["x"]
    model.eval()
    with torch.no_grad():
        ours = outputs(model, x)
    theirs = {k[len("out."):] if k.startswith("out.") else "": v for k, v in io.items() if k.startswith("out")}
    report = {"dir": d, "polyhead_to_torch_max_diff": max_diff(ours, theirs)}

    # One SGD step in train mode: new weights and BatchNorm statistics of torch's own.
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = sum((y * y).mean() for y in outputs(model, x).values())
    opt.zero_grad()
    loss.backward()
    opt.step()
    model.eval()

    sd = model.state_dict()
    for tag, dtype in (("f32", torch.float32), ("bf16", torch.bfloat16), ("f16", torch.float16)):
        cast = {k: (v.to(dtype) if v.is_floating_point() else v) for k, v in sd.items()}
        write_safetensors(f"{d}/torch.{tag}.safetensors", cast, {"format": "pt"})
        with open(spec_path) as f:
            m = build(json.load(f))
        m.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in cast.items()})
        m.eval()
        with torch.no_grad():
            ys = outputs(m, x)
        write_safetensors(f"{d}/torch.{tag}.out.safetensors", {("out." + k if k else "out"): v for k, v in ys.items()})
    print(json.dumps(report), flush=True)


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    for d in sys.argv[1:]:
        run(d)


if __name__ == "__main__":
    main()
