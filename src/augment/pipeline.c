/* The augmentation pipeline: a list of validated steps, the C builders that append them, and the apply loop
 * that draws each step's coin and parameters from (seed, key) alone, so any thread gets the same result. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "augment_internal.h"

fv_augment *fv_augment_new(fv_ctx *ctx)
{
    fv_augment *a = calloc(1, sizeof *a);
    if (!a) {
        fv_error(ctx, FV_ERR_NOMEM, "augment: out of memory");
        return NULL;
    }
    a->ctx = ctx;
    return a;
}

void fv_augment_free(fv_augment *a)
{
    if (!a) return;
    free(a->steps);
    free(a);
}

int fv_augment_steps(const fv_augment *a) { return a ? a->n : 0; }

fv_status aug_check(fv_ctx *ctx, const char *what, double v, double lo, double hi)
{
    if (isfinite(v) && v >= lo && v <= hi) return FV_OK;
    return fv_error(ctx, FV_ERR_ARG, "augment: %s %g is outside [%g, %g]", what, v, lo, hi);
}

/* A range [lo, hi] within [min, max]: both finite, lo <= hi. */
fv_status aug_check_range(fv_ctx *ctx, const char *what, double lo, double hi, double min, double max)
{
    if (!isfinite(lo) || !isfinite(hi) || lo > hi)
        return fv_error(ctx, FV_ERR_ARG, "augment: %s range %g:%g is not two finite numbers LO <= HI", what, lo, hi);
    if (lo < min || hi > max)
        return fv_error(ctx, FV_ERR_ARG, "augment: %s range %g:%g is outside [%g, %g]", what, lo, hi, min, max);
    return FV_OK;
}

fv_status aug_push(fv_augment *a, const aug_step *s)
{
    if (!a) return FV_ERR_ARG;
    fv_status st = aug_check(a->ctx, "probability", s->p, 0, 1);
    if (st != FV_OK) return st;
    if (a->n == a->cap) {
        int cap = a->cap ? 2 * a->cap : 8;
        aug_step *grown = realloc(a->steps, (size_t)cap * sizeof *grown);
        if (!grown) return fv_error(a->ctx, FV_ERR_NOMEM, "augment: out of memory");
        a->steps = grown, a->cap = cap;
    }
    a->steps[a->n++] = *s;
    return FV_OK;
}

/* ---- builders ------------------------------------------------------------------------------------------ */

fv_status fv_augment_add_affine(fv_augment *a, const fv_affine_range *r, double p)
{
    if (!a || !r) return FV_ERR_ARG;
    fv_ctx *ctx = a->ctx;
    fv_status s = aug_check(ctx, "rotation (degrees)", r->rotation, 0, 180);
    if (s == FV_OK) s = aug_check(ctx, "horizontal shift (fraction of the width)", r->shift_x, 0, 1);
    if (s == FV_OK) s = aug_check(ctx, "vertical shift (fraction of the height)", r->shift_y, 0, 1);
    if (s == FV_OK) s = aug_check(ctx, "shear (degrees)", r->shear, 0, 80);
    if (s == FV_OK && !(r->zoom_lo == 0 && r->zoom_hi == 0)) s = aug_check_range(ctx, "zoom", r->zoom_lo, r->zoom_hi, 0.01, 100);
    if (s == FV_OK && !isfinite(r->cval)) s = fv_error(ctx, FV_ERR_ARG, "augment: fill constant %g is not finite", r->cval);
    if (s == FV_OK && (unsigned)r->interp > FV_INTERP_NEAREST) s = fv_error(ctx, FV_ERR_ARG, "augment: unknown interpolation %d", (int)r->interp);
    if (s == FV_OK && (unsigned)r->fill > FV_FILL_WRAP) s = fv_error(ctx, FV_ERR_ARG, "augment: unknown fill mode %d", (int)r->fill);
    if (s != FV_OK) return s;
    aug_step st = {.kind = STEP_AFFINE, .p = p, .u.affine = *r};
    return aug_push(a, &st);
}

fv_status fv_augment_add_flip(fv_augment *a, bool horizontal, double p)
{
    aug_step st = {.kind = horizontal ? STEP_HFLIP : STEP_VFLIP, .p = p};
    return aug_push(a, &st);
}

