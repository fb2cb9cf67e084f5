"""Fixtures for graph-level behaviour: a Siamese pair sharing one convolution (gradients of both uses add up)
with the gradient of an inner feature map requested, and a Grad-CAM-style backward in eval mode with every
parameter frozen and a one-hot seed on the logits."""
import os

import torch
import torch.nn.functional as F

import fvfx


def siamese(outdir):
    x1, x2 = torch.randn(2, 3, 9, 8), torch.randn(2, 3, 9, 8)
    w, b = torch.randn(4, 3, 3, 3) * 0.3, torch.randn(4) * 0.1
    wd, bd = torch.randn(5, 4) * 0.5, torch.randn(5) * 0.1
    dx1, dx2, dw, db, dwd, dbd = (t.double().requires_grad_() for t in (x1, x2, w, b, wd, bd))
    f1 = F.relu(F.conv2d(dx1, dw, db, stride=2, padding=1))
    f1.retain_grad()
    f2 = F.relu(F.conv2d(dx2, dw, db, stride=2, padding=1))
    e = f1 * f2 + f1
    out = F.linear(e.mean(dim=(2, 3)), dwd, dbd)
    dout = torch.randn(out.shape)
    out.backward(dout.double())
    fvfx.write(os.path.join(outdir, "graph_siamese.fvx"), {
        "x1": x1.numpy(), "x2": x2.numpy(), "w": w.numpy(), "b": b.numpy(), "wd": wd.numpy(), "bd": bd.numpy(),
        "out": fvfx.tensor(out), "dout": dout.numpy(), "grad:w": fvfx.tensor(dw.grad), "grad:b": fvfx.tensor(db.grad),
        "grad:wd": fvfx.tensor(dwd.grad), "grad:f1": fvfx.tensor(f1.grad), "grad:x1": fvfx.tensor(dx1.grad)})


def gradcam(outdir):
    x = torch.randn(1, 2, 11, 11)
    w1, w2 = torch.randn(6, 2, 3, 3) * 0.4, torch.randn(8, 6, 3, 3) * 0.2
    gamma, beta = torch.rand(6) + 0.5, torch.randn(6) * 0.1
    rm, rv = torch.randn(6) * 0.2, torch.rand(6) + 0.5
    wd, bd = torch.randn(4, 8) * 0.5, torch.randn(4) * 0.1
    dx = x.double()
    h = F.relu(F.batch_norm(F.conv2d(dx, w1.double(), padding=1), rm.double(), rv.double(), gamma.double(),
                            beta.double(), training=False))
    a = F.conv2d(h, w2.double(), padding=1).detach().requires_grad_()  # every weight frozen: only A's gradient
    logits = F.linear(F.relu(a).mean(dim=(2, 3)), wd.double(), bd.double())
    cls = int(logits.argmax())
    seed = torch.zeros_like(logits)
    seed[0, cls] = 1
    logits.backward(seed)
    fvfx.write(os.path.join(outdir, "graph_gradcam.fvx"), {
        "x": x.numpy(), "w1": w1.numpy(), "w2": w2.numpy(), "gamma": gamma.numpy(), "beta": beta.numpy(),
        "rm": rm.numpy(), "rv": rv.numpy(), "wd": wd.numpy(), "bd": bd.numpy(), "logits": fvfx.tensor(logits),
        "seed": seed.float().numpy(), "grad:a": fvfx.tensor(a.grad), "class": [cls]})


def make(outdir):
    siamese(outdir)
    gradcam(outdir)
    return 2
