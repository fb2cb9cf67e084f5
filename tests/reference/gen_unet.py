"""Reference forward of the zoo's unet (src/nn/zoo_unet.c): the small U-Net of issue 17 (encoder double_conv
1-16-32-64 with 2x2 max pools, bottleneck 128, decoder of 2x2 stride-2 transposed convolutions with the skip
concatenated first, 1x1 head; convolutions without bias, each followed by batch norm and ReLU; 1 input channel,
11 classes: 482,619 parameters, recorded as "reference_param_count"). The forward is checked on the same
structure at base width 8 and 4 classes (a quarter of the weights, a fixture of 0.5 MB instead of 2), with seeded
random weights and batch-norm statistics away from their defaults, in eval mode on a (2, 1, 32, 32) input. The
modules are named as fovea names its layers, so the state dict's keys are fovea's parameter names. Writes
unet_forward.fvx: "x", "y", "param_count", "reference_param_count" and every parameter and buffer by name; the
test is tests/nn/test_unet.c."""
import os

import torch
import torch.nn as nn

import fvfx


class DoubleConv(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(x)))


class UNet(nn.Module):
    def __init__(self, channels=1, classes=11, depth=3, base=16):
        super().__init__()
        self.depth = depth
        cin = channels
        for k in range(1, depth + 1):
            setattr(self, f"enc{k}", DoubleConv(cin, base << (k - 1)))
            cin = base << (k - 1)
        self.bottleneck = DoubleConv(cin, base << depth)
        for k in range(depth, 0, -1):
            c = base << (k - 1)
            setattr(self, f"up{k}", nn.ConvTranspose2d(2 * c, c, 2, stride=2))
            setattr(self, f"dec{k}", DoubleConv(2 * c, c))
        self.head = nn.Conv2d(base, classes, 1)

    def forward(self, x):
        skips = []
        for k in range(1, self.depth + 1):
            x = getattr(self, f"enc{k}")(x)
            skips.append(x)
            x = nn.functional.max_pool2d(x, 2)
        x = self.bottleneck(x)
        for k in range(self.depth, 0, -1):
            x = getattr(self, f"up{k}")(x)
            x = getattr(self, f"dec{k}")(torch.cat([skips[k - 1], x], 1))
        return self.head(x)


def make(outdir):
    reference = sum(p.numel() for p in UNet().parameters())
    assert reference == 482619, reference
    torch.manual_seed(17)
    net = UNet(classes=4, base=8)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.running_mean.uniform_(-0.3, 0.3)
                m.running_var.uniform_(0.5, 2.0)
    net.eval()
    count = sum(p.numel() for p in net.parameters())
    x = torch.randn(2, 1, 32, 32)
    with torch.no_grad():
        y = net.double()(x.double())
    entries = [("x", fvfx.tensor(x)), ("y", fvfx.tensor(y)), ("param_count", [count]),
               ("reference_param_count", [reference])]
    for name, t in net.state_dict().items():
        if not name.endswith("num_batches_tracked"):
            entries.append((name, fvfx.tensor(t)))
    fvfx.write(os.path.join(outdir, "unet_forward.fvx"), entries)
    return 1
