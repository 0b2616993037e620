# Check of polyhead's export-torch, driven by test/torch-export.test.ts: for each case folder,
# loads the module the `polyhead export-torch` command wrote (model.py) and the model archive
# it was written from (model.safetensors: polyhead's weights, with its config in the metadata)
# into it with load_state_dict (strict: every name and shape must match), runs it in eval
# mode on data.safetensors ("x"), and writes the outputs (pred.safetensors, "out.<task>")
# for polyhead to compare with its own; where the module has regularization() (SoftSharing,
# DSelectK), its value after a training-mode forward on the same data goes in the report.
#
#     /usr/bin/python3 build/torch_export_check.py DIR [DIR ...]
#
# Needs python3-torch only.

import importlib.util
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_interop import read_safetensors, write_safetensors  # noqa: E402


def main():
    for d in sys.argv[1:]:
        spec = importlib.util.spec_from_file_location(f"exported_{abs(hash(d))}", f"{d}/model.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        model = mod.Model()
        weights = read_safetensors(f"{d}/model.safetensors")
        model.load_state_dict(weights, strict=True)
        model.eval()
        x = read_safetensors(f"{d}/data.safetensors")["x"]
        with torch.no_grad():
            out = model(x)
        write_safetensors(f"{d}/pred.safetensors", {f"out.{t}": v.contiguous() for t, v in out.items()})
        n = sum(p.numel() for p in model.parameters())
        report = {"dir": d, "parameters": n, "tensors": len(weights)}
        # the penalty a trainer adds to the loss, after a training-mode forward (it reads its selectors)
        if hasattr(model, "regularization"):
            model.train()
            with torch.no_grad():
                model(x)
                reg = model.regularization()
            report["regularization"] = None if reg is None else float(reg)
        print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
