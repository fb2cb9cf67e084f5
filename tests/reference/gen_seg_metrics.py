"""Reference values of the segmentation metrics from a plain NumPy computation on the same masks: the
confusion matrix of (label, argmax over axis 1) over the positions not labelled 255, pixel accuracy, per-class
IoU and Dice (NaN for a class neither true nor predicted) and their nanmean. Logits (3, 5, 6, 7) are made so
that one class is never predicted, one never true, and one neither. mIoU is the mean over the classes present in
the truth or the prediction (tp + fp + fn > 0), from one matrix over every pixel of the 3 images; image_mean_iou,
the mean of each image's own mIoU, is the other convention, kept to show that evaluate does not follow it.
Writes seg_metrics_basic.fvx."""
import os

import numpy as np

import fvfx

IGNORE = 255


def overlap(cm):
    tp = np.diag(cm).astype(np.float64)
    fp, fn = cm.sum(0) - tp, cm.sum(1) - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = np.where(tp + fp + fn > 0, tp / (tp + fp + fn), np.nan)
        dice = np.where(tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), np.nan)
    return iou, dice


def confusion(labels, pred, K):
    keep = labels != IGNORE
    return np.bincount(labels[keep] * K + pred[keep], minlength=K * K).reshape(K, K).astype(np.int64)


def make(outdir):
    rng = np.random.default_rng(7)
    N, K, H, W = 3, 5, 6, 7
    logits = rng.normal(0, 1.5, size=(N, K, H, W)).astype(np.float32)
    logits[:, 3] -= 9  # never predicted
    logits[:, 4] -= 9  # neither true nor predicted
    pred = logits.argmax(1)
    labels = np.where(rng.random((N, H, W)) < 0.6, pred, rng.integers(0, 2, size=(N, H, W)))
    labels[0, 0, :4] = 3  # true but never predicted
    labels[labels == 2] = np.where(rng.random(int((labels == 2).sum())) < 0.5, 2, 0)
    labels[1, 2, :] = IGNORE
    cm = confusion(labels, pred, K)
    iou, dice = overlap(cm)
    per_image = [np.nanmean(overlap(confusion(labels[i], pred[i], K))[0]) for i in range(N)]
    e = {"in:logits": logits, "in:labels": labels.astype(np.int32), "attr:ignore_index": np.array([IGNORE], np.int32),
         "confusion": fvfx.I64(cm), "pixel_accuracy": np.array([np.trace(cm) / cm.sum()]),
         "iou": iou, "dice": dice, "mean_iou": np.array([np.nanmean(iou)]), "mean_dice": np.array([np.nanmean(dice)]),
         "image_mean_iou": np.array([np.mean(per_image)])}
    fvfx.write(os.path.join(outdir, "seg_metrics_basic.fvx"), e)
    return 1
