# Scaling out check for polyhead's export-torch, driven by test/torch-ddp.test.ts: loads
# an exported module (model.py) and polyhead's safetensors weights (load_state_dict,
# strict), trains it for a few SGD steps with DistributedDataParallel over the gloo
# backend on loopback (two processes, each on its half of the batch), and writes the
# trained weights and the predictions on the whole batch for polyhead to load and match.
# It also trains the same model in one process on the whole batch: DDP averages the two
# halves' gradients, so both runs must agree (the report's ddp_vs_single_max_diff).
#
#     /usr/bin/python3 build/torch_ddp.py DIR [DIR ...]
#
# Each DIR holds model.py, weights.safetensors and data.safetensors ("x", and "y.<task>"
# per task: float targets, or int32 class indices for classification); the script writes
# trained.safetensors and pred.safetensors ("out.<task>") there. Needs python3-torch only.

import importlib.util
import json
import os
import socket
import sys

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_interop import read_safetensors, write_safetensors  # noqa: E402

STEPS, LR, WORLD = 5, 0.05, 2


def load_module(d):
    spec = importlib.util.spec_from_file_location(f"exported_{abs(hash(d))}", f"{d}/model.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    model = mod.Model()
    model.load_state_dict(read_safetensors(f"{d}/weights.safetensors"), strict=True)
    return mod, model


def loss_of(mod, out, data, rows):
    total = 0
    for t, info in mod.TASKS.items():
        y, kind, name = data[f"y.{t}"][rows], info["kind"], mod.LOSSES[t]
        p = out[t]
        if name == "cross_entropy":
            l = F.cross_entropy(p, y.long())
        elif name == "binary_cross_entropy_with_logits":
            l = F.binary_cross_entropy_with_logits(p, y)
        elif name == "mse_loss":
            l = F.mse_loss(p, y)
        elif name == "l1_loss":
            l = F.l1_loss(p, y)
        else:
            raise ValueError(f"task {t}: loss {name} ({kind}) not handled by this check")
        total = total + info["weight"] * l
    return total


def train(d, rank, world, port):
    torch.manual_seed(0)
    torch.set_num_threads(1)
    mod, model = load_module(d)
    data = read_safetensors(f"{d}/data.safetensors")
    n = data["x"].shape[0]
    if world > 1:
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world)
        net = DistributedDataParallel(model)
        rows = torch.arange(rank, n, world)
    else:
        net, rows = model, torch.arange(n)
    opt = torch.optim.SGD([p for p in net.parameters() if p.requires_grad], lr=LR)
    model.train()
    for _ in range(STEPS):
        opt.zero_grad()
        loss_of(mod, net(data["x"][rows]), data, rows).backward()
        opt.step()
    if world > 1:
        dist.barrier()
    if rank == 0:
        model.eval()
        with torch.no_grad():
            pred = model(data["x"])
        tag = "" if world > 1 else ".single"
        write_safetensors(f"{d}/trained{tag}.safetensors", model.state_dict(), {"format": "pt"})
        write_safetensors(f"{d}/pred{tag}.safetensors", {f"out.{t}": v for t, v in pred.items()})
    if world > 1:
        dist.destroy_process_group()


def worker(rank, d, port):
    train(d, rank, WORLD, port)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    for d in sys.argv[1:]:
        # fork: the children need not import torch again (slow on a busy machine)
        mp.start_processes(worker, args=(d, free_port()), nprocs=WORLD, join=True, start_method="fork")
        train(d, 0, 1, None)
        a, b = read_safetensors(f"{d}/pred.safetensors"), read_safetensors(f"{d}/pred.single.safetensors")
        diff = max(float((a[k] - b[k]).abs().max()) for k in a)
        print(json.dumps({"dir": d, "steps": STEPS, "world_size": WORLD, "ddp_vs_single_max_diff": diff}), flush=True)


if __name__ == "__main__":
    main()
