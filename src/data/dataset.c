/* The in-memory dataset: one shared store of samples and labels, and datasets that view it through an
 * optional list of sample numbers (subsets and splits copy no pixels). Batches convert bytes to floats. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dataset_internal.h"

/* ---- the store ------------------------------------------------------------------------------------- */

void ds_store_unref(ds_store *st)
{
    if (!st || --st->refs > 0) return;
    free(st->u8);
    free(st->f32);
    free(st->labels);
    if (st->names)
        for (int k = 0; k < st->n_classes; k++) free(st->names[k]);
    free(st->names);
    free(st->origin);
    for (int64_t i = 0; st->paths && i < st->n; i++) free(st->paths[i]);
    free(st->paths);
    free(st);
}

ds_store *ds_store_new(fv_ctx *ctx, int64_t n, int64_t c, int64_t h, int64_t w, const char *origin)
{
    const char *what = origin ? origin : "dataset";
    if (n < 1 || c < 1 || h < 1 || w < 1) {
        fv_error(ctx, FV_ERR_SHAPE, "%s: %lld samples of (%lld,%lld,%lld): every size must be >= 1", what,
                 (long long)n, (long long)c, (long long)h, (long long)w);
        return NULL;
    }
    int64_t shape[4] = {n, c, h, w};
    if (fv_shape_check(ctx, what, FV_F32, 4, shape) < 0) return NULL;
    ds_store *st = calloc(1, sizeof *st);
    if (st) st->origin = strdup(origin ? origin : "memory");
    st->labels = st ? malloc((size_t)n * sizeof *st->labels) : NULL;
    if (!st || !st->origin || !st->labels) {
        ds_store_unref(st);
        fv_error(ctx, FV_ERR_NOMEM, "%s: out of memory for %lld labels", what, (long long)n);
        return NULL;
    }
    st->refs = 1;
    st->n = n;
    st->c = c, st->h = h, st->w = w;
    return st;
}

fv_status ds_store_check_labels(fv_ctx *ctx, ds_store *st, int n_classes, const char *labels_origin)
{
    const char *what = labels_origin ? labels_origin : "the labels";
    if (n_classes < 0 || n_classes > FV_DATASET_MAX_CLASSES) {
        return fv_error(ctx, FV_ERR_ARG, "%s: %d classes (0 to infer, at most %d)", what, n_classes,
                        FV_DATASET_MAX_CLASSES);
    }
    int32_t top = -1;
    for (int64_t i = 0; i < st->n; i++) {
        int32_t y = st->labels[i];
        if (y < 0 || (n_classes > 0 && y >= n_classes)) {
            if (n_classes > 0)
                return fv_error(ctx, FV_ERR_FORMAT, "label %d at index %lld of %s is outside the %d classes", y,
                                (long long)i, what, n_classes);
            return fv_error(ctx, FV_ERR_FORMAT, "label %d at index %lld of %s is negative", y, (long long)i, what);
        }
        if (y > top) top = y;
    }
    if (n_classes == 0 && top >= FV_DATASET_MAX_CLASSES) {
        return fv_error(ctx, FV_ERR_FORMAT, "%s: label %d implies more than the %d classes supported", what, top,
                        FV_DATASET_MAX_CLASSES);
    }
    st->n_classes = n_classes > 0 ? n_classes : top + 1;
    return FV_OK;
}

fv_dataset *ds_wrap(fv_ctx *ctx, ds_store *st)
{
    fv_dataset *ds = calloc(1, sizeof *ds);
    if (!ds) {
        ds_store_unref(st);
        fv_error(ctx, FV_ERR_NOMEM, "out of memory for a dataset");
        return NULL;
    }
    ds->ctx = ctx;
    ds->store = st;
    ds->n = st->n;
    return ds;
}

/* ---- construction from memory ---------------------------------------------------------------------- */

