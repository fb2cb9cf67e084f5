/* Tuple data sets: samples of several inputs and one target, held as arrays (N, ...) in memory, batched for
 * any task. Integer inputs (uint8 images read from .npy) are scaled to [0, 1] as torchvision's ToTensor;
 * targets are converted to the dtype the task asks for (int32 labels and masks, float32 values), refusing a
 * value that does not convert exactly. Training batches may be augmented: each input image on its own draws,
 * or, paired, the first image with its mask or boxes under the same geometric transform. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/internal.h"
#include "fovea/augment.h"
#include "fovea/data.h"
#include "fovea/io.h"
#include "fovea/loader.h"

/* A tensor's shape for messages: "(4, 1, 28, 28)", in one of four rotating buffers (two per message at most). */
static const char *dims(const fv_tensor *t)
{
    static _Thread_local char bufs[4][64];
    static _Thread_local int next;
    return fv_shape_str(t, bufs[next++ & 3], 64);
}

#define INPUT_STREAM_STEP UINT64_C(0x9e3779b97f4a7c15) /* input k of a sample draws from key ^ k * this */

struct fv_tensor_set {
    fv_ctx *ctx;
    int n_inputs;
    fv_tensor *inputs[FV_TENSOR_SET_MAX_INPUTS]; /* float32, scaled */
    fv_tensor *target;                           /* as given (int32 or float32), or NULL */
    int64_t count;
    const fv_augment *augment;
    uint64_t seed;
    fv_target_pairing pairing;
    float *plane;                                /* room for one mask or one sample's boxes */
    float *classes;                              /* the classes of one sample's boxes */
    int kept;                                    /* boxes in the plane */
};

/* A float copy of an input array, integer arrays (bytes) scaled by 1/255. */
static fv_tensor *input_copy(fv_ctx *ctx, const fv_tensor *x, int k)
{
    if (x->dtype != FV_F32 && x->dtype != FV_I32)
        return fv_error(ctx, FV_ERR_ARG, "input %d: %s arrays are not images or features (float32 or uint8)", k,
                        fv_dtype_name(x->dtype)), NULL;
    fv_tensor *c = fv_tensor_new(ctx, FV_F32, x->ndim, x->shape);
    for (int64_t i = 0; c && i < x->size; i++) {
        if (x->dtype == FV_F32) {
            fv_f32(c)[i] = fv_f32(x)[i];
            continue;
        }
        int32_t v = fv_i32(x)[i];
        if (v < 0 || v > 255) {
            fv_error(ctx, FV_ERR_ARG, "input %d: integer value %d at element %lld is not a byte (0 to 255)", k, v,
                     (long long)i);
            fv_tensor_free(c);
            return NULL;
        }
        fv_f32(c)[i] = (float)v / 255.0f;
    }
    return c;
}

fv_tensor_set *fv_tensor_set_new(fv_ctx *ctx, const fv_tensor *const *inputs, int n_inputs, const fv_tensor *target)
{
    if (n_inputs < 1 || n_inputs > FV_TENSOR_SET_MAX_INPUTS || !inputs) {
        fv_error(ctx, FV_ERR_ARG, "a tuple data set takes 1 to %d inputs, not %d", FV_TENSOR_SET_MAX_INPUTS, n_inputs);
        return NULL;
    }
    fv_tensor_set *s = calloc(1, sizeof *s);
    if (!s) return fv_error(ctx, FV_ERR_NOMEM, "out of memory for a tuple data set"), NULL;
    s->ctx = ctx, s->count = inputs[0] && inputs[0]->ndim ? inputs[0]->shape[0] : 0;
    for (int k = 0; k < n_inputs; k++) {
        const fv_tensor *x = inputs[k];
        if (!x || x->ndim < 1 || x->shape[0] != s->count) {
            fv_error(ctx, FV_ERR_SHAPE, "input %d has %lld samples; input 0 has %lld", k,
                     (long long)(x && x->ndim ? x->shape[0] : 0), (long long)s->count);
            goto fail;
        }
        if (!(s->inputs[k] = input_copy(ctx, x, k))) goto fail;
        s->n_inputs = k + 1;
    }
    if (target && (target->ndim < 1 || target->shape[0] != s->count)) {
        fv_error(ctx, FV_ERR_SHAPE, "the targets have %lld samples; the inputs %lld",
                 (long long)(target->ndim ? target->shape[0] : 0), (long long)s->count);
        goto fail;
    }
    if (target && target->dtype != FV_F32 && target->dtype != FV_I32) {
        fv_error(ctx, FV_ERR_ARG, "targets of %s are not numbers a task takes", fv_dtype_name(target->dtype));
        goto fail;
    }
    if (target && !(s->target = fv_tensor_from(ctx, target->dtype, target->ndim, target->shape, target->data))) goto fail;
    return s;
fail:
    fv_tensor_set_free(s);
    return NULL;
}

