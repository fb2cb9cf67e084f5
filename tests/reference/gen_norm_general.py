"""Fixtures for layer, instance and group normalization and the general resize: PyTorch in float64 from float32
inputs (F.layer_norm, F.instance_norm, F.group_norm, F.interpolate). Resize combinations PyTorch lacks (ONNX's
other coordinate transforms and nearest roundings, cubic with another coefficient or exclude_outside, 1-D and
3-D cubic, planes of any rank) come from a numpy transcription of the ONNX Resize formulas, which is also
checked against F.interpolate on every PyTorch configuration."""
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

import fvfx

MODES = {"nearest": 0, "linear": 1, "cubic": 2}
COORDS = {"half_pixel": 0, "pytorch_half_pixel": 1, "align_corners": 2, "asymmetric": 3, "tf_half_pixel_for_nn": 4}
ROUNDS = {"round_prefer_floor": 0, "round_prefer_ceil": 1, "floor": 2, "ceil": 3}


def write(outdir, name, op, xs, fn, attrs, gradcheck=True):
    """xs: ordered dict of leaf name (with its in: prefix) -> float32 tensor or None (absent)."""
    xs = {k: v for k, v in xs.items() if v is not None}
    xd = {k: v.double().requires_grad_() for k, v in xs.items()}
    y = fn(**{k.split(":")[1]: v for k, v in xd.items()})
    dout = torch.randn(y.shape, dtype=torch.float32)
    y.backward(dout.double())
    e = {"meta:op": op}
    if not gradcheck:
        e["meta:gradcheck"] = np.array([0], np.int32)
    e.update(attrs)
    e.update({k: v.numpy() for k, v in xs.items()})
    e.update({"out": fvfx.tensor(y), "dout": dout.numpy()})
    e.update({"grad:" + k.split(":")[1]: fvfx.tensor(v.grad) for k, v in xd.items()})
    fvfx.write(os.path.join(outdir, f"{name}.fvx"), e)


def f32(shape, lo=-2.0, hi=2.0):
    return torch.rand(shape) * (hi - lo) + lo


def layer_norms(outdir):
    configs = [  # name, x shape, axis, scale shape, bias shape, eps
        ("last", (2, 3, 5), -1, (5,), (5,), 1e-5),
        ("axis1", (2, 3, 4), 1, (3, 4), (3, 4), 1e-5),
        ("rank1_axis0", (7,), 0, (7,), (7,), 1e-5),
        ("rank5_noaffine", (2, 3, 2, 2, 2), -3, None, None, 1e-5),
        ("bcast", (2, 3, 4), 1, (4,), (1, 4), 0.1),
        ("scale_only", (3, 2, 4), -2, (2, 1), None, 1e-5),
        ("rank6", (1, 2, 1, 2, 3, 2), 2, (1, 2, 3, 2), (2, 3, 2), 1e-5),
        ("size1", (3, 1), -1, None, (1,), 1e-5),  # xhat = 0: a scale would get only rounding noise
        ("empty", (0, 3, 4), -1, (4,), (4,), 1e-5),
    ]
    for name, xs, axis, ss, bs, eps in configs:
        inputs = {"in:x": f32(xs), "in:scale": f32(ss, 0.5, 1.5) if ss else None,
                  "in:bias": f32(bs) if bs else None}
        norm_shape = xs[axis % len(xs):]

        def fn(x, scale=None, bias=None):
            y = F.layer_norm(x, norm_shape, eps=eps)
            if scale is not None:
                y = y * scale
            if bias is not None:
                y = y + bias
            return y

        attrs = {"attr:axis": np.array([axis], np.int32), "attr:eps": np.array([eps], np.float32)}
        write(outdir, f"layer_norm_{name}", "layer_norm", inputs, fn, attrs, gradcheck=0 not in xs)
    return len(configs)


def instance_norms(outdir):
    configs = [  # name, x shape, affine, eps
        ("2d", (2, 3, 4, 5), True, 1e-5),
        ("1d", (2, 3, 7), True, 1e-3),
        ("3d_noaffine", (1, 2, 2, 3, 2), False, 1e-5),
        ("rank6", (1, 2, 2, 2, 2, 2), True, 1e-5),
        ("rank2", (2, 3), True, 1e-5),
        ("empty", (0, 3, 4), True, 1e-5),
    ]
    for name, xs, affine, eps in configs:
        C = xs[1]
        inputs = {"in:x": f32(xs), "in:scale": f32((C,), 0.5, 1.5) if affine else None,
                  "in:bias": f32((C,)) if affine else None}

        def fn(x, scale=None, bias=None):
            if x.numel() == 0:  # PyTorch fails on an empty batch; the output is empty, the affine grads zero
                shape = (1, -1) + (1,) * (x.dim() - 2)
                return x * scale.reshape(shape) + bias.reshape(shape)
            if x.dim() > 2:
                return F.instance_norm(x, weight=scale, bias=bias, eps=eps)
            # PyTorch refuses one element per plane; the formula gives xhat = 0, so y = bias
            y = (x - x) / math.sqrt(eps)
            return y * scale + bias

        attrs = {"attr:eps": np.array([eps], np.float32)}
        write(outdir, f"instance_norm_{name}", "instance_norm", inputs, fn, attrs, gradcheck=0 not in xs)
    return len(configs)