fv_dataset *fv_dataset_from_u8(fv_ctx *ctx, int64_t n, int64_t c, int64_t h, int64_t w, const uint8_t *pixels,
                               const int32_t *labels, int n_classes)
{
    if (!pixels || !labels) {
        fv_error(ctx, FV_ERR_ARG, "fv_dataset_from_u8: NULL pixels or labels");
        return NULL;
    }
    ds_store *st = ds_store_new(ctx, n, c, h, w, NULL);
    if (!st) return NULL;
    size_t bytes = (size_t)(n * c * h * w);
    if (!(st->u8 = malloc(bytes))) {
        ds_store_unref(st);
        fv_error(ctx, FV_ERR_NOMEM, "out of memory for %zu bytes of pixels", bytes);
        return NULL;
    }
    memcpy(st->u8, pixels, bytes);
    memcpy(st->labels, labels, (size_t)n * sizeof *labels);
    if (ds_store_check_labels(ctx, st, n_classes, NULL) != FV_OK) {
        ds_store_unref(st);
        return NULL;
    }
    return ds_wrap(ctx, st);
}

/* (N,C,H,W), (N,H,W) or (N,D) as a sample shape (C,H,W). */
static bool sample_shape(const fv_tensor *x, int64_t chw[3])
{
    if (x->ndim < 2 || x->ndim > 4) return false;
    chw[0] = x->ndim == 4 ? x->shape[1] : 1;
    chw[1] = x->ndim == 2 ? 1 : x->shape[x->ndim - 2];
    chw[2] = x->shape[x->ndim - 1];
    return true;
}

/* Integer images must be bytes; they are stored as such. */
static fv_status store_pixels(fv_ctx *ctx, ds_store *st, const fv_tensor *x, const char *what)
{
    size_t count = (size_t)x->size;
    if (x->dtype == FV_F32) {
        if (!(st->f32 = malloc(count * sizeof *st->f32))) return fv_error(ctx, FV_ERR_NOMEM, "%s: out of memory", what);
        memcpy(st->f32, x->data, count * sizeof *st->f32);
        return FV_OK;
    }
    const int32_t *v = fv_i32(x);
    if (!(st->u8 = malloc(count))) return fv_error(ctx, FV_ERR_NOMEM, "%s: out of memory", what);
    for (size_t i = 0; i < count; i++) {
        if (v[i] < 0 || v[i] > 255) {
            return fv_error(ctx, FV_ERR_FORMAT, "%s: integer pixel %d at element %zu is outside 0..255", what, v[i], i);
        }
        st->u8[i] = (uint8_t)v[i];
    }
    return FV_OK;
}

fv_dataset *ds_from_tensors(fv_ctx *ctx, const fv_tensor *x, const fv_tensor *y, int n_classes, const char *x_origin,
                            const char *y_origin)
{
    const char *xw = x_origin ? x_origin : "images", *yw = y_origin ? y_origin : "labels";
    int64_t chw[3];
    char xs[96], ys[96];
    if (!x || !y) {
        fv_error(ctx, FV_ERR_ARG, "fv_dataset_from_tensors: NULL images or labels");
        return NULL;
    }
    if (!sample_shape(x, chw)) {
        fv_error(ctx, FV_ERR_SHAPE, "%s: images %s must be (N,C,H,W), (N,H,W) or (N,D)", xw, fv_shape_str(x, xs, sizeof xs));
        return NULL;
    }
    if (y->dtype != FV_I32 || y->ndim != 1 || y->shape[0] != x->shape[0]) {
        fv_error(ctx, FV_ERR_SHAPE, "%s: labels %s%s do not match the %lld images of %s (one int32 label each)", yw,
                 y->dtype == FV_I32 ? "" : "(float) ", fv_shape_str(y, ys, sizeof ys), (long long)x->shape[0], xw);
        return NULL;
    }
    ds_store *st = ds_store_new(ctx, x->shape[0], chw[0], chw[1], chw[2], x_origin);
    if (!st) return NULL;
    memcpy(st->labels, y->data, (size_t)st->n * sizeof *st->labels);
    if (store_pixels(ctx, st, x, xw) != FV_OK || ds_store_check_labels(ctx, st, n_classes, yw) != FV_OK) {
        ds_store_unref(st);
        return NULL;
    }
    return ds_wrap(ctx, st);
}

fv_dataset *fv_dataset_from_tensors(fv_ctx *ctx, const fv_tensor *x, const fv_tensor *y, int n_classes)
{
    return ds_from_tensors(ctx, x, y, n_classes, NULL, NULL);
}