fv_tensor_set *fv_tensor_set_load_npy(fv_ctx *ctx, const char *const *input_paths, int n_inputs,
                                      const char *target_path)
{
    fv_tensor *x[FV_TENSOR_SET_MAX_INPUTS] = {0}, *y = NULL;
    fv_tensor_set *s = NULL;
    bool ok = n_inputs >= 1 && n_inputs <= FV_TENSOR_SET_MAX_INPUTS;
    for (int k = 0; ok && k < n_inputs; k++) ok = (x[k] = fv_npy_read(ctx, input_paths[k])) != NULL;
    if (ok && target_path) ok = (y = fv_npy_read(ctx, target_path)) != NULL;
    if (ok) s = fv_tensor_set_new(ctx, (const fv_tensor *const *)x, n_inputs, y);
    else if (!(n_inputs >= 1 && n_inputs <= FV_TENSOR_SET_MAX_INPUTS))
        fv_error(ctx, FV_ERR_ARG, "a tuple data set takes 1 to %d inputs, not %d", FV_TENSOR_SET_MAX_INPUTS, n_inputs);
    for (int k = 0; k < FV_TENSOR_SET_MAX_INPUTS; k++) fv_tensor_free(x[k]);
    fv_tensor_free(y);
    return s;
}

void fv_tensor_set_free(fv_tensor_set *s)
{
    if (!s) return;
    for (int k = 0; k < s->n_inputs; k++) fv_tensor_free(s->inputs[k]);
    fv_tensor_free(s->target);
    free(s->plane), free(s->classes);
    free(s);
}

int64_t fv_tensor_set_count(const fv_tensor_set *s) { return s ? s->count : 0; }
int fv_tensor_set_inputs(const fv_tensor_set *s) { return s ? s->n_inputs : 0; }
const fv_tensor *fv_tensor_set_input(const fv_tensor_set *s, int k)
{
    return s && k >= 0 && k < s->n_inputs ? s->inputs[k] : NULL;
}
const fv_tensor *fv_tensor_set_target(const fv_tensor_set *s) { return s ? s->target : NULL; }

/* ---- augmentation ---------------------------------------------------------------------------------- */

fv_status fv_tensor_set_augment(fv_tensor_set *s, const fv_augment *aug, uint64_t seed, fv_target_pairing pairing)
{
    for (int k = 0; aug && k < s->n_inputs; k++)
        if (s->inputs[k]->ndim != 4)
            return fv_error(s->ctx, FV_ERR_SHAPE, "augmentation needs images (N, C, H, W); input %d is %s", k,
                            dims(s->inputs[k]));
    const fv_tensor *x = s->inputs[0], *t = s->target;
    if (aug && pairing == FV_PAIR_MASK &&
        (!t || t->ndim != 3 || t->shape[1] != x->shape[2] || t->shape[2] != x->shape[3]))
        return fv_error(s->ctx, FV_ERR_SHAPE, "masks %s do not match the images %s: a mask (N, H, W) has its image's "
                        "height and width", t ? dims(t) : "(none)", dims(x));
    if (aug && pairing == FV_PAIR_BOXES && (!t || t->dtype != FV_F32 || t->ndim != 3 || t->shape[2] != 5))
        return fv_error(s->ctx, FV_ERR_SHAPE, "boxes %s must be float32 (N, B, 5) rows of class, x0, y0, x1, y1",
                        t ? dims(t) : "(none)");
    free(s->plane), free(s->classes);
    s->plane = s->classes = NULL;
    if (aug && pairing != FV_PAIR_NONE) {
        int64_t room = pairing == FV_PAIR_MASK ? t->shape[1] * t->shape[2] : t->shape[1] * 4;
        s->plane = malloc((size_t)room * sizeof *s->plane);
        s->classes = malloc((size_t)(pairing == FV_PAIR_BOXES ? t->shape[1] : 1) * sizeof *s->classes);
        if (!s->plane || !s->classes)
            return fv_error(s->ctx, FV_ERR_NOMEM, "out of memory for a mask or boxes of %lld values", (long long)room);
    }
    s->augment = aug, s->seed = seed, s->pairing = aug ? pairing : FV_PAIR_NONE;
    return FV_OK;
}

