/* Filters: Gaussian blur (separable, scipy's kernel and 'reflect' edges), torchvision's sharpness blend, the
 * 3x3 median and additive Gaussian noise, with the random step that picks one's strength. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "augment_internal.h"

#define MAX_RADIUS 400

/* One pass of a symmetric 1-D kernel (weights k[-r..r] at k + r) along rows (step 1) or columns (step w) of
 * one (h, w) plane, edges reflected as scipy's 'reflect'; sums in double as scipy's correlate1d. */
static void correlate_plane(const float *in, int h, int w, const double *k, int r, bool along_x, float *out)
{
    int n = along_x ? w : h, lines = along_x ? h : w;
    size_t step = along_x ? 1 : (size_t)w, line_step = along_x ? (size_t)w : 1;
    for (int l = 0; l < lines; l++) {
        const float *src = in + l * line_step;
        float *dst = out + l * line_step;
        for (int i = 0; i < n; i++) {
            double acc = 0;
            for (int t = -r; t <= r; t++) acc += k[t + r] * src[aug_fill_index(i + t, n, FV_FILL_REFLECT) * step];
            dst[i * step] = (float)acc;
        }
    }
}

void fv_gaussian_blur(const float *in, int c, int h, int w, double sigma, float *out)
{
    size_t plane = (size_t)h * (size_t)w;
    int r = (int)(4.0 * sigma + 0.5);
    if (!(sigma > 1e-15) || r < 1) {
        memmove(out, in, (size_t)c * plane * sizeof(float));
        return;
    }
    if (r > MAX_RADIUS) r = MAX_RADIUS;
    double k[2 * MAX_RADIUS + 1], sum = 0;
    for (int t = -r; t <= r; t++) sum += k[t + r] = exp(-0.5 * t * t / (sigma * sigma));
    for (int t = 0; t <= 2 * r; t++) k[t] /= sum;
    float *tmp = malloc(plane * sizeof(float));
    for (int ch = 0; ch < c; ch++) {
        /* scipy filters axis 0 (rows, i.e. along y) first and stores float32 between the passes. */
        const float *src = in + ch * plane;
        float *dst = out + ch * plane;
        if (tmp) {
            correlate_plane(src, h, w, k, r, false, tmp);
            correlate_plane(tmp, h, w, k, r, true, dst);
        } else {
            memmove(dst, src, plane * sizeof(float)); /* out of memory: leave the plane as it was */
        }
    }
    free(tmp);
}

void fv_adjust_sharpness(const float *in, int c, int h, int w, float factor, float *out)
{
    size_t plane = (size_t)h * (size_t)w;
    const float edge = 1.0f / 13.0f, centre = 5.0f / 13.0f;
    for (int ch = 0; ch < c; ch++) {
        const float *p = in + ch * plane;
        float *o = out + ch * plane;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                float v = p[(size_t)y * w + x], smooth = v;
                /* torchvision keeps the one-pixel border (and images under 3x3) unsmoothed. */
                if (y > 0 && y < h - 1 && x > 0 && x < w - 1 && h > 2 && w > 2) {
                    float s = 0;
                    for (int dy = -1; dy <= 1; dy++)
                        for (int dx = -1; dx <= 1; dx++)
                            s += (dx || dy ? edge : centre) * p[(size_t)(y + dy) * w + x + dx];
                    smooth = s;
                }
                float b = factor * v + (1.0f - factor) * smooth;
                o[(size_t)y * w + x] = b < 0 ? 0 : b > 1 ? 1 : b;
            }
    }
}

static float median9(float v[9])
{
    for (int i = 1; i < 9; i++) /* insertion sort: nine values */
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            float t = v[j];
            v[j] = v[j - 1], v[j - 1] = t;
        }
    return v[4];
}

void fv_median3(const float *in, int c, int h, int w, float *out)
{
    size_t plane = (size_t)h * (size_t)w;
    for (int ch = 0; ch < c; ch++) {
        const float *p = in + ch * plane;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                float v[9];
                int n = 0;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++)
                        v[n++] = p[aug_fill_index(y + dy, h, FV_FILL_REFLECT) * w + aug_fill_index(x + dx, w, FV_FILL_REFLECT)];
                out[ch * plane + (size_t)y * w + x] = median9(v);
            }
    }
}

/* Gaussian noise: draw 1 is the standard deviation, then two draws per sample (Box-Muller). */
static void add_noise(const step_rng *r, float *im, size_t n, double std)
{
    const double two_pi = 6.283185307179586;
    for (size_t i = 0; i < n; i++) {
        double u1 = rng_u(r, 2 + 2 * (uint64_t)i), u2 = rng_u(r, 3 + 2 * (uint64_t)i);
        double g = sqrt(-2.0 * log(1.0 - u1)) * cos(two_pi * u2);
        double v = im[i] + std * g;
        im[i] = (float)(v < 0 ? 0 : v > 1 ? 1 : v);
    }
}

void aug_apply_filter(const aug_step *s, const step_rng *r, aug_sample *x)
{
    size_t n = (size_t)x->c * x->h * x->w;
    double v = s->kind == STEP_MEDIAN ? 0 : rng_range(r, 1, s->u.range[0], s->u.range[1]);
    switch (s->kind) {
    case STEP_BLUR: fv_gaussian_blur(x->image, x->c, x->h, x->w, v, x->scratch); break;
    case STEP_SHARPEN: fv_adjust_sharpness(x->image, x->c, x->h, x->w, (float)v, x->scratch); break;
    case STEP_MEDIAN: fv_median3(x->image, x->c, x->h, x->w, x->scratch); break;
    default: add_noise(r, x->image, n, v); return;
    }
    memcpy(x->image, x->scratch, n * sizeof(float));
}
