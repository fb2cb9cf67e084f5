"""Fixtures for pooling and resampling: max/avg pool (asymmetric padding, ceil mode, count_include_pad),
global pools, constant padding and resize/upsample, from torch.nn.functional in float64.

Attributes go in attr:* entries: kernel (kh, kw), stride (sh, sw), pad (top, left, bottom, right), ceil,
cip (count_include_pad); pad2d: pad, value; resize: size (oh, ow) or scale (sh, sw), mode (0 nearest,
1 bilinear), align_corners."""
import os

import numpy as np
import torch
import torch.nn.functional as F

import fvfx


def distinct(shape):
    """Values without ties (a scaled random permutation), so that max pooling's gradient is well defined."""
    n = int(np.prod(shape))
    return ((torch.randperm(n).float() - n / 2) * 0.01).reshape(shape)


def write(outdir, name, op, x, fn, attrs):
    """Runs fn on x in float64, seeds the backward with a random dout and writes the fixture."""
    xd = x.double().requires_grad_()
    y = fn(xd)
    dout = torch.randn(y.shape, dtype=torch.float32)
    y.backward(dout.double())
    e = {"meta:op": op, "in:x": x.numpy()}
    for k, v in attrs.items():
        e["attr:" + k] = np.asarray(v, dtype=np.float32 if isinstance(v, float) else np.int32).reshape(-1)
    e.update({"out": fvfx.tensor(y), "dout": dout.numpy(), "grad:x": fvfx.tensor(xd.grad)})
    fvfx.write(os.path.join(outdir, f"{name}.fvx"), e)


def torch_pad(pad):
    """(top, left, bottom, right) as F.pad's (left, right, top, bottom)."""
    t, l, b, r = pad
    return (l, r, t, b)


def pool(outdir, kind, name, shape, k, s, pad=(0, 0, 0, 0), ceil=False, cip=True, expect=None):
    x = distinct(shape) if kind == "max" else torch.randn(shape)
    t, l, b, r = pad
    attrs = {"kernel": k, "stride": s, "pad": pad, "ceil": int(ceil), "cip": int(cip)}
    if t == b and l == r:
        if kind == "max":
            fn = lambda v: F.max_pool2d(v, k, s, (t, l), ceil_mode=ceil)
        else:
            fn = lambda v: F.avg_pool2d(v, k, s, (t, l), ceil_mode=ceil, count_include_pad=cip)
    else:
        # Unequal padding: pad explicitly, then pool without padding (floor mode only: ceil mode's rule on
        # the trailing padding would differ).
        assert not ceil
        if kind == "max":
            fn = lambda v: F.max_pool2d(F.pad(v, torch_pad(pad), value=-float("inf")), k, s)
        elif cip:
            fn = lambda v: F.avg_pool2d(F.pad(v, torch_pad(pad)), k, s)
        else:  # window sums over window counts of real elements
            def fn(v):
                sums = F.avg_pool2d(F.pad(v, torch_pad(pad)), k, s, divisor_override=1)
                ones = F.pad(torch.ones_like(v), torch_pad(pad))
                return sums / F.avg_pool2d(ones, k, s, divisor_override=1)
    if expect is not None:
        with torch.no_grad():
            got = tuple(fn(x.double()).shape[2:])
        assert got == expect, (name, got, expect)
    write(outdir, f"{kind}_pool2d_{name}", f"{kind}_pool2d", x, fn, attrs)


def pools(outdir):
    n = 0
    for kind in ("max", "avg"):
        pool(outdir, kind, "2x2s2_even", (2, 3, 8, 6), (2, 2), (2, 2), expect=(4, 3))
        pool(outdir, kind, "3x3s2p1_odd", (2, 4, 7, 7), (3, 3), (2, 2), (1, 1, 1, 1), expect=(4, 4))
        pool(outdir, kind, "ceil_adds", (1, 2, 8, 8), (3, 3), (2, 2), ceil=True, expect=(4, 4))
        # ceil would give 4 windows of 2 on 5 + 2 padding, but the 4th would start in the bottom/right padding
        pool(outdir, kind, "ceil_drops", (1, 2, 5, 5), (2, 2), (2, 2), (1, 1, 1, 1), ceil=True, expect=(3, 3))
        pool(outdir, kind, "rect", (2, 2, 9, 6), (3, 2), (2, 1), (1, 0, 1, 0), expect=(5, 5))
        pool(outdir, kind, "asym", (2, 3, 7, 6), (3, 3), (2, 2), (1, 0, 0, 1), expect=(3, 3))
        pool(outdir, kind, "batch3_c5", (3, 5, 6, 5), (3, 3), (1, 1), (1, 1, 1, 1), expect=(6, 5))
        pool(outdir, kind, "single", (1, 1, 1, 1), (1, 1), (1, 1), expect=(1, 1))
        n += 8
    # count_include_pad: ceil-mode windows that run past the padding are clipped to it (divisor 6, not 9)
    pool(outdir, "avg", "ceil_pad_cip", (1, 2, 8, 8), (3, 3), (2, 2), (1, 1, 1, 1), ceil=True, expect=(5, 5))
    pool(outdir, "avg", "ceil_pad_nocip", (1, 2, 8, 8), (3, 3), (2, 2), (1, 1, 1, 1), ceil=True, cip=False,
         expect=(5, 5))
    pool(outdir, "avg", "pad_nocip", (2, 3, 7, 7), (3, 3), (2, 2), (1, 1, 1, 1), cip=False, expect=(4, 4))
    pool(outdir, "avg", "asym_nocip", (2, 3, 7, 6), (3, 3), (2, 2), (0, 1, 1, 1), cip=False, expect=(3, 3))
    pool(outdir, "avg", "rect_nocip", (2, 2, 9, 6), (3, 2), (2, 1), (1, 1, 1, 1), cip=False, expect=(5, 7))
    return n + 5


