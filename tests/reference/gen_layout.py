"""Fixtures for the layout operators (transpose, squeeze/unsqueeze/flatten, expand, tile, concat, slice, split,
gather, gather_elements, scatter_elements, pad, depth_to_space/space_to_depth, pixel shuffle): PyTorch in
float64 from float32 inputs, forward and gradients. Attributes are int64 (fvfx.I64). ONNX Slice and Pad are
computed with index_select on index lists from Python's own slice rules (which are ONNX's) and checked
against torch.flip + slicing and F.pad where those apply. Fixtures named layout_int_* hold int32/int64/bool data
and have no gradients (tests/ops/test_layout.c runs them forward only)."""
import os

import numpy as np
import torch
import torch.nn.functional as F

import fvfx

I64_MAX, I64_MIN = 2**63 - 1, -2**63


def I(v):
    return fvfx.I64(np.array(v, dtype=np.int64).reshape(-1))


def write(outdir, name, xs, fn, attrs=None, ints=None):
    """xs: dict name -> float32 tensor (differentiated); ints: dict name -> integer tensors (indices), passed
    to fn after the floats as they are; fn returns the float64 output."""
    ints = ints or {}
    xd = {k: v.double().requires_grad_() for k, v in xs.items()}
    y = fn(*xd.values(), *ints.values())
    dout = torch.randn(y.shape, dtype=torch.float32)
    y.backward(dout.double())
    e = {"meta:op": name.split("_")[0]}
    if y.numel() == 0 or all(v.numel() == 0 for v in xs.values()):
        e["meta:gradcheck"] = np.array([0], np.int32)
    e.update(attrs or {})
    for k, v in list(xs.items()) + list(ints.items()):
        arr = v.numpy()
        e[f"in:{k}"] = fvfx.I64(arr) if arr.dtype == np.int64 else arr
    e.update({"out": fvfx.tensor(y), "dout": dout.numpy()})
    for k, v in xd.items():
        g = v.grad if v.grad is not None else torch.zeros_like(v)
        e[f"grad:{k}"] = fvfx.tensor(g)
    fvfx.write(os.path.join(outdir, f"layout_{name}.fvx"), e)


def write_int(outdir, name, ins, out, attrs=None):
    """Forward-only fixture of integer or bool data: ins dict name -> numpy array, out numpy array."""
    e = {"meta:op": name.split("_")[0]}
    e.update(attrs or {})
    for k, v in ins.items():
        e[f"in:{k}"] = fvfx.I64(v) if v.dtype == np.int64 else v
    e["out"] = fvfx.I64(out) if out.dtype == np.int64 else out
    fvfx.write(os.path.join(outdir, f"layout_int_{name}.fvx"), e)


def rnd(*shape):
    return torch.randn(shape, dtype=torch.float32)


# ---- transpose, squeeze, unsqueeze, flatten --------------------------------------------------------------

def transposes(outdir):
    cfgs = [("3d", (2, 3, 4), [2, 0, 1]), ("negative", (2, 3, 4), [-1, 0, 1]),
            ("rank6", (1, 2, 1, 3, 2, 2), [5, 3, 1, 0, 2, 4]), ("scalar", (), []), ("rank1", (5,), [0]),
            ("empty", (2, 0, 3), [1, 2, 0]), ("reverse", (2, 3, 4, 1), None), ("rank5", (2, 1, 3, 2, 2), [4, 1, 3, 0, 2])]
    for name, shape, perm in cfgs:
        nd = len(shape)
        p = [(d + nd) % nd for d in perm] if perm is not None else list(range(nd))[::-1]
        attrs = {"attr:perm": I(perm)} if perm is not None else {}
        write(outdir, f"transpose_{name}", {"x": rnd(*shape)}, lambda x, p=p: x.permute(p), attrs)
    return len(cfgs)


