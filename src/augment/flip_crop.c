/* Flips and torchvision's random resized crop: exact pixel moves (flips) and a crop resized back bilinearly
 * with half-pixel centres, each carrying masks and boxes along. */
#include <math.h>
#include <string.h>

#include "augment_internal.h"

static void flip_planes(float *p, int n, int h, int w, bool horizontal)
{
    for (int k = 0; k < n; k++)
        for (int y = 0; y < (horizontal ? h : h / 2); y++) {
            float *row = p + ((size_t)k * h + y) * w;
            if (horizontal)
                for (int x = 0; x < w / 2; x++) {
                    float t = row[x];
                    row[x] = row[w - 1 - x], row[w - 1 - x] = t;
                }
            else {
                float *other = p + ((size_t)k * h + (h - 1 - y)) * w;
                for (int x = 0; x < w; x++) {
                    float t = row[x];
                    row[x] = other[x], other[x] = t;
                }
            }
        }
}

void aug_apply_flip(bool horizontal, aug_sample *x)
{
    flip_planes(x->image, x->c, x->h, x->w, horizontal);
    if (x->n_masks > 0) flip_planes(x->masks, x->n_masks, x->h, x->w, horizontal);
    if (x->boxes && *x->n_boxes > 0) {
        double a[6] = {1, 0, 0, 0, 1, 0};
        if (horizontal) a[0] = -1, a[2] = x->w;
        else a[4] = -1, a[5] = x->h;
        aug_boxes_map(x->boxes, x->labels, x->n_boxes, a, x->h, x->w);
    }
}

/* Source index and weight of output o along an axis (torch's bilinear, align_corners=False): the source
 * coordinate (o + 0.5) * scale - 0.5, clamped at 0 below and at the last sample above. */
static void axis_weight(int o, double scale, int n, int *i0, int *i1, float *frac)
{
    double src = (o + 0.5) * scale - 0.5;
    if (src < 0) src = 0;
    int i = (int)src;
    if (i > n - 1) i = n - 1;
    *i0 = i, *i1 = i < n - 1 ? i + 1 : i;
    *frac = (float)(src - i);
    if (*i1 == i) *frac = 0;
}

void fv_resized_crop(const float *in, int c, int h, int w, int top, int left, int ch, int cw, float *out, int oh,
                     int ow)
{
    double sy = (double)ch / oh, sx = (double)cw / ow;
    for (int y = 0; y < oh; y++) {
        int y0, y1;
        float fy;
        axis_weight(y, sy, ch, &y0, &y1, &fy);
        for (int x = 0; x < ow; x++) {
            int x0, x1;
            float fx;
            axis_weight(x, sx, cw, &x0, &x1, &fx);
            for (int k = 0; k < c; k++) {
                const float *p = in + ((size_t)k * h + top) * w + left;
                float t = (1 - fx) * p[(size_t)y0 * w + x0] + fx * p[(size_t)y0 * w + x1];
                float b = (1 - fx) * p[(size_t)y1 * w + x0] + fx * p[(size_t)y1 * w + x1];
                out[((size_t)k * oh + y) * ow + x] = (1 - fy) * t + fy * b;
            }
        }
    }
}

/* Masks: the nearest source sample of each output pixel centre (no new label values). */
static void resized_crop_nearest(const float *in, int n, int h, int w, int top, int left, int ch, int cw, float *out)
{
    for (int y = 0; y < h; y++) {
        int sy = (int)((y + 0.5) * ch / h);
        sy = sy < ch ? sy : ch - 1;
        for (int x = 0; x < w; x++) {
            int sx = (int)((x + 0.5) * cw / w);
            sx = sx < cw ? sx : cw - 1;
            for (int k = 0; k < n; k++) out[((size_t)k * h + y) * w + x] = in[((size_t)k * h + top + sy) * w + left + sx];
        }
    }
}

/* torchvision's RandomResizedCrop.get_params: 10 tries of (area, aspect), then the whole image cropped to the
 * nearest allowed aspect. Each try uses four draws. */
static void crop_params(const fv_crop_range *c, const step_rng *r, int h, int w, int box[4])
{
    double area = (double)h * w, lr0 = log(c->ratio_lo), lr1 = log(c->ratio_hi);
    for (int t = 0; t < 10; t++) {
        double target = area * rng_range(r, 1 + 4 * t, c->scale_lo, c->scale_hi);
        double aspect = exp(rng_range(r, 2 + 4 * t, lr0, lr1));
        int cw = (int)lround(sqrt(target * aspect)), ch = (int)lround(sqrt(target / aspect));
        if (cw > 0 && cw <= w && ch > 0 && ch <= h) {
            box[0] = rng_int(r, 3 + 4 * t, 0, h - ch + 1), box[1] = rng_int(r, 4 + 4 * t, 0, w - cw + 1);
            box[2] = ch, box[3] = cw;
            return;
        }
    }
    double ratio = (double)w / h;
    int ch = h, cw = w;
    if (ratio < c->ratio_lo) ch = (int)lround(w / c->ratio_lo);
    else if (ratio > c->ratio_hi) cw = (int)lround(h * c->ratio_hi);
    ch = ch < 1 ? 1 : ch > h ? h : ch;
    cw = cw < 1 ? 1 : cw > w ? w : cw;
    box[0] = (h - ch) / 2, box[1] = (w - cw) / 2, box[2] = ch, box[3] = cw;
}

void aug_apply_crop(const aug_step *s, const step_rng *r, aug_sample *x)
{
    int b[4];
    crop_params(&s->u.crop, r, x->h, x->w, b);
    size_t plane = (size_t)x->h * (size_t)x->w;
    fv_resized_crop(x->image, x->c, x->h, x->w, b[0], b[1], b[2], b[3], x->scratch, x->h, x->w);
    memcpy(x->image, x->scratch, (size_t)x->c * plane * sizeof(float));
    if (x->n_masks > 0) {
        resized_crop_nearest(x->masks, x->n_masks, x->h, x->w, b[0], b[1], b[2], b[3], x->scratch);
        memcpy(x->masks, x->scratch, (size_t)x->n_masks * plane * sizeof(float));
    }
    if (x->boxes && *x->n_boxes > 0) {
        double kx = (double)x->w / b[3], ky = (double)x->h / b[2];
        double a[6] = {kx, 0, -b[1] * kx, 0, ky, -b[0] * ky};
        aug_boxes_map(x->boxes, x->labels, x->n_boxes, a, x->h, x->w);
    }
}
