/* The random Darknet weights and the input that tests/reference/darknet_ref.c (with libdarknet) and
 * tests/io/test_darknet.c (with fovea) both use, so that the fixture holds Darknet's outputs and never the
 * megabytes of weights: the model's parameters as fv_model_init draws them from its context (give both the same
 * seed), each batch norm's statistics and affine terms then drawn from fovea's counter-based generator, the whole
 * written as a .weights file. Header-only. */
#ifndef FV_DARKNET_SEED_H
#define FV_DARKNET_SEED_H

#include <math.h>
#include <string.h>

#include "fovea.h"

static fv_status dn_random_weights(fv_model *m, const char *path)
{
    fv_status st = fv_model_init(m);
    for (int i = 0; !st && i < fv_model_param_count(m); i++) {
        fv_param *p = fv_model_param(m, i);
        const char *dot = strrchr(p->name, '.');
        bool bn = !strncmp(p->name, "bn_", 3), var = dot && !strcmp(dot, ".running_var"),
             mean = dot && !strcmp(dot, ".running_mean"), gamma = bn && dot && !strcmp(dot, ".weight");
        if (!bn) continue;
        for (int64_t k = 0; k < p->value.size; k++) {
            float u = fv_rng_uniform(77, (uint64_t)i, (uint64_t)k);
            fv_f32(&p->value)[k] = var ? 0.5f + u : mean ? 0.2f * (u - 0.5f) : gamma ? 0.5f + u : 0.2f * (u - 0.5f);
        }
    }
    return st ? st : fv_darknet_write_weights(fv_model_ctx(m), m, path);
}

/* A smooth pattern in [0, 1] over (C, H, W), planar as Darknet and fovea both take images. */
static void dn_test_input(float *x, int c, int h, int w)
{
    for (int k = 0; k < c; k++)
        for (int y = 0; y < h; y++)
            for (int i = 0; i < w; i++)
                x[((int64_t)k * h + y) * w + i] = 0.5f + 0.5f * sinf(0.05f * (float)(i + 2 * y) + 1.3f * (float)k);
}

#endif
