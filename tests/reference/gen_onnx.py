"""ONNX import fixtures: small PyTorch networks exported with torch.onnx.export (which works without the onnx
package) at opsets 13 and 17, with seeded random weights and batch-norm statistics away from their defaults,
each saved as NAME_opN.onnx beside NAME_opN.fvx holding the input (in:input) and PyTorch's output (out,
computed in float64). Together the networks use every operator fovea imports from PyTorch: Conv (groups,
dilation, fused with batch norm or not), ConvTranspose, BatchNormalization on maps and on features, Relu, Clip
(relu6), LeakyRelu, Elu, Tanh, Sigmoid, HardSigmoid, HardSwish (and its opset-13 form HardSigmoid * x), SiLU
(Sigmoid * x), squeeze-and-excitation (GlobalAveragePool, per-channel Mul), residual Add, MaxPool (padding,
ceil mode), AveragePool (count_include_pad), GlobalAveragePool, ReduceMean, ReduceMax, Flatten, Reshape to (N, -1)
through Shape/Gather/Unsqueeze/Concat, Gemm, MatMul + Add, Concat, Pad (its pads computed by shape
arithmetic), LRN, Resize (nearest, bilinear, align_corners; sizes computed from Shape), Softmax.

Writes into OUTDIR/onnx/. The test is tests/onnx/test_onnx_import.c."""
import io
import os
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

import fvfx

OPSETS = (13, 17)


class LRN(torch.autograd.Function):
    """F.local_response_norm exports as a decomposition; this emits ONNX's LRN node (same formula)."""

    @staticmethod
    def forward(ctx, x, size, alpha, beta, k):
        return F.local_response_norm(x, size, alpha, beta, k)

    @staticmethod
    def symbolic(g, x, size, alpha, beta, k):
        return g.op("LRN", x, size_i=size, alpha_f=alpha, beta_f=beta, bias_f=k)


class Plain(nn.Module):
    """A VGG/AlexNet-like stack: fused conv+BN, grouped and dilated convs, pools, pad, concat, dense head."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=2, dilation=2, groups=2)
        self.conv3 = nn.Conv2d(8, 6, 1)
        self.bn3 = nn.BatchNorm2d(14)
        self.fc1 = nn.Linear(14 * 3 * 3, 12)
        self.bn4 = nn.BatchNorm1d(12)
        self.fc2 = nn.Linear(12, 5)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.max_pool2d(x, 3, stride=2, padding=1, ceil_mode=True)            # 10 -> 5 (ceil)
        a = F.relu6(self.conv2(x))
        b = F.leaky_relu(self.conv3(x), 0.1)
        x = self.bn3(torch.cat([a, b], 1))                                      # batch norm after concat
        x = F.pad(x, (1, 0, 0, 1), value=0.25)
        x = F.avg_pool2d(x, 2, stride=2, count_include_pad=False)              # 6 -> 3
        x = x.view(x.size(0), -1)
        x = torch.tanh(self.bn4(self.fc1(x)))
        return F.softmax(self.fc2(x), dim=1)


class Mobile(nn.Module):
    """MobileNet/EfficientNet pieces: depthwise conv, hard-swish, SiLU, squeeze-and-excitation, residual."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.stem_bn = nn.BatchNorm2d(8)
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.dw_bn = nn.BatchNorm2d(8)
        self.se_fc1 = nn.Conv2d(8, 4, 1)
        self.se_fc2 = nn.Conv2d(4, 8, 1)
        self.pw = nn.Conv2d(8, 8, 1)
        self.expand = nn.Conv2d(8, 12, 1)
        self.w = nn.Parameter(torch.randn(12, 7) * 0.3)
        self.b = nn.Parameter(torch.randn(7) * 0.1)

    def forward(self, x):
        x = F.hardswish(self.stem_bn(self.stem(x)))
        y = F.silu(self.dw_bn(self.dw(x)))
        s = F.adaptive_avg_pool2d(y, 1)
        s = F.hardsigmoid(self.se_fc2(F.relu(self.se_fc1(s))))
        y = self.pw(y * s) + x                                                  # SE scale, residual
        y = F.elu(self.expand(y))
        y = torch.sigmoid(y) * F.hardsigmoid(y)                                 # two layers multiplied
        z = torch.flatten(F.adaptive_max_pool2d(y, 1), 1)
        return torch.matmul(z, self.w) + self.b                                 # MatMul + Add


class Decoder(nn.Module):
    """Upsampling paths: transposed conv, nearest and bilinear resizes (by scales, and by sizes computed from
    the input's shape), LRN, batch norm after a transposed conv."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3, padding=1)
        self.up = nn.ConvTranspose2d(6, 4, 3, stride=2, padding=1, output_padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.head = nn.Conv2d(22, 3, 1)

    def forward(self, x):
        x = F.relu(self.conv(x))
        x = LRN.apply(x, 5, 1e-3, 0.75, 2.0)
        a = self.bn(self.up(x))
        b = F.interpolate(x, scale_factor=2, mode="nearest")
        c = F.interpolate(x, size=(x.shape[2] * 2, x.shape[3] * 2), mode="bilinear", align_corners=True)
        d = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        return self.head(torch.cat([a, b, c, d], 1))


class KerasLike(nn.Module):
    """A Keras-style classifier: 'same' padding (asymmetric at stride 2, so an explicit Pad), global average
    and max pooling as means and maxima over H and W, dense, softmax over the last axis."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 3, stride=2)
        self.bn1 = nn.BatchNorm2d(6)
        self.conv2 = nn.Conv2d(6, 8, 3, padding=1)  # "same" at stride 1 (torch 1.13 cannot export padding="same")
        self.dense = nn.Linear(16, 4)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(F.pad(x, (0, 1, 0, 1)))))
        x = F.relu(self.conv2(x))
        x = torch.cat([x.mean((2, 3)), x.amax((2, 3))], 1)                     # ReduceMean, ReduceMax
        return F.softmax(self.dense(x), dim=-1)


NETS = [("plain", Plain, (3, 10, 10)), ("mobile", Mobile, (3, 12, 12)), ("decoder", Decoder, (3, 6, 6)),
        ("keras", KerasLike, (1, 12, 12))]


def randomize(model):
    """Weights drawn at random, batch-norm statistics and affine parameters away from 0 and 1."""
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)
    return model.eval()


def make(outdir):
    outdir = os.path.join(outdir, "onnx")
    os.makedirs(outdir, exist_ok=True)
    count = 0
    for name, cls, shape in NETS:
        torch.manual_seed(sum(map(ord, name)))
        model = randomize(cls())
        x = torch.randn((2,) + shape)
        with torch.no_grad():
            y = model.double()(x.double())
        model.float()
        for opset in OPSETS:
            buf = io.BytesIO()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.onnx.export(model, x, buf, opset_version=opset, input_names=["input"],
                                  output_names=["output"], dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
            base = os.path.join(outdir, f"{name}_op{opset}")
            with open(base + ".onnx", "wb") as f:
                f.write(buf.getvalue())
            fvfx.write(base + ".fvx", {"in:input": x.numpy(), "out": fvfx.tensor(y)})
            count += 1
    return count