/* Sample `from`'s input k at row i of the batch x, augmented when training; the first input carries the
 * pairing's mask or boxes (prepared in the plane) through the same transform. */
static fv_status copy_input(fv_tensor_set *s, int k, int64_t from, int i, int epoch, fv_tensor *x)
{
    const fv_tensor *src = s->inputs[k];
    int64_t per = src->size / s->count;
    float *dst = fv_f32(x) + (int64_t)i * per;
    memcpy(dst, fv_f32(src) + from * per, (size_t)per * sizeof *dst);
    if (!s->augment || epoch < 0) return FV_OK;
    uint64_t key = (((uint64_t)epoch << 40) ^ (uint64_t)from) ^ (uint64_t)k * INPUT_STREAM_STEP;
    bool mask = k == 0 && s->pairing == FV_PAIR_MASK, boxes = k == 0 && s->pairing == FV_PAIR_BOXES;
    return fv_augment_apply_labelled(s->augment, s->seed, key, dst, (int)src->shape[1], (int)src->shape[2],
                                     (int)src->shape[3], mask ? s->plane : NULL, mask, boxes ? s->plane : NULL,
                                     boxes ? s->classes : NULL, boxes ? &s->kept : NULL);
}

/* Target value j of sample `from` converted to y's dtype; false when an int32 target gets a fraction. */
static bool convert(const fv_tensor *t, int64_t at, fv_tensor *y, int64_t to)
{
    double v = t->dtype == FV_F32 ? (double)fv_f32(t)[at] : (double)fv_i32(t)[at];
    if (y->dtype == FV_F32) {
        fv_f32(y)[to] = (float)v;
        return true;
    }
    if (!(v == floor(v)) || fabs(v) > 2147483647.0) return false;
    fv_i32(y)[to] = (int32_t)v;
    return true;
}

/* Before the first input is augmented: its mask as floats, or its boxes (class -1 rows left out) and their
 * classes, into the plane. */
static void prepare_pair(fv_tensor_set *s, int64_t from)
{
    const fv_tensor *t = s->target;
    int64_t per = t->size / s->count;
    if (s->pairing == FV_PAIR_MASK) {
        for (int64_t j = 0; j < per; j++)
            s->plane[j] = t->dtype == FV_F32 ? fv_f32(t)[from * per + j] : (float)fv_i32(t)[from * per + j];
        return;
    }
    const float *rows = fv_f32(t) + from * per;
    s->kept = 0;
    for (int64_t j = 0; j < t->shape[1]; j++)
        if (rows[j * 5] >= 0) {
            memcpy(s->plane + s->kept * 4, rows + j * 5 + 1, 4 * sizeof(float));
            s->classes[s->kept++] = rows[j * 5];
        }
}

/* The augmented pair's target: the mask's whole class numbers (nearest interpolation keeps them whole), or the
 * kept boxes followed by rows of class -1. */