def views(outdir):
    n = 0
    for name, shape, axes in [("two", (1, 3, 1, 4), [0, -2]), ("all", (1, 3, 1, 4), None),
                              ("rank6", (2, 1, 3, 1, 2, 1), [1, 5]), ("to_scalar", (1,), None),
                              ("empty", (0, 1, 2), [1]), ("none_to_remove", (2, 3), None)]:
        out = [s for i, s in enumerate(shape) if not (s == 1 and (axes is None or i in [(a + len(shape)) % len(shape) for a in axes]))]
        attrs = {"attr:axes": I(axes)} if axes is not None else {}
        write(outdir, f"squeeze_{name}", {"x": rnd(*shape)}, lambda x, out=out: x.reshape(out), attrs)
        n += 1
    for name, shape, axes in [("ends", (3, 4), [0, -1]), ("scalar", (), [0]), ("rank5", (2, 3, 1, 2, 2), [3]),
                              ("middle", (3, 4), [1, 2]), ("empty", (2, 0), [-3])]:
        r = len(shape) + len(axes)
        ax = sorted((a + r) % r for a in axes)
        out, k = [], 0
        for d in range(r):
            if d in ax:
                out.append(1)
            else:
                out.append(shape[k])
                k += 1
        write(outdir, f"unsqueeze_{name}", {"x": rnd(*shape)}, lambda x, out=out: x.reshape(out), {"attr:axes": I(axes)})
        n += 1
    for name, shape, axis in [("axis0", (2, 3, 4, 5), 0), ("axis2", (2, 3, 4, 5), 2), ("neg", (2, 3, 4, 5), -1),
                              ("rank", (2, 3, 4), 3), ("scalar", (), 0), ("empty", (2, 0, 3), 1), ("rank6", (1, 2, 1, 3, 2, 2), -3)]:
        a = axis + len(shape) if axis < 0 else axis
        out = [int(np.prod(shape[:a])), int(np.prod(shape[a:]))]
        write(outdir, f"flatten_{name}", {"x": rnd(*shape)}, lambda x, out=out: x.reshape(out), {"attr:axis": I(axis)})
        n += 1
    return n


# ---- expand, tile, concat -------------------------------------------------------------------------------

def expands(outdir):
    n = 0
    for name, shape, target in [("grow", (3, 1), (2, 1, 4)), ("scalar1", (1,), (2, 3)), ("lower_rank", (2, 3, 1), (4,)),
                                ("ones", (3, 4), (1, 1)), ("from_scalar", (), (2, 2)), ("empty", (0, 1), (0, 3)),
                                ("rank6", (2, 1, 3, 1, 1, 2), (1, 1, 1, 2, 2, 1)), ("same", (2, 3), (2, 3))]:
        out = np.broadcast_shapes(shape, target)
        write(outdir, f"expand_{name}", {"x": rnd(*shape)}, lambda x, out=out: x.expand(*out), {"attr:shape": I(target)})
        n += 1
    for name, shape, reps in [("2d", (2, 3), [2, 1]), ("scalar", (), []), ("zero", (1, 2, 3), [2, 0, 2]),
                              ("rank5", (1, 2, 1, 2, 1), [2, 1, 3, 1, 2]), ("ones", (3, 2), [1, 1]), ("rank1", (3,), [3])]:
        write(outdir, f"tile_{name}", {"x": rnd(*shape)}, lambda x, r=reps: x.repeat(*r) if r else x.clone(),
              {"attr:repeats": I(reps)})
        n += 1
    for name, shapes, axis in [("rank1", [(3,), (2,), (4,)], 0), ("rank6", [(1, 2, 1, 2, 2, 1), (1, 2, 1, 2, 2, 3)], -1),
                               ("empty_axis", [(2, 0, 3), (2, 2, 3), (2, 0, 3)], 1), ("empty_other", [(0, 2), (0, 3)], 1),
                               ("five", [(2, 1), (2, 2), (2, 3), (2, 1), (2, 1)], -1), ("batch", [(1, 3, 2), (2, 3, 2)], 0)]:
        xs = {f"x{i}": rnd(*s) for i, s in enumerate(shapes)}
        write(outdir, f"cat_{name}", xs, lambda *t, a=axis: torch.cat(t, a), {"attr:axis": I(axis)})
        n += 1
    return n


