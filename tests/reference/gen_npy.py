"""Small .npy files written by NumPy itself, for tests/data/test_npy.c: every dtype fovea reads, a scalar, 5-D,
format versions 2 and 3, and files fovea must refuse (Fortran order, 6-D, big-endian, unsupported and
structured dtypes, an empty array, an int64 beyond int32). The C test knows the values written here.

Usage: /usr/bin/python3 tests/reference/gen_npy.py [outdir]   (default tests/reference/fixtures), or through
make_fixtures.py. Writes outdir/npy/*.npy."""
import os
import sys

import numpy as np
from numpy.lib import format as npformat


def save(folder, name, array, version=None):
    path = os.path.join(folder, name)
    with open(path, "wb") as f:
        if version is None:
            np.save(f, array)
        else:
            npformat.write_array(f, array, version=version)


def make(outdir):
    folder = os.path.join(outdir, "npy")
    os.makedirs(folder, exist_ok=True)
    grid = np.arange(6, dtype=np.float32).reshape(2, 3) * np.float32(0.5) - np.float32(1)
    files = {
        "f4_2x3.npy": grid,
        "f8_4.npy": np.array([0.1, -2.5, 1e40, 3.0], dtype=np.float64),
        "i4_2x2x2.npy": (np.arange(8, dtype=np.int32) - 4).reshape(2, 2, 2),
        "i8_3.npy": np.array([-5, 0, 2147483647], dtype=np.int64),
        "u1_2x2.npy": np.array([[0, 255], [7, 128]], dtype=np.uint8),
        "b1_5.npy": np.array([True, False, True, True, False]),
        "scalar_f4.npy": np.array(3.25, dtype=np.float32),
        "f4_5d.npy": np.arange(12, dtype=np.float32).reshape(1, 2, 1, 2, 3),
        "f4_6d.npy": np.arange(6, dtype=np.float32).reshape(1, 1, 2, 1, 1, 3),
        # refused
        "i8_big.npy": np.array([1, 2 ** 40], dtype=np.int64),
        "f4_7d.npy": np.zeros((1, 1, 1, 1, 1, 1, 2), dtype=np.float32),
        "f4_fortran.npy": np.asfortranarray(grid),
        "f4_be.npy": grid.astype(">f4"),
        "u2_3.npy": np.array([1, 2, 3], dtype=np.uint16),
        "struct.npy": np.zeros(2, dtype=[("a", "<f4"), ("b", "<i4")]),
        "empty_0x3.npy": np.zeros((0, 3), dtype=np.float32),
    }
    for name, array in files.items():
        save(folder, name, array)
    save(folder, "f4_v2.npy", grid.reshape(3, 2), version=(2, 0))
    save(folder, "f4_v3.npy", grid.reshape(3, 2), version=(3, 0))
    return len(files) + 2


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    print(make(sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "fixtures")), "fixtures")
