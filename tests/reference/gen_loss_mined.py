"""Fixtures for the triplet loss mined in a batch (Hermans et al. 2017), written out in PyTorch on the pairwise
Euclidean distances: batch-hard (each anchor's farthest positive and nearest negative, averaged over anchors
that have both), batch-all (the positive hinges of every valid triplet over their count) and semi-hard (FaceNet's:
each positive pair with the nearest negative farther than its positive, else the farthest negative, averaged over
the pairs whose anchor has a negative; TensorFlow Addons' rule, written out here), with a singleton
identity (an anchor without a positive) and margins that leave some hinges flat. float64 from float32."""
import os

import numpy as np
import torch

import fvfx


def mined(e, y, margin, mining):
    d = torch.cdist(e, e)
    same = y[:, None] == y[None, :]
    eye = torch.eye(len(y), dtype=torch.bool)
    pos, neg = same & ~eye, ~same
    if mining == "semi":
        terms = []
        for a in range(len(y)):
            if not neg[a].any():
                continue
            for p in range(len(y)):
                if not pos[a, p]:
                    continue
                dn = d[a][neg[a]]
                outside = dn[dn > d[a, p]]
                dan = outside.min() if len(outside) else dn.max()
                terms.append(torch.clamp(d[a, p] - dan + margin, min=0))
        return torch.stack(terms).mean() if terms else d.sum() * 0
    if mining == "hard":
        terms = []
        for a in range(len(y)):
            if pos[a].any() and neg[a].any():
                terms.append(torch.clamp(d[a][pos[a]].max() - d[a][neg[a]].min() + margin, min=0))
        return torch.stack(terms).mean() if terms else d.sum() * 0
    v = d[:, :, None] - d[:, None, :] + margin  # v[a, p, n]
    valid = pos[:, :, None] & neg[:, None, :]
    hinge = torch.clamp(v, min=0) * valid
    count = (hinge > 0).sum()
    return hinge.sum() / count if count > 0 else hinge.sum() * 0


def make(outdir):
    count = 0
    e = torch.randn(9, 4)
    y = torch.tensor([0, 0, 1, 1, 1, 2, 2, 3, 0])  # identity 3 has no positive
    for margin in (0.2, 1.0):
        for mining_id, mining in enumerate(("hard", "all", "semi")):
            ed = e.double().requires_grad_()
            loss = mined(ed, y, margin, mining)
            loss.backward()
            name = f"{mining}_m{margin:g}"
            fvfx.write(os.path.join(outdir, f"triplet_mined_loss_{name}.fvx"),
                       {"meta:op": "triplet_mined_loss", "in:embeddings": e.numpy(),
                        "in:labels": fvfx.I64(y.numpy().astype(np.int64)),
                        "attr:margin": np.array([margin], np.float32),
                        "attr:mining": np.array([mining_id], np.int32),
                        "out": fvfx.tensor(loss), "grad:embeddings": fvfx.tensor(ed.grad)})
            count += 1
    return count
