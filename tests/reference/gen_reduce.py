"""Fixtures for the reduce family: reductions over axes, argmax/argmin, top-k, cumsum, matmul, gemm and einsum.
PyTorch in float64 from float32 inputs. Integer outputs (argmax, top-k's indices) are stored as int64 and have
no dout or gradients. Top-k's ties follow ONNX (lower index first), which torch.topk does not promise, so the
tie fixture's reference is a stable sort."""
import os

import numpy as np
import torch

import fvfx

KINDS = ["sum", "mean", "max", "min", "prod", "l1", "l2", "sum_square", "log_sum_exp"]


def reduce_ref(kind, x, axes, keepdims):
    """The torch reduction; axes [] means all axes (ONNX noop_with_empty_axes = 0)."""
    dim = tuple(axes) if axes else tuple(range(x.dim()))
    if x.dim() == 0:
        dim = ()
    if not dim:  # a scalar: nothing to reduce, but keep the kind's elementwise effect
        return {"sum": x, "mean": x, "max": x, "min": x, "prod": x, "l1": x.abs(), "l2": x.abs(),
                "sum_square": x * x, "log_sum_exp": x}[kind]
    if kind == "sum":
        return torch.sum(x, dim, keepdim=keepdims)
    if kind == "mean":
        return torch.mean(x, dim, keepdim=keepdims)
    if kind == "max":
        return torch.amax(x, dim, keepdim=keepdims)
    if kind == "min":
        return torch.amin(x, dim, keepdim=keepdims)
    if kind == "prod":  # torch.prod takes one dim: reduce one at a time, highest first
        y = x
        for d in sorted((d % x.dim() for d in dim), reverse=True):
            y = torch.prod(y, d, keepdim=True)
        if not keepdims:
            for d in sorted((d % x.dim() for d in dim), reverse=True):
                y = y.squeeze(d)
        return y
    if kind == "l1":
        return torch.norm(x, p=1, dim=dim, keepdim=keepdims)
    if kind == "l2":
        return torch.norm(x, p=2, dim=dim, keepdim=keepdims)
    if kind == "sum_square":
        return torch.sum(x * x, dim, keepdim=keepdims)
    return torch.logsumexp(x, dim, keepdim=keepdims)


def write(outdir, name, op, xs, fn, attrs=None, gradcheck=True, grads=True):
    """xs: dict of input name -> float32 tensor; fn maps the float64 inputs to the output."""
    xd = {k: v.double().requires_grad_(grads) for k, v in xs.items()}
    y = fn(*xd.values())
    e = {"meta:op": op}
    if not gradcheck:
        e["meta:gradcheck"] = np.array([0], np.int32)
    e.update(attrs or {})
    e.update({f"in:{k}": v.numpy() for k, v in xs.items()})
    if grads:
        dout = torch.randn(y.shape, dtype=torch.float32)
        y.backward(dout.double())
        e.update({"out": fvfx.tensor(y), "dout": dout.numpy()})
        e.update({f"grad:{k}": fvfx.tensor(v.grad) for k, v in xd.items()})
    else:
        e["out"] = fvfx.I64(y.detach().numpy())
    fvfx.write(os.path.join(outdir, f"{name}.fvx"), e)


def i32(*v):
    return np.array(v, np.int32)