void fv_dataset_free(fv_dataset *ds)
{
    if (!ds) return;
    ds_store_unref(ds->store);
    free(ds->index);
    free(ds);
}

/* ---- queries ----------------------------------------------------------------------------------------- */

int64_t fv_dataset_count(const fv_dataset *ds) { return ds ? ds->n : 0; }

void fv_dataset_shape(const fv_dataset *ds, int64_t shape[3])
{
    shape[0] = ds ? ds->store->c : 0, shape[1] = ds ? ds->store->h : 0, shape[2] = ds ? ds->store->w : 0;
}

int fv_dataset_classes(const fv_dataset *ds) { return ds ? ds->store->n_classes : 0; }

const char *fv_dataset_class_name(const fv_dataset *ds, int k)
{
    if (!ds || !ds->store->names || k < 0 || k >= ds->store->n_classes) return NULL;
    return ds->store->names[k];
}

fv_status fv_dataset_set_class_names(fv_dataset *ds, const char *const *names, int n)
{
    if (!ds || !names) return FV_ERR_ARG;
    ds_store *st = ds->store;
    if (n != st->n_classes) {
        return fv_error(ds->ctx, FV_ERR_ARG, "%d class names given for a dataset of %d classes", n, st->n_classes);
    }
    char **copy = calloc((size_t)n, sizeof *copy);
    for (int k = 0; copy && k < n; k++) {
        if (!(copy[k] = strdup(names[k] ? names[k] : ""))) {
            for (int j = 0; j < k; j++) free(copy[j]);
            free(copy);
            copy = NULL;
        }
    }
    if (!copy) return fv_error(ds->ctx, FV_ERR_NOMEM, "out of memory for class names");
    if (st->names)
        for (int k = 0; k < n; k++) free(st->names[k]);
    free(st->names);
    st->names = copy;
    return FV_OK;
}

static int64_t store_index(const fv_dataset *ds, int64_t i) { return ds->index ? ds->index[i] : i; }

int32_t fv_dataset_label(const fv_dataset *ds, int64_t i)
{
    if (!ds || i < 0 || i >= ds->n) return -1;
    return ds->store->labels[store_index(ds, i)];
}

const char *fv_dataset_path(const fv_dataset *ds, int64_t i)
{
    if (!ds || !ds->store->paths || i < 0 || i >= ds->n) return NULL;
    return ds->store->paths[store_index(ds, i)];
}

void fv_dataset_class_counts(const fv_dataset *ds, int64_t *counts)
{
    memset(counts, 0, (size_t)ds->store->n_classes * sizeof *counts);
    for (int64_t i = 0; i < ds->n; i++) counts[ds->store->labels[store_index(ds, i)]]++;
}

const char *fv_dataset_origin(const fv_dataset *ds) { return ds ? ds->store->origin : NULL; }

/* ---- batches ------------------------------------------------------------------------------------------ */

static fv_status check_batch(const fv_dataset *ds, fv_ctx *ctx, int n, const fv_tensor *x, const fv_tensor *y)
{
    const ds_store *st = ds->store;
    int64_t per = st->c * st->h * st->w;
    char xs[96];
    if (!x || !x->data || x->dtype != FV_F32 || x->ndim < 1 || x->shape[0] < n || x->size != x->shape[0] * per) {
        if (!x || !x->data) return fv_error(ctx, FV_ERR_ARG, "dataset batch: no image tensor");
        return fv_error(ctx, FV_ERR_SHAPE, "dataset batch: image tensor %s%s cannot hold %d samples of "
                        "(%lld,%lld,%lld)", x->dtype == FV_F32 ? "" : "(int32) ", fv_shape_str(x, xs, sizeof xs), n,
                        (long long)st->c, (long long)st->h, (long long)st->w);
    }
    if (y && (!y->data || y->dtype != FV_I32 || y->size < n)) {
        return fv_error(ctx, FV_ERR_SHAPE, "dataset batch: label tensor %s%s cannot hold %d int32 labels",
                        y->dtype == FV_I32 ? "" : "(float) ", fv_shape_str(y, xs, sizeof xs), n);
    }
    return FV_OK;
}

