"""Reference values of fovea's box operations (include/fovea/boxes.h) from torchvision.ops 0.14 and OpenCV:
format conversions, areas, clipping, the small-box filter, the IoU, GIoU, DIoU and CIoU matrices and losses,
NMS and batched NMS (kept indices, ties included, on both of batched_nms's paths: the coordinate trick below
1,000 boxes and the per-class loop above), torchvision's AnchorGenerator on grids, its BoxCoder with two sets
of weights, and OpenCV's softNMSBoxes (linear and Gaussian) on integer boxes.

Usage: /usr/bin/python3 tests/reference/gen_boxes.py [outdir]   (needs python3-torchvision and
python3-opencv), or through make_fixtures.py. Writes boxes_ops.fvx, boxes_nms.fvx, boxes_anchors.fvx and, with
OpenCV, boxes_soft_nms.fvx."""
import math
import os
import sys

import numpy as np
import torch
import torchvision.ops as ops
from torchvision.models.detection._utils import BoxCoder
from torchvision.models.detection.anchor_utils import AnchorGenerator

import fvfx


def random_boxes(rng, n, span=100.0, small=2.0, big=40.0):
    """n boxes (x1, y1, x2, y2) inside [0, span], sides in [small, big]."""
    wh = rng.uniform(small, big, size=(n, 2))
    xy = rng.uniform(0, span - big, size=(n, 2))
    return np.concatenate([xy, xy + wh], axis=1).astype(np.float32)


def awkward(a):
    """Rows of a replaced by the cases formulas trip on: identical, nested, touching, disjoint, a line."""
    a = a.copy()
    a[0] = [10, 10, 30, 30]
    a[1] = [10, 10, 30, 30]      # identical to row 0
    a[2] = [15, 15, 25, 25]      # inside row 0
    a[3] = [30, 10, 50, 30]      # touches row 0 along an edge
    a[4] = [70, 70, 90, 95]      # far from row 0
    a[5] = [40, 40, 40, 60]      # zero width
    return a


def make_ops(outdir):
    rng = np.random.default_rng(7)
    a = awkward(random_boxes(rng, 40))
    b = awkward(random_boxes(rng, 30))[::-1].copy()
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    entries = [("a", a), ("b", b)]
    entries += [("iou", ops.box_iou(ta, tb).numpy()),
                ("giou", ops.generalized_box_iou(ta, tb).numpy()),
                ("diou", ops.distance_box_iou(ta, tb).numpy()),
                ("ciou", ops.complete_box_iou(ta, tb).numpy())]
    p = a[:30]  # losses pair a[i] with b[i]
    tp = torch.from_numpy(p)
    for eps in (1e-7, 1e-3):
        tag = "7" if eps == 1e-7 else "3"
        entries += [(f"loss_giou_{tag}", ops.generalized_box_iou_loss(tp, tb, eps=eps).numpy()),
                    (f"loss_diou_{tag}", ops.distance_box_iou_loss(tp, tb, eps=eps).numpy()),
                    (f"loss_ciou_{tag}", ops.complete_box_iou_loss(tp, tb, eps=eps).numpy())]
    fmts = ["xyxy", "xywh", "cxcywh"]
    for i, f in enumerate(fmts):
        for j, g in enumerate(fmts):
            entries.append((f"convert_{i}_{j}", ops.box_convert(ta, f, g).numpy()))
    entries.append(("area", ops.box_area(ta).numpy()))
    wide = torch.from_numpy(a * 1.5 - 20)
    entries += [("unclipped", wide.numpy()), ("clipped", ops.clip_boxes_to_image(wide, (77, 93)).numpy())]
    entries.append(("small_kept", ops.remove_small_boxes(ta, 12.0).numpy().astype(np.int32)))
    for name, weights in (("coder_1", (1.0, 1.0, 1.0, 1.0)), ("coder_10", (10.0, 10.0, 5.0, 5.0))):
        coder = BoxCoder(weights)
        deltas = coder.encode_single(tb, tp)  # b against a's first 30: refs are the proposals
        entries.append((f"{name}_encoded", deltas.numpy()))
        codes = torch.from_numpy(rng.normal(0, 1.0, size=(30, 4)).astype(np.float32))
        codes[0, 2] = 9.0  # beyond the clip
        entries += [(f"{name}_codes", codes.numpy()), (f"{name}_decoded", coder.decode_single(codes, tp).numpy())]
    fvfx.write(os.path.join(outdir, "boxes_ops.fvx"), entries)
    return 1


