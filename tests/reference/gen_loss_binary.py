"""Fixtures for the binary-decision and mask losses: F.binary_cross_entropy_with_logits with pos_weight (and
without), torchvision.ops.sigmoid_focal_loss (alpha, gamma), F.kl_div (probabilities with a zero, and
log-targets; batchmean too), each reduction; and the soft Dice loss written out
in PyTorch (per class over the batch, smoothing) on softmax probabilities, with one-hot, soft and class-index
targets. float64 from float32 inputs; reduction 'none' has a dout entry, the scalar ones differentiate the loss."""
import os

import numpy as np
import torch
import torch.nn.functional as F
from torchvision.ops import sigmoid_focal_loss

import fvfx

CODES = {"mean": 0, "sum": 1, "none": 2}


def finish(outdir, name, e, y, leaves, reduction_none):
    if reduction_none:
        dout = torch.randn(y.shape, dtype=torch.float32)
        y.backward(dout.double())
        e["dout"] = dout.numpy()
    else:
        y.backward()
    e["out"] = fvfx.tensor(y)
    for n, d in leaves:
        e[f"grad:{n}"] = fvfx.tensor(d.grad)
    fvfx.write(os.path.join(outdir, name), e)


def bce(outdir, name, x, t, w, r):
    xd, td = x.double().requires_grad_(), t.double().requires_grad_()
    y = F.binary_cross_entropy_with_logits(xd, td, pos_weight=w.double() if w is not None else None, reduction=r)
    e = {"meta:op": "bce_weighted", "in:logits": x.numpy(), "in:targets": t.numpy(),
         "attr:reduction": np.array([CODES[r]], np.int32)}
    if w is not None:
        e["in:pos_weight"] = w.numpy()  # no grad:pos_weight: a constant of the loss here
    finish(outdir, f"bce_weighted_{name}_{r}.fvx", e, y, [("logits", xd), ("targets", td)], r == "none")


def focal(outdir, name, x, t, alpha, gamma, r):
    xd = x.double().requires_grad_()
    y = sigmoid_focal_loss(xd, t.double(), alpha=alpha, gamma=gamma, reduction=r)
    e = {"meta:op": "sigmoid_focal_loss", "in:logits": x.numpy(), "in:targets": t.numpy(),
         "attr:alpha": np.array([alpha], np.float32), "attr:gamma": np.array([gamma], np.float32),
         "attr:reduction": np.array([CODES[r]], np.int32)}
    finish(outdir, f"sigmoid_focal_loss_{name}_{r}.fvx", e, y, [("logits", xd)], r == "none")


def dice_ref(p, t, smooth):
    dims = [0] + list(range(2, p.dim()))
    inter, ps, ts = (p * t).sum(dims), p.sum(dims), t.sum(dims)
    return 1 - ((2 * inter + smooth) / (ps + ts + smooth)).mean()


def dice(outdir, name, logits, target, smooth, labels=None):
    """probabilities = softmax(logits, 1) computed here; the op sees the probabilities"""
    p = torch.softmax(logits.double(), 1).float()
    pd = p.double().requires_grad_()
    y = dice_ref(pd, target.double(), smooth)
    e = {"meta:op": "dice_loss", "in:probs": p.numpy(), "attr:smooth": np.array([smooth], np.float32)}
    e["in:targets"] = labels if labels is not None else target.numpy()
    finish(outdir, f"dice_loss_{name}.fvx", e, y, [("probs", pd)], False)


def make(outdir):
    count = 0
    x, t = torch.randn(5, 4) * 2, torch.rand(5, 4).round()
    x[0, 0], x[1, 1] = 30.0, -30.0  # saturated logits
    # soft targets on a map, small: a float32 sum over many elements hides the finite differences' steps
    ts = torch.rand(1, 3, 2, 4)
    xs = torch.randn(1, 3, 2, 4)
    for r in ("mean", "sum", "none"):
        bce(outdir, "plain", x, t, None, r)
        bce(outdir, "pos_weight", x, t, torch.tensor([0.5, 1.0, 3.0, 10.0]), r)
        bce(outdir, "map_soft", xs, ts, torch.rand(4) * 3, r)
        focal(outdir, "default", x, t, 0.25, 2.0, r)
        focal(outdir, "no_alpha_g1", x, t, -1.0, 1.0, r)
        focal(outdir, "map_g05", xs, ts.round(), 0.75, 0.5, r)
        focal(outdir, "g0", x, t, 0.5, 0.0, r)
        count += 7
    lg = torch.randn(2, 3, 4, 5)
    lab = torch.randint(0, 3, (2, 4, 5))
    onehot = F.one_hot(lab, 3).permute(0, 3, 1, 2).float()
    dice(outdir, "onehot", lg, onehot, 1.0)
    dice(outdir, "soft_s0", lg, torch.softmax(torch.randn(2, 3, 4, 5), 1), 0.0)
    dice(outdir, "labels_i32", lg, onehot, 1e-5, labels=lab.numpy().astype(np.int32))
    dice(outdir, "labels_i64", lg, onehot, 2.0, labels=fvfx.I64(lab.numpy().astype(np.int64)))
    l1 = torch.randn(3, 4, 6)  # (N, C, L): a 1-D map
    lab1 = torch.randint(0, 4, (3, 6))
    dice(outdir, "1d_map", l1, F.one_hot(lab1, 4).permute(0, 2, 1).float(), 0.5)
    return count + 5 + make_kl(outdir)


def kl(outdir, name, x, t, r, log_target):
    xd = x.double().requires_grad_()
    y = F.kl_div(xd, t.double(), reduction=r, log_target=log_target)
    e = {"meta:op": "kl_div", "in:input": x.numpy(), "in:target": t.numpy(),
         "attr:reduction": np.array([{"mean": 0, "sum": 1, "none": 2, "batchmean": 3}[r]], np.int32),
         "attr:log_target": np.array([int(log_target)], np.int32)}
    finish(outdir, f"kl_div_{name}_{r}.fvx", e, y, [("input", xd)], r == "none")


def make_kl(outdir):
    x = torch.log_softmax(torch.randn(4, 5), 1)
    t = torch.softmax(torch.randn(4, 5), 1)
    t[1, 2] = 0.0  # a zero target: xlogy(0, 0) = 0
    xm = torch.log_softmax(torch.randn(2, 3, 2, 2), 1)
    tm = torch.log_softmax(torch.randn(2, 3, 2, 2), 1)
    count = 0
    for r in ("mean", "batchmean", "sum", "none"):
        kl(outdir, "probs", x, t, r, False)
        kl(outdir, "log_target_map", xm, tm, r, True)
        count += 2
    return count
