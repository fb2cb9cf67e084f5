"""Fixtures for the dense op: torch.nn.functional.linear in float64."""
import os

import torch

import fvfx


def case(outdir, name, n, c, oc, bias=True):
    x = torch.randn(n, c, dtype=torch.float32)
    w = torch.randn(oc, c, dtype=torch.float32) / c ** 0.5
    b = torch.randn(oc, dtype=torch.float32) if bias else None
    xd, wd = x.double().requires_grad_(), w.double().requires_grad_()
    bd = b.double().requires_grad_() if bias else None
    y = torch.nn.functional.linear(xd, wd, bd)
    dout = torch.randn(y.shape, dtype=torch.float32)
    y.backward(dout.double())
    e = {"meta:op": "dense", "in:x": x.numpy(), "in:w": w.numpy()}
    if bias:
        e["in:b"] = b.numpy()
    e.update({"out": fvfx.tensor(y), "dout": dout.numpy(), "grad:x": fvfx.tensor(xd.grad), "grad:w": fvfx.tensor(wd.grad)})
    if bias:
        e["grad:b"] = fvfx.tensor(bd.grad)
    fvfx.write(os.path.join(outdir, f"dense_{name}.fvx"), e)


def make(outdir):
    case(outdir, "basic", 4, 7, 5)
    case(outdir, "nobias", 3, 17, 1, bias=False)
    case(outdir, "single", 1, 1, 3)
    case(outdir, "wide", 2, 33, 9)
    return 4