def clustered(rng, n, span=300.0):
    """Boxes in clumps, so that NMS has work to do; scores rounded to 2 decimals, so that ties occur."""
    centres = rng.uniform(30, span - 30, size=(max(1, n // 8), 2))
    pick = centres[rng.integers(0, len(centres), size=n)] + rng.normal(0, 6, size=(n, 2))
    wh = rng.uniform(15, 45, size=(n, 2))
    boxes = np.concatenate([pick - wh / 2, pick + wh / 2], axis=1).astype(np.float32)
    scores = np.round(rng.uniform(0, 1, size=n), 2).astype(np.float32)
    return boxes, scores


def make_nms(outdir):
    rng = np.random.default_rng(11)
    entries = []
    for case, n in enumerate((60, 400, 1300)):  # 1300: batched_nms takes its per-class loop
        boxes, scores = clustered(rng, n)
        classes = rng.integers(0, 4, size=n).astype(np.int32)
        tb, ts, tc = torch.from_numpy(boxes), torch.from_numpy(scores), torch.from_numpy(classes).long()
        entries += [(f"boxes_{case}", boxes), (f"scores_{case}", scores), (f"classes_{case}", classes)]
        for k, thr in enumerate((0.3, 0.5, 0.7)):
            entries.append((f"nms_{case}_{k}", ops.nms(tb, ts, thr).numpy().astype(np.int32)))
            entries.append((f"batched_{case}_{k}", ops.batched_nms(tb, ts, tc, thr).numpy().astype(np.int32)))
    entries.append(("thresholds", np.array([0.3, 0.5, 0.7], dtype=np.float32)))
    fvfx.write(os.path.join(outdir, "boxes_nms.fvx"), entries)
    return 1


def make_anchors(outdir):
    """AnchorGenerator's anchors for one feature map each: (sizes, ratios, grid, stride) cases."""
    cases = [((32.0, 64.0, 128.0), (0.5, 1.0, 2.0), (5, 7), (16, 16)),
             ((37.0,), (0.33, 1.0, 3.0, 1.7), (3, 4), (8, 10)),
             ((10.0, 21.0), (1.0,), (1, 1), (32, 32))]
    entries = []
    for k, (sizes, ratios, grid, stride) in enumerate(cases):
        gen = AnchorGenerator(sizes=(sizes,), aspect_ratios=(ratios,))
        anchors = gen.grid_anchors([list(grid)], [[torch.tensor(stride[0]), torch.tensor(stride[1])]])[0]
        entries += [(f"sizes_{k}", np.array(sizes, dtype=np.float32)), (f"ratios_{k}", np.array(ratios, dtype=np.float32)),
                    (f"grid_{k}", np.array(grid + stride, dtype=np.int32)), (f"anchors_{k}", anchors.numpy())]
    fvfx.write(os.path.join(outdir, "boxes_anchors.fvx"), entries)
    return 1


def make_soft_nms(outdir):
    try:
        import cv2
    except ImportError:
        print("gen_boxes: no python3-opencv, boxes_soft_nms.fvx not written", file=sys.stderr)
        return 0
    rng = np.random.default_rng(13)
    boxes, scores = clustered(rng, 120)
    boxes = np.round(boxes).astype(np.int32)  # OpenCV's rectangles are integer
    rects = [(int(x1), int(y1), int(x2 - x1), int(y2 - y1)) for x1, y1, x2, y2 in boxes]
    entries = [("boxes", boxes.astype(np.float32)), ("scores", scores)]
    runs = [("linear", cv2.dnn.SoftNMSMethod_SOFTNMS_LINEAR, 0.5, 0.3, 0.5, 0), ("gauss", cv2.dnn.SoftNMSMethod_SOFTNMS_GAUSSIAN, 0.5, 0.1, 0.3, 0),
            ("gauss_top", cv2.dnn.SoftNMSMethod_SOFTNMS_GAUSSIAN, 0.8, 0.05, 0.3, 25)]
    for name, method, sigma, score_thr, iou_thr, top_k in runs:
        updated, kept = cv2.dnn.softNMSBoxes(rects, scores.tolist(), score_thr, iou_thr, top_k=top_k, sigma=sigma,
                                             method=method)
        entries += [(f"{name}_args", np.array([sigma, score_thr, iou_thr, top_k], dtype=np.float32)),
                    (f"{name}_kept", np.asarray(kept, dtype=np.int32).reshape(-1)),
                    (f"{name}_scores", np.asarray(updated, dtype=np.float32).reshape(-1))]
    fvfx.write(os.path.join(outdir, "boxes_soft_nms.fvx"), entries)
    return 1


def make(outdir):
    return make_ops(outdir) + make_nms(outdir) + make_anchors(outdir) + make_soft_nms(outdir)


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
    os.makedirs(out, exist_ok=True)
    print(make(out), "fixtures")