fv_status fv_augment_add_resized_crop(fv_augment *a, const fv_crop_range *r, double p)
{
    if (!a || !r) return FV_ERR_ARG;
    fv_crop_range c = *r;
    if (c.scale_lo == 0 && c.scale_hi == 0) c.scale_lo = 0.08, c.scale_hi = 1;
    if (c.ratio_lo == 0 && c.ratio_hi == 0) c.ratio_lo = 3.0 / 4.0, c.ratio_hi = 4.0 / 3.0;
    fv_status s = aug_check_range(a->ctx, "crop scale (area fraction)", c.scale_lo, c.scale_hi, 1e-6, 1);
    if (s == FV_OK) s = aug_check_range(a->ctx, "crop ratio (width / height)", c.ratio_lo, c.ratio_hi, 1e-3, 1e3);
    if (s != FV_OK) return s;
    aug_step st = {.kind = STEP_CROP, .p = p, .u.crop = c};
    return aug_push(a, &st);
}

static fv_status add_ranged(fv_augment *a, step_kind kind, const char *what, double lo, double hi, double max, double p)
{
    if (!a) return FV_ERR_ARG;
    fv_status s = aug_check_range(a->ctx, what, lo, hi, 0, max);
    if (s != FV_OK) return s;
    aug_step st = {.kind = kind, .p = p, .u.range = {lo, hi}};
    return aug_push(a, &st);
}

fv_status fv_augment_add_blur(fv_augment *a, double lo, double hi, double p)
{
    return add_ranged(a, STEP_BLUR, "blur sigma (pixels)", lo, hi, 100, p);
}

fv_status fv_augment_add_sharpen(fv_augment *a, double lo, double hi, double p)
{
    return add_ranged(a, STEP_SHARPEN, "sharpness factor", lo, hi, 100, p);
}

fv_status fv_augment_add_median(fv_augment *a, double p)
{
    aug_step st = {.kind = STEP_MEDIAN, .p = p};
    return aug_push(a, &st);
}

fv_status fv_augment_add_noise(fv_augment *a, double lo, double hi, double p)
{
    return add_ranged(a, STEP_NOISE, "noise standard deviation", lo, hi, 1, p);
}

fv_status fv_augment_add_color(fv_augment *a, const fv_color_range *r, double p)
{
    if (!a || !r) return FV_ERR_ARG;
    static const char *const names[3] = {"brightness factor", "contrast factor", "saturation factor"};
    const double *f[3] = {r->brightness, r->contrast, r->saturation};
    fv_status s = FV_OK;
    for (int i = 0; i < 3 && s == FV_OK; i++)
        if (!(f[i][0] == 0 && f[i][1] == 0)) s = aug_check_range(a->ctx, names[i], f[i][0], f[i][1], 0, 100);
    if (s == FV_OK) s = aug_check_range(a->ctx, "hue shift (turns)", r->hue[0], r->hue[1], -0.5, 0.5);
    if (s != FV_OK) return s;
    aug_step st = {.kind = STEP_COLOR, .p = p, .u.color = *r};
    return aug_push(a, &st);
}

fv_status fv_augment_add_grayscale(fv_augment *a, double p)
{
    aug_step st = {.kind = STEP_GRAY, .p = p};
    return aug_push(a, &st);
}

fv_status fv_augment_add_erase(fv_augment *a, const fv_erase_range *r, double p)
{
    if (!a || !r) return FV_ERR_ARG;
    fv_erase_range e = *r;
    if (e.scale_lo == 0 && e.scale_hi == 0) e.scale_lo = 0.02, e.scale_hi = 0.33;
    if (e.ratio_lo == 0 && e.ratio_hi == 0) e.ratio_lo = 0.3, e.ratio_hi = 3.3;
    fv_status s = aug_check_range(a->ctx, "erase scale (area fraction)", e.scale_lo, e.scale_hi, 1e-6, 1);
    if (s == FV_OK) s = aug_check_range(a->ctx, "erase ratio (width / height)", e.ratio_lo, e.ratio_hi, 1e-3, 1e3);
    if (s == FV_OK) s = aug_check(a->ctx, "erase value", e.value, 0, 1);
    if (s != FV_OK) return s;
    aug_step st = {.kind = STEP_ERASE, .p = p, .u.erase = e};
    return aug_push(a, &st);
}

