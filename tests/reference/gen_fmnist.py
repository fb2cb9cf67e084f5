"""Fixtures for FMNIST-CNN (../shared/BENCHMARKS.md) trained by PyTorch, for the engine's end-to-end checks:

  fmnist_model.fvx      initial weights (PyTorch's default init, seed 1234), a pool of 128 Fashion-MNIST
                        training images, the indices of 20 batches of 64, and the losses of 20 Adam steps
  fmnist_grads.fvx      the first step: loss, the gradient of every parameter, the running statistics after it
  fmnist_step_<opt>.fvx every weight after one step of each optimizer

Dropout uses fovea's own masks (fvrng.dropout_keep, context seed 7, stream 0, call = step), so both sides drop
the same units. PyTorch runs in float64 from the float32 initial weights.
Needs Debian's dataset-fashion-mnist."""
import gzip
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import fvfx
import fvrng

DATA = "/usr/share/datasets/fashion-mnist"
SEED, STREAM, P_DROP = 7, 0, 0.5
POOL, BATCH, STEPS = 128, 64, 20

OPTIMIZERS = {
    "sgd": lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-4),
    "rmsprop": lambda ps: torch.optim.RMSprop(ps, lr=1e-3),
    "adagrad": lambda ps: torch.optim.Adagrad(ps, lr=1e-2),
    "adam": lambda ps: torch.optim.Adam(ps, lr=1e-3),
    "adamw": lambda ps: torch.optim.AdamW(ps, lr=1e-3, weight_decay=1e-2),
}


class FmnistCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(32)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(64)
        self.fc1 = nn.Linear(3136, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x, call):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        h = F.relu(self.fc1(x.flatten(1)))
        keep = fvrng.dropout_keep(SEED, STREAM, call, h.numel(), P_DROP).reshape(h.shape)
        h = h * torch.from_numpy(keep.astype(np.float64)) / (1 - P_DROP)
        return self.fc2(h)


def idx_images(path, count):
    with gzip.open(path) as f:
        f.read(16)
        return np.frombuffer(f.read(count * 784), dtype=np.uint8).reshape(count, 1, 28, 28)


def idx_labels(path, count):
    with gzip.open(path) as f:
        f.read(8)
        return np.frombuffer(f.read(count), dtype=np.uint8).astype(np.int32)


def state_entries(model, prefix_w="param:", prefix_b="buffer:"):
    out = {}
    for name, p in model.named_parameters():
        out[prefix_w + name] = fvfx.tensor(p)
    for name, b in model.named_buffers():
        if "num_batches" not in name:
            out[prefix_b + name] = fvfx.tensor(b)
    return out


def step(model, opt, x, y, call):
    opt.zero_grad()
    loss = F.cross_entropy(model(x, call), y)
    loss.backward()
    opt.step()
    return loss.item()


def make(outdir):
    torch.manual_seed(1234)
    model32 = FmnistCnn()
    init = {k: v.clone() for k, v in model32.state_dict().items()}
    images = idx_images(os.path.join(DATA, "train-images-idx3-ubyte.gz"), POOL)
    labels = idx_labels(os.path.join(DATA, "train-labels-idx1-ubyte.gz"), POOL)
    pool_x = torch.from_numpy(images.astype(np.float32) / 255.0)
    batches = np.stack([np.random.RandomState(s).permutation(POOL)[:BATCH] for s in range(STEPS)]).astype(np.int32)

    def fresh():
        m = FmnistCnn().double()
        m.load_state_dict({k: v.double() if v.is_floating_point() else v for k, v in init.items()})
        return m

    def batch(s):
        idx = torch.from_numpy(batches[s].astype(np.int64))
        return pool_x[idx].double(), torch.from_numpy(labels[batches[s]].astype(np.int64))

    # 20 Adam steps: the loss of each.
    model = fresh()
    opt = OPTIMIZERS["adam"](model.parameters())
    losses = [step(model, opt, *batch(s), s) for s in range(STEPS)]

    entries = {"meta:op": "fmnist-cnn"}
    entries.update(state_entries(model32))
    entries.update({"pool_x": pool_x.numpy(), "pool_y": labels, "batches": batches,
                    "adam_losses": np.array(losses, dtype=np.float32)})
    fvfx.write(os.path.join(outdir, "fmnist_model.fvx"), entries)

    # First step: loss, gradients, running statistics.
    model = fresh()
    x, y = batch(0)
    loss = F.cross_entropy(model(x, 0), y)
    loss.backward()
    grads = {"loss": np.array([loss.item()], dtype=np.float32)}
    for name, p in model.named_parameters():
        grads["grad:" + name] = fvfx.tensor(p.grad)
    for name, b in model.named_buffers():
        if "num_batches" not in name:
            grads["after:" + name] = fvfx.tensor(b)
    fvfx.write(os.path.join(outdir, "fmnist_grads.fvx"), grads)

    # One step of each optimizer: every weight after it.
    for name, make_opt in OPTIMIZERS.items():
        model = fresh()
        opt = make_opt(model.parameters())
        step(model, opt, x, y, 0)
        e = {"meta:optimizer": name}
        e.update({"updated:" + n: fvfx.tensor(p) for n, p in model.named_parameters()})
        fvfx.write(os.path.join(outdir, f"fmnist_step_{name}.fvx"), e)
    return 2 + len(OPTIMIZERS)
