/* Affine warps: the sampling primitive (output pixel -> input coordinate, bilinear or nearest, Keras' fill
 * modes), the Keras-style composition of rotation, shift, shear and zoom about the centre, the random affine
 * step, and boxes carried through any affine map of pixel-edge coordinates. */
#include <math.h>
#include <string.h>

#include "augment_internal.h"

#define DEG (3.14159265358979323846 / 180.0)

/* Far-off coordinates are clamped so that floor() fits an int64; beyond this every fill mode is already
 * periodic or constant, so the clamp changes nothing visible. */
static double clamp_coord(double v) { return v < -1e15 ? -1e15 : v > 1e15 ? 1e15 : v; }

static float sample_at(const float *plane, int64_t iy, int64_t ix, int w, float cval)
{
    return iy < 0 || ix < 0 ? cval : plane[iy * w + ix];
}

/* One output pixel of every plane: in at (sx, sy). */
static void warp_pixel(const float *in, int c, int h, int w, double sx, double sy, fv_interp interp,
                       fv_fill_mode fill, float cval, float *out, size_t o, size_t plane)
{
    if (!isfinite(sx) || !isfinite(sy)) {
        for (int k = 0; k < c; k++) out[k * plane + o] = cval;
        return;
    }
    sx = clamp_coord(sx), sy = clamp_coord(sy);
    if (interp == FV_INTERP_NEAREST) {
        /* scipy's order 0 rounds halves up: floor(x + 0.5). */
        int64_t ix = aug_fill_index((int64_t)floor(sx + 0.5), w, fill), iy = aug_fill_index((int64_t)floor(sy + 0.5), h, fill);
        for (int k = 0; k < c; k++) out[k * plane + o] = sample_at(in + k * plane, iy, ix, w, cval);
        return;
    }
    double fx0 = floor(sx), fy0 = floor(sy), ax = sx - fx0, ay = sy - fy0;
    int64_t x0 = aug_fill_index((int64_t)fx0, w, fill), x1 = aug_fill_index((int64_t)fx0 + 1, w, fill);
    int64_t y0 = aug_fill_index((int64_t)fy0, h, fill), y1 = aug_fill_index((int64_t)fy0 + 1, h, fill);
    for (int k = 0; k < c; k++) {
        const float *p = in + k * plane;
        double top = (1 - ax) * sample_at(p, y0, x0, w, cval) + ax * sample_at(p, y0, x1, w, cval);
        double bottom = (1 - ax) * sample_at(p, y1, x0, w, cval) + ax * sample_at(p, y1, x1, w, cval);
        out[k * plane + o] = (float)((1 - ay) * top + ay * bottom);
    }
}

void fv_affine_warp(const float *in, int c, int h, int w, const double m[6], fv_interp interp, fv_fill_mode fill,
                    float cval, float *out)
{
    size_t plane = (size_t)h * (size_t)w;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            warp_pixel(in, c, h, w, m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5], interp, fill, cval, out,
                       (size_t)y * w + x, plane);
}

/* 2x2 products, row-major. */
static void mul2(const double a[4], const double b[4], double out[4])
{
    double r[4] = {a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3], a[2] * b[0] + a[3] * b[2],
                   a[2] * b[1] + a[3] * b[3]};
    memcpy(out, r, sizeof r);
}

void fv_affine_matrix(const fv_affine_params *p, int h, int w, double m[6])
{
    double t = p->rotation * DEG, s = p->shear * DEG;
    /* Output-to-input, in (x, y) with y down: a positive angle turns the content counter-clockwise on screen
     * (as PIL's Image.rotate). The shear is Keras' matrix [[1, -sin s], [0, cos s]] on (row, col). */
    double rot[4] = {cos(t), -sin(t), sin(t), cos(t)};
    double shear[4] = {cos(s), 0, -sin(s), 1};
    double zoom[4] = {p->zoom_x, 0, 0, p->zoom_y};
    double a[4];
    mul2(shear, zoom, a);
    mul2(rot, a, a);
    double cx = (w - 1) / 2.0, cy = (h - 1) / 2.0;
    double tx = rot[0] * p->shift_x + rot[1] * p->shift_y, ty = rot[2] * p->shift_x + rot[3] * p->shift_y;
    m[0] = a[0], m[1] = a[1], m[2] = cx + tx - (a[0] * cx + a[1] * cy);
    m[3] = a[2], m[4] = a[3], m[5] = cy + ty - (a[2] * cx + a[3] * cy);
}

