"""Fixtures for add and mul with broadcasting, concat, reshape and flatten: PyTorch in float64 from float32
inputs. Broadcasting gradients are PyTorch's (summed over the broadcast dimensions)."""
import os

import numpy as np
import torch

import fvfx


def write(outdir, name, op, xs, fn, attrs=None):
    """xs: ordered dict of input name -> float32 tensor; fn maps the float64 inputs to the output."""
    xd = {k: v.double().requires_grad_() for k, v in xs.items()}
    y = fn(*xd.values())
    dout = torch.randn(y.shape, dtype=torch.float32)
    y.backward(dout.double())
    e = {"meta:op": op}
    e.update(attrs or {})
    e.update({f"in:{k}": v.numpy() for k, v in xs.items()})
    e.update({"out": fvfx.tensor(y), "dout": dout.numpy()})
    e.update({f"grad:{k}": fvfx.tensor(v.grad) for k, v in xd.items()})
    fvfx.write(os.path.join(outdir, f"{name}.fvx"), e)


def arithmetic(outdir):
    configs = [  # name, shape of a, shape of b
        ("same", (3, 7), (3, 7)),
        ("se", (2, 3, 4, 5), (2, 3, 1, 1)),      # squeeze-and-excitation channel scaling
        ("lastdim", (2, 3, 4, 5), (5,)),         # a bias along the last axis, lower rank
        ("outer", (1, 3, 1, 5), (2, 1, 4, 1)),   # both inputs broadcast
        ("scalar", (2, 3, 4, 5), (1,)),
        ("scalar_first", (1,), (3, 7)),
        ("rank5", (2, 1, 3, 1, 2), (5, 3, 2, 1)),
    ]
    for name, sa, sb in configs:
        xs = {"a": torch.randn(sa), "b": torch.randn(sb)}
        write(outdir, f"add_{name}", "add", xs, lambda a, b: a + b)
        write(outdir, f"mul_{name}", "mul", xs, lambda a, b: a * b)
    return 2 * len(configs)


def concats(outdir):
    configs = [  # name, input shapes, axis
        ("channels", [(2, 3, 4, 5), (2, 1, 4, 5), (2, 7, 4, 5)], 1),
        ("batch", [(1, 3, 2), (3, 3, 2)], 0),
        ("last", [(2, 3, 4), (2, 3, 1)], -1),
        ("neg_channels", [(2, 2, 3, 3), (2, 5, 3, 3)], -3),
        ("single", [(2, 5)], 1),
    ]
    for name, shapes, axis in configs:
        xs = {f"x{i}": torch.randn(s) for i, s in enumerate(shapes)}
        attrs = {"attr:axis": np.array([axis], np.int32)}
        write(outdir, f"concat_{name}", "concat", xs, lambda *t, axis=axis: torch.cat(t, axis), attrs)
    return len(configs)


def onnx_shape(inshape, shape):
    """ONNX Reshape's target: 0 copies the input's dimension, -1 is inferred by torch."""
    return [inshape[i] if d == 0 else d for i, d in enumerate(shape)]


def reshapes(outdir):
    configs = [  # name, input shape, requested shape
        ("zero_infer", (2, 3, 4, 5), [0, -1, 5]),
        ("plain", (6, 7), [3, 14]),
        ("infer_first", (2, 3, 4), [-1, 4]),
        ("to5d", (2, 12), [0, 3, 1, 2, 2]),
        ("zeros", (3, 1, 17), [0, 0, 0]),
    ]
    for name, inshape, shape in configs:
        attrs = {"attr:shape": np.array(shape, np.int32)}
        target = onnx_shape(inshape, shape)
        write(outdir, f"reshape_{name}", "reshape", {"x": torch.randn(inshape)}, lambda x: x.reshape(target), attrs)
    for name, inshape in [("4d", (2, 3, 4, 5)), ("3d", (3, 7, 1)), ("2d", (1, 17))]:
        write(outdir, f"flatten_{name}", "flatten", {"x": torch.randn(inshape)}, lambda x: torch.flatten(x, 1))
    return len(configs) + 3


def make(outdir):
    return arithmetic(outdir) + concats(outdir) + reshapes(outdir)