def reductions(outdir):
    configs = [  # name, shape, axes, keepdims
        ("rows", (3, 5), [1], False),
        ("all", (2, 3, 4), [], False),
        ("all_keep", (2, 3, 4), [], True),
        ("neg_keep", (2, 3, 4, 5), [-1, 1], True),
        ("middle", (2, 3, 4, 5), [1, 2], False),
        ("split", (2, 3, 4, 5), [0, 2], False),
        ("rank1", (7,), [0], False),
        ("rank0", (), [], False),
        ("rank5", (2, 1, 3, 2, 2), [1, 3, -1], True),
        ("rank6", (2, 1, 2, 3, 1, 2), [0, 3, 5], False),
        ("size1", (3, 1, 4), [1], False),
    ]
    count = 0
    for kind in KINDS:
        for name, shape, axes, keep in configs:
            x = torch.randn(shape)
            if kind == "prod":  # keep products of order 1
                x = torch.sign(x) * (0.6 + 0.8 * torch.rand(shape))
            attrs = {"attr:axes": i32(*axes), "attr:keepdims": i32(int(keep))}
            write(outdir, f"reduce_{kind}_{name}", f"reduce_{kind}", {"x": x},
                  lambda x, kind=kind, axes=axes, keep=keep: reduce_ref(kind, x, axes, keep), attrs)
            count += 1
    # ties (max/min share the gradient) and zeros (prod's special cases); no finite differences at kinks
    tie = torch.tensor([[1, 3, 3, 2], [4, 4, 4, 4], [0, -2, 5, -2]], dtype=torch.float32)
    for kind in ["max", "min"]:
        write(outdir, f"reduce_{kind}_ties", f"reduce_{kind}", {"x": tie},
              lambda x, kind=kind: reduce_ref(kind, x, [1], False),
              {"attr:axes": i32(1), "attr:keepdims": i32(0)}, gradcheck=False)
    zeros = torch.tensor([[1.5, 0, 2, -1], [0, 2, 0, 3], [1, 2, -0.5, 3]], dtype=torch.float32)
    write(outdir, "reduce_prod_zeros", "reduce_prod", {"x": zeros}, lambda x: reduce_ref("prod", x, [1], False),
          {"attr:axes": i32(1), "attr:keepdims": i32(0)}, gradcheck=False)
    write(outdir, "reduce_l2_zero", "reduce_l2", {"x": torch.tensor([[0.0, 0, 0], [3, 0, -4]])},
          lambda x: reduce_ref("l2", x, [1], False), {"attr:axes": i32(1), "attr:keepdims": i32(0)}, gradcheck=False)
    big = torch.tensor([[1000.0, 999, 998], [-1000, -1001, -999]])
    write(outdir, "reduce_log_sum_exp_large", "reduce_log_sum_exp", {"x": big},
          lambda x: reduce_ref("log_sum_exp", x, [1], True), {"attr:axes": i32(-1), "attr:keepdims": i32(1)},
          gradcheck=False)  # steps of 1e-3 * 1000 are too coarse for finite differences
    # empty: sum 0, prod 1 over a dimension of size 0; a kept dimension of size 0 gives an empty output
    for kind in ["sum", "prod", "l1", "sum_square"]:
        write(outdir, f"reduce_{kind}_empty", f"reduce_{kind}", {"x": torch.randn(3, 0)},
              lambda x, kind=kind: reduce_ref(kind, x, [1], False),
              {"attr:axes": i32(1), "attr:keepdims": i32(0)}, gradcheck=False)
        write(outdir, f"reduce_{kind}_empty_kept", f"reduce_{kind}", {"x": torch.randn(0, 4)},
              lambda x, kind=kind: reduce_ref(kind, x, [1], True),
              {"attr:axes": i32(1), "attr:keepdims": i32(1)}, gradcheck=False)
        count += 2
    return count + 5


def args(outdir):
    configs = [  # name, x, axis, keepdims, select_last_index
        ("rows", torch.randn(3, 5), 1, False, False),
        ("neg_keep", torch.randn(2, 3, 4), -2, True, False),
        ("rank1", torch.randn(6), 0, False, False),
        ("rank0", torch.randn(()), 0, False, False),
        ("rank6", torch.randn(2, 1, 2, 3, 1, 2), 3, True, False),
        ("ties", torch.tensor([[1.0, 3, 3, 0], [2, 2, 0, 0], [5, 5, 5, 5]]), 1, False, False),
        ("ties_last", torch.tensor([[1.0, 3, 3, 0], [2, 2, 0, 0], [5, 5, 5, 5]]), 1, False, True),
        ("nan", torch.tensor([[1.0, float("nan"), 3], [0, 2, float("nan")]]), 1, False, False),
    ]
    for name, x, axis, keep, last in configs:
        for op in ["argmax", "argmin"]:
            arr = x.double().numpy()
            if op == "argmin":
                arr = -arr
            moved = np.moveaxis(arr.reshape(arr.shape or (1,)), axis, -1)
            # first occurrence (torch's rule), NaN first of all; select_last_index: the last of the ties
            key = np.where(np.isnan(moved), np.inf, moved)
            best = np.nanmax(key, axis=-1, keepdims=True)
            hits = key == best
            idx = (moved.shape[-1] - 1 - np.argmax(hits[..., ::-1], -1)) if last else np.argmax(hits, -1)
            if not last:
                assert np.array_equal(idx, (torch.argmax if op == "argmax" else torch.argmin)(
                    x.reshape(x.shape or (1,)), axis).numpy())
            if keep:
                idx = np.expand_dims(idx, axis)
            if x.dim() == 0:
                idx = idx.reshape(())
            e = {"meta:op": op, "attr:axis": i32(axis), "attr:keepdims": i32(int(keep)),
                 "attr:last": i32(int(last)), "in:x": x.numpy(), "out": fvfx.I64(idx)}
            fvfx.write(os.path.join(outdir, f"{op}_{name}.fvx"), e)
    return 2 * len(configs)