def group_norms(outdir):
    configs = [  # name, x shape, groups, affine, eps
        ("2d", (2, 6, 3, 3), 3, True, 1e-5),
        ("1d", (2, 4, 5), 2, True, 1e-5),
        ("one_group", (2, 4, 5), 1, True, 1e-5),
        ("per_channel", (2, 4, 5), 4, True, 0.01),
        ("3d_noaffine", (1, 6, 2, 2, 2), 2, False, 1e-5),
        ("rank2", (3, 4), 2, True, 0.5),  # 2 elements per group: a small eps leaves dx all rounding
        ("rank6", (2, 4, 1, 2, 2, 2), 2, True, 1e-5),
        ("empty", (0, 4, 3), 2, True, 1e-5),
    ]
    for name, xs, G, affine, eps in configs:
        C = xs[1]
        inputs = {"in:x": f32(xs), "in:scale": f32((C,), 0.5, 1.5) if affine else None,
                  "in:bias": f32((C,)) if affine else None}

        def fn(x, scale=None, bias=None):
            return F.group_norm(x, G, weight=scale, bias=bias, eps=eps)

        attrs = {"attr:groups": np.array([G], np.int32), "attr:eps": np.array([eps], np.float32)}
        write(outdir, f"group_norm_{name}", "group_norm", inputs, fn, attrs, gradcheck=0 not in xs)
    return len(configs)


# ---- resize: the ONNX formulas in numpy ----------------------------------------------------------------

def source_coord(o, n_in, n_out, scale, coord):
    """ONNX Resize's coordinate transform; scale is the given factor or out / in."""
    if coord == "half_pixel":
        return (o + 0.5) / scale - 0.5
    if coord == "pytorch_half_pixel":
        return (o + 0.5) / scale - 0.5 if n_out > 1 else 0.0
    if coord == "align_corners":
        return o * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    if coord == "asymmetric":
        return o / scale
    if coord == "tf_half_pixel_for_nn":
        return (o + 0.5) / scale
    raise ValueError(coord)


def source_coord_f32(o, n_in, n_out, given, coord):
    """The same as fovea's nearest computes it: float32, with PyTorch's reciprocal and order of operations."""
    o = np.float32(o)
    half = np.float32(0.5)
    if coord == "align_corners":
        r = np.float32(n_in - 1) / np.float32(n_out - 1) if n_out > 1 else np.float32(0)
        return o * r
    r = np.float32(1.0 / given) if given else np.float32(n_in) / np.float32(n_out)
    if coord == "half_pixel" or (coord == "pytorch_half_pixel" and n_out > 1):
        return (o + half) * r - half
    if coord == "pytorch_half_pixel":
        return np.float32(0)
    if coord == "tf_half_pixel_for_nn":
        return (o + half) * r
    return o * r


def round_nearest(x, rule):
    f = math.floor(x)
    if rule == "floor":
        return f
    if rule == "ceil":
        return math.ceil(x)
    if x - f == 0.5:
        return f if rule == "round_prefer_floor" else f + 1
    return math.floor(x + 0.5)


def cubic_coeffs(r, A):
    """Weights of the taps at floor(x) - 1 .. floor(x) + 2 for x - floor(x) = r (ONNX's formula)."""
    return [((A * (r + 1) - 5 * A) * (r + 1) + 8 * A) * (r + 1) - 4 * A,
            ((A + 2) * r - (A + 3)) * r * r + 1,
            ((A + 2) * (1 - r) - (A + 3)) * (1 - r) * (1 - r) + 1,
            ((A * ((1 - r) + 1) - 5 * A) * ((1 - r) + 1) + 8 * A) * ((1 - r) + 1) - 4 * A]