void aug_boxes_map(float *boxes, float *labels, int *n_boxes, const double a[6], int h, int w)
{
    int kept = 0;
    for (int i = 0; i < *n_boxes; i++) {
        const float *b = boxes + 4 * i;
        double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
        for (int k = 0; k < 4; k++) {
            double x = b[k & 1 ? 2 : 0], y = b[k & 2 ? 3 : 1];
            double p[2] = {a[0] * x + a[1] * y + a[2], a[3] * x + a[4] * y + a[5]};
            for (int d = 0; d < 2; d++) lo[d] = fmin(lo[d], p[d]), hi[d] = fmax(hi[d], p[d]);
        }
        double x0 = fmax(lo[0], 0), y0 = fmax(lo[1], 0), x1 = fmin(hi[0], w), y1 = fmin(hi[1], h);
        if (!(x1 > x0 && y1 > y0)) continue; /* also drops NaN */
        if (labels) labels[kept] = labels[i];
        float *o = boxes + 4 * kept++;
        o[0] = (float)x0, o[1] = (float)y0, o[2] = (float)x1, o[3] = (float)y1;
    }
    *n_boxes = kept;
}

/* The input-to-output map of pixel-edge coordinates for m (output-to-input of pixel centres): the inverse of
 * m, shifted by half a pixel on both sides. */
static int forward_edges(const double m[6], double f[6])
{
    double det = m[0] * m[4] - m[1] * m[3];
    if (!(fabs(det) > 1e-12)) return 0;
    double i0 = m[4] / det, i1 = -m[1] / det, i3 = -m[3] / det, i4 = m[0] / det;
    double bx = -0.5 - m[2], by = -0.5 - m[5]; /* in - 0.5 - b, with in = 0 */
    f[0] = i0, f[1] = i1, f[2] = i0 * bx + i1 * by + 0.5;
    f[3] = i3, f[4] = i4, f[5] = i3 * bx + i4 * by + 0.5;
    return 1;
}

/* Warp the image (and masks, nearest with 0 outside) by m, carrying the boxes. */
static void warp_sample(aug_sample *x, const double m[6], fv_interp interp, fv_fill_mode fill, float cval)
{
    size_t plane = (size_t)x->h * (size_t)x->w;
    fv_affine_warp(x->image, x->c, x->h, x->w, m, interp, fill, cval, x->scratch);
    memcpy(x->image, x->scratch, (size_t)x->c * plane * sizeof(float));
    if (x->n_masks > 0) {
        fv_affine_warp(x->masks, x->n_masks, x->h, x->w, m, FV_INTERP_NEAREST, FV_FILL_CONSTANT, 0, x->scratch);
        memcpy(x->masks, x->scratch, (size_t)x->n_masks * plane * sizeof(float));
    }
    double f[6];
    if (x->boxes && *x->n_boxes > 0) {
        if (forward_edges(m, f)) aug_boxes_map(x->boxes, x->labels, x->n_boxes, f, x->h, x->w);
        else *x->n_boxes = 0; /* a degenerate map leaves nothing with area */
    }
}

void aug_apply_affine(const aug_step *s, const step_rng *r, aug_sample *x)
{
    const fv_affine_range *a = &s->u.affine;
    bool zoom = !(a->zoom_lo == 0 && a->zoom_hi == 0);
    fv_affine_params p = {
        .rotation = rng_range(r, 1, -a->rotation, a->rotation),
        .shift_x = rng_range(r, 2, -a->shift_x, a->shift_x) * x->w,
        .shift_y = rng_range(r, 3, -a->shift_y, a->shift_y) * x->h,
        .shear = rng_range(r, 4, -a->shear, a->shear),
        .zoom_x = zoom ? rng_range(r, 5, a->zoom_lo, a->zoom_hi) : 1,
        .zoom_y = zoom ? rng_range(r, 6, a->zoom_lo, a->zoom_hi) : 1,
    };
    double m[6];
    fv_affine_matrix(&p, x->h, x->w, m);
    warp_sample(x, m, a->interp, a->fill, a->cval);
}
