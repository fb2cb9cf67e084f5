"""Fixtures for adaptive average pooling (torch.nn.functional.adaptive_avg_pool2d in float64): output sizes
that divide the input, that do not (overlapping windows), larger than the input (repeated cells), the 6x6 and
7x7 of torchvision's AlexNet and VGG, and 1x1 (global pooling).

Attribute: attr:size (out_h, out_w)."""
import os

import numpy as np
import torch
import torch.nn.functional as F

import fvfx


def case(outdir, name, shape, size):
    x = torch.randn(shape)
    xd = x.double().requires_grad_()
    y = F.adaptive_avg_pool2d(xd, size)
    assert tuple(y.shape[2:]) == tuple(size), (name, y.shape)
    dout = torch.randn(y.shape, dtype=torch.float32)
    y.backward(dout.double())
    fvfx.write(os.path.join(outdir, f"adaptive_avg_pool2d_{name}.fvx"),
               {"meta:op": "adaptive_avg_pool2d", "in:x": x.numpy(),
                "attr:size": np.asarray(size, dtype=np.int32),
                "out": fvfx.tensor(y), "dout": dout.numpy(), "grad:x": fvfx.tensor(xd.grad)})


def make(outdir):
    cases = [("divides", (2, 3, 8, 6), (4, 3)),
             ("overlap", (2, 2, 7, 5), (3, 2)),       # windows [0,3) [2,5) [4,7) share rows
             ("upsample", (1, 3, 3, 2), (5, 4)),      # more cells than input: each input cell repeats
             ("alexnet_13_to_6", (1, 4, 13, 13), (6, 6)),
             ("vgg_9_to_7", (2, 2, 9, 11), (7, 7)),
             ("identity", (1, 2, 7, 7), (7, 7)),
             ("to1", (3, 5, 4, 6), (1, 1)),
             ("rect", (2, 3, 10, 3), (4, 7))]
    for name, shape, size in cases:
        case(outdir, name, shape, size)
    return len(cases)
