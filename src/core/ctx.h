/* The context's fields, visible to the core only. */
#ifndef FV_CORE_CTX_H
#define FV_CORE_CTX_H

#include "fovea/core.h"

struct fv_ctx {
    char errmsg[1024]; /* long enough for the list of built-in models */
    fv_status errcode;
    uint64_t seed;
    uint64_t next_stream; /* each user of random numbers takes its own stream */
    int threads;          /* threads kernels may use (>= 1) */
    bool reference;       /* run the plain reference kernels (the oracle) instead of the fast ones */
    int64_t max_image_bytes; /* images needing more to decode are refused (fv_ctx_set_max_image_bytes) */
    bool allow_nonfinite;    /* load models with NaN or infinite parameters */
};

#endif
