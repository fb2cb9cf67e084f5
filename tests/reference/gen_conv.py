"""Fixtures for conv2d and conv_transpose2d: torch.nn.functional.conv2d / conv_transpose2d in float64.

Asymmetric padding is F.pad followed by an unpadded conv; 'same' computes TensorFlow's padding here and
does the same. A transposed conv's asymmetric padding is cropped from the unpadded full output.
Attributes are stored as attr:stride (h, w), attr:pad (top, left, bottom, right), attr:dilation (h, w),
attr:groups, attr:pad_mode (0 explicit, 1 same, 2 valid) and attr:output_padding (h, w)."""
import os

import numpy as np
import torch
import torch.nn.functional as F

import fvfx

PAD_EXPLICIT, PAD_SAME, PAD_VALID = 0, 1, 2


def same_pad(size, k, stride, dil):
    """TensorFlow's 'same': out = ceil(in / stride), the odd padding at the end."""
    out = -(-size // stride)
    total = max((out - 1) * stride + dil * (k - 1) + 1 - size, 0)
    return total // 2, total - total // 2


def inputs(xshape, wshape, nb, seed_scale):
    x = torch.randn(xshape, dtype=torch.float32)
    w = torch.randn(wshape, dtype=torch.float32) / seed_scale ** 0.5
    b = torch.randn(nb, dtype=torch.float32) if nb else None
    return x, w, b


def finish(outdir, fname, op, x, w, b, xd, wd, bd, y, attrs):
    dout = torch.randn(y.shape, dtype=torch.float32)
    y.backward(dout.double())
    e = {"meta:op": op, "in:x": x.numpy(), "in:w": w.numpy()}
    if b is not None:
        e["in:b"] = b.numpy()
    for k, v in attrs.items():
        e["attr:" + k] = np.array(v, dtype=np.int32)
    e.update({"out": fvfx.tensor(y), "dout": dout.numpy(), "grad:x": fvfx.tensor(xd.grad),
              "grad:w": fvfx.tensor(wd.grad)})
    if b is not None:
        e["grad:b"] = fvfx.tensor(bd.grad)
    fvfx.write(os.path.join(outdir, fname), e)


def leaves(x, w, b):
    xd, wd = x.double().requires_grad_(), w.double().requires_grad_()
    bd = b.double().requires_grad_() if b is not None else None
    return xd, wd, bd


def conv(outdir, name, n, c, h, wid, oc, k, stride=(1, 1), pad=(0, 0, 0, 0), dil=(1, 1), groups=1, bias=True,
         mode=PAD_EXPLICIT):
    x, w, b = inputs((n, c, h, wid), (oc, c // groups, k[0], k[1]), oc if bias else 0, c // groups * k[0] * k[1])
    xd, wd, bd = leaves(x, w, b)
    if mode == PAD_SAME:
        t, bt = same_pad(h, k[0], stride[0], dil[0])
        l, r = same_pad(wid, k[1], stride[1], dil[1])
        p = (t, l, bt, r)
    elif mode == PAD_VALID:
        p = (0, 0, 0, 0)
    else:
        p = pad
    xp = F.pad(xd, (p[1], p[3], p[0], p[2]))
    y = F.conv2d(xp, wd, bd, stride=stride, dilation=dil, groups=groups)
    attrs = {"stride": stride, "pad": pad, "dilation": dil, "groups": [groups], "pad_mode": [mode]}
    finish(outdir, f"conv2d_{name}.fvx", "conv2d", x, w, b, xd, wd, bd, y, attrs)


def conv_t(outdir, name, n, c, h, wid, oc, k, stride=(1, 1), pad=(0, 0, 0, 0), outpad=(0, 0), dil=(1, 1),
           groups=1, bias=True):
    x, w, b = inputs((n, c, h, wid), (c, oc // groups, k[0], k[1]), oc if bias else 0, c // groups * k[0] * k[1])
    xd, wd, bd = leaves(x, w, b)
    if pad[0] == pad[2] and pad[1] == pad[3]:  # PyTorch's own padding
        y = F.conv_transpose2d(xd, wd, bd, stride=stride, padding=(pad[0], pad[1]), output_padding=outpad,
                               groups=groups, dilation=dil)
    else:  # pad removed from the full output (with output_padding at its end)
        full = F.conv_transpose2d(xd, wd, bd, stride=stride, output_padding=outpad, groups=groups, dilation=dil)
        y = full[:, :, pad[0]:full.shape[2] - pad[2], pad[1]:full.shape[3] - pad[3]]
    attrs = {"stride": stride, "pad": pad, "dilation": dil, "groups": [groups], "output_padding": outpad}
    finish(outdir, f"conv_transpose2d_{name}.fvx", "conv_transpose2d", x, w, b, xd, wd, bd, y, attrs)


def make(outdir):
    conv(outdir, "basic", 2, 3, 5, 6, 4, (3, 3), pad=(1, 1, 1, 1))
    conv(outdir, "stride2_odd", 2, 2, 7, 9, 3, (3, 3), stride=(2, 2), pad=(1, 1, 1, 1))
    conv(outdir, "asym_pad", 1, 2, 6, 5, 3, (3, 3), pad=(2, 0, 1, 3))
    conv(outdir, "dilation2", 2, 2, 7, 8, 3, (3, 3), pad=(2, 2, 2, 2), dil=(2, 2))
    conv(outdir, "groups2", 2, 4, 5, 5, 6, (3, 3), pad=(1, 1, 1, 1), groups=2)
    conv(outdir, "depthwise", 2, 3, 7, 7, 3, (3, 3), stride=(2, 2), pad=(1, 1, 1, 1), groups=3)
    conv(outdir, "1x1", 3, 5, 4, 3, 7, (1, 1))
    conv(outdir, "k5x3_stride2x1", 2, 2, 9, 6, 3, (5, 3), stride=(2, 1), pad=(2, 1, 2, 1))
    conv(outdir, "nobias", 2, 3, 5, 5, 2, (3, 3), pad=(1, 1, 1, 1), bias=False)
    conv(outdir, "same_stride2", 2, 2, 7, 10, 3, (3, 3), stride=(2, 2), mode=PAD_SAME)
    conv(outdir, "same_k4_dil2", 1, 2, 6, 5, 2, (4, 2), dil=(1, 2), mode=PAD_SAME)
    conv(outdir, "valid", 2, 2, 6, 7, 3, (3, 2), stride=(1, 2), pad=(5, 5, 5, 5), mode=PAD_VALID)
    conv(outdir, "batch3_17x17", 3, 1, 17, 17, 2, (3, 3), stride=(2, 2), pad=(1, 1, 1, 1))
    conv_t(outdir, "stride2_outpad1", 2, 3, 4, 5, 2, (3, 3), stride=(2, 2), pad=(1, 1, 1, 1), outpad=(1, 1))
    conv_t(outdir, "groups2", 2, 4, 3, 4, 6, (3, 3), stride=(2, 1), pad=(1, 0, 1, 0), groups=2)
    conv_t(outdir, "dilation2", 1, 2, 4, 3, 3, (3, 2), dil=(2, 3), pad=(1, 1, 1, 1), outpad=(1, 2))
    conv_t(outdir, "asym_pad", 2, 2, 5, 4, 3, (4, 3), stride=(2, 3), pad=(2, 0, 1, 2), outpad=(1, 1))
    conv_t(outdir, "nobias", 2, 3, 3, 3, 2, (2, 2), stride=(2, 2), bias=False)
    conv_t(outdir, "depthwise_odd", 1, 3, 7, 1, 3, (1, 3), stride=(1, 2), groups=3)
    return 19
