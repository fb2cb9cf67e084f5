"""Today's architectures through ONNX (made at test time and cached, never committed: about 1.4 GB): torchvision
0.14's shufflenet_v2_x1_0, densenet121, convnext_tiny, vit_b_16 and swin_t (classifiers, 10 classes) and its
segmentation models fcn_resnet50, deeplabv3_mobilenet_v3_large and lraspp_mobilenet_v3_large (5 classes, the "out"
map, at 230x230: upsampling factors that are not whole numbers), with seeded random weights and batch-norm
statistics away from their defaults, exported in eval mode with a dynamic batch at opsets 13 and 17 as
NAME_opN.onnx beside NAME_opN.fvx (in:input, a batch of 3; out, PyTorch's output for it).
tests/onnx/test_onnx_modern.sh checks fovea's import at batch 3 and batch 1 (test_onnx_import --models DIR).

Usage: /usr/bin/python3 tests/reference/gen_onnx_modern.py [DIR] | --print-dir   (needs python3-torchvision)
Without DIR the files go to $FOVEA_ONNX_CACHE/modern if set, else ${XDG_CACHE_HOME:-~/.cache}/fovea/onnx-modern-HASH
(HASH: this script, its helpers, torch's and torchvision's versions); files present are reused.
FOVEA_JOBS: exports in parallel (default: the CPU count, at most 4)."""
import hashlib
import inspect
import io
import os
import sys
import time
import warnings

import torch
from torch import nn

import fvfx
from gen_onnx import randomize

# (name, constructor, input height and width, float64 reference). ViT's position embeddings fix its input size:
# it is built for 64x64 (16 patches). The float64 forward of the heaviest models would take minutes with
# Debian's reference BLAS: their reference is float32 (PyTorch's float32 outputs are within 1e-6 of float64).
MODELS = [
    ("shufflenet_v2_x1_0", {"num_classes": 10}, (64, 72), True),
    ("densenet121", {"num_classes": 10}, (65, 77), True),
    ("convnext_tiny", {"num_classes": 10}, (64, 96), True),
    ("vit_b_16", {"num_classes": 10, "image_size": 64}, (64, 64), False),
    ("swin_t", {"num_classes": 10}, (96, 96), True),
    ("fcn_resnet50", {"num_classes": 5, "weights_backbone": None}, (230, 230), False),
    ("deeplabv3_mobilenet_v3_large", {"num_classes": 5, "weights_backbone": None}, (230, 230), True),
    ("lraspp_mobilenet_v3_large", {"num_classes": 5, "weights_backbone": None}, (230, 230), True),
]
OPSETS = (13, 17)
BATCH = 3
HERE = os.path.dirname(os.path.abspath(__file__))


class SegmentationOut(nn.Module):
    """torchvision's segmentation models return a dict; the test compares its "out" map."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)["out"]


def build(name, kwargs):
    import torchvision
    seg = getattr(torchvision.models.segmentation, name, None)
    if seg is not None:
        return SegmentationOut(seg(**kwargs))
    return getattr(torchvision.models, name)(**kwargs)


def randomize_norms(model):
    """randomize() for batch norms; layer norms get affine parameters away from 1 and 0 too; and every other
    parameter that starts constant (ViT's zero head and class token, ConvNeXt's layer scale of 1e-6, zero
    biases) is drawn at random, or the outputs would not depend on what it multiplies (ViT's would be 0)."""
    randomize(model)
    for m in model.modules():
        if isinstance(m, nn.LayerNorm) and m.elementwise_affine:
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)
    with torch.no_grad():
        for p in model.parameters():
            if p.numel() > 1 and bool((p == p.flatten()[0]).all()):
                p.uniform_(-0.5, 0.5)
    return model.eval()


def version():
    import torchvision
    h = hashlib.sha256()
    for path in (__file__, os.path.join(HERE, "fvfx.py")):
        with open(path, "rb") as f:
            h.update(f.read())
    h.update(inspect.getsource(randomize).encode())
    h.update(f"torch {torch.__version__} torchvision {torchvision.__version__}".encode())
    return h.hexdigest()[:16]


def cache_dir():
    if os.environ.get("FOVEA_ONNX_CACHE"):
        return os.path.join(os.environ["FOVEA_ONNX_CACHE"], "modern")
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "fovea", f"onnx-modern-{version()}")


def export(outdir, name, kwargs, size, double):
    start = time.time()
    torch.set_num_threads(1)
    torch.manual_seed(sum(map(ord, name)))
    model = randomize_norms(build(name, kwargs))
    x = torch.randn(BATCH, 3, *size)
    with torch.no_grad():
        y = model.double()(x.double()) if double else model(x)
    model.float()
    done = []
    for opset in OPSETS:
        base = os.path.join(outdir, f"{name}_op{opset}")
        if os.path.exists(base + ".fvx"):
            continue
        buf = io.BytesIO()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.onnx.export(model, x[:1], buf, opset_version=opset, input_names=["input"],
                                  output_names=["output"],
                                  dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
        except Exception as e:  # swin_t may not export: the test says which file is missing
            done.append(f"opset {opset} does not export ({type(e).__name__}: {str(e)[:120]})")
            continue
        with open(base + ".onnx.tmp", "wb") as f:
            f.write(buf.getvalue())
        os.replace(base + ".onnx.tmp", base + ".onnx")
        fvfx.write(base + ".fvx.tmp", {"in:input": x.numpy(), "out": fvfx.tensor(y)})
        os.replace(base + ".fvx.tmp", base + ".fvx")  # last: a .fvx means both files are whole
        done.append(f"opset {opset}: {len(buf.getvalue()) / 1e6:.0f} MB")
    return f"{name} {size[0]}x{size[1]}: {', '.join(done) or 'cached'} ({time.time() - start:.1f} s)"


def _run(job):
    return export(*job)


def make(outdir):
    return 0  # `make fixtures` writes nothing: the files are made at test time


def main():
    if sys.argv[1:] == ["--print-dir"]:
        print(cache_dir())
        return
    outdir = sys.argv[1] if len(sys.argv) > 1 else cache_dir()
    os.makedirs(outdir, exist_ok=True)
    todo = [(outdir,) + m for m in MODELS
            if not all(os.path.exists(os.path.join(outdir, f"{m[0]}_op{o}.fvx")) for o in OPSETS)]
    n = int(os.environ.get("FOVEA_JOBS") or min(os.cpu_count() or 1, 4))
    if n > 1 and len(todo) > 1:
        import multiprocessing
        with multiprocessing.get_context("spawn").Pool(n) as pool:
            for line in pool.imap_unordered(_run, todo):
                print(line, flush=True)
    else:
        for job in todo:
            print(_run(job), flush=True)


if __name__ == "__main__":
    main()
