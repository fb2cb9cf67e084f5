/* Fast form of ref/layout.h's fv_ref_map_gather for maps that are strided (map[d][i] = first + i * step, no
 * padding): rows copied whole, or transposes in cache-sized tiles. Returns false, having written nothing, for
 * other maps (pads, tiles by modulo, gathers), which the reference then does. Threaded; the same bytes on any
 * thread count. */
#ifndef FV_FAST_LAYOUT_H
#define FV_FAST_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fovea/core.h"

bool fv_fast_map_gather(int threads, void *out, const void *inp, size_t elem, int ndim, const int64_t *oshape,
                        const int64_t *const *map);

/* The concatenation of n inputs along an axis (input i has C[i] channels of that axis; outer blocks before it,
 * inner elements after it; Ctot channels in all) as one copy cut into pieces for the threads: a network's
 * concatenation (DenseNet's, of up to 17 maps) copies megabytes, which one core moves at half the rate of two.
 * False, having written nothing, without memory for its list of blocks (the caller then copies alone). */
bool fv_fast_concat(int threads, void *out, const void *const *inputs, const int64_t *C, int n, size_t elem,
                    int64_t outer, int64_t inner, int64_t Ctot);

#endif
