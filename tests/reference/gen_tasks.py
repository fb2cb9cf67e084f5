"""Fixtures for training every built-in task (fovea/task.h) through the fit loop, against PyTorch.

One fixture per task: a small model as a fovea description and as the same PyTorch module, its initial weights,
fixed data, and full-batch SGD with momentum (one step per epoch, no shuffling to reconcile): the loss of every
step and the weights after the last one. Losses are written out in PyTorch: BCE with pos_weight, Dice over the
batch per class (1 - the mean of (2 sum pt + s) / (sum p + sum t + s)), torchvision's sigmoid focal loss, Huber,
cross-entropy with ignore_index, Hadsell et al.'s contrastive loss, the triplet margin loss, and the semi-hard
triplet loss mined in the batch (gen_loss_mined's rule). float64 from float32 data and weights."""
import os

import numpy as np
import torch
import torch.nn.functional as F

import fvfx
from gen_loss_mined import mined

STEPS, LR, MOMENTUM = 6, 0.05, 0.9


def dice(p, t, smooth=1.0):
    """p, t (N, C, ...): 1 - mean over classes of the batch's soft Dice."""
    dims = [0] + list(range(2, p.dim()))
    inter, ps, ts = (p * t).sum(dims), p.sum(dims), t.sum(dims)
    return 1 - ((2 * inter + smooth) / (ps + ts + smooth)).mean()


def focal(z, t, alpha=0.25, gamma=2.0):
    p = torch.sigmoid(z)
    ce = F.binary_cross_entropy_with_logits(z, t, reduction="none")
    pt = p * t + (1 - p) * (1 - t)
    loss = ce * (1 - pt) ** gamma
    return (loss * (alpha * t + (1 - alpha) * (1 - t))).mean()


def one_hot(y, k):
    valid = (y >= 0) & (y < k)
    oh = F.one_hot(torch.where(valid, y, torch.zeros_like(y)), k).movedim(-1, 1).double()
    return oh * valid.unsqueeze(1).double()


class Dense:
    def __init__(self, rng, name, n_in, n_out):
        self.name = name
        self.w = torch.tensor(rng.normal(0, 0.5, (n_out, n_in)).astype(np.float32)).double().requires_grad_()
        self.b = torch.tensor(rng.normal(0, 0.1, n_out).astype(np.float32)).double().requires_grad_()

    def __call__(self, x):
        return x @ self.w.T + self.b

    def params(self):
        return {self.name + ".weight": self.w, self.name + ".bias": self.b}


class Conv:
    def __init__(self, rng, name, c_in, c_out, k):
        self.name, self.pad = name, k // 2
        self.w = torch.tensor(rng.normal(0, 0.4, (c_out, c_in, k, k)).astype(np.float32)).double().requires_grad_()
        self.b = torch.tensor(rng.normal(0, 0.1, c_out).astype(np.float32)).double().requires_grad_()

    def __call__(self, x):
        return F.conv2d(x, self.w, self.b, padding=self.pad)

    def params(self):
        return {self.name + ".weight": self.w, self.name + ".bias": self.b}


