"""Values of fovea's counter-based generator as tests/reference/fvrng.py computes them, so that the C test can
prove the two agree bit for bit (the dropout fixtures depend on it)."""
import os

import numpy as np

import fvfx
import fvrng


def make(outdir):
    idx = np.array([0, 1, 2, 3, 1000, 123456789, 2**40 + 17], dtype=np.uint64)
    e = {}
    for seed, stream in [(0, 0), (1, 0), (7, 0), (7, 1), (12345, 99)]:
        b = fvrng.bits(seed, stream, idx)
        e[f"hi:{seed}:{stream}"] = (b >> np.uint64(40)).astype(np.int32)
        e[f"lo:{seed}:{stream}"] = (b & np.uint64(0xFFFFFF)).astype(np.int32)
        e[f"u:{seed}:{stream}"] = fvrng.uniform(seed, stream, idx)
    e["index"] = idx.astype(np.int64).astype(np.float64).astype(np.float32)  # informational
    fvfx.write(os.path.join(outdir, "rng_values.fvx"), e)
    return 1
