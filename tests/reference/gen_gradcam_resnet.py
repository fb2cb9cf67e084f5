"""Reference Grad-CAM on a ResNet that fovea imports from ONNX: a small ResNet for 1x28x28 images built from
torchvision's BasicBlock (stem, three stages of two blocks at 8, 16 and 32 channels, the later stages striding
with 1x1 downsampling shortcuts, global average pooling, fc), seeded random weights and batch-norm statistics
away from their defaults, exported by torch.onnx.export (opset 13, eval mode: PyTorch folds the batch norms
into the convolutions). Grad-CAM as in gen_gradcam.py, in float64, on two Fashion-MNIST test images, for the
predicted class and for class 3, at the output of the last block (fovea's default layer) and at the output of
the second stage (both maps non-zero for every image and class here).
Writes gradcam_resnet.onnx and gradcam_resnet.fvx; the test is tests/diagnose/test_gradcam.c."""
import gzip
import io
import os
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models.resnet import BasicBlock

import fvfx

DATA = "/usr/share/datasets/fashion-mnist"


def stage(inplanes, planes, stride):
    down = None
    if stride != 1 or inplanes != planes:
        down = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
    return nn.Sequential(BasicBlock(inplanes, planes, stride, down), BasicBlock(planes, planes))


class SmallResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = stage(8, 8, 1)
        self.layer2 = stage(8, 16, 2)
        self.layer3 = stage(16, 32, 2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, 10)

    def forward(self, x, maps=None):
        x = self.relu(self.bn1(self.conv1(x)))
        for name in ("layer1", "layer2", "layer3"):
            x = getattr(self, name)(x)
            if maps is not None:
                maps[name] = x
        return self.fc(torch.flatten(self.avgpool(x), 1))


def gradcam(net, x, layer, cls):
    maps = {}
    logits = net(x, maps)
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
    torch.manual_seed(77)
    net = SmallResNet()
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.running_mean.uniform_(-0.3, 0.3)
                m.running_var.uniform_(0.5, 2.0)
    net.eval()
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, torch.zeros(1, 1, 28, 28), buf, opset_version=13, input_names=["input"],
                          output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    with open(os.path.join(outdir, "gradcam_resnet.onnx"), "wb") as f:
        f.write(buf.getvalue())
    net = net.double()
    for p in net.parameters():
        p.requires_grad_(True)
    with gzip.open(os.path.join(DATA, "t10k-images-idx3-ubyte.gz")) as f:
        f.read(16)
        images = np.frombuffer(f.read(2 * 784), dtype=np.uint8).reshape(2, 1, 28, 28).astype(np.float32) / 255
    fx = {}
    for i in range(2):
        x = torch.from_numpy(images[i:i + 1]).double()
        fx[f"image{i}"] = images[i:i + 1]
        for layer in ("layer3", "layer2"):
            for target in (-1, 3):
                net.zero_grad()
                cam, cls = gradcam(net, x, layer, target)
                tag = f"image{i}:{layer}:{'pred' if target < 0 else target}"
                fx["cam:" + tag] = fvfx.tensor(cam)
                fx["class:" + tag] = np.array([cls], dtype=np.int32)
    fvfx.write(os.path.join(outdir, "gradcam_resnet.fvx"), fx)
    return len(fx)
