/* Darknet .weights files (include/fovea/darknet.h): a header of three int32 (major, minor, revision) and the
 * images seen (int64 from version 0.2 on, int32 before), then each convolution in order: its biases (with a
 * batch norm: the norm's beta, gamma, running mean and running variance instead) and its weights (filters,
 * channels / groups, size, size), all float32. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/internal.h"
#include "fovea/darknet.h"
#include "fovea/io.h"
#include "fovea/layer.h"

#define DARKNET_EPS 1e-6 /* Darknet divides by sqrt(var) + this */

/* A convolution and its batch norm (bn -1: none), in layer order. */
typedef struct {
    int conv, bn;
} conv_unit;

/* The convolutions of m, each with the batch norm that reads it, if one does. */
static int units(const fv_model *m, conv_unit *u, int max)
{
    int n = 0, count = fv_model_layer_count(m);
    for (int i = 0; i < count && n < max; i++) {
        fv_layer_spec s;
        if (fv_model_layer_spec(m, i, &s) != FV_OK || !s.type || strcmp(s.type, "conv2d") != 0) continue;
        u[n] = (conv_unit){i, -1};
        for (int j = i + 1; j < count && u[n].bn < 0; j++) {
            fv_layer_spec t;
            if (fv_model_layer_spec(m, j, &t) != FV_OK || !t.type || strcmp(t.type, "batch_norm") != 0) continue;
            int from = t.n_in ? t.in[0] : j - 1;
            if (from == i) u[n].bn = j;
        }
        n++;
    }
    return n;
}

static fv_param *param(const fv_model *m, int layer, const char *what)
{
    fv_layer_spec s;
    if (fv_model_layer_spec(m, layer, &s) != FV_OK) return NULL;
    char name[160];
    snprintf(name, sizeof name, "%s.%s", s.name, what);
    return fv_model_find_param(m, name);
}

/* ---- reading ------------------------------------------------------------------------------------------- */

typedef struct {
    fv_ctx *ctx;
    FILE *f;
    const char *path;
} reader;

static fv_status read_floats(reader *r, float *dst, int64_t n, const char *layer, const char *what)
{
    if (n > 0 && fread(dst, sizeof(float), (size_t)n, r->f) != (size_t)n)
        return fv_error(r->ctx, FV_ERR_FORMAT, "%s: the file ends in layer '%s' (%s: %lld floats expected)", r->path,
                        layer, what, (long long)n);
    return FV_OK;
}

static fv_status read_unit(reader *r, fv_model *m, const conv_unit *u)
{
    fv_layer_spec cs;
    fv_model_layer_spec(m, u->conv, &cs);
    fv_param *w = param(m, u->conv, "weight"), *b = param(m, u->conv, "bias");
    if (!w) return fv_error(r->ctx, FV_ERR_ARG, "layer '%s' has no weight", cs.name);
    int64_t k = w->value.shape[0];
    fv_status st = FV_OK;
    if (u->bn >= 0) {
        fv_param *beta = param(m, u->bn, "bias"), *gamma = param(m, u->bn, "weight"), *mean = param(m, u->bn, "running_mean"),
                 *var = param(m, u->bn, "running_var");
        fv_layer_spec bs;
        fv_model_layer_spec(m, u->bn, &bs);
        if (!beta || !gamma || !mean || !var)
            return fv_error(r->ctx, FV_ERR_ARG, "batch norm '%s' lacks its affine parameters", bs.name);
        if ((st = read_floats(r, fv_f32(&beta->value), k, cs.name, "batch norm beta")) ||
            (st = read_floats(r, fv_f32(&gamma->value), k, cs.name, "batch norm gamma")) ||
            (st = read_floats(r, fv_f32(&mean->value), k, cs.name, "rolling mean")) ||
            (st = read_floats(r, fv_f32(&var->value), k, cs.name, "rolling variance")))
            return st;
        double eps = bs.a.eps;
        for (int64_t c = 0; c < k; c++) { /* sqrt(var' + eps) = sqrt(var) + 1e-6 */
            float *v = fv_f32(&var->value) + c;
            double d = sqrt(fmax((double)*v, 0.0)) + DARKNET_EPS;
            *v = (float)(d * d - eps);
        }
    } else if (b) {
        st = read_floats(r, fv_f32(&b->value), k, cs.name, "biases");
    } else {
        float *skip = malloc((size_t)k * sizeof *skip); /* Darknet stores biases even where fovea has none */
        st = skip ? read_floats(r, skip, k, cs.name, "biases") : fv_error(r->ctx, FV_ERR_NOMEM, "out of memory");
        free(skip);
    }
    return st ? st : read_floats(r, fv_f32(&w->value), w->value.size, cs.name, "weights");
}

