"""PyTorch's side of issue 17's segmentation rows.

step [STEPS [THREADS [WARMUP]]]: the U-Net of tests/reference/gen_unet.py (fovea's zoo `unet` with its
  defaults: 1 channel, 11 classes, 482,619 parameters), Adam lr 1e-3, batch 32 at 64x64, pixel cross-entropy,
  on a fixed synthetic batch; ms per step, seconds per epoch of 4,000 canvases, peak RSS (bench/run.sh's row,
  beside bench_train_unet).
fit TRAIN_DIR TEST_DIR [EPOCHS [THREADS [SEED]]]: the same net trained by the issue's recipe (Adam 1e-3, batch
  32, plain pixel cross-entropy, shuffled each epoch) on segmentation folders written by `fovea data compose`,
  then scored on the test folder as `fovea evaluate` scores: one confusion matrix over all pixels, mIoU and
  mean Dice over the classes present in the truth or the prediction. Prints seconds per epoch and the metrics
  in fovea's `name: value` form, so the README's table can set both side by side."""
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
from gen_unet import UNet  # noqa: E402


def step_bench(argv):
    steps = int(argv[0]) if len(argv) > 0 else 10
    threads = int(argv[1]) if len(argv) > 1 else torch.get_num_threads()
    warmup = int(argv[2]) if len(argv) > 2 else 3
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    net = UNet().train()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.rand(32, 1, 64, 64)
    y = torch.randint(0, 11, (32, 64, 64))

    def step():
        opt.zero_grad()
        loss_fn(net(x), y).backward()
        opt.step()

    for _ in range(warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    secs = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"pytorch unet 64x64 b32 train step: {secs / steps * 1e3:.2f} ms/step, {secs / steps * 125:.1f} s/epoch "
          f"of 4000, {threads} threads, peak RSS {rss:.1f} MiB")


def load(folder):
    from PIL import Image
    names = sorted(os.listdir(os.path.join(folder, "images")))
    xs, ys = [], []
    for n in names:
        xs.append(np.asarray(Image.open(os.path.join(folder, "images", n)).convert("L"), dtype=np.float32) / 255.0)
        ys.append(np.asarray(Image.open(os.path.join(folder, "masks", os.path.splitext(n)[0] + ".png")), dtype=np.int64))
    return torch.from_numpy(np.stack(xs)[:, None]), torch.from_numpy(np.stack(ys))


def scores(cm):
    tp = np.diag(cm).astype(np.float64)
    fp, fn = cm.sum(0) - tp, cm.sum(1) - tp
    present = (cm.sum(0) + cm.sum(1)) > 0
    iou = tp[present] / (tp + fp + fn)[present]
    dice = 2 * tp[present] / (2 * tp + fp + fn)[present]
    return tp.sum() / cm.sum(), iou.mean(), dice.mean()


def fit(argv):
    train_dir, test_dir = argv[0], argv[1]
    epochs = int(argv[2]) if len(argv) > 2 else 10
    threads = int(argv[3]) if len(argv) > 3 else torch.get_num_threads()
    seed = int(argv[4]) if len(argv) > 4 else 1
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    xtr, ytr = load(train_dir)
    xte, yte = load(test_dir)
    net = UNet().train()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss(ignore_index=255)
    for epoch in range(epochs):
        t0 = time.perf_counter()
        order = torch.randperm(len(xtr))
        for i in range(0, len(xtr), 32):
            idx = order[i:i + 32]
            opt.zero_grad()
            loss = loss_fn(net(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
        print(f"epoch {epoch + 1}: {time.perf_counter() - t0:.1f} s, last loss {loss.item():.4f}", flush=True)
    net.eval()
    cm = np.zeros((11, 11), dtype=np.int64)
    with torch.no_grad():
        for i in range(0, len(xte), 100):
            pred = net(xte[i:i + 100]).argmax(1).numpy().ravel()
            truth = yte[i:i + 100].numpy().ravel()
            keep = truth != 255
            cm += np.bincount(truth[keep] * 11 + pred[keep], minlength=121).reshape(11, 11)
    acc, miou, mdice = scores(cm)
    print(f"pixel_accuracy: {acc:.4f}\nmean_iou: {miou:.4f}\nmean_dice: {mdice:.4f}")


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in ("step", "fit"):
        sys.exit(__doc__)
    (step_bench if sys.argv[1] == "step" else fit)(sys.argv[2:])
