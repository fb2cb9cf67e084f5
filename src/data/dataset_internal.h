/* The dataset's fields and the helpers that the loaders (IDX, NPY, by name) share with dataset.c.
 * Not part of the public API. */
#ifndef FV_DATA_DATASET_INTERNAL_H
#define FV_DATA_DATASET_INTERNAL_H

#include "../core/internal.h"
#include "fovea/data.h"
#include "fovea/image.h"

#define FV_DATASET_MAX_CLASSES 65536

/* Samples and labels, shared by a dataset and its subsets (reference counted; not thread-safe, as the
 * context is not). Exactly one of u8 and f32 holds the pixels, sample i at [i * c*h*w, (i+1) * c*h*w). */
typedef struct ds_store {
    int refs;
    int64_t n, c, h, w;
    uint8_t *u8;
    float *f32;
    int32_t *labels;
    int n_classes;
    char **names; /* n_classes strings, or NULL */
    char *origin; /* the images file, or "memory" */
    char **paths; /* an image set (dataset_images.c): n files decoded when batched, u8 and f32 NULL */
    int filter, fit; /* how its images are resized to (h, w) */
    bool has_pre;    /* resized by pre's rule instead (fv_image_prepare: a model's preprocessing) */
    fv_preprocess pre;
} ds_store;

struct fv_dataset {
    fv_ctx *ctx;
    ds_store *store;
    int64_t n;
    int64_t *index; /* sample i is store sample index[i]; NULL: sample i is store sample i */
};

/* A store for n samples of (c,h,w) with room for the labels (not the pixels), refs 1; NULL with an error. */
ds_store *ds_store_new(fv_ctx *ctx, int64_t n, int64_t c, int64_t h, int64_t w, const char *origin);
void ds_store_unref(ds_store *st);
/* Check the labels against n_classes (0: infer as the largest + 1) and set st->n_classes. */
fv_status ds_store_check_labels(fv_ctx *ctx, ds_store *st, int n_classes, const char *labels_origin);
/* A dataset over all of st, taking over the reference (released on failure). */
fv_dataset *ds_wrap(fv_ctx *ctx, ds_store *st);
/* fv_dataset_from_tensors with the files' names for messages and the origin. */
fv_dataset *ds_from_tensors(fv_ctx *ctx, const fv_tensor *x, const fv_tensor *y, int n_classes, const char *x_origin,
                            const char *y_origin);

/* Decode store sample j of an image set into dst (c*h*w floats in [0, 1]); errors name the file. */
fv_status ds_decode_image(fv_ctx *ctx, const ds_store *st, int64_t j, float *dst);

/* ---- tuple sets (tensor_set.c), for the loader ---- */

/* Sample i of s: each input into inputs[k] (augmented by the set's pipeline when epoch >= 0), and its target
 * values as doubles (exact for every int32) into target (may be NULL), a paired mask or boxes moved with the
 * first input. Safe on several threads at once; errors go to ctx. */
fv_status fv_tensor_set_make(const fv_tensor_set *s, fv_ctx *ctx, int64_t i, int epoch, float *const *inputs,
                             double *target);
/* Values per sample of input k and of the target (0 without one). */
int64_t fv_tensor_set_input_size(const fv_tensor_set *s, int k);
int64_t fv_tensor_set_target_size(const fv_tensor_set *s);
/* Whether batch tensors xs and y fit the set (counts, sizes per sample, the targets' dtype). */
fv_status fv_tensor_set_check_batch(const fv_tensor_set *s, fv_ctx *ctx, fv_tensor *const *xs, int n_inputs,
                                    const fv_tensor *y);
/* A sample's target values into row `row` of y in y's dtype; a fraction for int32 is an error naming the sample. */
fv_status fv_tensor_set_put_target(fv_ctx *ctx, const double *v, int64_t sample, fv_tensor *y, int row);

#endif
