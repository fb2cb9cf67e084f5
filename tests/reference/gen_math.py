"""Fixtures for the math family (src/ops/binary.c, unary.c, compare.c, where.c, cast.c, softmax.c): PyTorch in
float64 from float32 inputs, forward and gradients, over broadcasting, ranks 0 to 6 and empty dimensions.
Integer and bool results are stored as int32/int64/bool and compared exactly. Names start with math_."""
import os

import numpy as np
import torch
import torch.nn.functional as F

import fvfx

BIN_KINDS = ["add", "sub", "mul", "div", "pow", "min", "max", "prelu"]
UN_KINDS = ["neg", "abs", "exp", "log", "sqrt", "reciprocal", "erf", "floor", "ceil", "round", "sign", "clip",
            "gelu", "gelu_tanh", "selu", "softplus", "mish", "hardtanh", "log_sigmoid"]
CMP_KINDS = ["eq", "lt", "le", "gt", "ge"]
LOGIC_KINDS = ["not", "and", "or", "xor"]

BROADCASTS = [  # name, shape of a, shape of b
    ("same", (3, 4), (3, 4)),
    ("chan", (2, 3, 2, 2), (3, 1, 1)),
    ("outer", (1, 3, 1, 4), (2, 1, 3, 1)),
    ("scalar", (2, 3), ()),
    ("scalar_first", (), (4,)),
    ("rank5", (2, 1, 3, 1, 2), (3, 2, 1)),
    ("rank6", (1, 2, 1, 2, 1, 3), (2, 1, 2, 1, 3, 1)),
    ("empty", (0, 3), (1, 3)),
    ("empty_bcast", (2, 0, 1), (3,)),
]


def write(outdir, name, xs, fn, attrs=None, grads=True, gradcheck=True):
    """xs: dict of input name -> tensor (float32 inputs take gradients); fn maps the inputs (float ones in
    float64) to the output."""
    xd = {k: (v.double().requires_grad_() if v.dtype == torch.float32 and grads else v) for k, v in xs.items()}
    y = fn(*xd.values())
    e = {"meta:op": name}
    if any(v.numel() == 0 for v in xs.values()):
        gradcheck = False  # nothing to perturb
    if not gradcheck:
        e["meta:gradcheck"] = np.array([0], np.int32)
    e.update(attrs or {})
    e.update({f"in:{k}": store(v) for k, v in xs.items()})
    if y.dtype == torch.float64:
        e["out"] = fvfx.tensor(y)
        if grads and any(v.requires_grad for v in xd.values()):
            dout = torch.randn(y.shape, dtype=torch.float32)
            y.backward(dout.double())
            e["dout"] = dout.numpy()
            e.update({f"grad:{k}": fvfx.tensor(v.grad if v.grad is not None else torch.zeros_like(v))
                      for k, v in xd.items() if v.requires_grad})
    else:
        e["out"] = store(y)
    fvfx.write(os.path.join(outdir, f"{name}.fvx"), e)


def store(t):
    if t.dtype == torch.int64:
        return fvfx.I64(t.numpy())
    if t.dtype == torch.float64:
        return fvfx.tensor(t)
    return t.numpy()


def kind_attr(k):
    return {"attr:kind": np.array([k], np.int32)}


def rnd(shape, lo=-2.0, hi=2.0):
    return torch.rand(shape) * (hi - lo) + lo


BIN_FN = {
    "add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div, "pow": torch.pow,
    "min": torch.minimum, "max": torch.maximum,
}


