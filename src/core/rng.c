/* Counter-based random numbers: splitmix64 applied to a key made of seed, stream and index. A value depends
 * on nothing else, so any thread can draw any element and results stay identical for any thread count.
 * tests/reference/fvrng.py reproduces it bit for bit for the reference fixtures. */
#include "fovea/core.h"

static uint64_t splitmix64(uint64_t z)
{
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint64_t fv_rng_bits(uint64_t seed, uint64_t stream, uint64_t index)
{
    /* Mixing the stream first keeps streams of neighbouring numbers from overlapping. */
    uint64_t key = splitmix64(seed ^ splitmix64(stream * 0xD1342543DE82EF95ull + 1));
    return splitmix64(key + index);
}

float fv_rng_uniform(uint64_t seed, uint64_t stream, uint64_t index)
{
    return (float)(fv_rng_bits(seed, stream, index) >> 40) * (1.0f / 16777216.0f);
}
