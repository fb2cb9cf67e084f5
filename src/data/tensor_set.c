/* Tuple data sets: samples of several inputs and one target, held as arrays (N, ...) in memory, batched for
 * any task. Integer inputs (uint8 images read from .npy) are scaled to [0, 1] as torchvision's ToTensor;
 * targets are converted to the dtype the task asks for (int32 labels and masks, float32 values), refusing a
 * value that does not convert exactly. Training batches may be augmented: each input image on its own draws,
 * or, paired, the first image with its mask or boxes under the same geometric transform. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/internal.h"
#include "dataset_internal.h"
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
    const fv_tensor *x = s->inputs[0], *t = s->target;
    if (aug && pairing != FV_PAIR_NONE && x->ndim != 4)
        return fv_error(s->ctx, FV_ERR_SHAPE, "a mask or boxes follow the first input, which must be images (N, C, H, "
                        "W); it is %s", dims(x));
    if (aug && pairing == FV_PAIR_MASK &&
        (!t || t->ndim != 3 || t->shape[1] != x->shape[2] || t->shape[2] != x->shape[3]))
        return fv_error(s->ctx, FV_ERR_SHAPE, "masks %s do not match the images %s: a mask (N, H, W) has its image's "
                        "height and width", t ? dims(t) : "(none)", dims(x));
    if (aug && pairing == FV_PAIR_BOXES && (!t || t->dtype != FV_F32 || t->ndim != 3 || t->shape[2] != 5))
        return fv_error(s->ctx, FV_ERR_SHAPE, "boxes %s must be float32 (N, B, 5) rows of class, x0, y0, x1, y1",
                        t ? dims(t) : "(none)");
    s->augment = aug, s->seed = seed, s->pairing = aug ? pairing : FV_PAIR_NONE;
    return FV_OK;
}

/* Room for one sample's mask or boxes (and their classes) while it is augmented; per call, so that loader
 * threads can make samples of one set at once. */
typedef struct {
    float *plane, *classes;
    int kept;
} pair_room;

/* Before the first input is augmented: its mask as floats, or its boxes (class -1 rows left out) and their
 * classes, into the room. */
static fv_status prepare_pair(const fv_tensor_set *s, fv_ctx *ctx, int64_t from, pair_room *r)
{
    const fv_tensor *t = s->target;
    int64_t per = t->size / s->count;
    bool mask = s->pairing == FV_PAIR_MASK;
    r->plane = malloc((size_t)(mask ? per : per / 5 * 4 + 1) * sizeof *r->plane);
    r->classes = mask ? NULL : malloc((size_t)(per / 5 + 1) * sizeof *r->classes);
    if (!r->plane || (!mask && !r->classes))
        return fv_error(ctx, FV_ERR_NOMEM, "out of memory for the target of sample %lld", (long long)from);
    if (mask) {
        for (int64_t j = 0; j < per; j++)
            r->plane[j] = t->dtype == FV_F32 ? fv_f32(t)[from * per + j] : (float)fv_i32(t)[from * per + j];
        return FV_OK;
    }
    const float *rows = fv_f32(t) + from * per;
    r->kept = 0;
    for (int64_t j = 0; j < t->shape[1]; j++)
        if (rows[j * 5] >= 0) {
            memcpy(r->plane + r->kept * 4, rows + j * 5 + 1, 4 * sizeof(float));
            r->classes[r->kept++] = rows[j * 5];
        }
    return FV_OK;
}

/* The augmented pair's target: the mask's class numbers (nearest interpolation keeps them whole), or the kept
 * boxes followed by rows of class -1. */
static void paired_target(const fv_tensor_set *s, const pair_room *r, double *out)
{
    int64_t per = s->target->size / s->count;
    if (s->pairing == FV_PAIR_MASK) {
        for (int64_t j = 0; j < per; j++) out[j] = r->plane[j];
        return;
    }
    for (int64_t j = 0; j < per / 5; j++) {
        double *row = out + j * 5;
        if (j < r->kept) {
            row[0] = r->classes[j];
            for (int c = 0; c < 4; c++) row[1 + c] = r->plane[j * 4 + c];
        } else {
            row[0] = -1.0, row[1] = row[2] = row[3] = row[4] = 0.0;
        }
    }
}