def binaries(outdir):
    n = 0
    for kind in ["add", "sub", "mul", "div", "pow", "min", "max"]:
        for bname, sa, sb in BROADCASTS:
            a, b = rnd(sa), rnd(sb)
            if kind == "pow":
                a = rnd(sa, 0.3, 2.0)
            if kind == "div":
                b = torch.sign(b + 1e-3) * (b.abs() + 0.5)
            write(outdir, f"math_bin_{kind}_{bname}", {"a": a, "b": b}, BIN_FN[kind], kind_attr(BIN_KINDS.index(kind)))
            n += 1
    # ties split the gradient half and half (torch.minimum/maximum); the finite differences skip them
    a = torch.tensor([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]])
    b = torch.tensor([1.0, -2.0, 3.0])
    for kind in ["min", "max"]:
        write(outdir, f"math_bin_{kind}_ties", {"a": a, "b": b}, BIN_FN[kind], kind_attr(BIN_KINDS.index(kind)))
        n += 1
    # pow at zero bases and exponents: PyTorch's special cases (negative bases give NaN gradients)
    a = torch.tensor([0.0, 0.0, 2.0, 0.0, 3.0])
    b = torch.tensor([0.0, 2.0, 0.0, 1.0, -1.0])
    write(outdir, "math_bin_pow_special", {"a": a, "b": b}, torch.pow, kind_attr(4), gradcheck=False)
    n += 1
    # the same input on both sides: both gradients land in one buffer
    x = rnd((2, 3))
    write(outdir, "math_bin_sub_self", {"a": x}, lambda a: a - a, {**kind_attr(1), "attr:self": np.array([1], np.int32)})
    write(outdir, "math_bin_mul_self", {"a": x}, lambda a: a * a, {**kind_attr(2), "attr:self": np.array([1], np.int32)})
    return n + 2


def prelus(outdir):
    configs = [  # name, x shape, slope shape, channels (PyTorch's axis-1 slope)
        ("onnx_chan", (2, 3, 2, 2), (3, 1, 1), False),
        ("onnx_last", (2, 3, 4), (4,), False),
        ("onnx_scalar", (3, 4), (1,), False),
        ("onnx_full", (2, 3), (2, 3), False),
        ("torch_chan", (2, 3, 2, 2), (3,), True),
        ("torch_one", (2, 3, 4), (1,), True),
        ("torch_2d", (4, 5), (5,), True),
        ("rank6", (1, 2, 1, 2, 2, 3), (2, 1, 1), False),
        ("empty", (0, 3, 2), (3, 1), False),
    ]
    for name, sx, ss, chan in configs:
        x, s = rnd(sx), rnd(ss, 0.05, 0.5)
        if chan and len(sx) >= 2:
            fn = F.prelu
        else:
            def fn(x, s):
                return torch.where(x > 0, x, s * x)
        write(outdir, f"math_prelu_{name}", {"x": x, "slope": s}, fn,
              {"attr:channels": np.array([int(chan)], np.int32)})
    return len(configs)


def int_binaries(outdir):
    n = 0
    fns = {"add": torch.add, "sub": torch.sub, "mul": torch.mul,
           "div": lambda a, b: torch.div(a, b, rounding_mode="trunc"),
           "min": torch.minimum, "max": torch.maximum}
    for dt, tag in [(torch.int32, "i32"), (torch.int64, "i64")]:
        for kind, fn in fns.items():
            for bname, sa, sb in [("chan", (2, 3, 2), (3, 1)), ("scalar", (4,), ()), ("empty", (0, 2), (2,))]:
                a = torch.randint(-20, 20, sa, dtype=dt)
                b = torch.randint(-6, 7, sb, dtype=dt)
                if kind == "div":
                    b[b == 0] = 3
                write(outdir, f"math_int_{kind}_{tag}_{bname}", {"a": a, "b": b}, fn, kind_attr(BIN_KINDS.index(kind)))
                n += 1
    # wrap-around (two's complement) and INT_MIN / -1
    big = torch.tensor([2**31 - 1, -2**31, -2**31, 7], dtype=torch.int32)
    one = torch.tensor([1, -1, 1, -1], dtype=torch.int32)
    write(outdir, "math_int_add_i32_wrap", {"a": big, "b": one},
          lambda a, b: torch.tensor([-2**31, 2**31 - 1, -2**31 + 1, 6], dtype=torch.int32), kind_attr(0))
    write(outdir, "math_int_div_i32_wrap", {"a": big, "b": one},
          lambda a, b: torch.tensor([2**31 - 1, -2**31, -2**31, -7], dtype=torch.int32), kind_attr(3))
    return n + 2


