"""Fixtures for the later math and reduce kinds (src/ops/unary.c, binary.c, reduce.c): trigonometric and
hyperbolic functions, softsign, thresholded ReLU, shrink, hard sigmoid with any alpha/beta, CELU, mod and fmod,
the n-input sum and mean, reduce log-sum and hardmax. PyTorch in float64 from float32 inputs, forward and
gradients. Names start with more_."""
import numpy as np
import torch
import torch.nn.functional as F

from gen_math import kind_attr, rnd, write

UN = {  # kind number (fv_unary_kind), function of (x, p0, p1), input range, parameter sets
    "sin": (19, lambda x, a, b: torch.sin(x), (-3, 3), [(0, 0)]),
    "cos": (20, lambda x, a, b: torch.cos(x), (-3, 3), [(0, 0)]),
    "tan": (21, lambda x, a, b: torch.tan(x), (-1.2, 1.2), [(0, 0)]),
    "asin": (22, lambda x, a, b: torch.asin(x), (-0.9, 0.9), [(0, 0)]),
    "acos": (23, lambda x, a, b: torch.acos(x), (-0.9, 0.9), [(0, 0)]),
    "atan": (24, lambda x, a, b: torch.atan(x), (-3, 3), [(0, 0)]),
    "sinh": (25, lambda x, a, b: torch.sinh(x), (-3, 3), [(0, 0)]),
    "cosh": (26, lambda x, a, b: torch.cosh(x), (-3, 3), [(0, 0)]),
    "asinh": (27, lambda x, a, b: torch.asinh(x), (-3, 3), [(0, 0)]),
    "acosh": (28, lambda x, a, b: torch.acosh(x), (1.2, 4), [(0, 0)]),
    "atanh": (29, lambda x, a, b: torch.atanh(x), (-0.9, 0.9), [(0, 0)]),
    "softsign": (30, lambda x, a, b: F.softsign(x), (-3, 3), [(0, 0)]),
    "thresholded_relu": (31, lambda x, a, b: F.threshold(x, a, 0.0), (-3, 3), [(1.0, 0), (-0.5, 0)]),
    "shrink": (32, lambda x, a, b: torch.where(x < -a, x + b, torch.where(x > a, x - b, torch.zeros_like(x))),
               (-3, 3), [(0.5, 0.0), (0.5, 0.5), (0.75, 0.25)]),
    "hard_sigmoid": (33, lambda x, a, b: torch.clamp(a * x + b, 0.0, 1.0), (-4, 4),
                     [(0.2, 0.5), (float(np.float32(1 / 6)), 0.5), (-0.3, 0.25)]),
    "celu": (34, lambda x, a, b: F.celu(x, a), (-3, 3), [(1.0, 0), (0.5, 0)]),
}
SHAPES = [("r0", ()), ("r3", (2, 3, 4)), ("r6", (1, 2, 1, 2, 1, 3)), ("empty", (2, 0, 3))]


def f32(v):
    return float(np.float32(v))


def unaries(outdir):
    n = 0
    for kind, (k, fn, (lo, hi), params) in UN.items():
        for pi, (p0, p1) in enumerate(params):
            p0, p1 = f32(p0), f32(p1)
            for sname, shape in (SHAPES if pi == 0 else SHAPES[1:2]):
                x = rnd(shape, lo, hi)
                attrs = {**kind_attr(k), "attr:p0": np.array([p0], np.float32), "attr:p1": np.array([p1], np.float32)}
                write(outdir, f"more_un_{kind}_{pi}_{sname}", {"x": x}, lambda x, p0=p0, p1=p1: fn(x, p0, p1), attrs)
                n += 1
    return n