def axis_matrix(n_in, n_out, given, cfg):
    """(out, in) interpolation matrix of one axis."""
    scale = given if given else n_out / n_in
    M = np.zeros((n_out, n_in))
    clamp = lambda i: min(max(i, 0), n_in - 1)
    for o in range(n_out):
        x = source_coord(o, n_in, n_out, scale, cfg["coord"])
        if cfg["mode"] == "nearest":
            i = round_nearest(x, cfg["nearest"])
            j = round_nearest(float(source_coord_f32(o, n_in, n_out, given, cfg["coord"])), cfg["nearest"])
            if i != j and cfg["ref"] == "numpy":
                raise ValueError(f"float32 and exact coordinates pick different pixels at {o}: choose other sizes")
            M[o, clamp(j)] = 1.0
        elif cfg["mode"] == "linear":
            f = math.floor(x)
            M[o, clamp(f)] += 1 - (x - f)
            M[o, clamp(f + 1)] += x - f
        else:
            f = math.floor(x)
            w = cubic_coeffs(x - f, cfg["a"])
            idx = [f - 1 + k for k in range(4)]
            if cfg["exclude"]:
                w = [wk if 0 <= i < n_in else 0.0 for wk, i in zip(w, idx)]
                s = sum(w)
                w = [wk / s for wk in w]
            for wk, i in zip(w, idx):
                M[o, clamp(i)] += wk
    return M


def numpy_resize(x, out_sizes, scales, cfg):
    """x: float64 tensor; resizes its last len(out_sizes) axes with per-axis matrices (differentiable)."""
    k = len(out_sizes)
    y = x
    for d in range(k):
        axis = x.dim() - k + d
        M = torch.tensor(axis_matrix(x.shape[axis], out_sizes[d], scales[d] if scales else None, cfg))
        y = torch.movedim(torch.tensordot(y, M, dims=([axis], [1])), -1, axis)
    return y


def torch_resize(x, sizes, scales, cfg):
    k = len(sizes or scales)
    mode = cfg["mode"]
    align = None
    if mode == "nearest":
        tmode = "nearest" if cfg["nearest"] == "floor" else "nearest-exact"
    else:
        tmode = {1: "linear", 2: "bilinear", 3: "trilinear"}[k] if mode == "linear" else "bicubic"
        align = cfg["coord"] == "align_corners"
    if scales:
        return F.interpolate(x, scale_factor=scales, mode=tmode, align_corners=align, recompute_scale_factor=False)
    return F.interpolate(x, size=sizes, mode=tmode, align_corners=align)


def resize_one(outdir, name, shape, sizes, scales, mode, coord="half_pixel", nearest="round_prefer_floor", a=-0.75,
               exclude=False, ref="torch"):
    cfg = {"mode": mode, "coord": coord, "nearest": nearest, "a": a, "exclude": exclude, "ref": ref}
    k = len(sizes or scales)
    scales = [float(np.float32(s)) for s in scales] if scales else None  # what the fixture stores
    ins = shape[len(shape) - k:]
    out_sizes = sizes or [math.floor(n * s) for n, s in zip(ins, scales)]
    x = f32(shape)
    if ref == "torch":
        mine = numpy_resize(x.double(), out_sizes, scales, cfg)
        theirs = torch_resize(x.double(), sizes, scales, cfg)
        diff = (mine - theirs).abs().max().item() if mine.numel() else 0.0
        if diff > 1e-9:
            print(f"  resize_{name}: the ONNX formulas differ from F.interpolate by {diff:.3g}")
        fn = lambda x: torch_resize(x, sizes, scales, cfg)
    else:
        fn = lambda x: numpy_resize(x, out_sizes, scales, cfg)
    attrs = {"attr:mode": np.array([MODES[mode]], np.int32), "attr:coord": np.array([COORDS[coord]], np.int32),
             "attr:nearest": np.array([ROUNDS[nearest]], np.int32), "attr:cubic_a": np.array([a], np.float32),
             "attr:exclude": np.array([int(exclude)], np.int32)}
    if scales:
        attrs["attr:scales"] = np.array(scales, np.float32)
    else:
        attrs["attr:sizes"] = np.array(sizes, np.int32)
    write(outdir, f"resize_{name}", "resize", {"in:x": x}, fn, attrs, gradcheck=0 not in shape)