fv_status fv_augment_add_cutout(fv_augment *a, double size, double p)
{
    if (!a) return FV_ERR_ARG;
    fv_status s = aug_check(a->ctx, "cutout size (fraction of the shorter side)", size, 1e-6, 1);
    if (s != FV_OK) return s;
    aug_step st = {.kind = STEP_CUTOUT, .p = p, .u.size = size};
    return aug_push(a, &st);
}

/* ---- applying --------------------------------------------------------------------------------------------- */

static void apply_step(const aug_step *s, const step_rng *r, aug_sample *x)
{
    switch (s->kind) {
    case STEP_AFFINE: aug_apply_affine(s, r, x); break;
    case STEP_HFLIP: aug_apply_flip(true, x); break;
    case STEP_VFLIP: aug_apply_flip(false, x); break;
    case STEP_CROP: aug_apply_crop(s, r, x); break;
    case STEP_BLUR:
    case STEP_SHARPEN:
    case STEP_MEDIAN:
    case STEP_NOISE: aug_apply_filter(s, r, x); break;
    case STEP_COLOR:
    case STEP_GRAY: aug_apply_color(s, r, x); break;
    case STEP_ERASE: aug_apply_erase(s, r, x); break;
    case STEP_CUTOUT: aug_apply_cutout(s, r, x); break;
    }
}

static fv_status check_sample(const fv_augment *a, const float *image, int c, int h, int w, const float *masks,
                              int n_masks, const float *boxes, const int *n_boxes)
{
    if (!image || c < 1 || h < 1 || w < 1 || (int64_t)h * w > ((int64_t)1 << 30) || c > 4096)
        return fv_error(a->ctx, FV_ERR_ARG, "augment: bad image (%d, %d, %d)%s", c, h, w, image ? "" : " (NULL)");
    if (n_masks < 0 || (n_masks > 0 && !masks) || n_masks > 4096)
        return fv_error(a->ctx, FV_ERR_ARG, "augment: %d masks at %p", n_masks, (const void *)masks);
    if (n_boxes && (*n_boxes < 0 || (*n_boxes > 0 && !boxes)))
        return fv_error(a->ctx, FV_ERR_ARG, "augment: %d boxes at %p", *n_boxes, (const void *)boxes);
    return FV_OK;
}

fv_status fv_augment_apply(const fv_augment *a, uint64_t seed, uint64_t key, float *image, int c, int h, int w,
                           float *masks, int n_masks, float *boxes, int *n_boxes)
{
    return fv_augment_apply_labelled(a, seed, key, image, c, h, w, masks, n_masks, boxes, NULL, n_boxes);
}

fv_status fv_augment_apply_labelled(const fv_augment *a, uint64_t seed, uint64_t key, float *image, int c, int h,
                                    int w, float *masks, int n_masks, float *boxes, float *labels, int *n_boxes)
{
    if (!a) return FV_ERR_ARG;
    fv_status s = check_sample(a, image, c, h, w, masks, n_masks, boxes, n_boxes);
    if (s != FV_OK || a->n == 0) return s;
    int planes = c > n_masks ? c : n_masks;
    aug_sample x = {.image = image, .c = c, .h = h, .w = w, .masks = masks, .n_masks = n_masks,
                    .boxes = n_boxes ? boxes : NULL, .labels = n_boxes ? labels : NULL, .n_boxes = n_boxes,
                    .scratch = malloc((size_t)planes * (size_t)h * (size_t)w * sizeof(float))};
    if (!x.scratch) return fv_error(a->ctx, FV_ERR_NOMEM, "augment: out of memory for a (%d, %d, %d) image", c, h, w);
    for (int i = 0; i < a->n; i++) {
        step_rng r = {.seed = seed, .key = key, .base = (uint64_t)i << 40};
        if (rng_u(&r, 0) < a->steps[i].p) apply_step(&a->steps[i], &r, &x);
    }
    free(x.scratch);
    return FV_OK;
}
