"""Reference values of fovea's detection metrics (fv_det_eval_voc, fv_det_eval_coco in include/fovea/metrics.h).

pycocotools is not packaged for Debian 12, so this file carries a transcription of its published algorithm
(COCOeval.evaluate, evaluateImg, accumulate and summarize for iouType "bbox", pycocotools 2.0) in numpy, and of
the Pascal VOC devkit's detection AP as py-faster-rcnn's voc_eval ports it (11-point and all-point), both on
continuous coordinates: written from those sources' logic, not from fovea's, and run on data made to hold the
awkward cases: tied scores within and across images, images without true boxes or without detections, crowd
("difficult") boxes, boxes small, medium and large, an image with more than 100 detections, a class with no
true box at all, one with true boxes but no detections.

Usage: /usr/bin/python3 tests/reference/gen_map.py [outdir], or through make_fixtures.py. Writes map_eval.fvx:
per image i the arrays gt_boxes_i, gt_classes_i, gt_crowd_i, det_boxes_i, det_scores_i, det_classes_i; then
the VOC APs per class (voc07_ap, voc_ap at IoU 0.5; voc_ap_7 at 0.7), COCO's twelve summary numbers (coco_stats)
and per-class AP (coco_ap)."""
import os
import sys

import numpy as np

import fvfx

K = 4  # class 3 has no true box anywhere; class 2 has true boxes but no detections


def make_images(rng):
    images = []
    for i in range(14):
        n_gt = 0 if i in (3, 9) else int(rng.integers(1, 7))
        size = rng.choice([12.0, 40.0, 120.0], size=n_gt)  # small, medium, large (32^2 and 96^2 between)
        wh = np.stack([size * rng.uniform(0.7, 1.3, n_gt), size * rng.uniform(0.7, 1.3, n_gt)], axis=1)
        xy = rng.uniform(0, 300, size=(n_gt, 2))
        gt = np.concatenate([xy, xy + wh], axis=1).astype(np.float32)
        gcls = rng.integers(0, 3, size=n_gt).astype(np.int32)
        crowd = (rng.uniform(size=n_gt) < 0.15).astype(np.int32)
        dets, scores, dcls = [], [], []
        if i != 5:  # image 5: no detections
            n_det = 130 if i == 7 else int(rng.integers(0, 16))
            for _ in range(n_det):
                if n_gt and rng.uniform() < 0.6:  # near a true box
                    j = int(rng.integers(0, n_gt))
                    w, h = gt[j, 2] - gt[j, 0], gt[j, 3] - gt[j, 1]
                    jitter = rng.normal(0, 0.08, size=4) * np.array([w, h, w, h])
                    dets.append(gt[j] + jitter)
                    dcls.append(gcls[j] if rng.uniform() < 0.85 else int(rng.integers(0, K)))
                    scores.append(round(float(rng.uniform(0.4, 1.0)), 1))  # one decimal: many ties
                else:
                    xy = rng.uniform(0, 300, size=2)
                    wh = rng.uniform(8, 130, size=2)
                    dets.append(np.concatenate([xy, xy + wh]))
                    dcls.append(int(rng.integers(0, K)))
                    scores.append(round(float(rng.uniform(0.05, 0.7)), 1))
        det = np.array(dets, dtype=np.float32).reshape(-1, 4)
        det[:, 2:] = np.maximum(det[:, 2:], det[:, :2] + 1)
        dcls = np.array(dcls, dtype=np.int32).reshape(-1)
        dcls[dcls == 2] = 0  # class 2: true boxes, never detected
        images.append((gt, gcls, crowd, det, np.array(scores, dtype=np.float32).reshape(-1), dcls))
    return images