def train(layers, forward, loss_fn, inputs, target):
    params = {}
    for layer in layers:
        params.update(layer.params())
    initial = {k: v.detach().float().numpy().copy() for k, v in params.items()}
    opt = torch.optim.SGD(list(params.values()), lr=LR, momentum=MOMENTUM)
    xs = [torch.tensor(x).double() if x.dtype == np.float32 else torch.tensor(x) for x in inputs]
    y = None if target is None else (torch.tensor(target).double() if target.dtype == np.float32
                                     else torch.tensor(target).long())
    losses = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = loss_fn(forward(*xs), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return initial, {k: v.detach().numpy() for k, v in params.items()}, np.array(losses)


def write(outdir, name, model, task, loss, inputs, target, initial, final, losses, attrs=None):
    entries = {"meta:model": model, "meta:task": task, "meta:loss": loss}
    for k, x in enumerate(inputs):
        entries[f"in:{k}"] = x
    if target is not None:
        entries["target"] = target
    for k, v in initial.items():
        entries["param:" + k] = v
    for k, v in final.items():
        entries["final:" + k] = v.astype(np.float32)
    entries["losses"] = losses.astype(np.float32)
    entries["attr:lr"] = np.array([LR], np.float32)
    entries["attr:momentum"] = np.array([MOMENTUM], np.float32)
    entries["attr:steps"] = np.array([STEPS], np.int32)
    for k, v in (attrs or {}).items():
        entries["attr:" + k] = np.array([v], np.float32)
    fvfx.write(os.path.join(outdir, f"task_{name}.fvx"), entries)


def make(outdir):
    rng = np.random.RandomState(7)
    count = 0

    # classify: class weights and label smoothing, as the classification trainer always had them
    x = rng.normal(size=(12, 5)).astype(np.float32)
    y = rng.randint(0, 4, 12).astype(np.int32)
    fc = Dense(rng, "fc", 5, 4)
    cw = torch.tensor([1.0, 2.0, 1.0, 0.5], dtype=torch.float64)
    out = train([fc], fc, lambda z, t: F.cross_entropy(z, t, weight=cw, label_smoothing=0.1), [x], y)
    write(outdir, "classify", "input x shape=5\ndense fc units=4\n", "classify", "ce", [x], y, *out,
          {"label_smoothing": 0.1, "cw0": 1.0, "cw1": 2.0, "cw2": 1.0, "cw3": 0.5})
    count += 1

    # binary: one logit per sample, BCE with pos_weight 2
    x = rng.normal(size=(12, 4)).astype(np.float32)
    y = (rng.uniform(size=(12, 1)) < 0.4).astype(np.float32)
    h, o = Dense(rng, "h", 4, 6), Dense(rng, "o", 6, 1)
    pw = torch.tensor([2.0], dtype=torch.float64)
    out = train([h, o], lambda v: o(torch.relu(h(v))),
                lambda z, t: F.binary_cross_entropy_with_logits(z, t, pos_weight=pw), [x], y)
    write(outdir, "binary", "input x shape=4\ndense h units=6\nrelu r\ndense o units=1\n", "binary", "bce", [x], y,
          *out, {"pos_weight": 2.0})
    count += 1

    # multilabel: BCE with per-label pos_weight plus half the Dice loss on sigmoid probabilities
    x = rng.normal(size=(12, 5)).astype(np.float32)
    y = (rng.uniform(size=(12, 3)) < 0.5).astype(np.float32)
    fc = Dense(rng, "fc", 5, 3)
    pw = torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64)
    out = train([fc], fc, lambda z, t: F.binary_cross_entropy_with_logits(z, t, pos_weight=pw)
                + 0.5 * dice(torch.sigmoid(z), t), [x], y)
    write(outdir, "multilabel", "input x shape=5\ndense fc units=3\n", "multilabel", "bce+0.5*dice", [x], y, *out,
          {"pw0": 1.0, "pw1": 2.0, "pw2": 0.5})
    count += 1

    # regress: Huber (delta 0.5) plus half L1, two outputs through tanh
    x = rng.normal(size=(12, 5)).astype(np.float32)
    y = rng.normal(size=(12, 2)).astype(np.float32)
    h, o = Dense(rng, "h", 5, 8), Dense(rng, "o", 8, 2)
    out = train([h, o], lambda v: o(torch.tanh(h(v))),
                lambda z, t: F.huber_loss(z, t, delta=0.5) + 0.5 * F.l1_loss(z, t), [x], y)
    write(outdir, "regress", "input x shape=5\ndense h units=8\ntanh t\ndense o units=2\n", "regress",
          "huber+0.5*l1", [x], y, *out, {"beta": 0.5})
    count += 1

    # segment: cross-entropy ignoring 255, Dice on softmax, and the sigmoid focal loss on one-hot masks
    x = rng.uniform(size=(4, 1, 6, 6)).astype(np.float32)
    y = rng.randint(0, 3, (4, 6, 6)).astype(np.int32)
    y[rng.uniform(size=y.shape) < 0.15] = 255
    c1, c2 = Conv(rng, "c1", 1, 4, 3), Conv(rng, "c2", 4, 3, 1)

    def seg_loss(z, t):
        return (F.cross_entropy(z, t, ignore_index=255) + 0.5 * dice(torch.softmax(z, 1), one_hot(t, 3))
                + 0.25 * focal(z, one_hot(t, 3)))
    out = train([c1, c2], lambda v: c2(torch.relu(c1(v))), seg_loss, [x], y)
    write(outdir, "segment", "input x shape=1x6x6\nconv2d c1 filters=4 kernel=3 padding=1\nrelu r\n"
          "conv2d c2 filters=3 kernel=1\n", "segment", "ce+0.5*dice+0.25*focal", [x], y, *out)
    count += 1

    # embed, pairs: a Siamese dense layer (share=) and the contrastive loss
    a = rng.normal(size=(10, 4)).astype(np.float32)
    b = rng.normal(size=(10, 4)).astype(np.float32)
    y = (rng.uniform(size=10) < 0.5).astype(np.float32)
    e = Dense(rng, "e1", 4, 3)

    def contrastive(o, t):
        d = torch.norm(o[0] - o[1], dim=1)
        return (t * d ** 2 / 2 + (1 - t) * torch.clamp(1.0 - d, min=0) ** 2 / 2).mean()
    out = train([e], lambda u, v: (e(u), e(v)), contrastive, [a, b], y)
    write(outdir, "embed_pairs", "input a shape=4\ninput b shape=4\ndense e1 units=3 from=a\n"
          "dense e2 units=3 from=b share=e1\noutputs e1,e2\n", "embed", "contrastive", [a, b], y, *out)
    count += 1

    # embed, triplets: three inputs through one shared layer, the triplet margin loss (no targets)
    a, p, n = (rng.normal(size=(10, 4)).astype(np.float32) for _ in range(3))
    e = Dense(rng, "ea", 4, 3)
    out = train([e], lambda u, v, w: (e(u), e(v), e(w)),
                lambda o, t: F.triplet_margin_loss(o[0], o[1], o[2], margin=1.0), [a, p, n], None)
    write(outdir, "embed_triplets", "input a shape=4\ninput p shape=4\ninput n shape=4\ndense ea units=3 from=a\n"
          "dense ep units=3 from=p share=ea\ndense en units=3 from=n share=ea\noutputs ea,ep,en\n", "embed",
          "triplet", [a, p, n], None, *out)
    count += 1

    # embed, identities: semi-hard triplets mined in the batch
    x = rng.normal(size=(12, 4)).astype(np.float32)
    y = np.repeat(np.arange(4), 3).astype(np.int32)
    h, o = Dense(rng, "h", 4, 6), Dense(rng, "o", 6, 3)
    out = train([h, o], lambda v: o(torch.relu(h(v))), lambda z, t: mined(z, t, 0.5, "semi"), [x], y)
    write(outdir, "embed_mined", "input x shape=4\ndense h units=6\nrelu r\ndense o units=3\n", "embed", "triplet",
          [x], y, *out, {"margin": 0.5, "mining": 2})
    count += 1
    return count + cli_arrays(outdir, rng)


def cli_arrays(outdir, rng):
    """Small arrays for tests/cli/test_tasks.sh: images with masks (the bright pixels are class 1, the top row
    ignored), features with identities, binary and multi-label targets."""
    x = rng.uniform(size=(32, 1, 8, 8)).astype(np.float32)
    y = (x[:, 0] > 0.5).astype(np.int32)
    y[:, 0, :] = 255
    f = rng.normal(size=(24, 4)).astype(np.float32)
    ids = np.repeat(np.arange(4), 6).astype(np.int32)
    f += ids[:, None].astype(np.float32)
    arrays = {"seg_x": x, "seg_y": y, "emb_x": f, "emb_y": ids,
              "bin_y": (f.sum(1) > np.median(f.sum(1))).astype(np.float32),
              "multi_y": (f[:, :3] > f[:, :3].mean(0)).astype(np.float32)}
    for name, a in arrays.items():
        np.save(os.path.join(outdir, f"task_cli_{name}.npy"), a)
    return len(arrays)
