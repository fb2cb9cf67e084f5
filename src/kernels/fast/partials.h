/* Weight gradients summed chunk by chunk: a kernel splits the batch into chunks fixed by the geometry (never
 * by the thread count), each chunk's gradient goes to its own buffer, and the buffers are then added here in
 * chunk order, so that the result is bit-identical however many threads computed the chunks. */
#ifndef FV_FAST_PARTIALS_H
#define FV_FAST_PARTIALS_H

#include <stdint.h>

/* dst[i] = (((dst[i] + parts[i]) + parts[size + i]) + ...) over `chunks` buffers of `size` floats, threaded over
 * i where size is worth it. */
void fv_add_partials(int threads, float *dst, const float *parts, int64_t chunks, int64_t size);

#endif