def iou(d, g, crowd):
    """pycocotools' bbox IoU (maskUtils.iou) on corner boxes: for a crowd box, over the detection's area."""
    w = min(d[2], g[2]) - max(d[0], g[0])
    h = min(d[3], g[3]) - max(d[1], g[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = float(w) * float(h)
    da = (float(d[2]) - float(d[0])) * (float(d[3]) - float(d[1]))
    ga = (float(g[2]) - float(g[0])) * (float(g[3]) - float(g[1]))
    return inter / (da if crowd else da + ga - inter)


def area(b):
    return (float(b[2]) - float(b[0])) * (float(b[3]) - float(b[1]))


class CocoEval:
    """COCOeval for bounding boxes, its steps kept as pycocotools names them."""
    iouThrs = np.linspace(.5, 0.95, int(np.round((0.95 - .5) / .05)) + 1, endpoint=True)
    recThrs = np.linspace(.0, 1.00, int(np.round((1.00 - .0) / .01)) + 1, endpoint=True)
    maxDets = [1, 10, 100]
    areaRng = [[0 ** 2, 1e5 ** 2], [0 ** 2, 32 ** 2], [32 ** 2, 96 ** 2], [96 ** 2, 1e5 ** 2]]

    def __init__(self, images, k=K):
        self.images = images
        self.k = k

    def gts_dts(self, img, cat):
        gt, gcls, crowd, det, scores, dcls = self.images[img]
        gts = [dict(box=gt[j], area=area(gt[j]), iscrowd=int(crowd[j]), ignore=int(crowd[j]), id=j + 1)
               for j in range(len(gt)) if gcls[j] == cat]
        dts = [dict(box=det[j], area=area(det[j]), score=float(scores[j]), id=j + 1)
               for j in range(len(det)) if dcls[j] == cat]
        return gts, dts

    def computeIoU(self, gt, dt):
        if len(gt) == 0 and len(dt) == 0:
            return []
        inds = np.argsort([-d['score'] for d in dt], kind='mergesort')
        dt = [dt[i] for i in inds][:self.maxDets[-1]]
        return np.array([[iou(d['box'], g['box'], g['iscrowd']) for g in gt] for d in dt]).reshape(len(dt), len(gt))

    def evaluateImg(self, img, cat, aRng, maxDet):
        gt, dt = self.gts_dts(img, cat)
        if len(gt) == 0 and len(dt) == 0:
            return None
        ious_all = self.computeIoU(gt, dt)
        for g in gt:
            g['_ignore'] = 1 if (g['ignore'] or (g['area'] < aRng[0] or g['area'] > aRng[1])) else 0
        gtind = np.argsort([g['_ignore'] for g in gt], kind='mergesort')
        gt = [gt[i] for i in gtind]
        dtind = np.argsort([-d['score'] for d in dt], kind='mergesort')
        dt = [dt[i] for i in dtind[0:maxDet]]
        iscrowd = [int(o['iscrowd']) for o in gt]
        ious = ious_all[:, gtind] if len(ious_all) > 0 else ious_all
        T, G, D = len(self.iouThrs), len(gt), len(dt)
        gtm, dtm = np.zeros((T, G)), np.zeros((T, D))
        gtIg = np.array([g['_ignore'] for g in gt])
        dtIg = np.zeros((T, D))
        if not len(ious) == 0:
            for tind, t in enumerate(self.iouThrs):
                for dind, d in enumerate(dt):
                    best = min([t, 1 - 1e-10])
                    m = -1
                    for gind, g in enumerate(gt):
                        if gtm[tind, gind] > 0 and not iscrowd[gind]:
                            continue
                        if m > -1 and gtIg[m] == 0 and gtIg[gind] == 1:
                            break
                        if ious[dind, gind] < best:
                            continue
                        best = ious[dind, gind]
                        m = gind
                    if m == -1:
                        continue
                    dtIg[tind, dind] = gtIg[m]
                    dtm[tind, dind] = gt[m]['id']
                    gtm[tind, m] = d['id']
        a = np.array([d['area'] < aRng[0] or d['area'] > aRng[1] for d in dt]).reshape((1, len(dt)))
        dtIg = np.logical_or(dtIg, np.logical_and(dtm == 0, np.repeat(a, T, 0)))
        return dict(dtScores=[d['score'] for d in dt], dtMatches=dtm, gtIgnore=gtIg, dtIgnore=dtIg)

    def accumulate(self):
        T, R, A, M = len(self.iouThrs), len(self.recThrs), len(self.areaRng), len(self.maxDets)
        precision = -np.ones((T, R, self.k, A, M))
        recall = -np.ones((T, self.k, A, M))
        for k in range(self.k):
            for a, aRng in enumerate(self.areaRng):
                E = [self.evaluateImg(i, k, aRng, self.maxDets[-1]) for i in range(len(self.images))]
                E = [e for e in E if e is not None]
                if len(E) == 0:
                    continue
                for m, maxDet in enumerate(self.maxDets):
                    dtScores = np.concatenate([e['dtScores'][0:maxDet] for e in E])
                    inds = np.argsort(-dtScores, kind='mergesort')
                    dtm = np.concatenate([e['dtMatches'][:, 0:maxDet] for e in E], axis=1)[:, inds]
                    dtIg = np.concatenate([e['dtIgnore'][:, 0:maxDet] for e in E], axis=1)[:, inds]
                    gtIg = np.concatenate([e['gtIgnore'] for e in E])
                    npig = np.count_nonzero(gtIg == 0)
                    if npig == 0:
                        continue
                    tps = np.logical_and(dtm, np.logical_not(dtIg))
                    fps = np.logical_and(np.logical_not(dtm), np.logical_not(dtIg))
                    tp_sum = np.cumsum(tps, axis=1).astype(dtype=float)
                    fp_sum = np.cumsum(fps, axis=1).astype(dtype=float)
                    for t, (tp, fp) in enumerate(zip(tp_sum, fp_sum)):
                        tp, fp = np.array(tp), np.array(fp)
                        nd = len(tp)
                        rc = tp / npig
                        pr = tp / (fp + tp + np.spacing(1))
                        q = np.zeros((R,))
                        recall[t, k, a, m] = rc[-1] if nd else 0
                        pr = pr.tolist()
                        q = q.tolist()
                        for i in range(nd - 1, 0, -1):
                            if pr[i] > pr[i - 1]:
                                pr[i - 1] = pr[i]
                        inds = np.searchsorted(rc, self.recThrs, side='left')
                        try:
                            for ri, pi in enumerate(inds):
                                q[ri] = pr[pi]
                        except IndexError:
                            pass
                        precision[t, :, k, a, m] = np.array(q)
        return precision, recall

    def summarize(self):
        precision, recall = self.accumulate()

        def one(ap, iouThr=None, a=0, m=2):
            s = precision[:, :, :, a, m] if ap else recall[:, :, a, m]
            if iouThr is not None:
                s = s[np.where(iouThr == self.iouThrs)[0]]
            return -1 if len(s[s > -1]) == 0 else np.mean(s[s > -1])
        stats = [one(1), one(1, .5), one(1, .75), one(1, a=1), one(1, a=2), one(1, a=3),
                 one(0, m=0), one(0, m=1), one(0, m=2), one(0, a=1), one(0, a=2), one(0, a=3)]
        per_class = []
        for k in range(self.k):
            s = precision[:, :, k, 0, 2]
            per_class.append(-1 if len(s[s > -1]) == 0 else np.mean(s[s > -1]))
        return np.array(stats), np.array(per_class)


def voc_ap(rec, prec, use_07_metric):
    """py-faster-rcnn's voc_ap."""
    if use_07_metric:
        ap = 0.
        for t in np.arange(0., 1.1, 0.1):
            p = 0 if np.sum(rec >= t) == 0 else np.max(prec[rec >= t])
            ap = ap + p / 11.
        return ap
    mrec = np.concatenate(([0.], rec, [1.]))
    mpre = np.concatenate(([0.], prec, [0.]))
    for i in range(mpre.size - 1, 0, -1):
        mpre[i - 1] = np.maximum(mpre[i - 1], mpre[i])
    i = np.where(mrec[1:] != mrec[:-1])[0]
    return np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1])


