"""Reference values of fovea's metrics from scikit-learn: accuracy, top-k accuracy, the confusion matrix,
per-class precision/recall/F1 with macro and weighted averages (zero_division=0, labels=range(K)) and the
text of classification_report, for logits made to include the awkward cases: a class that is true but never
predicted, one predicted but never true, and one that is neither.

Usage: /usr/bin/python3 tests/reference/gen_metrics.py [outdir]   (needs python3-sklearn), or through
make_fixtures.py. Writes metrics_basic.fvx."""
import os
import sys

import numpy as np
from sklearn.metrics import (accuracy_score, classification_report, confusion_matrix,
                             precision_recall_fscore_support, top_k_accuracy_score)

import fvfx

NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Ankle boot"]
NEVER_PREDICTED, NEVER_TRUE, ABSENT = 5, 4, 6


def make_data(rng, n):
    k = len(NAMES)
    logits = rng.normal(0, 1.5, size=(n, k)).astype(np.float32)
    logits[:, NEVER_PREDICTED] -= 8
    logits[:, ABSENT] -= 8
    pred = logits.argmax(axis=1)
    allowed = np.array([c for c in range(k) if c not in (NEVER_TRUE, ABSENT)])
    labels = np.where(rng.random(n) < 0.65, pred, rng.choice(allowed, size=n))
    bad = np.isin(labels, [NEVER_TRUE, ABSENT])
    labels[bad] = rng.choice(allowed, size=int(bad.sum()))
    labels[:3] = NEVER_PREDICTED  # make sure it has support
    for row in logits:  # no ties, so that every definition of top-k agrees
        assert len(np.unique(row)) == k
    return logits, labels.astype(np.int32)


def report(labels, pred, classes):
    """classification_report's text, with the accuracy row as scikit-learn prints it whenever every label
    occurs: 1.2 prints a "micro avg" row instead (same value in all three columns) as soon as a class occurs
    in neither truth nor predictions, which fovea does not copy."""
    text = classification_report(labels, pred, labels=classes, target_names=NAMES, digits=4, zero_division=0)
    width = max(len(n) for n in NAMES + ["weighted avg"])
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.strip().startswith("micro avg"):
            acc = (labels == pred).mean()
            lines[i] = "{:>{w}s} ".format("accuracy", w=width) + " {:>9}".format("") * 2 + \
                " {:>9.4f}".format(acc) + " {:>9}".format(len(labels))
    return "\n".join(lines)


def make(outdir):
    rng = np.random.default_rng(20240607)
    k = len(NAMES)
    logits, labels = make_data(rng, 300)
    pred = logits.argmax(axis=1)
    classes = list(range(k))
    p, r, f, s = precision_recall_fscore_support(labels, pred, labels=classes, zero_division=0)
    macro = precision_recall_fscore_support(labels, pred, labels=classes, average="macro", zero_division=0)
    weighted = precision_recall_fscore_support(labels, pred, labels=classes, average="weighted", zero_division=0)
    assert s[NEVER_PREDICTED] > 0 and (pred == NEVER_PREDICTED).sum() == 0
    assert s[NEVER_TRUE] == 0 and (pred == NEVER_TRUE).sum() > 0
    assert s[ABSENT] == 0 and (pred == ABSENT).sum() == 0
    e = {
        "in:logits": logits,
        "in:labels": labels,
        "names": "\n".join(NAMES),
        "confusion": confusion_matrix(labels, pred, labels=classes).astype(np.int32),
        "precision": p, "recall": r, "f1": f, "support": s.astype(np.int32),
        "macro": np.array(macro[:3]), "weighted": np.array(weighted[:3]),
        "correct1": np.array([accuracy_score(labels, pred, normalize=False)], dtype=np.int32),
        "report": report(labels, pred, classes),
    }
    for top in (2, 3):
        e[f"correct{top}"] = np.array([top_k_accuracy_score(labels, logits, k=top, labels=classes,
                                                            normalize=False)], dtype=np.int32)
    fvfx.write(os.path.join(outdir, "metrics_basic.fvx"), e)
    return 1


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "fixtures")
    print(f"gen_metrics: {make(out)} fixtures")
