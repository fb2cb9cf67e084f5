"""Reference Grad-CAM for FMNIST-CNN (random seeded weights, batch-norm statistics away from their defaults,
eval mode) on two Fashion-MNIST test images: ReLU(sum_k alpha_k A^k) with alpha_k the spatial mean of
d(logit_c)/dA^k, divided by its maximum when positive, at the default layer (pool2: the last spatial map before
flattening) and at relu1, for the predicted class and for class 3. Computed in float64.
Writes gradcam_fmnist.fvx. Needs Debian's dataset-fashion-mnist."""
import gzip
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import fvfx

DATA = "/usr/share/datasets/fashion-mnist"


class FmnistCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(32)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(64)
        self.fc1 = nn.Linear(3136, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        out = {}
        out["relu1"] = F.relu(self.bn1(self.conv1(x)))
        out["pool1"] = F.max_pool2d(out["relu1"], 2)
        out["relu2"] = F.relu(self.bn2(self.conv2(out["pool1"])))
        out["pool2"] = F.max_pool2d(out["relu2"], 2)
        h = F.relu(self.fc1(out["pool2"].flatten(1)))
        return self.fc2(h), out


def gradcam(net, x, layer, cls):
    logits, maps = net(x)
    a = maps[layer]
    a.retain_grad()
    if cls < 0:
        cls = int(logits[0].argmax())
    logits[0, cls].backward()
    alpha = a.grad.mean(dim=(2, 3), keepdim=True)
    cam = F.relu((alpha * a).sum(dim=1))[0]
    if cam.max() > 0:
        cam = cam / cam.max()
    return cam, cls


def make(outdir):
    torch.manual_seed(2024)
    net = FmnistCnn()
    with torch.no_grad():
        for bn in (net.bn1, net.bn2):
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-0.2, 0.2)
            bn.running_mean.uniform_(-0.3, 0.3)
            bn.running_var.uniform_(0.5, 2.0)
    net = net.double().eval()
    with gzip.open(os.path.join(DATA, "t10k-images-idx3-ubyte.gz")) as f:
        f.read(16)
        images = np.frombuffer(f.read(2 * 784), dtype=np.uint8).reshape(2, 1, 28, 28).astype(np.float32) / 255
    fx = {}
    for name, p in net.state_dict().items():
        if "num_batches" not in name:
            fx["param:" + name] = fvfx.tensor(p)
    for i in range(2):
        x = torch.from_numpy(images[i:i + 1]).double()
        fx[f"image{i}"] = images[i:i + 1]
        for layer in ("pool2", "relu1"):
            for target in (-1, 3):
                net.zero_grad()
                cam, cls = gradcam(net, x, layer, target)
                tag = f"image{i}:{layer}:{'pred' if target < 0 else target}"
                fx["cam:" + tag] = fvfx.tensor(cam)
                fx["class:" + tag] = np.array([cls], dtype=np.int32)
    fvfx.write(os.path.join(outdir, "gradcam_fmnist.fvx"), fx)


if __name__ == "__main__":
    make(os.path.join(os.path.dirname(__file__), "fixtures"))
