/* What the files of src/augment share: the step record, the pipeline, the random draws of one step and the
 * per-step apply functions. Not part of the public API. */
#ifndef FV_AUGMENT_INTERNAL_H
#define FV_AUGMENT_INTERNAL_H

#include "../core/internal.h"
#include "fovea/augment.h"

typedef enum {
    STEP_AFFINE,
    STEP_HFLIP,
    STEP_VFLIP,
    STEP_CROP,
    STEP_BLUR,
    STEP_SHARPEN,
    STEP_MEDIAN,
    STEP_NOISE,
    STEP_COLOR,
    STEP_GRAY,
    STEP_ERASE,
    STEP_CUTOUT
} step_kind;

typedef struct {
    step_kind kind;
    double p;
    union {
        fv_affine_range affine;
        fv_crop_range crop;
        fv_color_range color;
        fv_erase_range erase;
        double range[2]; /* blur sigma, sharpen factor, noise std */
        double size;     /* cutout */
    } u;
} aug_step;

struct fv_augment {
    fv_ctx *ctx;
    int n, cap;
    aug_step *steps;
};

/* The random numbers of one application of one step: draw j is fv_rng_uniform(seed, key, step << 40 | j).
 * Draw 0 decides whether the step runs; the step's own draws start at 1. */
typedef struct {
    uint64_t seed, key, base;
} step_rng;

static inline double rng_u(const step_rng *r, uint64_t j) { return fv_rng_uniform(r->seed, r->key, r->base + j); }
static inline double rng_range(const step_rng *r, uint64_t j, double lo, double hi) { return lo + (hi - lo) * rng_u(r, j); }
/* An integer uniform in [lo, hi) (hi > lo). */
static inline int rng_int(const step_rng *r, uint64_t j, int lo, int hi)
{
    int v = lo + (int)(rng_u(r, j) * (hi - lo));
    return v < hi ? v : hi - 1;
}

/* The sample a step works on; scratch holds at least max(c, n_masks, 1) * h * w floats. */
typedef struct {
    float *image;
    int c, h, w;
    float *masks;
    int n_masks;
    float *boxes;
    float *labels; /* one per box, moved with it when boxes are dropped; may be NULL */
    int *n_boxes;
    float *scratch;
} aug_sample;

/* Append a validated step (pipeline.c). */
fv_status aug_push(fv_augment *a, const aug_step *s);
/* Check that v is finite and within [lo, hi]; the error names what and the value. */
fv_status aug_check(fv_ctx *ctx, const char *what, double v, double lo, double hi);
fv_status aug_check_range(fv_ctx *ctx, const char *what, double lo, double hi, double min, double max);

/* Index of coordinate i along an axis of n samples under a fill mode; -1 for constant outside. */
static inline int64_t aug_fill_index(int64_t i, int64_t n, fv_fill_mode fill)
{
    if (i >= 0 && i < n) return i;
    switch (fill) {
    case FV_FILL_NEAREST: return i < 0 ? 0 : n - 1;
    case FV_FILL_REFLECT: {
        int64_t period = 2 * n, k = i % period;
        if (k < 0) k += period;
        return k < n ? k : period - 1 - k;
    }
    case FV_FILL_WRAP: {
        int64_t k = i % n;
        return k < 0 ? k + n : k;
    }
    default: return -1;
    }
}

/* The steps (affine.c, flip_crop.c, filters.c, colour.c, erase.c). */
void aug_apply_affine(const aug_step *s, const step_rng *r, aug_sample *x);
void aug_apply_flip(bool horizontal, aug_sample *x);
void aug_apply_crop(const aug_step *s, const step_rng *r, aug_sample *x);
void aug_apply_filter(const aug_step *s, const step_rng *r, aug_sample *x);
void aug_apply_color(const aug_step *s, const step_rng *r, aug_sample *x);
void aug_apply_erase(const aug_step *s, const step_rng *r, aug_sample *x);
void aug_apply_cutout(const aug_step *s, const step_rng *r, aug_sample *x);

/* Boxes through a map of pixel-edge coordinates (x, y) -> (a[0] x + a[1] y + a[2], a[3] x + a[4] y + a[5]):
 * the enclosing box of the four corners, clipped to w x h; boxes without area dropped (their labels with them). */
void aug_boxes_map(float *boxes, float *labels, int *n_boxes, const double a[6], int h, int w);

#endif
