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

#endif