UN_FN = {
    "neg": torch.neg, "abs": torch.abs, "exp": torch.exp, "log": torch.log, "sqrt": torch.sqrt,
    "reciprocal": torch.reciprocal, "erf": torch.erf, "floor": torch.floor, "ceil": torch.ceil,
    "round": torch.round, "sign": torch.sign,
    "gelu": lambda x: F.gelu(x), "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"), "selu": F.selu,
    "mish": F.mish, "log_sigmoid": F.logsigmoid,
}
UN_SHAPES = [("r0", ()), ("r1", (7,)), ("r3", (2, 3, 4)), ("r5", (1, 2, 1, 3, 2)), ("r6", (1, 2, 1, 2, 1, 3)),
             ("empty", (2, 0, 3))]


def un_input(kind, shape):
    if kind in ("log", "sqrt", "reciprocal"):
        return rnd(shape, 0.2, 3.0)
    if kind == "round":
        x = rnd(shape, -4.0, 4.0)
        halves = torch.tensor([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.5])
        flat = x.reshape(-1)
        flat[: min(7, flat.numel())] = halves[: min(7, flat.numel())]
        return x
    if kind in ("exp", "softplus", "mish", "selu", "log_sigmoid", "gelu", "gelu_tanh"):
        return rnd(shape, -4.0, 4.0)
    return rnd(shape, -3.0, 3.0)


def unaries(outdir):
    n = 0
    for kind in UN_KINDS:
        params = {
            "clip": [(-1.0, 1.5), (-float("inf"), 0.5), (-0.5, float("inf")), (1.0, -1.0)],
            "hardtanh": [(-1.0, 1.0), (-0.5, 2.0)],
            "softplus": [(1.0, 20.0), (2.0, 1.0)],
            "selu": [(1.6732632423543772, 1.0507009873554805)],
        }.get(kind, [(0.0, 0.0)])
        for pi, (p0, p1) in enumerate(params):
            for sname, shape in (UN_SHAPES if pi == 0 else UN_SHAPES[2:3]):
                x = un_input(kind, shape)
                if kind == "clip":
                    def fn(x, p0=p0, p1=p1):
                        return torch.clamp(x, None if p0 == -float("inf") else p0, None if p1 == float("inf") else p1)
                elif kind == "hardtanh":
                    def fn(x, p0=p0, p1=p1):
                        return F.hardtanh(x, p0, p1)
                elif kind == "softplus":
                    def fn(x, p0=p0, p1=p1):
                        return F.softplus(x, p0, p1)
                else:
                    fn = UN_FN[kind]
                attrs = {**kind_attr(UN_KINDS.index(kind)), "attr:p0": np.array([p0], np.float32),
                         "attr:p1": np.array([p1], np.float32)}
                # round's half-way points sit on its jumps, which the finite differences skip
                write(outdir, f"math_un_{kind}_{pi}_{sname}", {"x": x}, fn, attrs,
                      gradcheck=kind != "round" or x.numel() > 7)
                n += 1
    # clip's gradient is 1 at its bounds (inclusive), hardtanh's 0 (exclusive); gradcheck skips the kinks
    x = torch.tensor([-1.0, 1.0, 0.0, 2.0, -3.0, 0.5])
    write(outdir, "math_un_clip_edges", {"x": x}, lambda x: torch.clamp(x, -1.0, 1.0),
          {**kind_attr(UN_KINDS.index("clip")), "attr:p0": np.array([-1.0], np.float32),
           "attr:p1": np.array([1.0], np.float32)})
    write(outdir, "math_un_hardtanh_edges", {"x": x}, lambda x: F.hardtanh(x, -1.0, 1.0),
          {**kind_attr(UN_KINDS.index("hardtanh")), "attr:p0": np.array([-1.0], np.float32),
           "attr:p1": np.array([1.0], np.float32)})
    # large inputs: the stable forms of softplus, mish, log-sigmoid
    x = torch.tensor([-60.0, -25.0, -5.0, 0.0, 5.0, 25.0, 60.0])
    for kind in ("softplus", "mish", "log_sigmoid"):
        fn = (lambda x: F.softplus(x)) if kind == "softplus" else UN_FN[kind]
        write(outdir, f"math_un_{kind}_large", {"x": x}, fn,
              {**kind_attr(UN_KINDS.index(kind)), "attr:p0": np.array([1.0], np.float32),
               "attr:p1": np.array([20.0], np.float32)})
    return n + 5