# ---- slice, split ---------------------------------------------------------------------------------------

def onnx_slice(x, starts, ends, axes, steps):
    """ONNX Slice by index_select on Python's slice rules (ONNX's clamping)."""
    axes = axes if axes is not None else list(range(len(starts)))
    steps = steps if steps is not None else [1] * len(starts)
    for s, e, a, st in zip(starts, ends, axes, steps):
        idx = list(range(*slice(s, e, st).indices(x.shape[a])))
        x = x.index_select(a, torch.tensor(idx, dtype=torch.long))
    return x


def flip_slice(x, starts, ends, axes, steps):
    """The same with torch.flip and positive-step slicing, to check onnx_slice on negative steps."""
    for s, e, a, st in zip(starts, ends, axes, steps):
        idx = list(range(*slice(s, e, st).indices(x.shape[a])))
        if not idx:
            return None
        if st < 0:
            dim = x.shape[a]
            x = torch.flip(x, [a])
            lo, hi = dim - 1 - idx[0], dim - 1 - idx[-1]
            x = x.narrow(a, lo, hi - lo + 1)[(slice(None),) * a + (slice(None, None, min(-st, dim)),)]
        else:
            x = x.narrow(a, idx[0], idx[-1] - idx[0] + 1)[(slice(None),) * a + (slice(None, None, min(st, x.shape[a])),)]
    return x


