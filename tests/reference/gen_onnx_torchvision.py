"""Torchvision-scale ONNX comparison (made at test time and cached, never committed: the files total 7 GB).
Every torchvision model fovea's zoo builds, with seeded random weights and batch-norm statistics away from
their defaults (gen_onnx.randomize) and 10 classes, exported by torch.onnx.export in eval mode with a dynamic
batch at opsets 13 and 17 (each VGG at one of them), each as NAME_opN.onnx beside NAME_opN.fvx: in:input, a
batch of 3 at a size other than 224, and out, PyTorch's output for it (see reference()).
tests/onnx/test_onnx_torchvision.sh checks fovea's import and its zoo builder loaded with the same weights
(test_onnx_import --dir DIR).

Usage: /usr/bin/python3 tests/reference/gen_onnx_torchvision.py [DIR]   (needs python3-torchvision)
       /usr/bin/python3 tests/reference/gen_onnx_torchvision.py --print-dir
Without DIR the files go to the cache: $FOVEA_ONNX_CACHE if set, else
${XDG_CACHE_HOME:-~/.cache}/fovea/onnx-torchvision-HASH (HASH: this script, its helpers, torch's and
torchvision's versions). Files present are reused, missing ones made (each written to a temporary name, then
renamed); a directory made by another version of the script is emptied first. FOVEA_JOBS: exports in parallel
(default: the CPU count, at most 4). `make fixtures` runs make() below, which writes nothing."""
import hashlib
import inspect
import io
import os
import shutil
import sys
import time
import warnings

import torch

import fvfx
from gen_onnx import randomize

GOOGLENET = {"aux_logits": False, "transform_input": False, "init_weights": True}

# (name, constructor arguments, input height and width, opsets). torch exports AdaptiveAvgPool2d to a fixed
# size only when the map divides evenly: alexnet's 6x6 and vgg's 7x7 maps come from inputs 223-254 and
# 224-255, so they take the smallest such size but 224; the others (global pooling) take small maps with
# height != width. The VGG files are about 530 MB each (the 25088x4096 layer): each is exported at one opset,
# alternating, which keeps the time (and the cache: 7 GB instead of 11) in the suite's budget.
MODELS = (
    [("alexnet", {}, (223, 223), (13, 17))]
    + [(f"vgg{d}{bn}", {}, (225, 225), ((13,) if (i + j) % 2 == 0 else (17,)))
       for i, d in enumerate((11, 13, 16, 19)) for j, bn in enumerate(("", "_bn"))]
    + [("googlenet", GOOGLENET, (67, 75), (13, 17))]
    + [(f"resnet{d}", {}, (65, 77), (13, 17)) for d in (18, 34, 50, 101, 152)]
    + [(name, {}, (67, 59), (13, 17)) for name in ("mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large")]
    + [(f"efficientnet_b{k}", {}, (63, 71), (13, 17)) for k in range(8)]
)
BATCH = 3
NUM_CLASSES = 10
HERE = os.path.dirname(os.path.abspath(__file__))


def version():
    """What the files depend on: this script, the fixture writer, randomize, torch and torchvision."""
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
        return os.environ["FOVEA_ONNX_CACHE"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "fovea", f"onnx-torchvision-{version()}")


def files(name, opsets):
    return [f"{name}_op{opset}" for opset in opsets]


def jobs():
    """(model name, kwargs, size, opsets) of every model, the slowest exports first."""
    return sorted(MODELS, key=lambda j: not j[0].startswith(("vgg", "alexnet", "efficientnet_b7", "resnet152")))


def atomic_write(path, data):
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def reference(model, x, name):
    """PyTorch's output for x: in float64, but for VGG in float32. Debian's torch has only the reference BLAS
    for float64 (3 GFLOP/s): a float64 VGG forward of the batch takes 17-43 s on one core, 4 minutes for the
    eight, where float32 takes a second. PyTorch's float32 VGG outputs differ from its float64 ones by 5e-6."""
    with torch.no_grad():
        if name.startswith("vgg"):
            return model(x)
        y = model.double()(x.double())
        model.float()
        return y