def stable_topk(x, k, axis, largest):
    """ONNX's order: by value, ties by lower index (a stable sort), NaN as the largest."""
    a = np.moveaxis(x.double().numpy(), axis, -1)
    key = np.where(np.isnan(a), np.inf, a)
    order = np.argsort(-key if largest else key, axis=-1, kind="stable")[..., :k]
    return np.moveaxis(order, -1, axis)


def topks(outdir):
    configs = [  # name, shape, k, axis, largest
        ("rows", (3, 7), 3, 1, True),
        ("smallest", (3, 7), 2, -1, False),
        ("middle", (2, 5, 3), 4, 1, True),
        ("all", (6,), 6, 0, False),
        ("zero", (3, 4), 0, 1, True),
        ("rank6", (2, 1, 3, 4, 1, 2), 2, 3, True),
        ("ties", None, 3, 1, True),
    ]
    for name, shape, k, axis, largest in configs:
        x = torch.randn(shape) if shape else torch.tensor([[1.0, 3, 3, 2, 3, 1], [0, 0, 0, 0, 0, 0]])
        idx = stable_topk(x, k, axis, largest)
        if name != "ties":
            ref = torch.topk(x.double(), k, axis, largest).indices.numpy()
            assert np.array_equal(ref, idx), name
        attrs = {"attr:k": i32(k), "attr:axis": i32(axis), "attr:largest": i32(int(largest))}
        t = torch.from_numpy(idx)
        write(outdir, f"topk_{name}", "topk", {"x": x}, lambda x, t=t, axis=axis: torch.gather(x, axis, t), attrs,
              gradcheck=name not in ("ties", "zero"))
        e = {"meta:op": "topk_indices", **attrs, "in:x": x.numpy(), "out": fvfx.I64(idx)}
        fvfx.write(os.path.join(outdir, f"topkidx_{name}.fvx"), e)
    return 2 * len(configs)


def cumsum_ref(x, axis, exclusive, reverse):
    if x.dim() == 0:
        return x * 0 if exclusive else x
    y = x.flip(axis) if reverse else x
    y = torch.cumsum(y, axis) - (y if exclusive else 0)
    return y.flip(axis) if reverse else y


def cumsums(outdir):
    configs = [  # name, shape, axis
        ("rows", (3, 5), 1),
        ("neg", (2, 3, 4), -3),
        ("rank1", (7,), 0),
        ("rank0", (), 0),
        ("rank6", (2, 1, 2, 3, 1, 2), 3),
        ("empty", (2, 0, 3), 2),
    ]
    count = 0
    for name, shape, axis in configs:
        x = torch.randn(shape)
        for exclusive in (False, True):
            for reverse in (False, True):
                tag = ("_excl" if exclusive else "") + ("_rev" if reverse else "")
                attrs = {"attr:axis": i32(axis), "attr:exclusive": i32(int(exclusive)),
                         "attr:reverse": i32(int(reverse))}
                write(outdir, f"cumsum_{name}{tag}", "cumsum", {"x": x},
                      lambda x, a=axis, e=exclusive, r=reverse: cumsum_ref(x, a, e, r), attrs,
                      gradcheck=name != "empty")
                count += 1
    return count


