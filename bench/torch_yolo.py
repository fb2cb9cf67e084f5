"""PyTorch's side of issue 19's detection rows: fovea's yolo-fmnist and its YOLOv3 loss written in PyTorch.

The net: five conv (no bias), batch norm, LeakyReLU(0.1) blocks (16, 32, 64, 128, 128 filters, 3x3, padding 1)
with 2x2 max pools after the first three, a 1x1 head to 3 x (5 + 11) channels, anchors 13x28, 28x16, 22x28 at
stride 8 (252,032 parameters, as `fovea summary yolo-fmnist`). The loss is include/fovea/ops_loss.h's (the
formula tests/reference/gen_yolo_loss.py checks fovea against), vectorized here.

step [STEPS [THREADS [WARMUP]]]: Adam lr 2e-3, batch 32 at 64x64 on a fixed synthetic batch of boxes; ms per step
  and images per second (bench/run.sh's row, beside bench_train_yolo).
fit TRAIN_DIR TEST_DIR [EPOCHS [THREADS [SEED]]]: trained by README's recipe (Adam 2e-3, batch 32, shuffled each
  epoch) on detection folders written by `fovea data compose --boxes`, then scored as `fovea evaluate` scores a
  detector (score threshold 0.001, per-class NMS at 0.45, 100 detections an image, COCO's evaluation as
  tests/reference/gen_map.py transcribes pycocotools'). Prints seconds per epoch and map50/map lines."""
import math
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
import gen_map  # noqa: E402

CLASSES = 11
ANCHORS = torch.tensor([[13.0, 28.0], [28.0, 16.0], [22.0, 28.0]])
STRIDE = 8.0
A, D = 3, 5 + CLASSES


class YoloFmnist(nn.Module):
    def __init__(self):
        super().__init__()
        layers, c = [], 1
        for k, f in enumerate((16, 32, 64, 128, 128)):
            layers += [nn.Conv2d(c, f, 3, padding=1, bias=False), nn.BatchNorm2d(f), nn.LeakyReLU(0.1)]
            if k < 3:
                layers.append(nn.MaxPool2d(2))
            c = f
        layers.append(nn.Conv2d(c, A * D, 1))
        self.body = nn.Sequential(*layers)

    def forward(self, x):
        return self.body(x)


