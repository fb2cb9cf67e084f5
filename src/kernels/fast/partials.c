/* Chunk-ordered sums of weight-gradient partials (see partials.h). */
#include "partials.h"

#include "../../core/pool.h"

typedef struct {
    float *dst;
    const float *parts;
    int64_t chunks, size;
} partials_job;

static void add_range(void *arg, int64_t i0, int64_t i1, int worker)
{
    const partials_job *j = arg;
    (void)worker;
    for (int64_t i = i0; i < i1; i++) {
        float v = j->dst[i];
        for (int64_t k = 0; k < j->chunks; k++) v += j->parts[k * j->size + i];
        j->dst[i] = v;
    }
}

void fv_add_partials(int threads, float *dst, const float *parts, int64_t chunks, int64_t size)
{
    partials_job j = {dst, parts, chunks, size};
    /* a few thousand floats are not worth waking a thread for */
    fv_parallel_for(size >= 4096 ? threads : 1, size, 2048, add_range, &j);
}