def mods(outdir):
    n = 0
    for kind, k, fn in [("mod", 8, torch.remainder), ("fmod", 9, torch.fmod)]:
        for bname, sa, sb in [("same", (3, 4), (3, 4)), ("chan", (2, 3, 2, 2), (3, 1, 1)), ("scalar", (2, 3), ()),
                              ("empty", (0, 3), (1, 3))]:
            a = rnd(sa, -5, 5)
            b = torch.sign(rnd(sb) + 1e-3) * (rnd(sb, 0.7, 2.0))
            write(outdir, f"more_bin_{kind}_{bname}", {"a": a, "b": b}, fn, kind_attr(k))
            n += 1
        for dt, tag in [(torch.int32, "i32"), (torch.int64, "i64")]:
            a = torch.randint(-20, 20, (2, 3, 4), dtype=dt)
            b = torch.randint(-6, 7, (3, 1), dtype=dt)
            b[b == 0] = -3
            b[0, 0] = -1
            write(outdir, f"more_int_{kind}_{tag}", {"a": a, "b": b}, fn, kind_attr(k))
            n += 1
    return n


def sums(outdir):
    n = 0
    for mean in (0, 1):
        for name, shapes in [("three", [(2, 3, 4), (3, 1), (4,)]), ("two", [(3,), (2, 3)]), ("one", [(2, 2)]),
                             ("empty", [(0, 3), (1, 3)])]:
            xs = {f"x{i}": rnd(s) for i, s in enumerate(shapes)}

            def fn(*v, mean=mean):
                s = v[0]
                for t in v[1:]:
                    s = s + t
                return s / len(v) if mean else s
            write(outdir, f"more_{'mean' if mean else 'sum'}_{name}", xs, fn,
                  {"attr:n": np.array([len(shapes)], np.int32), "attr:mean": np.array([mean], np.int32)})
            n += 1
    return n


def log_sums(outdir):
    n = 0
    for name, shape, axes, keep in [("all", (2, 3, 4), [], 0), ("axis1", (2, 3, 4), [1], 1),
                                    ("neg", (2, 3, 2, 2), [-1, 0], 0), ("r6", (1, 2, 1, 2, 1, 3), [1, 3, 5], 1)]:
        x = rnd(shape, 0.2, 2.0)
        write(outdir, f"more_log_sum_{name}", {"x": x},
              lambda x, axes=axes, keep=keep: torch.log(torch.sum(x, dim=axes if axes else None, keepdim=bool(keep))
                                                       if axes else torch.sum(x)),
              {"attr:axes": np.array(axes or [0], np.int32), "attr:n_axes": np.array([len(axes)], np.int32),
               "attr:keepdims": np.array([keep], np.int32)})
        n += 1
    return n


def hardmaxes(outdir):
    n = 0
    for name, shape, axis, flat in [("last", (2, 3, 4), -1, 0), ("axis1", (2, 3, 4), 1, 0), ("r0", (), 0, 0),
                                    ("flat1", (2, 3, 4), 1, 1), ("flat0", (2, 3), 0, 1), ("ties", (2, 3), 1, 0)]:
        x = rnd(shape)
        if name == "ties":
            x = torch.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])

        def fn(x, axis=axis, flat=flat):
            if x.dim() == 0:
                return torch.ones_like(x) + 0 * x
            if flat:
                ax = axis if axis >= 0 else axis + x.dim()
                v = x.reshape(int(np.prod(x.shape[:ax])), -1)
                y = torch.zeros_like(v).scatter(1, v.argmax(1, keepdim=True), 1.0)
                return y.reshape(x.shape) + 0 * x
            y = torch.zeros_like(x).scatter(axis, x.argmax(axis, keepdim=True), 1.0)
            return y + 0 * x  # zero gradient, as fovea's
        write(outdir, f"more_hardmax_{name}", {"x": x}, fn,
              {"attr:axis": np.array([axis], np.int32), "attr:flat": np.array([flat], np.int32)}, gradcheck=False)
        n += 1
    return n


def make(outdir):
    return unaries(outdir) + mods(outdir) + sums(outdir) + log_sums(outdir) + hardmaxes(outdir)