def export(outdir, name, kwargs, size, opsets):
    """Writes NAME_opN.onnx and NAME_opN.fvx for each opset; returns what it did."""
    import torchvision
    start = time.time()
    torch.set_num_threads(1)
    torch.manual_seed(sum(map(ord, name)))
    model = randomize(getattr(torchvision.models, name)(num_classes=NUM_CLASSES, **kwargs))
    x = torch.randn(BATCH, 3, *size)
    y = reference(model, x, name)
    sizes = []
    for base in files(name, opsets):
        buf = io.BytesIO()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, x[:1], buf, opset_version=int(base[-2:]), input_names=["input"],
                              output_names=["output"], dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
        path = os.path.join(outdir, base)
        atomic_write(path + ".onnx", buf.getvalue())
        tmp = f"{path}.fvx.{os.getpid()}.tmp"
        fvfx.write(tmp, {"in:input": x.numpy(), "out": fvfx.tensor(y)})
        os.replace(tmp, path + ".fvx")  # last: a .fvx means both files are whole
        sizes.append(f"{len(buf.getvalue()) / 1e6:.0f} MB")
    return (f"{name}: {size[0]}x{size[1]}, opset{'s' * (len(opsets) > 1)} {' and '.join(map(str, opsets))}, "
            f"{' + '.join(sizes)}, exported in {time.time() - start:.1f} s")


def prepare(outdir):
    """Empties outdir of this script's files when another version made them; returns the jobs still to do."""
    os.makedirs(outdir, exist_ok=True)
    stamp, want = os.path.join(outdir, "VERSION"), version()
    have = open(stamp).read().strip() if os.path.exists(stamp) else None
    if have != want:
        for f in os.listdir(outdir):
            if f.endswith((".onnx", ".fvx", ".tmp")):
                os.remove(os.path.join(outdir, f))
        atomic_write(stamp, (want + "\n").encode())
    for f in os.listdir(outdir):  # left by an interrupted run (an hour: not one still writing)
        if f.endswith(".tmp") and time.time() - os.path.getmtime(os.path.join(outdir, f)) > 3600:
            os.remove(os.path.join(outdir, f))
    names = set(os.listdir(outdir))
    return [(name, kwargs, size, [o for o, b in zip(opsets, files(name, opsets)) if b + ".fvx" not in names
                                  or b + ".onnx" not in names])
            for name, kwargs, size, opsets in jobs() if not all(
                {b + ".onnx", b + ".fvx"} <= names for b in files(name, opsets))]


def prune_default_cache(keep):
    """Removes the default cache's directories of other versions unused for a day."""
    if os.environ.get("FOVEA_ONNX_CACHE"):
        return
    parent = os.path.dirname(keep)
    for d in os.listdir(parent):
        path = os.path.join(parent, d)
        if (d.startswith("onnx-torchvision-") and path != keep and os.path.isdir(path)
                and time.time() - os.path.getmtime(os.path.join(path, "VERSION") if
                                                   os.path.exists(os.path.join(path, "VERSION")) else path) > 86400):
            shutil.rmtree(path, ignore_errors=True)


def _run(job):
    return export(_outdir, *job)


def _init(outdir):
    global _outdir
    _outdir = outdir


def make(outdir):
    return 0


def main():
    if sys.argv[1:] == ["--print-dir"]:
        print(cache_dir())
        return
    outdir = sys.argv[1] if len(sys.argv) > 1 else cache_dir()
    todo = prepare(outdir)
    os.utime(os.path.join(outdir, "VERSION"))
    if len(sys.argv) == 1:
        prune_default_cache(outdir)
    start = time.time()
    n = int(os.environ.get("FOVEA_JOBS") or min(os.cpu_count() or 1, 4))
    if n > 1 and len(todo) > 1:
        import multiprocessing
        with multiprocessing.get_context("spawn").Pool(n, _init, (outdir,)) as pool:
            for line in pool.imap_unordered(_run, todo):
                print(line, flush=True)
    else:
        _init(outdir)
        for job in todo:
            print(_run(job), flush=True)
    print(f"{len(todo)} of {len(jobs())} models exported in {time.time() - start:.1f} s into {outdir}")


if __name__ == "__main__":
    main()
