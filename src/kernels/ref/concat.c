/* Reference concatenation kernels: each input is a contiguous block of C * inner values per outer index, so
 * the copy is one block per outer index. */
#include <string.h>

#include "concat.h"

void fv_ref_concat_forward(void *out, const void *inp, size_t elem, int64_t outer, int64_t C, int64_t inner,
                           int64_t Ctot, int64_t c0)
{
    size_t block = (size_t)(C * inner) * elem;
    if (block == 0) return; /* an empty input adds nothing (and its buffer may be a placeholder) */
    char *o = out;
    const char *x = inp;
    for (int64_t a = 0; a < outer; a++)
        memcpy(o + (size_t)((a * Ctot + c0) * inner) * elem, x + (size_t)a * block, block);
}

void fv_ref_concat_backward(float *dinp, const float *dout, int64_t o0, int64_t o1, int64_t C, int64_t inner,
                            int64_t Ctot, int64_t c0, bool assign)
{
    int64_t block = C * inner;
    for (int64_t o = o0; o < o1; o++) {
        const float *src = dout + (o * Ctot + c0) * inner;
        float *dst = dinp + o * block;
        if (assign) {
            memcpy(dst, src, (size_t)block * sizeof(float));
            continue;
        }
        for (int64_t k = 0; k < block; k++) dst[k] += src[k];
    }
}