def matmuls(outdir):
    configs = [  # name, shape of a, shape of b
        ("plain", (3, 4), (4, 5)),
        ("vec_mat", (4,), (4, 5)),
        ("mat_vec", (3, 4), (4,)),
        ("dot", (6,), (6,)),
        ("batch", (2, 3, 4), (2, 4, 5)),
        ("bcast", (2, 1, 3, 4), (5, 4, 2)),
        ("bcast_b", (3, 4), (2, 3, 4, 2)),
        ("vec_batch", (4,), (2, 4, 3)),
        ("batch_vec", (2, 3, 3, 4), (4,)),
        ("attention", (2, 3, 5, 4), (2, 3, 4, 5)),
        ("rank6", (2, 1, 2, 1, 3, 4), (1, 2, 1, 2, 4, 3)),
        ("odd", (17, 33), (33, 7)),
    ]
    for name, sa, sb in configs:
        write(outdir, f"matmul_{name}", "matmul", {"a": torch.randn(sa), "b": torch.randn(sb)}, torch.matmul)
    for name, sa, sb in [("empty_m", (0, 3), (3, 4)), ("empty_k", (3, 0), (0, 4)), ("empty_batch", (0, 2, 3), (3, 2))]:
        write(outdir, f"matmul_{name}", "matmul", {"a": torch.randn(sa), "b": torch.randn(sb)}, torch.matmul,
              gradcheck=False)
    return len(configs) + 3


def gemms(outdir):
    M, K, N = 3, 4, 5
    configs = [  # name, trans_a, trans_b, shape of c or None, alpha, beta
        ("plain", False, False, (M, N), 1.0, 1.0),
        ("ta", True, False, (N,), 0.5, 2.0),
        ("tb", False, True, (1, N), 1.5, -1.0),
        ("tab", True, True, (M, 1), 1.0, 0.5),
        ("scalar_c", False, False, (), 2.0, 3.0),
        ("no_c", False, True, None, 0.7, 1.0),
        ("one_c", True, False, (1,), 1.0, 1.0),
    ]
    for name, ta, tb, cs, alpha, beta in configs:
        xs = {"a": torch.randn((K, M) if ta else (M, K)), "b": torch.randn((N, K) if tb else (K, N))}
        if cs is not None:
            xs["c"] = torch.randn(cs)

        def fn(a, b, c=None, ta=ta, tb=tb, alpha=alpha, beta=beta):
            y = alpha * ((a.t() if ta else a) @ (b.t() if tb else b))
            return y if c is None else y + beta * c
        attrs = {"attr:alpha": np.array([alpha], np.float32), "attr:beta": np.array([beta], np.float32),
                 "attr:ta": i32(int(ta)), "attr:tb": i32(int(tb))}
        write(outdir, f"gemm_{name}", "gemm", xs, fn, attrs)
    return len(configs)


def einsums(outdir):
    configs = [  # name, equation, shape of a, shape of b
        ("qk", "bhqd,bhkd->bhqk", (2, 3, 5, 4), (2, 3, 6, 4)),
        ("av", "bhqk,bhkd->bhqd", (2, 3, 5, 6), (2, 3, 6, 4)),
        ("bmm", "bij,bjk->bik", (2, 3, 4), (2, 4, 5)),
        ("gram", "bid,bjd->bij", (2, 3, 4), (2, 5, 4)),
        ("mm", "ij,jk->ik", (3, 4), (4, 5)),
        ("transposed_out", "ij,jk->ki", (3, 4), (4, 5)),
        ("ta", "ji,jk->ik", (4, 3), (4, 5)),
        ("groups", "bmnk,bkp->bmnp", (2, 3, 2, 4), (2, 4, 5)),
    ]
    for name, eq, sa, sb in configs:
        write(outdir, f"einsum_{name}", "einsum", {"a": torch.randn(sa), "b": torch.randn(sb)},
              lambda a, b, eq=eq: torch.einsum(eq, a, b), {"meta:equation": eq})
    return len(configs)


def make(outdir):
    return (reductions(outdir) + args(outdir) + topks(outdir) + cumsums(outdir) + matmuls(outdir) + gemms(outdir)
            + einsums(outdir))
