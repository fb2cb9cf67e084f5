"""Reference values of fovea's YOLOv3 head loss (fv_yolo_loss, include/fovea/ops_loss.h): the loss written in
PyTorch from the formula in that header, its gradient by autograd. Two heads of one detector (strides 8 and 16
on a 64x48 input, three anchors each out of six), boxes that go to either head, padding, a box without area,
two boxes claiming one cell and anchor (the later wins), predictions near true boxes (the ignore threshold),
and weights other than 1.

Usage: /usr/bin/python3 tests/reference/gen_yolo_loss.py [outdir], or through make_fixtures.py. Writes
yolo_loss.fvx: for each head h, pred_h, grad_h (d loss / d pred) and loss_h, with the boxes and arguments."""
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

import fvfx

ANCHORS = [(6.0, 8.0), (12.0, 10.0), (9.0, 20.0), (22.0, 16.0), (18.0, 34.0), (40.0, 30.0)]
CLASSES = 3
IMG_H, IMG_W = 48, 64


def best_anchor(w, h):
    best, top = 0, -1.0
    for k, (aw, ah) in enumerate(ANCHORS):
        inter = min(w, aw) * min(h, ah)
        iou = inter / (w * h + aw * ah - inter)
        if iou > top:
            top, best = iou, k
    return best


def head_loss(pred, boxes, mask, stride, ignore, lc, ln):
    """The header's formula, term by term (pred requires grad)."""
    N, _, H, W = pred.shape
    A, D = len(mask), 5 + CLASSES
    p = pred.view(N, A, D, H, W)
    total = pred.new_zeros((), dtype=torch.float64)
    img_area = H * stride[0] * W * stride[1]
    for n in range(N):
        cell = {}
        for b, r in enumerate(boxes[n]):
            if r[0] < 0:
                continue
            w, h = float(r[3] - r[1]), float(r[4] - r[2])
            if not (w > 0 and h > 0):
                continue
            best = best_anchor(w, h)
            if best not in mask:
                continue
            cx, cy = (float(r[1]) + float(r[3])) / 2, (float(r[2]) + float(r[4])) / 2
            i = min(max(int(math.floor(cx / stride[1])), 0), W - 1)
            j = min(max(int(math.floor(cy / stride[0])), 0), H - 1)
            cell[(mask.index(best), j, i)] = b
        truths = [r for r in boxes[n] if r[0] >= 0]
        for k in range(A):
            aw, ah = ANCHORS[mask[k]]
            for j in range(H):
                for i in range(W):
                    t = p[n, k, :, j, i].double()
                    sx, sy = torch.sigmoid(t[0]), torch.sigmoid(t[1])
                    if (k, j, i) in cell:
                        r = boxes[n][cell[(k, j, i)]]
                        w, h = float(r[3] - r[1]), float(r[4] - r[2])
                        gx = (float(r[1]) + float(r[3])) / 2 / stride[1] - i
                        gy = (float(r[2]) + float(r[4])) / 2 / stride[0] - j
                        gw, gh = math.log(w / aw), math.log(h / ah)
                        scale = lc * (2 - w * h / img_area)
                        total = total + scale * ((sx - gx) ** 2 + (sy - gy) ** 2 + (t[2] - gw) ** 2 + (t[3] - gh) ** 2)
                        total = total + F.binary_cross_entropy_with_logits(t[4], t.new_tensor(1.0), reduction="sum")
                        onehot = t.new_zeros(CLASSES)
                        onehot[int(r[0])] = 1
                        total = total + F.binary_cross_entropy_with_logits(t[5:], onehot, reduction="sum")
                        continue
                    with torch.no_grad():
                        cx, cy = (float(sx) + i) * stride[1], (float(sy) + j) * stride[0]
                        bw, bh = aw * math.exp(float(t[2])), ah * math.exp(float(t[3]))
                        box = (cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2)
                        top = 0.0
                        for r in truths:
                            iw = min(box[2], float(r[3])) - max(box[0], float(r[1]))
                            ih = min(box[3], float(r[4])) - max(box[1], float(r[2]))
                            if iw > 0 and ih > 0:
                                inter = iw * ih
                                u = (box[2] - box[0]) * (box[3] - box[1]) + float(r[3] - r[1]) * float(r[4] - r[2]) - inter
                                top = max(top, inter / u)
                    if top > ignore:
                        continue
                    total = total + ln * F.binary_cross_entropy_with_logits(t[4], t.new_tensor(0.0), reduction="sum")
    return total / N


def make(outdir):
    rng = np.random.default_rng(17)
    N = 3
    boxes = np.full((N, 6, 5), 0.0, dtype=np.float32)
    boxes[:, :, 0] = -1
    rows = [
        [(0, 5, 5, 12, 13), (2, 30, 10, 52, 26), (1, 40, 20, 60, 46), (0, 20, 30, 20, 38)],  # the last: no width
        [(1, 10, 10, 19, 30), (2, 11, 11, 20, 31), (0, 2, 30, 42, 47)],  # the first two: one cell, one anchor
        [],                                                                # no objects
    ]
    for n, rs in enumerate(rows):
        for b, r in enumerate(rs):
            boxes[n, b] = r
    entries = [("boxes", boxes), ("anchors", np.array(ANCHORS, dtype=np.float32).reshape(-1)),
               ("classes", np.array([CLASSES], dtype=np.int32))]
    heads = [([0, 1, 2], (8.0, 8.0), 0.5, 1.0, 1.0), ([3, 4, 5], (16.0, 16.0), 0.3, 2.5, 0.5)]
    for h, (mask, stride, ignore, lc, ln) in enumerate(heads):
        H, W = int(IMG_H / stride[0]), int(IMG_W / stride[1])
        pred = torch.from_numpy(rng.normal(0, 1.0, size=(N, len(mask) * (5 + CLASSES), H, W)).astype(np.float32))
        pred[:, 4::8] -= 1.0  # objectness logits mostly negative, as after some training
        pred.requires_grad_(True)
        loss = head_loss(pred, boxes.tolist(), mask, stride, ignore, lc, ln)
        loss.backward()
        entries += [(f"pred_{h}", pred.detach().numpy()), (f"grad_{h}", pred.grad.numpy()),
                    (f"loss_{h}", np.array([loss.item()], dtype=np.float32)),
                    (f"mask_{h}", np.array(mask, dtype=np.int32)),
                    (f"args_{h}", np.array([stride[0], stride[1], ignore, lc, ln], dtype=np.float32))]
    fvfx.write(os.path.join(outdir, "yolo_loss.fvx"), entries)
    return 1


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
    os.makedirs(out, exist_ok=True)
    print(make(out), "fixtures")
