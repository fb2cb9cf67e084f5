"""Torchvision-scale ONNX comparison (run at test time, not a committed fixture): torchvision's resnet18,
resnet50, mobilenet_v2, mobilenet_v3_small/large, efficientnet_b0 and googlenet with random weights and
batch-norm statistics away from their defaults, exported by torch.onnx.export (opsets 13 and 17) at 64x64,
each written to DIR as NAME_opN.onnx beside NAME_opN.fvx (in:input, out: PyTorch's output in float64).

Usage: /usr/bin/python3 tests/reference/gen_onnx_torchvision.py DIR   (needs python3-torchvision)
tests/onnx/test_onnx_torchvision.sh runs it and checks fovea's outputs with test_onnx_import --dir DIR.
`make fixtures` runs make() below, which writes nothing: these files are too large to commit."""
import io
import os
import sys
import time
import warnings

import torch

import fvfx
from gen_onnx import randomize

MODELS = [("resnet18", {}, 13), ("resnet50", {}, 17), ("mobilenet_v2", {}, 13), ("mobilenet_v3_small", {}, 17),
          ("mobilenet_v3_large", {}, 13), ("efficientnet_b0", {}, 13),
          ("googlenet", {"aux_logits": False, "transform_input": False, "init_weights": True}, 17)]


def export(outdir, name, kwargs, opset):
    import torchvision
    torch.manual_seed(sum(map(ord, name)))
    model = randomize(getattr(torchvision.models, name)(num_classes=10, **kwargs))
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        y = model.double()(x.double())
    model.float()
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, x, buf, opset_version=opset, input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    base = os.path.join(outdir, f"{name}_op{opset}")
    with open(base + ".onnx", "wb") as f:
        f.write(buf.getvalue())
    fvfx.write(base + ".fvx", {"in:input": x.numpy(), "out": fvfx.tensor(y)})


def make(outdir):
    return 0


def main():
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    torch.set_num_threads(1)
    for name, kwargs, opset in MODELS:
        start = time.time()
        export(outdir, name, kwargs, opset)
        print(f"{name}: exported at opset {opset} in {time.time() - start:.1f} s")


if __name__ == "__main__":
    main()