fv_status fv_tensor_set_make(const fv_tensor_set *s, fv_ctx *ctx, int64_t i, int epoch, float *const *inputs,
                             double *target)
{
    if (i < 0 || i >= s->count)
        return fv_error(ctx, FV_ERR_ARG, "sample %lld is outside the %lld of the data set", (long long)i,
                        (long long)s->count);
    bool augment = s->augment && epoch >= 0, paired = augment && s->pairing != FV_PAIR_NONE && s->target;
    pair_room r = {NULL, NULL, 0};
    fv_status st = paired ? prepare_pair(s, ctx, i, &r) : FV_OK;
    for (int k = 0; !st && k < s->n_inputs; k++) {
        const fv_tensor *src = s->inputs[k];
        int64_t per = src->size / s->count;
        memcpy(inputs[k], fv_f32(src) + i * per, (size_t)per * sizeof(float));
        if (!augment || src->ndim != 4) continue; /* features are not images: they pass as they are */
        uint64_t key = (((uint64_t)epoch << 40) ^ (uint64_t)i) ^ (uint64_t)k * INPUT_STREAM_STEP;
        bool mask = paired && k == 0 && s->pairing == FV_PAIR_MASK, boxes = paired && k == 0 && s->pairing == FV_PAIR_BOXES;
        st = fv_augment_apply_labelled(s->augment, s->seed, key, inputs[k], (int)src->shape[1], (int)src->shape[2],
                                       (int)src->shape[3], mask ? r.plane : NULL, mask, boxes ? r.plane : NULL,
                                       boxes ? r.classes : NULL, boxes ? &r.kept : NULL);
    }
    if (!st && target && s->target) {
        int64_t per = s->target->size / s->count;
        if (paired) paired_target(s, &r, target);
        else
            for (int64_t j = 0; j < per; j++)
                target[j] = s->target->dtype == FV_F32 ? (double)fv_f32(s->target)[i * per + j]
                                                       : (double)fv_i32(s->target)[i * per + j];
    }
    free(r.plane), free(r.classes);
    return st;
}

fv_status fv_tensor_set_put_target(fv_ctx *ctx, const double *v, int64_t sample, fv_tensor *y, int row)
{
    int64_t per = y->size / y->shape[0];
    for (int64_t j = 0; j < per; j++) {
        if (y->dtype == FV_F32) {
            fv_f32(y)[(int64_t)row * per + j] = (float)v[j];
            continue;
        }
        if (!(v[j] == floor(v[j])) || fabs(v[j]) > 2147483647.0)
            return fv_error(ctx, FV_ERR_ARG, "target %g (value %lld of sample %lld) is not a whole number; the task "
                            "takes class numbers", v[j], (long long)j, (long long)sample);
        fv_i32(y)[(int64_t)row * per + j] = (int32_t)v[j];
    }
    return FV_OK;
}

fv_status fv_tensor_set_check_batch(const fv_tensor_set *s, fv_ctx *ctx, fv_tensor *const *xs, int n_inputs,
                                    const fv_tensor *y)
{
    if (n_inputs != s->n_inputs)
        return fv_error(ctx, FV_ERR_ARG, "the model has %d inputs; the data set holds %d", n_inputs, s->n_inputs);
    if (y && !s->target) return fv_error(ctx, FV_ERR_ARG, "the task needs targets; the data set holds none");
    for (int k = 0; k < n_inputs; k++) {
        int64_t per = s->inputs[k]->size / (s->count ? s->count : 1);
        if (xs[k]->dtype != FV_F32 || xs[k]->size / xs[k]->shape[0] != per)
            return fv_error(ctx, FV_ERR_SHAPE, "input %d of the data set is %s; the model's input %d takes %s", k,
                            dims(s->inputs[k]), k, dims(xs[k]));
    }
    if (y && s->target->size / s->count != y->size / y->shape[0])
        return fv_error(ctx, FV_ERR_SHAPE, "the targets are %s; the task asks for %s per batch", dims(s->target),
                        dims(y));
    if (y && s->pairing == FV_PAIR_BOXES && s->augment && y->dtype != FV_F32)
        return fv_error(ctx, FV_ERR_ARG, "boxes are float32 targets; the task asks for %s", fv_dtype_name(y->dtype));
    return FV_OK;
}

int64_t fv_tensor_set_target_size(const fv_tensor_set *s) { return s->target ? s->target->size / s->count : 0; }
int64_t fv_tensor_set_input_size(const fv_tensor_set *s, int k) { return s->inputs[k]->size / s->count; }

static fv_status set_fetch_io(void *data, int epoch, const int64_t *idx, int n, fv_tensor *const *xs, int n_inputs,
                              fv_tensor *y)
{
    fv_tensor_set *s = data;
    fv_status st = fv_tensor_set_check_batch(s, s->ctx, xs, n_inputs, y);
    int64_t tper = fv_tensor_set_target_size(s);
    double *t = y ? malloc((size_t)(tper ? tper : 1) * sizeof *t) : NULL;
    if (!st && y && !t) st = fv_error(s->ctx, FV_ERR_NOMEM, "out of memory for a target of %lld values", (long long)tper);
    for (int i = 0; !st && i < n; i++) {
        float *rows[FV_TENSOR_SET_MAX_INPUTS];
        for (int k = 0; k < n_inputs; k++) rows[k] = fv_f32(xs[k]) + (int64_t)i * fv_tensor_set_input_size(s, k);
        st = fv_tensor_set_make(s, s->ctx, idx[i], epoch, rows, t);
        if (!st && y) st = fv_tensor_set_put_target(s->ctx, t, idx[i], y, i);
    }
    free(t);
    return st;
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
