"""Fixtures for the metric-learning losses: contrastive (written out in PyTorch, Hadsell et al.'s form with
target 1 for a same pair), F.triplet_margin_loss (p 1, 2 and 3, eps, swap) and F.cosine_embedding_loss
(targets +1 and -1, margins), each reduction; float64 from float32 inputs. Reduction 'none' has a dout entry;
the scalar reductions differentiate the loss itself."""
import os

import numpy as np
import torch
import torch.nn.functional as F

import fvfx

CODES = {"mean": 0, "sum": 1, "none": 2}


def contrastive(a, b, t, margin, reduction):
    d = (a - b).pow(2).sum(1).sqrt()
    l = 0.5 * t * d.pow(2) + 0.5 * (1 - t) * (margin - d).clamp(min=0).pow(2)
    return l.mean() if reduction == "mean" else l.sum() if reduction == "sum" else l


def write(outdir, name, op, xs, target, attrs, fn, reduction):
    ds = [x.double().requires_grad_() for x in xs]
    y = fn(*ds, target.double()) if target is not None else fn(*ds)
    e = {"meta:op": op, "meta:gradcheck": np.array([1], np.int32)}
    names = ("anchor", "positive", "negative") if op == "triplet_margin_loss" else ("a", "b")
    for n, x in zip(names, xs):
        e[f"in:{n}"] = x.numpy()
    if target is not None:
        e["in:target"] = target.numpy()  # no grad:target entry: the targets are data
    e.update(attrs)
    e["attr:reduction"] = np.array([CODES[reduction]], np.int32)
    if reduction == "none":
        dout = torch.randn(y.shape, dtype=torch.float32)
        y.backward(dout.double())
        e["dout"] = dout.numpy()
    else:
        y.backward()
    e["out"] = fvfx.tensor(y)
    for n, d in zip(names, ds):
        e[f"grad:{n}"] = fvfx.tensor(d.grad)
    fvfx.write(os.path.join(outdir, f"{op}_{name}.fvx"), e)


def make(outdir):
    count = 0
    for r in ("mean", "sum", "none"):
        # pairs near and far from the margin, both targets
        a, b = torch.randn(6, 5), torch.randn(6, 5)
        b[1] = a[1] + 0.05 * torch.randn(5)  # a close different pair: inside the margin
        t = torch.tensor([1, 0, 1, 0, 0, 1], dtype=torch.float32)
        for m in (1.0, 4.0):
            write(outdir, f"m{m:g}_{r}", "contrastive_loss", (a, b), t, {"attr:margin": np.array([m], np.float32)},
                  lambda x, z, y, m=m, r=r: contrastive(x, z, y, m, r), r)
            count += 1
        an, po, ne = torch.randn(5, 4), torch.randn(5, 4), torch.randn(5, 4)
        ne[2] = po[2] + 0.1 * torch.randn(4)  # the negative nearer the positive: swap matters
        for p, eps, swap, m in ((2.0, 1e-6, False, 1.0), (1.0, 1e-6, True, 0.5), (3.0, 0.01, True, 2.0)):
            attrs = {"attr:margin": np.array([m], np.float32), "attr:p": np.array([p], np.float32),
                     "attr:eps": np.array([eps], np.float32), "attr:swap": np.array([int(swap)], np.int32)}
            write(outdir, f"p{p:g}_{'swap' if swap else 'plain'}_{r}", "triplet_margin_loss", (an, po, ne), None,
                  attrs, lambda x, y, z, p=p, eps=eps, swap=swap, m=m, r=r: F.triplet_margin_loss(
                      x, y, z, margin=m, p=p, eps=eps, swap=swap, reduction=r), r)
            count += 1
        x1, x2 = torch.randn(7, 6), torch.randn(7, 6)
        x2[3] = x1[3] * 1.5 + 0.1 * torch.randn(6)  # a near-parallel dissimilar pair: above the margin
        y = torch.tensor([1, -1, 1, -1, -1, 1, -1], dtype=torch.float32)
        for m in (0.0, 0.3, -0.5):
            write(outdir, f"m{m:g}_{r}", "cosine_embedding_loss", (x1, x2), y,
                  {"attr:margin": np.array([m], np.float32)},
                  lambda u, v, t, m=m, r=r: F.cosine_embedding_loss(u, v, t, margin=m, reduction=r), r)
            count += 1
    return count
