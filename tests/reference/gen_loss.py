"""Fixtures for the losses: F.cross_entropy (class weights, label smoothing, spatial), BCE with logits,
MSE, L1 and smooth L1, all with reduction 'mean', computed in float64 from float32 inputs. The outputs are
scalars, so there is no dout entry: opcheck differentiates the loss itself (seed 1)."""
import os

import numpy as np
import torch
import torch.nn.functional as F

import fvfx


def grad_of(t):
    return fvfx.tensor(t.grad)


def cross_entropy(outdir, name, logits, labels, weights=None, eps=0.0):
    zd = logits.double().requires_grad_()
    wd = weights.double() if weights is not None else None
    loss = F.cross_entropy(zd, labels.long(), weight=wd, label_smoothing=eps)
    loss.backward()
    e = {"meta:op": "cross_entropy", "in:logits": logits.numpy(), "in:labels": labels.numpy().astype(np.int32)}
    if weights is not None:
        e["in:weights"] = weights.numpy()  # no grad:weights entry: PyTorch does not differentiate the weights
    e.update({"attr:label_smoothing": np.array([eps], np.float32), "out": fvfx.tensor(loss),
              "grad:logits": grad_of(zd)})
    fvfx.write(os.path.join(outdir, f"cross_entropy_{name}.fvx"), e)


def make_cross_entropy(outdir):
    z = torch.randn(5, 7)
    y = torch.tensor([3, 0, 6, 3, 1], dtype=torch.int32)
    w = torch.rand(7) * 1.8 + 0.2
    cross_entropy(outdir, "plain", z, y)
    cross_entropy(outdir, "weights", z, y, weights=w)
    cross_entropy(outdir, "smoothing", z, y, eps=0.1)
    cross_entropy(outdir, "weights_smoothing", z, y, weights=w, eps=0.1)
    zs = torch.randn(2, 4, 3, 5)
    ys = torch.randint(0, 4, (2, 3, 5), dtype=torch.int32)
    cross_entropy(outdir, "spatial", zs, ys)
    # Fewer positions here: the mean over many dilutes each gradient below what float32 finite differences
    # of the loss resolve.
    zs2, ys2 = torch.randn(2, 4, 2, 3), torch.randint(0, 4, (2, 2, 3), dtype=torch.int32)
    cross_entropy(outdir, "spatial_weights_smoothing", zs2, ys2, weights=torch.rand(4) + 0.5, eps=0.25)
    big = torch.randn(3, 17) * 50
    big[0, 2], big[1, 5], big[2, 9] = 50.0, -50.0, 49.0
    cross_entropy(outdir, "large", big, torch.tensor([2, 5, 16], dtype=torch.int32))
    cross_entropy(outdir, "single", torch.randn(1, 3), torch.tensor([2], dtype=torch.int32), eps=0.05)
    return 8


def pairwise(outdir, prefix, name, fn, a, b, aname, bname, attrs=None):
    ad, bd = a.double().requires_grad_(), b.double().requires_grad_()
    loss = fn(ad, bd)
    loss.backward()
    e = {"meta:op": prefix, f"in:{aname}": a.numpy(), f"in:{bname}": b.numpy()}
    e.update(attrs or {})
    e.update({"out": fvfx.tensor(loss), f"grad:{aname}": grad_of(ad), f"grad:{bname}": grad_of(bd)})
    fvfx.write(os.path.join(outdir, f"{prefix}_{name}.fvx"), e)


def make_bce(outdir):
    def bce(x, t):
        return F.binary_cross_entropy_with_logits(x, t)

    pairwise(outdir, "bce_with_logits", "soft", bce, torch.randn(4, 3) * 3, torch.rand(4, 3), "logits", "targets")
    x = torch.tensor([[-30.0, 25.0, 0.0, 4.0], [60.0, -60.0, -2.5, 0.5]])
    t = torch.tensor([[0.0, 1.0, 1.0, 0.0], [1.0, 0.0, 1.0, 1.0]])
    pairwise(outdir, "bce_with_logits", "extreme", bce, x, t, "logits", "targets")
    pairwise(outdir, "bce_with_logits", "spatial", bce, torch.randn(2, 3, 4, 5), torch.rand(2, 3, 4, 5).round(),
             "logits", "targets")
    pairwise(outdir, "bce_with_logits", "single", bce, torch.randn(1), torch.rand(1), "logits", "targets")
    return 4


def regression(outdir, prefix, name, fn, pred, target, attrs=None):
    pairwise(outdir, prefix, name, fn, pred, target, "pred", "target", attrs)


def make_regression(outdir):
    p, t = torch.randn(3, 7), torch.randn(3, 7)
    t[0, :3] = p[0, :3]  # d = 0: PyTorch's subgradient of |d| there is 0
    count = 0
    for prefix, fn in (("mse_loss", F.mse_loss), ("l1_loss", F.l1_loss)):
        regression(outdir, prefix, "basic", fn, p, t)
        regression(outdir, prefix, "spatial", fn, torch.randn(2, 3, 4, 5), torch.randn(2, 3, 4, 5))
        regression(outdir, prefix, "single", fn, torch.randn(1), torch.randn(1))
        count += 3

    def smooth(beta):
        return lambda a, b: F.smooth_l1_loss(a, b, beta=beta)

    def attrs(beta):
        return {"attr:beta": np.array([beta], np.float32)}

    regression(outdir, "smooth_l1_loss", "beta1", smooth(1.0), torch.randn(4, 5) * 2, torch.randn(4, 5), attrs(1.0))
    regression(outdir, "smooth_l1_loss", "beta05", smooth(0.5), torch.randn(2, 3, 3, 3), torch.randn(2, 3, 3, 3),
               attrs(0.5))
    # Differences on both sides of beta = 0.7, and exactly 0.
    d = torch.tensor([-1.4, -0.75, -0.65, -0.3, 0.0, 0.2, 0.6, 0.69, 0.72, 0.8, 1.1, 3.0])
    base = torch.randn(12)
    regression(outdir, "smooth_l1_loss", "straddle", smooth(0.7), base + d, base, attrs(0.7))
    # Beta 0 is L1. Not at d = 0: there PyTorch's smooth_l1_backward returns -1 for both pred and target
    # (its d <= -beta test comes first), where fovea keeps L1's subgradient 0.
    regression(outdir, "smooth_l1_loss", "beta0", smooth(0.0), p[1:], t[1:], attrs(0.0))
    return count + 4


def make(outdir):
    return make_cross_entropy(outdir) + make_bce(outdir) + make_regression(outdir)
