"""Reference forward of the zoo's fcn32s, fcn16s and fcn8s (src/nn/zoo_fcn.c): FCN-VGG16 as the Caffe reference
of Long et al. defines it (conv1_1 padded by 100, pools rounding up, fc6 a 7x7 convolution, fc7 1x1, score_fr,
score_pool4 / score_pool3, transposed convolutions without bias, crops at 5, 9 and 19 / 27 / 31), written here
from the paper's prototxt geometry. The parameter counts of the real nets (width 1, 21 classes) are recorded as
"count_<net>"; the forward is checked at width 1/32 (channels 2, 4, 8, 16, 16 and 128 for fc6/fc7) and 3
classes, on a (2, 3, 37, 45) input, with seeded random weights everywhere, the upsampling ones included (so the
crops' offsets matter). The three nets share every common layer's weights: one set of names serves all. Also
"bilinear4" and "bilinear16", the bilinear kernels (3, 3, k, k) Caffe's filler and torchfcn's
get_upsampling_weight give, which fovea's init=bilinear must reproduce. Writes fcn_forward.fvx; the test is
tests/nn/test_fcn.c."""
import os

import numpy as np
import torch
import torch.nn as nn

import fvfx

STAGES = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))


class FCN(nn.Module):
    def __init__(self, stride, classes=21, channels=3, alpha=1.0):
        super().__init__()
        self.stride = stride
        w = lambda c: max(1, int(c * alpha + 0.5))
        cin = channels
        for s, (width, n) in enumerate(STAGES, 1):
            for i in range(1, n + 1):
                pad = 100 if (s, i) == (1, 1) else 1
                setattr(self, f"conv{s}_{i}", nn.Conv2d(cin, w(width), 3, padding=pad))
                cin = w(width)
        self.fc6 = nn.Conv2d(cin, w(4096), 7)
        self.fc7 = nn.Conv2d(w(4096), w(4096), 1)
        self.score_fr = nn.Conv2d(w(4096), classes, 1)
        up = lambda k, s: nn.ConvTranspose2d(classes, classes, k, stride=s, bias=False)
        if stride == 32:
            self.upscore = up(64, 32)
            return
        self.upscore2 = up(4, 2)
        self.score_pool4 = nn.Conv2d(w(512), classes, 1)
        if stride == 16:
            self.upscore16 = up(32, 16)
            return
        self.upscore_pool4 = up(4, 2)
        self.score_pool3 = nn.Conv2d(w(256), classes, 1)
        self.upscore8 = up(16, 8)

    def forward(self, x):
        h, pools = x, {}
        for s, (_, n) in enumerate(STAGES, 1):
            for i in range(1, n + 1):
                h = torch.relu(getattr(self, f"conv{s}_{i}")(h))
            h = nn.functional.max_pool2d(h, 2, 2, ceil_mode=True)
            pools[s] = h
        h = torch.relu(self.fc7(torch.relu(self.fc6(h))))  # dropout: identity in eval mode
        h = self.score_fr(h)
        H, W = x.shape[2:]
        crop = lambda t, o, hh, ww: t[:, :, o:o + hh, o:o + ww]
        if self.stride == 32:
            return crop(self.upscore(h), 19, H, W)
        up2 = self.upscore2(h)
        h = up2 + crop(self.score_pool4(pools[4]), 5, *up2.shape[2:])
        if self.stride == 16:
            return crop(self.upscore16(h), 27, H, W)
        up4 = self.upscore_pool4(h)
        h = up4 + crop(self.score_pool3(pools[3]), 9, *up4.shape[2:])
        return crop(self.upscore8(h), 31, H, W)


def bilinear(channels, k):
    """Caffe's bilinear filler on the diagonal (channel c to channel c), zeros elsewhere."""
    f = (k + 1) // 2
    c = f - 1 if k % 2 == 1 else f - 0.5
    og = np.ogrid[:k, :k]
    filt = (1 - abs(og[0] - c) / f) * (1 - abs(og[1] - c) / f)
    w = np.zeros((channels, channels, k, k), dtype=np.float64)
    w[range(channels), range(channels)] = filt
    return torch.from_numpy(w)


def make(outdir):
    counts = {s: sum(p.numel() for p in FCN(s).parameters()) for s in (32, 16, 8)}
    torch.manual_seed(17)
    nets = {s: FCN(s, classes=3, alpha=1 / 32).eval() for s in (8, 16, 32)}
    with torch.no_grad():
        for p in nets[8].parameters():  # larger than PyTorch's default draw, so the tiny net's logits are not ~0
            p.uniform_(-0.6, 0.6)
        for s in (16, 32):
            nets[s].load_state_dict(nets[8].state_dict(), strict=False)
        nets[32].upscore.weight.uniform_(-0.3, 0.3)
        nets[16].upscore16.weight.uniform_(-0.3, 0.3)
    x = torch.randn(2, 3, 37, 45)
    entries = [("x", fvfx.tensor(x))]
    with torch.no_grad():
        for s in (32, 16, 8):
            entries.append((f"y{s}", fvfx.tensor(nets[s].double()(x.double()))))
            entries.append((f"count_fcn{s}s", [counts[s]]))
            entries.append((f"small_count_fcn{s}s", [sum(p.numel() for p in nets[s].parameters())]))
    names = set()
    for s in (8, 16, 32):
        for name, t in nets[s].state_dict().items():
            if name not in names:
                names.add(name)
                entries.append((name, fvfx.tensor(t)))
    entries += [("bilinear4", fvfx.tensor(bilinear(3, 4))), ("bilinear16", fvfx.tensor(bilinear(3, 16)))]
    fvfx.write(os.path.join(outdir, "fcn_forward.fvx"), entries)
    return 1