fv_status fv_darknet_read_weights(fv_ctx *ctx, fv_model *m, const char *path)
{
    conv_unit *u = malloc(4096 * sizeof *u);
    FILE *f = u ? fopen(path, "rb") : NULL;
    if (!u || !f) {
        free(u);
        return f || !u ? fv_error(ctx, FV_ERR_NOMEM, "out of memory") : fv_error(ctx, FV_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    }
    reader r = {ctx, f, path};
    int32_t head[3];
    fv_status st = FV_OK;
    if (fread(head, sizeof head, 1, f) != 1) st = fv_error(ctx, FV_ERR_FORMAT, "%s: no Darknet header", path);
    if (!st && (head[0] < 0 || head[0] > 1000 || head[1] < 0 || head[1] > 1000))
        st = fv_error(ctx, FV_ERR_FORMAT, "%s: version %d.%d.%d is not a Darknet weights file", path, head[0], head[1], head[2]);
    if (!st) { /* images seen: 64 bits from 0.2 on */
        unsigned char seen[8];
        size_t bytes = head[0] * 10 + head[1] >= 2 ? 8 : 4;
        if (fread(seen, 1, bytes, f) != bytes) st = fv_error(ctx, FV_ERR_FORMAT, "%s: the header ends early", path);
    }
    int n = st ? 0 : units(m, u, 4096);
    for (int i = 0; !st && i < n; i++) st = read_unit(&r, m, &u[i]);
    if (!st) {
        long at = ftell(f);
        fseek(f, 0, SEEK_END);
        long end = ftell(f);
        if (end != at)
            st = fv_error(ctx, FV_ERR_FORMAT, "%s: %ld bytes left after the %d convolutions the model has (a network with "
                          "more layers?)", path, end - at, n);
    }
    fclose(f);
    free(u);
    return st;
}

/* ---- writing ------------------------------------------------------------------------------------------- */

typedef struct {
    const fv_model *m;
    conv_unit *u;
    int n;
} writer;

static int put(FILE *f, const float *v, int64_t n) { return n > 0 && fwrite(v, sizeof *v, (size_t)n, f) != (size_t)n; }

static int fill(FILE *f, void *arg)
{
    const writer *w = arg;
    int32_t head[3] = {0, 2, 0};
    int64_t seen = 0;
    if (fwrite(head, sizeof head, 1, f) != 1 || fwrite(&seen, sizeof seen, 1, f) != 1) return EIO;
    for (int i = 0; i < w->n; i++) {
        const conv_unit *u = &w->u[i];
        fv_param *weight = param(w->m, u->conv, "weight"), *bias = param(w->m, u->conv, "bias");
        int64_t k = weight->value.shape[0];
        float *tmp = calloc((size_t)k, sizeof *tmp);
        if (!tmp) return ENOMEM;
        int bad = 0;
        if (u->bn >= 0) {
            fv_layer_spec bs;
            fv_model_layer_spec(w->m, u->bn, &bs);
            fv_param *var = param(w->m, u->bn, "running_var");
            bad = put(f, fv_f32(&param(w->m, u->bn, "bias")->value), k) || put(f, fv_f32(&param(w->m, u->bn, "weight")->value), k) ||
                  put(f, fv_f32(&param(w->m, u->bn, "running_mean")->value), k);
            for (int64_t c = 0; c < k; c++) { /* sqrt(var_d) + 1e-6 = sqrt(var + eps) */
                double d = fmax(sqrt(fmax((double)fv_f32(&var->value)[c] + bs.a.eps, 0.0)) - DARKNET_EPS, 0.0);
                tmp[c] = (float)(d * d);
            }
            bad = bad || put(f, tmp, k);
        } else {
            bad = put(f, bias ? fv_f32(&bias->value) : tmp, k);
        }
        free(tmp);
        if (bad || put(f, fv_f32(&weight->value), weight->value.size)) return EIO;
    }
    return ferror(f) ? EIO : 0;
}

fv_status fv_darknet_write_weights(fv_ctx *ctx, const fv_model *m, const char *path)
{
    conv_unit *u = malloc(4096 * sizeof *u);
    if (!u) return fv_error(ctx, FV_ERR_NOMEM, "out of memory");
    writer w = {m, u, units(m, u, 4096)};
    for (int i = 0; i < w.n; i++)
        if (!param(m, u[i].conv, "weight") || (u[i].bn >= 0 && (!param(m, u[i].bn, "weight") || !param(m, u[i].bn, "bias")))) {
            int layer = u[i].conv;
            free(u);
            return fv_error(ctx, FV_ERR_ARG, "Darknet weights: layer %d lacks a parameter Darknet stores", layer);
        }
    int err = fv_atomic_write(path, fill, &w);
    free(u);
    return err ? fv_error(ctx, FV_ERR_IO, "cannot write %s: %s", path, fv_write_strerror(err)) : FV_OK;
}
