"""Reference values of the regression metrics from scikit-learn: mean_absolute_error, mean_squared_error and
r2_score on flattened predictions and targets (a (6, 2, 3) map given in two batches of 3). Writes
regression_metrics_basic.fvx."""
import os

import numpy as np
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

import fvfx


def make(outdir):
    rng = np.random.default_rng(5)
    target = rng.normal(2, 3, size=(6, 2, 3)).astype(np.float32)
    pred = (target + rng.normal(0, 1, size=target.shape)).astype(np.float32)
    t, p = target.reshape(-1).astype(np.float64), pred.reshape(-1).astype(np.float64)
    fvfx.write(os.path.join(outdir, "regression_metrics_basic.fvx"),
               {"in:pred": pred, "in:target": target, "mae": np.array([mean_absolute_error(t, p)]),
                "mse": np.array([mean_squared_error(t, p)]), "r2": np.array([r2_score(t, p)])})
    return 1
