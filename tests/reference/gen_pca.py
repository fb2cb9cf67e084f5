"""Reference PCA from scikit-learn: 2 and 3 components of 120 samples x 12 correlated features (components,
explained variance and its ratio, the transformed data). Writes pca_basic.fvx."""
import os

import numpy as np
from sklearn.decomposition import PCA

import fvfx


def make(outdir):
    rng = np.random.default_rng(5)
    base = rng.normal(size=(120, 4))
    x = (base @ rng.normal(size=(4, 12)) + 0.1 * rng.normal(size=(120, 12)) + 3.0).astype(np.float32)
    fx = {"x": x}
    for k in (2, 3):
        p = PCA(n_components=k, svd_solver="full").fit(x.astype(np.float64))
        fx[f"components:{k}"] = p.components_
        fx[f"variance:{k}"] = p.explained_variance_
        fx[f"ratio:{k}"] = p.explained_variance_ratio_
        fx[f"transformed:{k}"] = p.transform(x.astype(np.float64))
    fvfx.write(os.path.join(outdir, "pca_basic.fvx"), fx)


if __name__ == "__main__":
    make(os.path.join(os.path.dirname(__file__), "fixtures"))