fv_status fv_dataset_batch(const fv_dataset *ds, const int64_t *indices, int n, fv_tensor *x, fv_tensor *y)
{
    return ds ? fv_dataset_batch_ctx(ds, ds->ctx, indices, n, x, y) : FV_ERR_ARG;
}

fv_status fv_dataset_batch_ctx(const fv_dataset *ds, fv_ctx *ctx, const int64_t *indices, int n, fv_tensor *x,
                               fv_tensor *y)
{
    if (!ds) return FV_ERR_ARG;
    if (n < 0 || (n > 0 && !indices)) return fv_error(ctx, FV_ERR_ARG, "dataset batch: %d samples requested", n);
    fv_status s = check_batch(ds, ctx, n, x, y);
    if (s != FV_OK) return s;
    const ds_store *st = ds->store;
    int64_t per = st->c * st->h * st->w;
    float scale[256];
    for (int v = 0; v < 256; v++) scale[v] = (float)v / 255.0f; /* correctly rounded v / 255, as torch's div */
    for (int i = 0; i < n; i++) {
        int64_t j = indices[i];
        if (j < 0 || j >= ds->n) {
            return fv_error(ctx, FV_ERR_ARG, "dataset batch: sample %lld is outside the %lld samples of %s",
                            (long long)j, (long long)ds->n, st->origin);
        }
        j = store_index(ds, j);
        float *dst = fv_f32(x) + (int64_t)i * per;
        if (st->paths) {
            if ((s = ds_decode_image(ctx, st, j, dst)) != FV_OK) return s;
        } else if (st->u8) {
            const uint8_t *src = st->u8 + j * per;
            for (int64_t k = 0; k < per; k++) dst[k] = scale[src[k]];
        } else {
            memcpy(dst, st->f32 + j * per, (size_t)per * sizeof *dst);
        }
        if (y) fv_i32(y)[i] = st->labels[j];
    }
    return FV_OK;
}

fv_status fv_dataset_fetch(void *ds, int epoch, const int64_t *indices, int n, fv_tensor *x, fv_tensor *y)
{
    (void)epoch;
    return fv_dataset_batch(ds, indices, n, x, y);
}

/* ---- subsets and splits ------------------------------------------------------------------------------- */

fv_dataset *fv_dataset_subset(const fv_dataset *ds, const int64_t *indices, int64_t n)
{
    if (!ds) return NULL;
    if (n < 0 || (n > 0 && !indices)) {
        fv_error(ds->ctx, FV_ERR_ARG, "dataset subset: %lld samples requested", (long long)n);
        return NULL;
    }
    int64_t *index = malloc((size_t)(n > 0 ? n : 1) * sizeof *index);
    fv_dataset *sub = index ? calloc(1, sizeof *sub) : NULL;
    if (!sub) {
        free(index);
        fv_error(ds->ctx, FV_ERR_NOMEM, "dataset subset: out of memory for %lld indices", (long long)n);
        return NULL;
    }
    for (int64_t i = 0; i < n; i++) {
        if (indices[i] < 0 || indices[i] >= ds->n) {
            fv_error(ds->ctx, FV_ERR_ARG, "dataset subset: index %lld (position %lld) is outside the %lld samples",
                     (long long)indices[i], (long long)i, (long long)ds->n);
            free(index);
            free(sub);
            return NULL;
        }
        index[i] = store_index(ds, indices[i]);
    }
    sub->ctx = ds->ctx;
    sub->store = ds->store;
    sub->store->refs++;
    sub->n = n;
    sub->index = index;
    return sub;
}

fv_dataset *fv_dataset_range(const fv_dataset *ds, int64_t first, int64_t n)
{
    if (!ds) return NULL;
    if (first < 0 || n < 0 || first > ds->n || n > ds->n - first) {
        fv_error(ds->ctx, FV_ERR_ARG, "dataset range: samples [%lld, %lld + %lld) are not within the %lld samples",
                 (long long)first, (long long)first, (long long)n, (long long)ds->n);
        return NULL;
    }
    int64_t *idx = malloc((size_t)(n > 0 ? n : 1) * sizeof *idx);
    if (!idx) {
        fv_error(ds->ctx, FV_ERR_NOMEM, "dataset range: out of memory");
        return NULL;
    }
    for (int64_t i = 0; i < n; i++) idx[i] = first + i;
    fv_dataset *sub = fv_dataset_subset(ds, idx, n);
    free(idx);
    return sub;
}