def softmaxes(outdir):
    configs = [  # name, shape, axis, flat
        ("r0", (), 0, False), ("r0_neg", (), -1, False), ("r1", (5,), 0, False), ("r3_mid", (2, 4, 3), 1, False),
        ("r3_neg", (2, 4, 3), -3, False), ("r5", (2, 1, 3, 2, 2), 2, False), ("r6", (1, 2, 2, 1, 3, 2), -1, False),
        ("r6_first", (3, 2, 1, 2, 1, 2), 0, False), ("empty_outer", (0, 3), 1, False),
        ("empty_axis", (2, 0, 3), 1, False),
        ("flat1", (2, 3, 4), 1, True), ("flat0", (2, 3), 0, True), ("flat_neg", (2, 3, 2, 2), -2, True),
        ("flat_end", (2, 3), 2, True),
    ]
    for name, shape, axis, flat in configs:
        x = rnd(shape, -3.0, 3.0)
        for log in (False, True):
            def fn(x, axis=axis, flat=flat, log=log):
                f = torch.log_softmax if log else torch.softmax
                if not flat:
                    return f(x, axis)
                a = axis + x.dim() if axis < 0 else axis
                lead = int(np.prod(x.shape[:a]))
                return f(x.reshape(lead, -1), 1).reshape(x.shape)
            attrs = {"attr:axis": np.array([axis], np.int32), "attr:flat": np.array([int(flat)], np.int32),
                     "attr:log": np.array([int(log)], np.int32)}
            write(outdir, f"math_softmax_{'log_' if log else ''}{name}", {"x": x}, fn, attrs)
    return 2 * len(configs)


def compares(outdir):
    n = 0
    fns = [torch.eq, torch.lt, torch.le, torch.gt, torch.ge]
    for k, fn in enumerate(fns):
        for bname, sa, sb in [("chan", (2, 3, 2), (3, 1)), ("rank6", (1, 2, 1, 2, 1, 2), (2, 1, 2, 1)),
                              ("empty", (0, 2), (2,)), ("scalar", (), (3,))]:
            a = torch.randint(-2, 3, sa).float()
            b = torch.randint(-2, 3, sb).float()
            write(outdir, f"math_cmp_{CMP_KINDS[k]}_f32_{bname}", {"a": a, "b": b}, fn, kind_attr(k), grads=False)
            n += 1
            if bname == "chan":
                write(outdir, f"math_cmp_{CMP_KINDS[k]}_i64_{bname}", {"a": a.long(), "b": b.long()}, fn,
                      kind_attr(k))
                write(outdir, f"math_cmp_{CMP_KINDS[k]}_i32_{bname}", {"a": a.int(), "b": b.int()}, fn, kind_attr(k))
                n += 2
        nan = torch.tensor([float("nan"), 1.0, float("nan"), float("inf")])
        other = torch.tensor([float("nan"), float("nan"), 1.0, float("inf")])
        write(outdir, f"math_cmp_{CMP_KINDS[k]}_nan", {"a": nan, "b": other}, fn, kind_attr(k), grads=False)
        n += 1
    x = torch.tensor([[float("nan"), 1.0, float("inf")], [-float("inf"), 0.0, -2.0]])
    write(outdir, "math_test_isnan", {"x": x}, torch.isnan, kind_attr(5), grads=False)
    write(outdir, "math_test_isinf", {"x": x}, torch.isinf, kind_attr(6), grads=False)
    return n + 2