def voc_eval(images, cls, ovthresh, use_07_metric):
    """py-faster-rcnn's voc_eval for one class, on continuous coordinates, "difficult" = crowd."""
    recs, npos = {}, 0
    for i, (gt, gcls, crowd, _, _, _) in enumerate(images):
        sel = gcls == cls
        recs[i] = dict(bbox=gt[sel].astype(float), difficult=crowd[sel].astype(bool), det=[False] * int(sel.sum()))
        npos += int((~crowd[sel].astype(bool)).sum())
    if npos == 0:
        return float('nan')
    ids, conf, bbs = [], [], []
    for i, (_, _, _, det, scores, dcls) in enumerate(images):
        for j in np.where(dcls == cls)[0]:
            ids.append(i), conf.append(scores[j]), bbs.append(det[j].astype(float))
    order = np.argsort(-np.array(conf, dtype=float), kind='stable')
    nd = len(order)
    tp, fp = np.zeros(nd), np.zeros(nd)
    for d in range(nd):
        R = recs[ids[order[d]]]
        bb = bbs[order[d]]
        ovmax, BBGT = -np.inf, R['bbox']
        if BBGT.size > 0:
            ixmin = np.maximum(BBGT[:, 0], bb[0])
            iymin = np.maximum(BBGT[:, 1], bb[1])
            ixmax = np.minimum(BBGT[:, 2], bb[2])
            iymax = np.minimum(BBGT[:, 3], bb[3])
            iw = np.maximum(ixmax - ixmin, 0.)
            ih = np.maximum(iymax - iymin, 0.)
            inters = iw * ih
            uni = ((bb[2] - bb[0]) * (bb[3] - bb[1]) + (BBGT[:, 2] - BBGT[:, 0]) * (BBGT[:, 3] - BBGT[:, 1]) - inters)
            overlaps = inters / uni
            ovmax = np.max(overlaps)
            jmax = np.argmax(overlaps)
        if ovmax > ovthresh:
            if not R['difficult'][jmax]:
                if not R['det'][jmax]:
                    tp[d] = 1.
                    R['det'][jmax] = 1
                else:
                    fp[d] = 1.
        else:
            fp[d] = 1.
    fp, tp = np.cumsum(fp), np.cumsum(tp)
    rec = tp / float(npos)
    prec = tp / np.maximum(tp + fp, np.finfo(np.float64).eps)
    return voc_ap(rec, prec, use_07_metric)