def slices(outdir):
    cfgs = [("plain", (5, 6), [1, 0], [4, 6], None, None), ("negative", (5, 6), [-3], [-1], [1], None),
            ("steps", (7, 5), [0, 1], [7, 5], [0, 1], [2, 3]), ("back", (6, 4), [-1], [I64_MIN], [0], [-2]),
            ("clamp", (4, 3), [-100], [100], [0], None), ("int64_max", (4, 5), [1], [I64_MAX], [-1], None),
            ("empty_result", (4, 5), [3], [1], [0], None), ("reverse", (3, 4), [100], [-100], [1], [-1]),
            ("rank6", (2, 3, 1, 4, 2, 3), [1, -1, 0], [2, 0, 3], [1, -1, 3], [1, -1, 2]),
            ("rank1", (9,), [8], [1], None, [-3]), ("empty_in", (0, 3), [0], [1], [1], None),
            ("big_step", (5, 2), [4], [I64_MIN], [0], [I64_MIN]), ("mixed", (4, 6, 5), [I64_MAX, 1], [0, -1], [-1, 0], [-2, 2])]
    for name, shape, st, en, ax, sp in cfgs:
        x = rnd(*shape)
        axes = [a % len(shape) for a in ax] if ax is not None else list(range(len(st)))
        if sp is not None and min(sp) < 0:
            ref = flip_slice(x.double(), st, en, axes, sp)
            want = onnx_slice(x.double(), st, en, ax, sp)
            assert ref is None and want.numel() == 0 or torch.equal(ref, want), name
        attrs = {"attr:starts": I(st), "attr:ends": I(en)}
        if ax is not None:
            attrs["attr:axes"] = I(ax)
        if sp is not None:
            attrs["attr:steps"] = I(sp)
        write(outdir, f"slice_{name}", {"x": x}, lambda t, a=(st, en, ax, sp): onnx_slice(t, *a), attrs)
    n = len(cfgs)
    for name, shape, axis, parts, sizes in [("equal", (2, 6, 3), 1, 3, None), ("sizes", (7, 2), 0, 3, [2, 0, 5]),
                                            ("ceil", (2, 7), -1, 3, None)]:
        x = rnd(*shape)
        if sizes is None:
            each = -(-shape[axis] // parts)
            chunks = [min(each, shape[axis] - i * each) for i in range(parts)]
        else:
            chunks = sizes
        for k in range(parts):
            attrs = {"attr:axis": I(axis), "attr:parts": I(parts), "attr:part": I(k)}
            if sizes is not None:
                attrs["attr:sizes"] = I(sizes)
            write(outdir, f"split_{name}_part{k}", {"x": x}, lambda t, k=k, c=chunks: torch.split(t, c, axis)[k], attrs)
            n += 1
    return n


# ---- gather, gather_elements, scatter_elements --------------------------------------------------------

def norm(idx, k):
    return torch.where(idx < 0, idx + k, idx).long()


def gather_ref(x, idx, axis):
    a = axis % x.dim()
    flat = norm(idx, x.shape[a]).reshape(-1)
    return x.index_select(a, flat).reshape(x.shape[:a] + idx.shape + x.shape[a + 1:])


def gathers(outdir):
    n = 0
    for name, shape, idx, axis in [("rows", (5, 4), torch.tensor([4, -1, 0, 2], dtype=torch.int64), 0),
                                   ("matrix", (2, 5, 3), torch.tensor([[1, -5], [4, 4]], dtype=torch.int32), 1),
                                   ("last", (2, 3, 4), torch.tensor([3, 0, -2], dtype=torch.int64), -1),
                                   ("scalar_index", (3, 4), torch.tensor(2, dtype=torch.int64), 1),
                                   ("rank1", (6,), torch.tensor([[5, 0, 1]], dtype=torch.int32), 0),
                                   ("empty_index", (3, 4), torch.zeros(0, dtype=torch.int64), 0),
                                   ("empty_data", (2, 0), torch.tensor([1, 0], dtype=torch.int64), 0),
                                   ("rank5", (2, 1, 3, 2, 2), torch.tensor([[0], [-1]], dtype=torch.int64), 2)]:
        write(outdir, f"gather_{name}", {"data": rnd(*shape)}, lambda x, i, a=axis: gather_ref(x, i, a),
              {"attr:axis": I(axis)}, {"indices": idx})
        n += 1
    for name, shape, idx, axis in [("2d", (3, 4), torch.tensor([[0, -1], [2, 1], [3, 3]]), 1),
                                   ("smaller", (4, 3, 2), torch.tensor([[[0], [3]], [[-1], [1]]], dtype=torch.int32), 0),
                                   ("rank1", (5,), torch.tensor([4, 4, 0, -5]), -1),
                                   ("empty", (3, 2), torch.zeros(0, 2, dtype=torch.int64), 0)]:
        write(outdir, f"gatherel_{name}", {"data": rnd(*shape)},
              lambda x, i, a=axis: torch.gather(x, a, norm(i, x.shape[a])), {"attr:axis": I(axis)}, {"indices": idx})
        n += 1
    for name, shape, idx, axis, add in [("none", (3, 5), torch.tensor([[4, 0, -2], [1, 3, 2]]), 1, False),
                                        ("add_repeats", (4, 3), torch.tensor([[1, 1, 0], [1, -3, 0]], dtype=torch.int32), 0, True),
                                        ("none_rank3", (2, 3, 4), torch.tensor([[[2, 0]], [[1, -1]]]), 1, False),
                                        ("add_rank1", (4,), torch.tensor([0, 0, 3, -1, 2]), 0, True),
                                        ("empty", (3, 2), torch.zeros(0, 2, dtype=torch.int64), 0, False)]:
        upd = rnd(*idx.shape)
        fn = (lambda x, u, i, a=axis: torch.scatter_add(x, a, norm(i, x.shape[a]), u)) if add else \
             (lambda x, u, i, a=axis: torch.scatter(x, a, norm(i, x.shape[a]), u))
        write(outdir, f"scatter_{name}", {"data": rnd(*shape), "updates": upd}, fn,
              {"attr:axis": I(axis), "attr:add": I(int(add))}, {"indices": idx})
        n += 1
    return n


# ---- pad ------------------------------------------------------------------------------------------------

def pad_index(dim, b, e, mode):
    """The source coordinate of each output coordinate along one axis (-1: the constant), cropping first."""
    lo, hi = max(-b, 0), dim - max(-e, 0)
    out = []
    for o in range(hi - lo + max(b, 0) + max(e, 0)):
        c = o - b
        if lo <= c < hi:
            out.append(c)
        elif mode == "constant":
            out.append(-1)
        elif mode == "edge":
            out.append(lo if c < lo else hi - 1)
        else:
            n, period, r = hi - lo, 2 * (hi - lo - 1), c - lo
            r %= period
            out.append(lo + (r if r < n else period - r))
    return out


def onnx_pad(x, pads, mode, value):
    r = x.dim()
    for a in range(r):
        idx = pad_index(x.shape[a], pads[a], pads[a + r], mode)
        if mode == "constant":
            shape = list(x.shape)
            shape[a] = 1
            x = torch.cat([x, torch.full(shape, value, dtype=x.dtype)], a)  # the constant sits at index dim
            idx = [x.shape[a] - 1 if i < 0 else i for i in idx]
        x = x.index_select(a, torch.tensor(idx, dtype=torch.long))
    return x


def torch_pad(x, pads, mode, value):
    """F.pad's form of the same pads (last axis first), for the configurations F.pad takes."""
    r = x.dim()
    tp = []
    for a in reversed(range(r)):
        tp += [pads[a], pads[a + r]]
    while len(tp) > 2 and tp[-1] == 0 and tp[-2] == 0:
        tp = tp[:-2]
    m = {"constant": "constant", "reflect": "reflect", "edge": "replicate"}[mode]
    return F.pad(x, tp, mode=m, value=value) if m == "constant" else F.pad(x, tp, mode=m)


def pads(outdir):
    cfgs = [("constant3d", (2, 3, 4), [1, 0, 2, 0, 3, 1], "constant", 1.5),
            ("reflect4d", (1, 2, 3, 5), [0, 0, 2, 4, 0, 0, 1, 3], "reflect", 0.0),
            ("edge2d", (3, 4), [2, 1, 1, 3], "edge", 0.0),
            ("crop", (4, 5), [-1, 2, 1, -2], "constant", -2.0),
            ("rank1", (5,), [3, 2], "reflect", 0.0),
            ("rank5", (1, 2, 2, 1, 3), [0, 1, 0, 1, 0, 0, 0, 1, 2, 1], "constant", 0.0),
            ("reflect_crop", (2, 6), [0, -1, 0, 3], "reflect", 0.0),
            ("edge_crop", (3, 5), [-2, 4, 1, -1], "edge", 0.0),
            ("empty_in", (0, 3), [1, 0, 0, 1], "constant", 3.0),
            ("edge3d", (2, 3, 4), [0, 2, 1, 1, 0, 2], "edge", 0.0),
            ("scalar", (), [], "constant", 0.0)]
    for name, shape, p, mode, value in cfgs:
        x = rnd(*shape)
        want = onnx_pad(x.double(), p, mode, value)
        if min(p, default=0) >= 0 and x.numel() and x.dim() >= 1 and (mode == "constant" or 2 <= x.dim() <= 4):
            try:
                ref = torch_pad(x.double(), p, mode, value)
            except (NotImplementedError, RuntimeError):
                ref = None
            assert ref is None or torch.equal(ref, want), name
        write(outdir, f"pad_{name}", {"x": x}, lambda t, a=(p, mode, value): onnx_pad(t, *a),
              {"attr:pads": I(p), "attr:mode": I(["constant", "reflect", "edge"].index(mode)),
               "attr:value": np.array([value], np.float32)})
    return len(cfgs)


# ---- depth / space --------------------------------------------------------------------------------------

def d2s_dcr(x, b):
    n, c, h, w = x.shape
    return x.reshape(n, b, b, c // (b * b), h, w).permute(0, 3, 4, 1, 5, 2).reshape(n, c // (b * b), h * b, w * b)


def s2d_dcr(x, b):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // b, b, w // b, b).permute(0, 3, 5, 1, 2, 4).reshape(n, c * b * b, h // b, w // b)


def d2s_crd(x, b):
    """pixel_shuffle's order by the reshape formula (PyTorch 1.13's backward fails on an empty batch)."""
    n, c, h, w = x.shape
    return x.reshape(n, c // (b * b), b, b, h, w).permute(0, 1, 4, 2, 5, 3).reshape(n, c // (b * b), h * b, w * b)


def s2d_crd(x, b):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // b, b, w // b, b).permute(0, 1, 3, 5, 2, 4).reshape(n, c * b * b, h // b, w // b)


def depth(outdir):
    n = 0
    for name, shape, b in [("b2", (2, 8, 2, 3), 2), ("b3", (1, 9, 2, 2), 3), ("b1", (1, 3, 2, 2), 1), ("empty", (0, 4, 2, 2), 2)]:
        write(outdir, f"d2s_dcr_{name}", {"x": rnd(*shape)}, lambda x, b=b: d2s_dcr(x, b), {"attr:block": I(b), "attr:crd": I(0)})
        write(outdir, f"d2s_crd_{name}", {"x": rnd(*shape)}, lambda x, b=b: F.pixel_shuffle(x, b) if x.numel() else d2s_crd(x, b),
              {"attr:block": I(b), "attr:crd": I(1)})
        n += 2
    write(outdir, "d2s_crd_rank5", {"x": rnd(2, 1, 4, 2, 2)}, lambda x: F.pixel_shuffle(x, 2), {"attr:block": I(2), "attr:crd": I(1)})
    write(outdir, "d2s_crd_rank3", {"x": rnd(9, 1, 2)}, lambda x: F.pixel_shuffle(x, 3), {"attr:block": I(3), "attr:crd": I(1)})
    n += 2
    for name, shape, b in [("b2", (2, 3, 4, 6), 2), ("b3", (1, 2, 3, 6), 3), ("empty", (0, 2, 2, 2), 2)]:
        write(outdir, f"s2d_dcr_{name}", {"x": rnd(*shape)}, lambda x, b=b: s2d_dcr(x, b), {"attr:block": I(b), "attr:crd": I(0)})
        write(outdir, f"s2d_crd_{name}", {"x": rnd(*shape)}, lambda x, b=b: F.pixel_unshuffle(x, b) if x.numel() else s2d_crd(x, b),
              {"attr:block": I(b), "attr:crd": I(1)})
        n += 2
    write(outdir, "s2d_crd_rank6", {"x": rnd(1, 2, 1, 2, 4, 2)}, lambda x: F.pixel_unshuffle(x, 2), {"attr:block": I(2), "attr:crd": I(1)})
    return n + 1


# ---- integer and bool data (forward only) ---------------------------------------------------------------

def integers(outdir):
    rng = np.random.default_rng(5)
    i32 = lambda *s: rng.integers(-50, 50, size=s).astype(np.int32)
    i64 = lambda *s: rng.integers(-2**40, 2**40, size=s).astype(np.int64)
    bl = lambda *s: rng.integers(0, 2, size=s).astype(bool)
    x = i64(2, 3, 4)
    write_int(outdir, "transpose_i64", {"x": x}, np.transpose(x, (2, 0, 1)), {"attr:perm": I([2, 0, 1])})
    x = bl(1, 3, 1)
    write_int(outdir, "squeeze_bool", {"x": x}, x.reshape(3), {})
    x = i32(3, 2)
    write_int(outdir, "unsqueeze_i32", {"x": x}, x.reshape(1, 3, 2), {"attr:axes": I([0])})
    x = i64(2, 3, 2)
    write_int(outdir, "flatten_i64", {"x": x}, x.reshape(6, 2), {"attr:axis": I(2)})
    x = i32(3, 1)
    write_int(outdir, "expand_i32", {"x": x}, np.broadcast_to(x, (2, 3, 4)).copy(), {"attr:shape": I([2, 1, 4])})
    x = bl(2, 3)
    write_int(outdir, "tile_bool", {"x": x}, np.tile(x, (2, 2)), {"attr:repeats": I([2, 2])})
    x = i64(7, 3)
    write_int(outdir, "slice_i64", {"x": x}, x[6:0:-2, 1:], {"attr:starts": I([-1, 1]), "attr:ends": I([0, I64_MAX]),
                                                            "attr:steps": I([-2, 1])})
    x, idx = i32(4, 3), np.array([[3, -4]], np.int64)
    write_int(outdir, "gather_i32", {"data": x, "indices": idx}, x[[[3, 0]], :], {"attr:axis": I(0)})
    x, idx = bl(3, 4), np.array([[1, 0], [3, -1], [2, 2]], np.int32)
    write_int(outdir, "gatherel_bool", {"data": x, "indices": idx}, np.take_along_axis(x, idx % 4, 1), {"attr:axis": I(1)})
    x, idx, upd = i64(3, 4), np.array([[0, 2, 0]], np.int64), i64(1, 3)
    out = x.copy()
    for j in range(3):
        out[0, idx[0, j]] += upd[0, j]
    write_int(outdir, "scatter_i64_add", {"data": x, "updates": upd, "indices": idx}, out, {"attr:axis": I(1), "attr:add": I(1)})
    x, idx, upd = i32(4, 2), np.array([[3, 1], [0, 2]], np.int64), i32(2, 2)
    out = x.copy()
    for a in range(2):
        for b in range(2):
            out[idx[a, b], b] = upd[a, b]
    write_int(outdir, "scatter_i32_none", {"data": x, "updates": upd, "indices": idx}, out, {"attr:axis": I(0), "attr:add": I(0)})
    x = i32(2, 3)
    write_int(outdir, "pad_i32", {"x": x}, np.pad(x, ((1, 0), (0, 2)), constant_values=7),
              {"attr:pads": I([1, 0, 0, 2]), "attr:mode": I(0), "attr:value": np.array([7.0], np.float32)})
    x = bl(2, 4)
    write_int(outdir, "pad_bool_reflect", {"x": x}, np.pad(x, ((0, 0), (2, 1)), mode="reflect"),
              {"attr:pads": I([0, 2, 0, 1]), "attr:mode": I(1), "attr:value": np.array([0.0], np.float32)})
    x = i64(1, 8, 2, 1)
    write_int(outdir, "d2s_i64", {"x": x}, d2s_dcr(torch.from_numpy(x), 2).numpy(), {"attr:block": I(2), "attr:crd": I(0)})
    x = bl(1, 1, 4, 2)
    write_int(outdir, "s2d_bool", {"x": x}, F.pixel_unshuffle(torch.from_numpy(x.astype(np.int32)), 2).numpy().astype(bool),
              {"attr:block": I(2), "attr:crd": I(1)})
    xs = {"x0": i32(2, 1), "x1": i32(2, 0), "x2": i32(2, 3)}
    write_int(outdir, "cat_i32", xs, np.concatenate(list(xs.values()), 1), {"attr:axis": I(-1)})
    xs = {"x0": bl(1, 2), "x1": bl(2, 2)}
    write_int(outdir, "cat_bool", xs, np.concatenate(list(xs.values()), 0), {"attr:axis": I(0)})
    return 17


def make(outdir):
    return transposes(outdir) + views(outdir) + expands(outdir) + slices(outdir) + gathers(outdir) + pads(outdir) + \
        depth(outdir) + integers(outdir)
