"""Fixtures for the initializers: for a few weight shapes, PyTorch's fans
(torch.nn.init._calculate_fan_in_and_fan_out), each kind's scale from the documented formulas (the uniform
bound, or the normal's stddev before truncation) and the empirical std of PyTorch's own init on a tensor
of that shape. Keras' kinds are reproduced with PyTorch's functions (xavier_uniform_, kaiming_uniform_ and
trunc_normal_ at +-2 stddev). The tensors themselves are not stored: a fixture is a few numbers."""
import math
import os

import numpy as np
import torch
import torch.nn as nn

import fvfx

KERAS_TRUNC_STD = .87962566103423978
BIAS_LEN = 1 << 17  # a bias long enough for its std to be measured within 2%


def trunc(t, s):
    return nn.init.trunc_normal_(t, 0.0, s, -2 * s, 2 * s)


def kinds(fi, fo):
    """name -> (value, scale, function filling a tensor as PyTorch does)."""
    tanh_gain = nn.init.calculate_gain("tanh")
    leaky = nn.init.calculate_gain("leaky_relu", 0.2)
    relu = nn.init.calculate_gain("relu")
    glorot_s = math.sqrt(2 / (fi + fo)) / KERAS_TRUNC_STD
    he_s = math.sqrt(2 / fi) / KERAS_TRUNC_STD
    default = nn.init.calculate_gain("leaky_relu", math.sqrt(5)) * math.sqrt(3 / fi)
    return {
        "uniform": (0.1, 0.1, lambda t: nn.init.uniform_(t, -0.1, 0.1)),
        "normal": (0.05, 0.05, lambda t: nn.init.normal_(t, 0, 0.05)),
        "glorot_uniform": (0, math.sqrt(6 / (fi + fo)), nn.init.xavier_uniform_),
        "glorot_normal": (0, glorot_s, lambda t: trunc(t, glorot_s)),
        "he_uniform": (0, relu * math.sqrt(3 / fi), lambda t: nn.init.kaiming_uniform_(t, nonlinearity="relu")),
        "he_normal": (0, he_s, lambda t: trunc(t, he_s)),
        "xavier_uniform": (tanh_gain, tanh_gain * math.sqrt(6 / (fi + fo)),
                           lambda t: nn.init.xavier_uniform_(t, gain=tanh_gain)),
        "xavier_normal": (tanh_gain, tanh_gain * math.sqrt(2 / (fi + fo)),
                          lambda t: nn.init.xavier_normal_(t, gain=tanh_gain)),
        "kaiming_uniform": (0.2, leaky * math.sqrt(3 / fi),
                            lambda t: nn.init.kaiming_uniform_(t, a=0.2, nonlinearity="leaky_relu")),
        "kaiming_normal": (0, relu / math.sqrt(fi), lambda t: nn.init.kaiming_normal_(t, nonlinearity="relu")),
        # What nn.Conv2d / nn.Linear.reset_parameters do to the weight and (on a long vector) the bias.
        "torch_default": (0, default, lambda t: nn.init.kaiming_uniform_(t, a=math.sqrt(5))),
        "torch_bias": (0, 1 / math.sqrt(fi), lambda t: nn.init.uniform_(t, -1 / math.sqrt(fi), 1 / math.sqrt(fi))),
    }


def case(outdir, name, shape):
    w = torch.empty(shape)
    fi, fo = nn.init._calculate_fan_in_and_fan_out(w)
    e = {"meta:op": "init", "shape": np.array(shape, np.int32), "fans": np.array([fi, fo], np.int32),
         "bias_len": np.array([BIAS_LEN], np.int32)}
    for kind, (value, scale, fn) in kinds(fi, fo).items():
        t = torch.empty(BIAS_LEN) if kind == "torch_bias" else torch.empty(shape)
        with torch.no_grad():
            fn(t)
        e[f"value:{kind}"] = np.array([value], np.float32)
        e[f"scale:{kind}"] = np.array([scale], np.float32)
        e[f"std:{kind}"] = np.array([t.double().std().item()], np.float32)
    fvfx.write(os.path.join(outdir, f"init_{name}.fvx"), e)


def make(outdir):
    case(outdir, "conv", (256, 128, 3, 3))     # nn.Conv2d(128, 256, 3).weight
    case(outdir, "dense", (512, 300))          # nn.Linear(300, 512).weight
    case(outdir, "convt", (128, 64, 4, 4))     # nn.ConvTranspose2d(128, 64, 4).weight: fan_in 64*16
    return 3