def global_pools(outdir):
    shapes = {"odd": (2, 3, 7, 5), "tall": (1, 1, 17, 3), "one": (3, 5, 1, 1), "batch3_c5": (3, 5, 3, 7)}
    for name, shape in shapes.items():
        write(outdir, f"global_avg_pool2d_{name}", "global_avg_pool2d", torch.randn(shape),
              lambda v: F.adaptive_avg_pool2d(v, 1), {})
        write(outdir, f"global_max_pool2d_{name}", "global_max_pool2d", distinct(shape),
              lambda v: F.adaptive_max_pool2d(v, 1), {})
    return 2 * len(shapes)


def pads(outdir):
    cases = [("asym_zero", (2, 3, 5, 4), (1, 0, 2, 3), 0.0), ("asym_value", (1, 2, 3, 3), (0, 2, 1, 0), 1.5),
             ("none", (1, 1, 1, 7), (0, 0, 0, 0), -2.0)]
    for name, shape, pad, value in cases:
        write(outdir, f"pad2d_{name}", "pad2d", torch.randn(shape), lambda v: F.pad(v, torch_pad(pad), value=value),
              {"pad": pad, "value": float(value)})
    return len(cases)


MODES = {"nearest": 0, "bilinear": 1}


def resize(outdir, name, shape, mode, size=None, scale=None, align_corners=False):
    attrs = {"mode": MODES[mode], "align_corners": int(align_corners)}
    ac = align_corners if mode == "bilinear" else None
    if size is not None:
        attrs["size"] = size
        fn = lambda v: F.interpolate(v, size=size, mode=mode, align_corners=ac)
    else:
        attrs["scale"] = scale
        fn = lambda v: F.interpolate(v, scale_factor=scale, mode=mode, align_corners=ac)
    write(outdir, f"resize2d_{name}", "resize2d", torch.randn(shape), fn, attrs)


def resizes(outdir):
    resize(outdir, "nearest_up2", (2, 3, 4, 5), "nearest", size=(8, 10))
    resize(outdir, "nearest_odd", (1, 2, 5, 7), "nearest", size=(11, 4))
    # 26 -> 22: PyTorch's float32 scale picks a different column than exact floor(dst * in / out) would
    resize(outdir, "nearest_rounding", (1, 1, 3, 26), "nearest", size=(7, 22))
    resize(outdir, "bilinear_odd", (2, 2, 5, 7), "bilinear", size=(11, 4))
    resize(outdir, "bilinear_odd_ac", (2, 2, 5, 7), "bilinear", size=(11, 4), align_corners=True)
    resize(outdir, "bilinear_down", (1, 3, 9, 8), "bilinear", size=(4, 3))
    resize(outdir, "bilinear_to1_ac", (1, 2, 3, 4), "bilinear", size=(1, 5), align_corners=True)
    resize(outdir, "upsample_nearest_s2", (2, 2, 3, 4), "nearest", scale=(2, 2))
    resize(outdir, "upsample_nearest_s3", (1, 3, 5, 3), "nearest", scale=(3, 3))
    resize(outdir, "upsample_nearest_s3x2", (1, 2, 3, 5), "nearest", scale=(3, 2))
    resize(outdir, "upsample_bilinear_s2", (2, 2, 3, 5), "bilinear", scale=(2, 2))
    resize(outdir, "upsample_bilinear_s3", (1, 2, 5, 3), "bilinear", scale=(3, 3))
    resize(outdir, "upsample_bilinear_s3_ac", (1, 2, 5, 3), "bilinear", scale=(3, 3), align_corners=True)
    return 13


def make(outdir):
    return pools(outdir) + global_pools(outdir) + pads(outdir) + resizes(outdir)