def make(outdir):
    rng = np.random.default_rng(2024)
    images = make_images(rng)
    entries = []
    for i, (gt, gcls, crowd, det, scores, dcls) in enumerate(images):
        entries += [(f"gt_boxes_{i}", gt), (f"gt_classes_{i}", gcls), (f"gt_crowd_{i}", crowd),
                    (f"det_boxes_{i}", det), (f"det_scores_{i}", scores), (f"det_classes_{i}", dcls)]
    stats, per_class = CocoEval(images).summarize()
    entries += [("images", np.array([len(images), K], dtype=np.int32)),
                ("voc07_ap", np.array([voc_eval(images, c, 0.5, True) for c in range(K)], dtype=np.float32)),
                ("voc_ap", np.array([voc_eval(images, c, 0.5, False) for c in range(K)], dtype=np.float32)),
                ("voc_ap_7", np.array([voc_eval(images, c, 0.7, False) for c in range(K)], dtype=np.float32)),
                ("coco_stats", stats.astype(np.float32)), ("coco_ap", per_class.astype(np.float32))]
    fvfx.write(os.path.join(outdir, "map_eval.fvx"), entries)
    print("coco stats", np.round(stats, 4), "per class", np.round(per_class, 4), file=sys.stderr)
    return 1


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
    os.makedirs(out, exist_ok=True)
    print(make(out), "fixtures")
