/* Reusable scratch buffers (see scratch.h): each buffer has a 64-byte header line with its size before the
 * data, so the data stays 64-byte aligned. */
#include "scratch.h"

#include <stdatomic.h>
#include <stdlib.h>

struct fv_scratch_head {
    size_t bytes;
};

#define HEAD 64

void *fv_scratch_take(fv_scratch_slot *slot, size_t bytes)
{
    fv_scratch_head *h = atomic_exchange(slot, NULL);
    if (h && h->bytes < bytes) free(h), h = NULL;
    if (!h) {
        size_t rounded = (bytes + 63) / 64 * 64;
        if (rounded < bytes || !(h = aligned_alloc(64, HEAD + rounded))) return NULL;
        h->bytes = rounded;
    }
    return (char *)h + HEAD;
}

void fv_scratch_give(fv_scratch_slot *slot, void *p)
{
    if (p) free(atomic_exchange(slot, (fv_scratch_head *)((char *)p - HEAD)));
}