/* Which samples go to validation: the first val of a seeded Fisher-Yates shuffle. */
static bool *random_membership(const fv_dataset *ds, int64_t val, uint64_t seed)
{
    int64_t n = ds->n, *perm = malloc((size_t)n * sizeof *perm);
    bool *in_val = calloc((size_t)n, sizeof *in_val);
    if (!perm || !in_val) {
        free(perm);
        free(in_val);
        return NULL;
    }
    for (int64_t i = 0; i < n; i++) perm[i] = i;
    for (int64_t i = n - 1; i > 0; i--) {
        /* modulo bias is below n / 2^64: irrelevant at any dataset size */
        int64_t j = (int64_t)(fv_rng_bits(seed, FV_SPLIT_STREAM, (uint64_t)i) % (uint64_t)(i + 1));
        int64_t t = perm[i];
        perm[i] = perm[j], perm[j] = t;
    }
    for (int64_t i = 0; i < val; i++) in_val[perm[i]] = true;
    free(perm);
    return in_val;
}

static fv_status split_random(const fv_dataset *ds, int64_t val, uint64_t seed, fv_dataset **train, fv_dataset **vd)
{
    int64_t n = ds->n, *ti = malloc((size_t)n * sizeof *ti), *vi = malloc((size_t)n * sizeof *vi), nt = 0, nv = 0;
    bool *in_val = random_membership(ds, val, seed);
    fv_status s = FV_OK;
    if (!ti || !vi || !in_val) {
        s = fv_error(ds->ctx, FV_ERR_NOMEM, "dataset split: out of memory for %lld samples", (long long)n);
    } else {
        for (int64_t i = 0; i < n; i++) {
            if (in_val[i]) vi[nv++] = i;
            else ti[nt++] = i;
        }
        if (!(*train = fv_dataset_subset(ds, ti, nt)) || !(*vd = fv_dataset_subset(ds, vi, nv))) s = fv_errcode(ds->ctx);
    }
    free(ti);
    free(vi);
    free(in_val);
    return s;
}

fv_status fv_dataset_split(const fv_dataset *ds, double fraction, fv_split_mode mode, uint64_t seed,
                           fv_dataset **train, fv_dataset **val)
{
    if (!ds || !train || !val) return FV_ERR_ARG;
    *train = *val = NULL;
    if (!(fraction > 0 && fraction < 1))
        return fv_error(ds->ctx, FV_ERR_ARG, "dataset split: validation fraction %g is not between 0 and 1", fraction);
    int64_t n = ds->n, keep = (int64_t)floor((double)n * (1.0 - fraction)), nv = n - keep;
    if (keep < 1 || nv < 1) {
        return fv_error(ds->ctx, FV_ERR_ARG, "dataset split: a validation fraction of %g of %lld samples leaves %lld "
                        "for training and %lld for validation (both must be >= 1)", fraction, (long long)n,
                        (long long)keep, (long long)nv);
    }
    fv_status s = FV_OK;
    if (mode == FV_SPLIT_LAST || mode == FV_SPLIT_FIRST) {
        int64_t val_first = mode == FV_SPLIT_LAST ? keep : 0, train_first = mode == FV_SPLIT_LAST ? 0 : nv;
        *train = fv_dataset_range(ds, train_first, keep);
        *val = *train ? fv_dataset_range(ds, val_first, nv) : NULL;
        if (!*val) s = fv_errcode(ds->ctx);
    } else if (mode == FV_SPLIT_RANDOM) {
        s = split_random(ds, nv, seed, train, val);
    } else {
        s = fv_error(ds->ctx, FV_ERR_ARG, "dataset split: unknown mode %d", (int)mode);
    }
    if (s != FV_OK) {
        fv_dataset_free(*train);
        fv_dataset_free(*val);
        *train = *val = NULL;
    }
    return s;
}