def yolo_loss(pred, boxes, ignore=0.5, lc=1.0, ln=1.0):
    """pred (N, A D, H, W), boxes (N, B, 5) of class, x0, y0, x1, y1 (class -1 pads). Vectorized over images; the
    boxes slot by slot, so that a later box taking a cell and anchor replaces an earlier one (as fovea and Darknet
    do)."""
    N, _, H, W = pred.shape
    p = pred.view(N, A, D, H, W)
    pos = torch.zeros(N, A, H, W, dtype=torch.bool)
    tgt = torch.zeros(N, A, 4, H, W)
    scale = torch.zeros(N, A, H, W)
    cls = torch.zeros(N, A, CLASSES, H, W)
    img_area = H * STRIDE * W * STRIDE
    n_all = torch.arange(N)
    for b in range(boxes.shape[1]):
        r = boxes[:, b]
        w, h = r[:, 3] - r[:, 1], r[:, 4] - r[:, 2]
        ok = (r[:, 0] >= 0) & (w > 0) & (h > 0)
        if not bool(ok.any()):
            continue
        inter = torch.minimum(ANCHORS[:, 0], w[:, None]) * torch.minimum(ANCHORS[:, 1], h[:, None])
        a = torch.argmax(inter / (w[:, None] * h[:, None] + ANCHORS[:, 0] * ANCHORS[:, 1] - inter), 1)
        cx, cy = (r[:, 1] + r[:, 3]) / 2, (r[:, 2] + r[:, 4]) / 2
        i = torch.floor(cx / STRIDE).long().clamp(0, W - 1)
        j = torch.floor(cy / STRIDE).long().clamp(0, H - 1)
        n, a, i, j = n_all[ok], a[ok], i[ok], j[ok]
        pos[n, a, j, i] = True
        tgt[n, a, :, j, i] = torch.stack([cx[ok] / STRIDE - i, cy[ok] / STRIDE - j, torch.log(w[ok] / ANCHORS[a, 0]),
                                          torch.log(h[ok] / ANCHORS[a, 1])], 1)
        scale[n, a, j, i] = lc * (2 - w[ok] * h[ok] / img_area)
        onehot = torch.zeros(len(n), CLASSES)
        onehot[torch.arange(len(n)), r[ok, 0].long()] = 1
        cls[n, a, :, j, i] = onehot
    sx, sy = torch.sigmoid(p[:, :, 0]), torch.sigmoid(p[:, :, 1])
    with torch.no_grad():  # the ignore mask: predicted boxes that already overlap a true box
        gi = torch.arange(W).view(1, 1, 1, W)
        gj = torch.arange(H).view(1, 1, H, 1)
        bx, by = (sx + gi) * STRIDE, (sy + gj) * STRIDE
        bw = ANCHORS[:, 0].view(1, A, 1, 1) * torch.exp(p[:, :, 2])
        bh = ANCHORS[:, 1].view(1, A, 1, 1) * torch.exp(p[:, :, 3])
        pb = torch.stack([bx - bw / 2, by - bh / 2, bx + bw / 2, by + bh / 2], -1).view(N, -1, 1, 4)
        t = boxes[:, None, :, 1:]
        iw = (torch.minimum(pb[..., 2], t[..., 2]) - torch.maximum(pb[..., 0], t[..., 0])).clamp(min=0)
        ih = (torch.minimum(pb[..., 3], t[..., 3]) - torch.maximum(pb[..., 1], t[..., 1])).clamp(min=0)
        inter = iw * ih
        union = (pb[..., 2] - pb[..., 0]) * (pb[..., 3] - pb[..., 1]) + (t[..., 2] - t[..., 0]) * (t[..., 3] - t[..., 1]) - inter
        iou = torch.where((boxes[:, None, :, 0] >= 0) & (inter > 0), inter / union, torch.zeros(()))
        spared = (iou.max(2).values > ignore).view(N, A, H, W)
    coord = scale * ((sx - tgt[:, :, 0]) ** 2 + (sy - tgt[:, :, 1]) ** 2 + (p[:, :, 2] - tgt[:, :, 2]) ** 2 +
                     (p[:, :, 3] - tgt[:, :, 3]) ** 2)
    obj = p[:, :, 4]
    loss = coord[pos].sum() + F.binary_cross_entropy_with_logits(obj[pos], torch.ones_like(obj[pos]), reduction="sum")
    clsl = F.binary_cross_entropy_with_logits(p[:, :, 5:], cls, reduction="none").sum(2)
    loss = loss + clsl[pos].sum()
    neg = ~pos & ~spared
    loss = loss + ln * F.binary_cross_entropy_with_logits(obj[neg], torch.zeros_like(obj[neg]), reduction="sum")
    return loss / N


def step_bench(argv):
    steps = int(argv[0]) if len(argv) > 0 else 10
    threads = int(argv[1]) if len(argv) > 1 else torch.get_num_threads()
    warmup = int(argv[2]) if len(argv) > 2 else 3
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    net = YoloFmnist().train()
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    x = torch.rand(32, 1, 64, 64)
    g = torch.Generator().manual_seed(2)
    boxes = torch.full((32, 4, 5), -1.0)
    for n in range(32):  # three objects an image, the sizes of composed items
        for b in range(3):
            x0, y0 = torch.randint(0, 36, (2,), generator=g).tolist()
            w, h = torch.randint(8, 28, (2,), generator=g).tolist()
            boxes[n, b] = torch.tensor([float((n + b) % CLASSES), x0, y0, x0 + w, y0 + h])

    def step():
        opt.zero_grad()
        yolo_loss(net(x), boxes).backward()
        opt.step()

    for _ in range(warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    secs = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"pytorch yolo-fmnist 64x64 b32 train step: {secs / steps * 1e3:.2f} ms/step, {32 * steps / secs:.1f} "
          f"images/s, {threads} threads, peak RSS {rss:.1f} MiB")


