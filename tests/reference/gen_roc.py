"""Reference ROC and precision-recall curves, AUC, average precision, log-loss and top-k accuracy from
scikit-learn (Debian's python3-sklearn) for 4 classes over 60 samples whose scores have ties (rounded to 0.05)
and whose class 3 has no positive sample (scikit-learn warns and gives NaN rates). Writes roc_basic.fvx."""
import os
import warnings

import numpy as np
from sklearn.metrics import (auc, average_precision_score, log_loss, precision_recall_curve, roc_auc_score,
                             roc_curve, top_k_accuracy_score)

import fvfx


def make(outdir):
    rng = np.random.default_rng(11)
    n, k = 60, 4
    labels = rng.integers(0, 3, size=n).astype(np.int32)  # class 3 never occurs
    logits = rng.normal(size=(n, k)) + 1.5 * np.eye(k)[labels]
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    probs = np.round(probs / 0.05) * 0.05  # ties
    probs = (probs / probs.sum(1, keepdims=True)).astype(np.float32)
    fx = {"probs": probs, "labels": labels}
    aucs = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for c in range(k):
            y = (labels == c).astype(int)
            s = probs[:, c].astype(np.float64)
            fpr, tpr, thr = roc_curve(y, s)
            fx[f"roc_fpr:{c}"], fx[f"roc_tpr:{c}"], fx[f"roc_thr:{c}"] = fpr, tpr, thr
            p, r, t = precision_recall_curve(y, s)
            fx[f"pr_p:{c}"], fx[f"pr_r:{c}"], fx[f"pr_thr:{c}"] = p, r, t
            fx[f"ap:{c}"] = np.array([average_precision_score(y, s)])
            a = roc_auc_score(y, s) if y.any() else np.nan
            fx[f"auc:{c}"] = np.array([a])
            if y.any():
                aucs.append(a)
    onehot = np.eye(k)[labels]
    fpr, tpr, _ = roc_curve(onehot.ravel(), probs.astype(np.float64).ravel())
    fx["auc:micro"] = np.array([auc(fpr, tpr)])
    fx["auc:macro"] = np.array([np.mean(aucs)])  # over the classes that have positives
    fx["log_loss"] = np.array([log_loss(labels, probs.astype(np.float64), labels=range(k))])
    fx["top2"] = np.array([top_k_accuracy_score(labels, probs, k=2, labels=range(k))])
    fvfx.write(os.path.join(outdir, "roc_basic.fvx"), fx)


if __name__ == "__main__":
    make(os.path.join(os.path.dirname(__file__), "fixtures"))
