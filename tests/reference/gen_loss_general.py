"""Fixtures for the general classification losses: F.nll_loss and F.cross_entropy (no label smoothing) on
(N, C), (N, C, d1) and (N, C, d1, d2, d3), with and without class weights, an ignore_index found among the
targets, each reduction, int32 and int64 targets; float64 from float32 inputs. Reduction 'none' has a dout
entry; the scalar reductions differentiate the loss itself."""
import os

import numpy as np
import torch
import torch.nn.functional as F

import fvfx

REDUCTIONS = ("mean", "sum", "none")
CODES = {"mean": 0, "sum": 1, "none": 2}


def write(outdir, name, op, x, target, weight, reduction, ignore, int64):
    xd = x.double().requires_grad_()
    wd = weight.double() if weight is not None else None
    ig = -100 if ignore is None else ignore
    if op == "nll_loss":
        y = F.nll_loss(xd, target.long(), weight=wd, ignore_index=ig, reduction=reduction)
    else:
        y = F.cross_entropy(xd, target.long(), weight=wd, ignore_index=ig, reduction=reduction)
    e = {"meta:op": op, "meta:gradcheck": np.array([1], np.int32), "in:input": x.numpy(),
         "in:target": fvfx.I64(target.numpy().astype(np.int64)) if int64 else target.numpy().astype(np.int32)}
    if weight is not None:
        e["in:weight"] = weight.numpy()  # no grad:weight: PyTorch does not differentiate the weights
    e.update({"attr:reduction": np.array([CODES[reduction]], np.int32),
              "attr:ignore_index": np.array([ig], np.int32)})
    if reduction == "none":
        dout = torch.randn(y.shape, dtype=torch.float32)
        y.backward(dout.double())
        e["dout"] = dout.numpy()
    else:
        y.backward()
    e.update({"out": fvfx.tensor(y), "grad:input": fvfx.tensor(xd.grad)})
    # "sce_", not "softmax_cross_entropy_": test_act runs every fixture named "softmax_..."
    prefix = "sce" if op == "softmax_cross_entropy" else op
    fvfx.write(os.path.join(outdir, f"{prefix}_{name}.fvx"), e)


def configs():
    """name, input shape, ignore_index or None, weighted, int64 targets."""
    return [
        ("2d", (5, 4), None, False, False),
        ("2d_w_ign", (6, 3), 1, True, True),
        ("3d", (2, 4, 5), None, True, False),
        ("3d_ign", (3, 3, 4), 2, False, True),
        ("5d_w_ign", (2, 3, 2, 3, 2), 0, True, True),
        ("5d", (1, 4, 2, 2, 3), None, False, False),
        ("neg_ign", (4, 5), -1, True, False),
    ]


def make(outdir):
    count = 0
    for name, shape, ignore, weighted, int64 in configs():
        C = shape[1]
        tshape = (shape[0],) + shape[2:]
        target = torch.randint(0, C, tshape)
        if ignore is not None:  # a few positions carry ignore_index
            flat = target.view(-1)
            flat[torch.arange(0, flat.numel(), 3)] = ignore
        weight = torch.rand(C) + 0.5 if weighted else None
        logits = torch.randn(shape)
        logp = torch.log_softmax(torch.randn(shape), 1)
        for r in REDUCTIONS:
            write(outdir, f"{name}_{r}", "nll_loss", logp, target, weight, r, ignore, int64)
            write(outdir, f"{name}_{r}", "softmax_cross_entropy", logits, target, weight, r, ignore, int64)
            count += 2
    return count
