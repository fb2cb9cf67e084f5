"""PyTorch's side of the ResNet-18 training step (../shared/BENCHMARKS.md, "Training step"): torchvision
resnet18(num_classes=10) at 3x32x32, batch 64, SGD lr 0.01 momentum 0.9, on a fixed synthetic batch, with
torch.set_num_threads(threads); ms per step over timed steps after warm-up steps; peak RSS.
Usage: torch_resnet_train.py [STEPS [THREADS [WARMUP]]]"""
import resource
import sys
import time

import torch
import torch.nn as nn
import torchvision

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 10
threads = int(sys.argv[2]) if len(sys.argv) > 2 else torch.get_num_threads()
warmup = int(sys.argv[3]) if len(sys.argv) > 3 else 3
torch.set_num_threads(threads)
torch.manual_seed(1)
net = torchvision.models.resnet18(weights=None, num_classes=10).train()
opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
loss_fn = nn.CrossEntropyLoss()
x = torch.rand(64, 3, 32, 32)
y = torch.arange(64) % 10


def step():
    opt.zero_grad()
    loss = loss_fn(net(x), y)
    loss.backward()
    opt.step()


for _ in range(warmup):
    step()
t0 = time.perf_counter()
for _ in range(steps):
    step()
secs = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"pytorch resnet18 32x32 train step: {secs / steps * 1e3:.2f} ms/step, {steps * 64 / secs:.1f} images/s, "
      f"{threads} threads, peak RSS {rss:.1f} MiB")
