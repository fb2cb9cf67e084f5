"""Fixtures for the metrics the binary and multi-label tasks log (src/train/task_metrics.c), against
scikit-learn on the same logits and targets: accuracy_score (subset accuracy), precision/recall/F1 (micro, and
macro F1) of the decisions sigmoid(logit) >= threshold, and roc_auc_score on the logits (binary; macro over the
labels that have both classes for multi-label). The logits hold ties, and one label of the multi-label set has
no positive (scikit-learn's macro AUC would refuse it: the task skips such labels, so the reference leaves it out)."""
import os

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

import fvfx


def decisions(z, threshold):
    return (1 / (1 + np.exp(-z.astype(np.float64))) >= threshold).astype(int)


def make(outdir):
    rng = np.random.RandomState(11)
    count = 0
    for threshold in (0.5, 0.3):
        z = np.round(rng.normal(size=40), 1).astype(np.float32)  # rounding makes ties
        t = (rng.uniform(size=40) < 0.4).astype(np.float32)
        p = decisions(z, threshold)
        values = [accuracy_score(t, p), precision_score(t, p, zero_division=0), recall_score(t, p, zero_division=0),
                  f1_score(t, p, zero_division=0), roc_auc_score(t, z)]
        fvfx.write(os.path.join(outdir, f"task_metrics_binary_t{threshold:g}.fvx"),
                   {"meta:task": "binary", "logits": z, "targets": t,
                    "attr:threshold": np.array([threshold], np.float32), "values": np.array(values)})
        count += 1
    z = np.round(rng.normal(size=(30, 4)), 1).astype(np.float32)
    t = (rng.uniform(size=(30, 4)) < 0.5).astype(np.float32)
    t[:, 3] = 0  # a label without positives
    p = decisions(z, 0.5)
    auc = np.mean([roc_auc_score(t[:, c], z[:, c]) for c in range(3)])
    values = [accuracy_score(t, p), precision_score(t, p, average="micro", zero_division=0),
              recall_score(t, p, average="micro", zero_division=0), f1_score(t, p, average="micro", zero_division=0),
              f1_score(t, p, average="macro", zero_division=0), auc]
    fvfx.write(os.path.join(outdir, "task_metrics_multilabel.fvx"),
               {"meta:task": "multilabel", "logits": z, "targets": t, "attr:threshold": np.array([0.5], np.float32),
                "values": np.array(values)})
    return count + 1
