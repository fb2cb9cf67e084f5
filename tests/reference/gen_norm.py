"""Fixtures for batch norm, dropout and local response normalization, from torch.nn.functional in float64.

Dropout's masks come from fovea's own generator (fvrng.dropout_keep) with the opcheck harness's context
seed 1 and stream 0, the first stream a fresh context hands out."""
import os

import numpy as np
import torch

import fvfx
import fvrng

F = torch.nn.functional
SEED, STREAM = 1, 0


def leaf(t):
    return t.double().requires_grad_()


def batch_norm(outdir, name, shape, mode="train", affine=True, eps=1e-5, momentum=0.1, tol=None, gradcheck=None):
    c = shape[1]
    x = torch.randn(shape) * 1.5 + 0.7
    gamma, beta = torch.rand(c) + 0.5, torch.randn(c)
    rm, rv = torch.randn(c) * 0.5, torch.rand(c) + 0.5
    xd, gd, bd = leaf(x), leaf(gamma) if affine else None, leaf(beta) if affine else None
    rmd, rvd = rm.double(), rv.double()  # updated in place in train mode
    y = F.batch_norm(xd, rmd, rvd, gd, bd, training=mode == "train", momentum=momentum, eps=eps)
    dout = torch.randn(y.shape)
    y.backward(dout.double())
    e = {"meta:op": "batch_norm", "meta:mode": mode, "attr:eps": np.float32([eps]),
         "attr:momentum": np.float32([momentum])}
    if tol is not None:
        e["meta:tol"] = np.float32([tol])
    if gradcheck is not None:
        e["meta:gradcheck"] = np.int32([gradcheck])
    e["in:x"] = x.numpy()
    if affine:
        e.update({"param:gamma": gamma.numpy(), "param:beta": beta.numpy()})
    e.update({"buffer:running_mean": rm.numpy(), "buffer:running_var": rv.numpy()})
    e.update({"out": fvfx.tensor(y), "dout": dout.numpy(), "grad:x": fvfx.tensor(xd.grad)})
    if affine:
        e.update({"grad:gamma": fvfx.tensor(gd.grad), "grad:beta": fvfx.tensor(bd.grad)})
    e.update({"after:running_mean": fvfx.tensor(rmd), "after:running_var": fvfx.tensor(rvd)})
    fvfx.write(os.path.join(outdir, f"batch_norm_{name}.fvx"), e)


def dropout(outdir, name, shape, p, mode="train"):
    p = float(np.float32(p))  # the float fovea's builder receives
    x = torch.randn(shape)
    xd = leaf(x)
    if mode == "train":
        keep = torch.from_numpy(fvrng.dropout_keep(SEED, STREAM, 0, x.numel(), p).reshape(shape))
        y = xd * keep.double() / (1.0 - p)
    else:
        y = F.dropout(xd, p, training=False)
    dout = torch.randn(y.shape)
    y.backward(dout.double())
    e = {"meta:op": "dropout", "meta:mode": mode, "attr:p": np.float32([p])}
    if mode == "train":
        e["meta:gradcheck"] = np.int32([0])  # every forward draws a new mask: tested in test_norm.c instead
    e.update({"in:x": x.numpy(), "out": fvfx.tensor(y), "dout": dout.numpy(), "grad:x": fvfx.tensor(xd.grad)})
    fvfx.write(os.path.join(outdir, f"dropout_{name}.fvx"), e)


def lrn(outdir, name, shape, size, alpha, beta, k, scale):
    x = torch.randn(shape) * scale
    xd = leaf(x)
    y = F.local_response_norm(xd, size, alpha=alpha, beta=beta, k=k)
    dout = torch.randn(y.shape)
    y.backward(dout.double())
    e = {"meta:op": "lrn", "attr:size": np.int32([size]), "attr:alpha": np.float32([alpha]),
         "attr:beta": np.float32([beta]), "attr:k": np.float32([k]),
         "in:x": x.numpy(), "out": fvfx.tensor(y), "dout": dout.numpy(), "grad:x": fvfx.tensor(xd.grad)}
    fvfx.write(os.path.join(outdir, f"lrn_{name}.fvx"), e)


def make(outdir):
    batch_norm(outdir, "train4d", (4, 3, 5, 7))
    # Eval mode: the opcheck finite-difference check would also probe the running statistics, which get no
    # gradient (they are buffers); test_norm.c checks x, gamma and beta by finite differences instead.
    batch_norm(outdir, "eval4d", (2, 3, 5, 7), mode="eval", gradcheck=0)
    batch_norm(outdir, "train2d", (6, 5))
    batch_norm(outdir, "noaffine", (3, 4, 3, 3), affine=False)
    batch_norm(outdir, "mom_eps", (2, 3, 4, 5), eps=1e-3, momentum=0.3)
    batch_norm(outdir, "odd", (3, 1, 1, 7))
    batch_norm(outdir, "big", (2, 1, 71, 71), tol=1e-4)  # 10082 values per channel
    dropout(outdir, "p50", (2, 3, 4, 5), 0.5)
    dropout(outdir, "p20", (3, 17), 0.2)
    dropout(outdir, "eval", (2, 3, 5), 0.5, mode="eval")
    lrn(outdir, "alexnet", (2, 7, 3, 3), 5, 1e-4, 0.75, 2.0, 50.0)  # window term ~0.25 against k = 2
    lrn(outdir, "size3", (2, 6, 4, 3), 3, 0.5, 0.75, 1.0, 1.0)
    lrn(outdir, "size4_even", (1, 9, 3, 5), 4, 0.5, 0.6, 1.0, 1.5)
    lrn(outdir, "size1_3d", (3, 4, 7), 1, 0.8, 1.2, 0.5, 1.0)
    lrn(outdir, "wide_window", (2, 3, 2, 2), 7, 2.0, 0.5, 1.0, 1.0)
    return 15