def load(folder):
    from PIL import Image
    names = sorted(os.listdir(os.path.join(folder, "images")))
    xs, bs = [], []
    for name in names:
        im = np.asarray(Image.open(os.path.join(folder, "images", name)).convert("L"), dtype=np.float32) / 255.0
        H, W = im.shape
        rows = []
        with open(os.path.join(folder, "labels", os.path.splitext(name)[0] + ".txt")) as f:
            for line in f:
                if line.strip():
                    c, cx, cy, w, h = map(float, line.split())
                    rows.append([c, max(0.0, (cx - w / 2) * W), max(0.0, (cy - h / 2) * H), min(W, (cx + w / 2) * W),
                                 min(H, (cy + h / 2) * H)])
        xs.append(im)
        bs.append(rows)
    B = max(1, max(len(r) for r in bs))
    boxes = torch.full((len(bs), B, 5), 0.0)
    boxes[:, :, 0] = -1
    for n, rows in enumerate(bs):
        if rows:
            boxes[n, :len(rows)] = torch.tensor(rows)
    return torch.from_numpy(np.stack(xs)[:, None]), boxes


def detect(out, conf=0.001, iou=0.45, max_det=100):
    """fv_yolo_detect's rule: each anchor and cell one box, its best class, score obj x class, per-class NMS."""
    N, _, H, W = out.shape
    p = out.view(N, A, D, H, W)
    gi = torch.arange(W).view(1, 1, 1, W)
    gj = torch.arange(H).view(1, 1, H, 1)
    bx, by = (torch.sigmoid(p[:, :, 0]) + gi) * STRIDE, (torch.sigmoid(p[:, :, 1]) + gj) * STRIDE
    bw = ANCHORS[:, 0].view(1, A, 1, 1) * torch.exp(p[:, :, 2])
    bh = ANCHORS[:, 1].view(1, A, 1, 1) * torch.exp(p[:, :, 3])
    boxes = torch.stack([bx - bw / 2, by - bh / 2, bx + bw / 2, by + bh / 2], -1).reshape(N, -1, 4)
    cls_logit, cls_idx = p[:, :, 5:].max(2)
    score = (torch.sigmoid(p[:, :, 4]) * torch.sigmoid(cls_logit)).reshape(N, -1)
    cls_idx = cls_idx.reshape(N, -1)
    result = []
    for n in range(N):
        keep = score[n] >= conf
        b, s, c = boxes[n][keep], score[n][keep], cls_idx[n][keep]
        k = torchvision.ops.batched_nms(b, s, c, iou)[:max_det]
        result.append((b[k].clamp(0, 64).numpy(), s[k].numpy(), c[k].numpy().astype(np.int32)))
    return result


def fit(argv):
    train_dir, test_dir = argv[0], argv[1]
    epochs = int(argv[2]) if len(argv) > 2 else 8
    threads = int(argv[3]) if len(argv) > 3 else torch.get_num_threads()
    seed = int(argv[4]) if len(argv) > 4 else 1
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    x, boxes = load(train_dir)
    tx, tb = load(test_dir)
    net = YoloFmnist()
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    t0 = time.perf_counter()
    for _ in range(epochs):
        net.train()
        order = torch.randperm(len(x))
        for s in range(0, len(x), 32):
            idx = order[s:s + 32]
            opt.zero_grad()
            yolo_loss(net(x[idx]), boxes[idx]).backward()
            opt.step()
    secs = time.perf_counter() - t0
    net.eval()
    with torch.no_grad():
        dets = detect(torch.cat([net(tx[s:s + 64]) for s in range(0, len(tx), 64)]))
    images = []
    for n, (db, ds, dc) in enumerate(dets):
        t = tb[n][tb[n, :, 0] >= 0]
        images.append((t[:, 1:].numpy(), t[:, 0].numpy().astype(np.int32), np.zeros(len(t), np.int32), db, ds, dc))
    stats, _ = gen_map.CocoEval(images, CLASSES).summarize()
    print(f"pytorch yolo-fmnist: {secs / epochs:.1f} s/epoch of {len(x)}, {epochs} epochs, {threads} threads")
    print(f"map50: {stats[1]:.4f}\nmap: {stats[0]:.4f}")


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "step"
    (fit if mode == "fit" else step_bench)(sys.argv[2:])
