"""Writer of FVFX fixture files (the format is described in tests/common/fixture.h).

A fixture is an ordered dict of names to numpy arrays (float32, int32; bool arrays as bool; int64 only when
wrapped in I64, so that older generators' int64 attributes stay int32) or strings. References are
computed by PyTorch in float64 from float32 inputs, then stored as float32."""
import struct

import numpy as np


class I64:
    """An array to store as int64 (indices an operator reads or writes as int64, as ONNX's)."""

    def __init__(self, value):
        self.value = np.asarray(value, dtype="<i8")


def _entry(name, value):
    nb = name.encode()
    head = struct.pack("<H", len(nb)) + nb
    if isinstance(value, str):
        data = value.encode()
        return head + struct.pack("<BB", 2, 1) + struct.pack("<q", len(data)) + data
    arr = value.value if isinstance(value, I64) else np.asarray(value)
    if isinstance(value, I64):
        code = 3
    elif arr.dtype.kind == "b":
        arr, code = arr.astype("u1"), 4
    elif arr.dtype.kind == "f":
        arr, code = arr.astype("<f4"), 0
    elif arr.dtype.kind in "iub":
        arr, code = arr.astype("<i4"), 1
    else:
        raise TypeError(f"{name}: unsupported dtype {arr.dtype}")
    if arr.ndim > 6:
        raise ValueError(f"{name}: {arr.ndim} dims")
    return (head + struct.pack("<BB", code, arr.ndim) + struct.pack(f"<{arr.ndim}q", *arr.shape)
            + np.ascontiguousarray(arr).tobytes())


def write(path, entries):
    """entries: list of (name, value) pairs or a dict (insertion order is kept)."""
    items = list(entries.items()) if isinstance(entries, dict) else list(entries)
    blob = b"FVFX" + struct.pack("<II", 1, len(items)) + b"".join(_entry(n, v) for n, v in items)
    with open(path, "wb") as f:
        f.write(blob)


def tensor(t):
    """A torch tensor (any float dtype) as a float32 numpy array."""
    return t.detach().to("cpu").double().numpy().astype(np.float32)