def resizes(outdir):
    n = 0
    T = dict(ref="torch")
    N = dict(ref="numpy")
    near, exact = dict(coord="asymmetric", nearest="floor"), dict(coord="half_pixel", nearest="round_prefer_ceil")
    ac = dict(coord="align_corners")
    configs = [
        # PyTorch's own modes (F.interpolate)
        ("nearest_2d", (2, 3, 5, 7), [8, 4], None, "nearest", near, T),
        ("nearest_23to24", (1, 1, 23, 5), [24, 6], None, "nearest", near, T),
        ("nearest_26to22", (1, 1, 26, 4), [22, 3], None, "nearest", near, T),
        ("nearest_scale", (1, 2, 4, 5), None, [1.5, 2.5], "nearest", near, T),
        ("nearest_1d_scale", (2, 3, 7), None, [0.75], "nearest", near, T),
        ("nearest_3d", (1, 2, 3, 4, 2), [5, 3, 4], None, "nearest", near, T),
        ("nearest_exact_2d", (1, 2, 5, 7), [8, 3], None, "nearest", exact, T),
        ("nearest_exact_scale", (1, 1, 6, 4), None, [0.5, 1.75], "nearest", exact, T),
        ("bilinear", (2, 3, 5, 7), [8, 4], None, "linear", {}, T),
        ("bilinear_23to24", (1, 2, 23, 5), [24, 6], None, "linear", {}, T),
        ("bilinear_align", (1, 2, 5, 7), [9, 3], None, "linear", ac, T),
        ("bilinear_scale", (1, 2, 4, 5), None, [1.5, 0.6], "linear", {}, T),
        ("bilinear_to1", (1, 1, 4, 5), [1, 1], None, "linear", {}, T),
        ("linear_1d", (2, 3, 7), [10], None, "linear", {}, T),
        ("linear_1d_align_scale", (2, 2, 5), None, [2.5], "linear", ac, T),
        ("trilinear", (1, 2, 3, 4, 5), [5, 3, 7], None, "linear", {}, T),
        ("trilinear_scale", (1, 1, 3, 3, 2), None, [1.5, 2.0, 0.5], "linear", {}, T),
        ("bicubic", (1, 2, 5, 6), [8, 4], None, "cubic", {}, T),
        ("bicubic_align", (1, 2, 5, 6), [7, 9], None, "cubic", ac, T),
        ("bicubic_scale", (2, 1, 4, 4), None, [1.25, 2.5], "cubic", {}, T),
        ("bicubic_down", (1, 1, 9, 7), [4, 3], None, "cubic", {}, T),
        # ONNX's other combinations (numpy)
        ("onnx_nearest_default", (1, 2, 5, 7), [8, 3], None, "nearest", {}, N),
        ("onnx_nearest_align_ceil", (1, 1, 5, 6), [7, 4], None, "nearest", dict(coord="align_corners", nearest="ceil"), N),
        ("onnx_nearest_tf", (1, 1, 6, 5), None, [1.5, 0.8], "nearest",
         dict(coord="tf_half_pixel_for_nn", nearest="round_prefer_ceil"), N),
        ("onnx_nearest_pthp_to1", (1, 1, 5, 4), [1, 6], None, "nearest", dict(coord="pytorch_half_pixel"), N),
        ("onnx_nearest_asym_ceil_3d", (1, 1, 3, 4, 5), [4, 6, 3], None, "nearest",
         dict(coord="asymmetric", nearest="ceil"), N),
        ("onnx_cubic_exclude", (1, 2, 5, 6), [8, 4], None, "cubic", dict(a=-0.5, exclude=True), N),
        ("onnx_cubic_1d", (2, 2, 6), None, [1.5], "cubic", {}, N),
        ("onnx_cubic_3d", (1, 1, 3, 4, 3), [4, 3, 5], None, "cubic", dict(a=-0.5, coord="asymmetric"), N),
        ("onnx_linear_asym", (1, 2, 4, 5), None, [2.0, 0.5], "linear", dict(coord="asymmetric"), N),
        ("onnx_linear_pthp_to1", (1, 1, 4, 5), [1, 3], None, "linear", dict(coord="pytorch_half_pixel"), N),
        ("planes_rank5", (2, 1, 3, 4, 5), [6, 3], None, "linear", {}, N),
        ("rank1_cubic", (7,), [4], None, "cubic", dict(a=-0.5), N),
        ("rank6_nearest", (1, 2, 1, 2, 3, 2), [3, 5, 1], None, "nearest", {}, N),
        ("empty_planes", (0, 2, 3, 4), [5, 2], None, "linear", {}, N),
    ]
    for name, shape, sizes, scales, mode, extra, src in configs:
        resize_one(outdir, name, shape, sizes, scales, mode, **extra, **src)
        n += 1
    return n


def make(outdir):
    return layer_norms(outdir) + instance_norms(outdir) + group_norms(outdir) + resizes(outdir)


if __name__ == "__main__":
    import sys
    torch.manual_seed(1234)
    print(make(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "fixtures")))
