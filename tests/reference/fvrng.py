"""fovea's counter-based random generator (src/core/rng.c), reproduced bit for bit with numpy so that
reference fixtures can use the same dropout masks and random values as fovea."""
import numpy as np

M64 = (1 << 64) - 1


def _splitmix64_int(z):
    z = (z + 0x9E3779B97F4A7C15) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def _splitmix64_np(z):
    with np.errstate(over="ignore"):
        z = z + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def bits(seed, stream, index):
    """fv_rng_bits for an array of indices."""
    key = _splitmix64_int(seed ^ _splitmix64_int((stream * 0xD1342543DE82EF95 + 1) & M64))
    idx = np.asarray(index, dtype=np.uint64)
    with np.errstate(over="ignore"):
        return _splitmix64_np(idx + np.uint64(key))


def uniform(seed, stream, index):
    return (bits(seed, stream, index) >> np.uint64(40)).astype(np.float32) * np.float32(1.0 / 16777216.0)


def dropout_keep(seed, stream, call, size, p):
    """The keep mask of fovea's dropout for its call-th training forward pass over `size` elements."""
    idx = np.arange(size, dtype=np.uint64) + np.uint64(call * size)
    threshold = np.uint64(int(p * 16777216.0))
    return (bits(seed, stream, idx) >> np.uint64(40)) >= threshold
