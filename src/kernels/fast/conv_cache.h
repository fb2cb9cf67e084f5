/* A convolution's weights kept in the arrangement its kernels multiply with (GEMM-packed, or Winograd-
 * transformed and packed), made at the first forward pass and reused by the next ones. For weights that no one
 * changes while the cache lives: inference graphs give one to each convolution whose weights the graph alone
 * owns (see nn/inference.c). Without a cache, or when it cannot get memory, the kernels arrange the weights
 * at every call as before: a cache changes the time a forward pass takes, never its result. */
#ifndef FV_FAST_CONV_CACHE_H
#define FV_FAST_CONV_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "gemm.h"

typedef struct fv_conv_cache fv_conv_cache;

void fv_conv_cache_free(fv_conv_cache *c);

/* Group gi of G groups of weight (each OCg x Kg, row-major, groups one after the other), packed as the GEMM's
 * A: made on first use (*slot created if NULL). NULL when no memory can be had. */
const fv_gemm_packed *fv_conv_cache_group(fv_conv_cache **slot, int threads, const float *weight, int64_t gi,
                                          int64_t G, int64_t OCg, int64_t Kg);

/* The 16 packed Winograd weight matrices, NULL until stored; fv_conv_cache_store_winograd hands all 16 over
 * (the cache frees them; false, and nothing kept, without memory for the cache itself). */
fv_gemm_packed *const *fv_conv_cache_winograd(fv_conv_cache *c);
bool fv_conv_cache_store_winograd(fv_conv_cache **slot, fv_gemm_packed *u[16]);

#endif