def logicals(outdir):
    n = 0
    fns = [None, torch.logical_and, torch.logical_or, torch.logical_xor]
    for k, fn in enumerate(fns):
        for bname, sa, sb in [("chan", (2, 3, 2), (3, 1)), ("rank6", (2, 1, 2, 1, 2, 1), (1, 2, 1, 2)),
                              ("empty", (0, 2), (2,)), ("scalar", (), ())]:
            a = torch.rand(sa) > 0.5
            if k == 0:
                write(outdir, f"math_logic_not_{bname}", {"a": a}, torch.logical_not, kind_attr(0))
            else:
                b = torch.rand(sb) > 0.5
                write(outdir, f"math_logic_{LOGIC_KINDS[k]}_{bname}", {"a": a, "b": b}, fn, kind_attr(k))
            n += 1
    return n


def wheres(outdir):
    configs = [  # name, cond shape, a shape, b shape
        ("same", (3, 4), (3, 4), (3, 4)),
        ("three_way", (2, 1, 3), (1, 4, 1), (4, 3)),
        ("scalar_b", (2, 3), (2, 3), ()),
        ("cond_small", (3, 1), (2, 3, 4), (1, 4)),
        ("rank6", (1, 2, 1, 2, 1, 2), (2, 1, 2, 1, 2, 1), (2,)),
        ("empty", (0, 3), (1, 3), (3,)),
    ]
    for name, sc, sa, sb in configs:
        c = torch.rand(sc) > 0.5
        write(outdir, f"math_where_{name}", {"cond": c, "a": rnd(sa), "b": rnd(sb)}, torch.where)
    c = torch.rand((2, 3)) > 0.5
    a, b = torch.randint(-5, 5, (2, 3)), torch.randint(-5, 5, (3,))
    write(outdir, "math_where_i64", {"cond": c, "a": a, "b": b}, torch.where)
    write(outdir, "math_where_i32", {"cond": c, "a": a.int(), "b": b.int()}, torch.where)
    write(outdir, "math_where_bool", {"cond": c, "a": a > 0, "b": b > 0}, torch.where)
    return len(configs) + 3


DTYPES = {"f32": (torch.float32, 0), "i32": (torch.int32, 1), "i64": (torch.int64, 2), "bool": (torch.bool, 3)}


def casts(outdir):
    n = 0
    base = torch.tensor([[-3.7, -1.0, -0.5, 0.0], [0.5, 1.0, 2.9, 1e6]])
    for fname, (fdt, _) in DTYPES.items():
        src = base if fdt == torch.float32 else base.to(torch.int64).to(fdt)
        for tname, (tdt, tcode) in DTYPES.items():
            attrs = {"attr:dtype": np.array([tcode], np.int32)}
            if fdt == torch.float32 and tdt == torch.float32:
                write(outdir, f"math_cast_{fname}_{tname}", {"x": src}, lambda x: x.clone(), attrs)
            else:
                write(outdir, f"math_cast_{fname}_{tname}", {"x": src}, lambda x, t=tdt: x.to(t), attrs,
                      grads=False, gradcheck=False)
            n += 1
    wrap = torch.tensor([2**31, -2**31 - 1, 2**40 + 5], dtype=torch.int64)
    write(outdir, "math_cast_i64_i32_wrap", {"x": wrap}, lambda x: x.to(torch.int32),
          {"attr:dtype": np.array([1], np.int32)})
    nanb = torch.tensor([float("nan"), 0.0, -0.0, float("inf")])
    write(outdir, "math_cast_f32_bool_nan", {"x": nanb}, lambda x: x.to(torch.bool),
          {"attr:dtype": np.array([3], np.int32)}, grads=False)
    return n + 2


def make(outdir):
    return (binaries(outdir) + prelus(outdir) + int_binaries(outdir) + unaries(outdir) + softmaxes(outdir)
            + compares(outdir) + logicals(outdir) + wheres(outdir) + casts(outdir))
