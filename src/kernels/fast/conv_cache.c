/* Convolution weight caches (see conv_cache.h). */
#include "conv_cache.h"

#include <stdlib.h>

struct fv_conv_cache {
    int64_t G, OCg, Kg;      /* the grouping the packed groups were made for */
    fv_gemm_packed **groups; /* G of them, each NULL until first used */
    fv_gemm_packed *wino[16]; /* all 16 or none */
};

static void drop_groups(fv_conv_cache *c)
{
    for (int64_t i = 0; c->groups && i < c->G; i++) fv_gemm_packed_free(c->groups[i]);
    free(c->groups);
    c->groups = NULL;
}

void fv_conv_cache_free(fv_conv_cache *c)
{
    if (!c) return;
    drop_groups(c);
    for (int i = 0; i < 16; i++) fv_gemm_packed_free(c->wino[i]);
    free(c);
}

static fv_conv_cache *ensure(fv_conv_cache **slot)
{
    if (!*slot) *slot = calloc(1, sizeof **slot);
    return *slot;
}

const fv_gemm_packed *fv_conv_cache_group(fv_conv_cache **slot, int threads, const float *weight, int64_t gi,
                                          int64_t G, int64_t OCg, int64_t Kg)
{
    fv_conv_cache *c = ensure(slot);
    if (!c) return NULL;
    if (c->groups && (c->G != G || c->OCg != OCg || c->Kg != Kg)) drop_groups(c); /* a node's shape changed */
    if (!c->groups) {
        if (!(c->groups = calloc((size_t)G, sizeof *c->groups))) return NULL;
        c->G = G, c->OCg = OCg, c->Kg = Kg;
    }
    if (!c->groups[gi]) c->groups[gi] = fv_gemm_pack_a(threads, false, OCg, Kg, weight + gi * OCg * Kg, Kg);
    return c->groups[gi];
}

fv_gemm_packed *const *fv_conv_cache_winograd(fv_conv_cache *c) { return c && c->wino[0] ? c->wino : NULL; }

bool fv_conv_cache_store_winograd(fv_conv_cache **slot, fv_gemm_packed *u[16])
{
    fv_conv_cache *c = ensure(slot);
    if (!c) {
        for (int i = 0; i < 16; i++) fv_gemm_packed_free(u[i]);
        return false;
    }
    for (int i = 0; i < 16; i++) fv_gemm_packed_free(c->wino[i]), c->wino[i] = u[i];
    return true;
}