static void paired_target(fv_tensor_set *s, int i, fv_tensor *y)
{
    int64_t per = y->size / y->shape[0];
    if (s->pairing == FV_PAIR_MASK) {
        for (int64_t j = 0; j < per; j++) {
            if (y->dtype == FV_F32) fv_f32(y)[(int64_t)i * per + j] = s->plane[j];
            else fv_i32(y)[(int64_t)i * per + j] = (int32_t)lrintf(s->plane[j]);
        }
        return;
    }
    float *out = fv_f32(y) + (int64_t)i * per;
    for (int64_t j = 0; j < per / 5; j++) {
        float *r = out + j * 5;
        if (j < s->kept) r[0] = s->classes[j], memcpy(r + 1, s->plane + j * 4, 4 * sizeof(float));
        else r[0] = -1.0f, r[1] = r[2] = r[3] = r[4] = 0.0f;
    }
}

static fv_status copy_target(fv_tensor_set *s, int64_t from, int i, int epoch, fv_tensor *y)
{
    const fv_tensor *t = s->target;
    int64_t per = t->size / s->count, yper = y->size / y->shape[0];
    if (per != yper)
        return fv_error(s->ctx, FV_ERR_SHAPE, "the targets are %s; the task asks for %s per batch", dims(t),
                        dims(y));
    if (s->pairing != FV_PAIR_NONE && epoch >= 0) {
        if (s->pairing == FV_PAIR_BOXES && y->dtype != FV_F32)
            return fv_error(s->ctx, FV_ERR_ARG, "boxes are float32 targets; the task asks for %s",
                            fv_dtype_name(y->dtype));
        paired_target(s, i, y);
        return FV_OK;
    }
    for (int64_t j = 0; j < per; j++)
        if (!convert(t, from * per + j, y, (int64_t)i * per + j))
            return fv_error(s->ctx, FV_ERR_ARG, "target %g (value %lld of sample %lld) is not a whole number; the task "
                            "takes class numbers", (double)fv_f32(t)[from * per + j], (long long)j, (long long)from);
    return FV_OK;
}

static fv_status set_fetch_io(void *data, int epoch, const int64_t *idx, int n, fv_tensor *const *xs, int n_inputs,
                              fv_tensor *y)
{
    fv_tensor_set *s = data;
    if (n_inputs != s->n_inputs)
        return fv_error(s->ctx, FV_ERR_ARG, "the model has %d inputs; the data set holds %d", n_inputs, s->n_inputs);
    if (y && !s->target) return fv_error(s->ctx, FV_ERR_ARG, "the task needs targets; the data set holds none");
    for (int k = 0; k < n_inputs; k++) {
        int64_t per = s->inputs[k]->size / (s->count ? s->count : 1);
        if (xs[k]->dtype != FV_F32 || xs[k]->size / xs[k]->shape[0] != per)
            return fv_error(s->ctx, FV_ERR_SHAPE, "input %d of the data set is %s; the model's input %d takes %s", k,
                            dims(s->inputs[k]), k, dims(xs[k]));
    }
    for (int i = 0; i < n; i++) {
        if (idx[i] < 0 || idx[i] >= s->count)
            return fv_error(s->ctx, FV_ERR_ARG, "sample %lld is outside the %lld of the data set", (long long)idx[i],
                            (long long)s->count);
        if (s->pairing != FV_PAIR_NONE && epoch >= 0) prepare_pair(s, idx[i]);
        for (int k = 0; k < n_inputs; k++) {
            fv_status st = copy_input(s, k, idx[i], i, epoch, xs[k]);
            if (st) return st;
        }
        fv_status st = y ? copy_target(s, idx[i], i, epoch, y) : FV_OK;
        if (st) return st;
    }
    return FV_OK;
}

static fv_status set_fetch(void *data, int epoch, const int64_t *idx, int n, fv_tensor *x, fv_tensor *y)
{
    fv_tensor *xs[1] = {x};
    return set_fetch_io(data, epoch, idx, n, xs, 1, y);
}

fv_data_source fv_tensor_set_source(fv_tensor_set *s)
{
    fv_data_source src = {s ? s->count : 0, set_fetch, s, NULL, set_fetch_io};
    return src;
}
