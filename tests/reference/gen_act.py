"""Fixtures for activations, softmax and log-softmax: torch.nn.functional in float64 from float32 inputs.

Activation inputs spread over [-6, 6] and include the exact kinks (0, +-3, +-6), where the gradient is the
one PyTorch's autograd picks (relu6 0 at 6, hardswish 1.5 at 3, ...). The finite-difference check in
tests/common/opcheck.c cannot judge a gradient exactly at a kink: both of its probes straddle it
symmetrically, agree with each other (so the kink is not detected) and give the mean of the two one-sided
slopes. So the kink points sit at indices that check does not sample (see gradcheck_samples); every value,
kinks included, is still compared with PyTorch."""
import os

import numpy as np
import torch
import torch.nn.functional as F

import fvfx

KINDS = {  # fv_activation_kind value, PyTorch function of (x, alpha)
    "relu": (0, lambda x, a: F.relu(x)),
    "leaky_relu": (1, lambda x, a: F.leaky_relu(x, a)),
    "relu6": (2, lambda x, a: F.relu6(x)),
    "elu": (3, lambda x, a: F.elu(x, a)),
    "sigmoid": (4, lambda x, a: torch.sigmoid(x)),
    "tanh": (5, lambda x, a: torch.tanh(x)),
    "silu": (6, lambda x, a: F.silu(x)),
    "hard_sigmoid": (7, lambda x, a: F.hardsigmoid(x)),
    "hard_swish": (8, lambda x, a: F.hardswish(x)),
}

KINKS = [0.0, -3.0, 3.0, 6.0, -6.0]


def gradcheck_samples(size, per_leaf=16):
    """The element indices opcheck's gradcheck probes (mirrors tests/common/opcheck.c)."""
    if size <= per_leaf:
        return set(range(size))
    return {((s * 2654435761) % 2**32) % size for s in range(per_leaf)}


def spread(shape, lo=-6.0, hi=6.0, kinks=()):
    """Uniform values in [lo, hi], with the kink points written at indices gradcheck skips."""
    x = torch.empty(shape, dtype=torch.float32).uniform_(lo, hi)
    if kinks:
        free = [i for i in range(x.numel()) if i not in gradcheck_samples(x.numel())]
        flat = x.view(-1)
        for k, i in zip(kinks, free[1::3]):  # spaced out, away from the first element
            flat[i] = k
    return x


def write(outdir, name, op, x, fn, attrs, dout=None, extra=None):
    xd = x.double().requires_grad_()
    y = fn(xd)
    if dout is None:
        dout = torch.randn(y.shape, dtype=torch.float32)
    y.backward(dout.double())
    e = {"meta:op": op}
    e.update(attrs)
    e.update(extra or {})
    e.update({"in:x": x.numpy(), "out": fvfx.tensor(y), "dout": dout.numpy(), "grad:x": fvfx.tensor(xd.grad)})
    fvfx.write(os.path.join(outdir, f"{name}.fvx"), e)


def elementwise(fn):
    """fn applied to each element as its own one-element tensor. For hardswish: PyTorch 1.13's CPU backward
    gives 1.5 at x = 3 in its scalar loop (as its CUDA kernel and the formula x (x + 3) / 6 on [-3, 3]) but 1.0
    in its vectorized loop, so which one an element gets depends on its position. fovea follows the scalar
    definition everywhere, and this reference makes PyTorch do the same."""
    return lambda t: torch.stack([fn(v.reshape(1)).reshape(()) for v in t.reshape(-1)]).reshape(t.shape)


def activation(outdir, kind, tag, x, alpha=0.0):
    code, fn = KINDS[kind]
    f = lambda t: fn(t, alpha)
    if kind == "hard_swish":
        f = elementwise(f)
    attrs = {"attr:kind": np.array([code], np.int32), "attr:alpha": np.array([alpha], np.float32)}
    write(outdir, f"activation_{kind}_{tag}", "activation", x, f, attrs)
    return 1


def activations(outdir):
    count = 0
    for kind in KINDS:
        alphas = {"leaky_relu": [0.2], "elu": [1.0, 0.5]}.get(kind, [0.0])
        for a in alphas:
            sfx = f"_a{str(a).replace('.', '')}" if kind == "elu" else ""
            count += activation(outdir, kind, f"spread{sfx}", spread((3, 17), kinks=KINKS), a)
            count += activation(outdir, kind, f"nchw{sfx}", 2.5 * torch.randn(2, 3, 3, 5), a)
    # Saturation: sigmoid must not overflow exp for large |x|, tanh and silu must stay exact there.
    big = torch.tensor([[-100.0, -88.7, -50.0, -20.0, -1e-3, 0.0, 20.0, 50.0, 88.7, 100.0, 1e4]])
    for kind in ["sigmoid", "tanh", "silu", "elu"]:
        count += activation(outdir, kind, "large", big, 1.0 if kind == "elu" else 0.0)
    return count


def softmaxes(outdir):
    configs = [  # name, input, axis
        ("nc", torch.randn(4, 7), 1),
        ("seg", torch.randn(2, 5, 3, 3), 1),
        ("last", torch.randn(2, 3, 4, 5), -1),
        ("first", torch.randn(3, 2, 4), 0),
        ("vector", torch.randn(17), 0),
        ("oneclass", torch.randn(3, 1), 1),
        # Logits that overflow exp (float beyond 88.7, double beyond 709) unless the maximum is subtracted:
        # near ties at +80 and +1000 keep gradients of order 0.1, a saturated row gives tiny ones.
        ("large", torch.tensor([[80.0, -80.0, 79.0, 78.5, -80.0, 80.0],
                                [80.0, -80.0, 0.0, -40.0, 20.0, -79.0],
                                [1000.0, 999.5, -1000.0, 998.0, 0.0, 1000.0]]), -1),
    ]
    for name, x, axis in configs:
        attrs = {"attr:axis": np.array([axis], np.int32)}
        write(outdir, f"softmax_{name}", "softmax", x, lambda t: F.softmax(t, axis), attrs)
        write(outdir, f"log_softmax_{name}", "log_softmax", x, lambda t: F.log_softmax(t, axis), attrs)
    return 2 * len(configs)


def make(outdir):
    return activations(outdir) + softmaxes(outdir)
