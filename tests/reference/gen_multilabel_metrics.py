"""Reference values of the multi-label metrics from scikit-learn: precision_recall_fscore_support on indicator
matrices (average None, micro, macro, weighted; zero_division=0) and accuracy_score (subset accuracy), for
logits thresholded at 0.5 and at 0.3 through the sigmoid, with a label that is never true and one never
predicted. Writes multilabel_metrics_basic.fvx."""
import os

import numpy as np
from sklearn.metrics import accuracy_score, precision_recall_fscore_support

import fvfx


def make(outdir):
    rng = np.random.default_rng(11)
    n, k = 40, 5
    logits = rng.normal(0, 2, size=(n, k)).astype(np.float32)
    logits[:, 4] -= 9  # never predicted at 0.5
    targets = (rng.random((n, k)) < 0.4).astype(np.float32)
    targets[:, 3] = 0  # never true
    targets[:, 4][:6] = 1
    e = {"in:logits": logits, "in:targets": targets}
    for tag, thr in (("t50", 0.5), ("t30", 0.3)):
        prob = 1.0 / (1.0 + np.exp(-logits.astype(np.float64)))
        assert np.all(np.abs(prob - thr) > 1e-6)  # no decision at the threshold itself
        pred = (prob >= thr).astype(int)
        truth = targets.astype(int)
        for avg in (None, "micro", "macro", "weighted"):
            p, r, f, s = precision_recall_fscore_support(truth, pred, average=avg, zero_division=0)
            name = avg or "per_label"
            e[f"{tag}:{name}"] = np.stack([np.atleast_1d(p), np.atleast_1d(r), np.atleast_1d(f)]).astype(np.float64)
        e[f"{tag}:support"] = fvfx.I64(truth.sum(0))
        e[f"{tag}:subset_accuracy"] = np.array([accuracy_score(truth, pred)])
    fvfx.write(os.path.join(outdir, "multilabel_metrics_basic.fvx"), e)
    return 1
