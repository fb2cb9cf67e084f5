/* Resizing as PIL's Image.resize does it, so that results agree within one grey level (in practice exactly):
 * separable convolution, horizontal pass first, each output sample a weighted sum over the input samples under
 * the filter, the filter widened by the scale factor when shrinking (antialiasing). 8-bit images use PIL's
 * fixed-point arithmetic (weights scaled by 2^22, rounded, the intermediate image rounded to 8 bits); images with
 * alpha are resized premultiplied, as PIL does. Nearest neighbour follows PIL's affine stepping exactly. 16-bit
 * images use the same weights in double precision, rounded once per pass. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "image_internal.h"

#define PRECISION_BITS 22 /* PIL's: 32 - 8 bits of sample - 2 bits of headroom for negative bicubic lobes */

typedef struct {
    double (*f)(double);
    double support;
} filter_def;

static double box(double x) { return x > -0.5 && x <= 0.5 ? 1.0 : 0.0; }
static double triangle(double x)
{
    x = fabs(x);
    return x < 1.0 ? 1.0 - x : 0.0;
}
/* Keys' cubic with a = -0.5 (PIL's BICUBIC). */
static double cubic(double x)
{
    const double a = -0.5;
    x = fabs(x);
    if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
    if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
    return 0.0;
}

/* Weights of one axis: output sample o reads count[o] input samples from first[o], weights w[o * ksize ...]
 * (doubles summing to 1) and iw (the same scaled to 2^PRECISION_BITS). */
typedef struct {
    int ksize;
    int *first, *count;
    double *w;
    int32_t *iw;
} axis_weights;

static void weights_free(axis_weights *a) { free(a->first), free(a->count), free(a->w), free(a->iw); }

static bool weights_make(axis_weights *a, int in_size, int out_size, filter_def fd)
{
    double scale = (double)in_size / out_size, fscale = scale < 1.0 ? 1.0 : scale;
    double support = fd.support * fscale, inv = 1.0 / fscale; /* multiplied, not divided: PIL's rounding */
    a->ksize = (int)ceil(support) * 2 + 1;
    size_t nk = (size_t)out_size * (size_t)a->ksize;
    a->first = malloc((size_t)out_size * sizeof(int)), a->count = malloc((size_t)out_size * sizeof(int));
    a->w = calloc(nk, sizeof(double)), a->iw = calloc(nk, sizeof(int32_t));
    if (!a->first || !a->count || !a->w || !a->iw) return false;
    for (int o = 0; o < out_size; o++) {
        double centre = (o + 0.5) * scale, sum = 0.0;
        int lo = (int)(centre - support + 0.5), hi = (int)(centre + support + 0.5);
        lo = lo < 0 ? 0 : lo, hi = hi > in_size ? in_size : hi;
        double *w = a->w + (size_t)o * (size_t)a->ksize;
        for (int j = 0; j < hi - lo; j++) sum += w[j] = fd.f((j + lo - centre + 0.5) * inv);
        for (int j = 0; j < hi - lo; j++) {
            if (sum != 0.0) w[j] /= sum;
            double s = w[j] * (1 << PRECISION_BITS);
            a->iw[(size_t)o * (size_t)a->ksize + (size_t)j] = (int32_t)(s < 0 ? s - 0.5 : s + 0.5);
        }
        a->first[o] = lo, a->count[o] = hi - lo;
    }
    return true;
}

/* A resampling pass along one axis. Sample c of output position o on line l is the weighted sum of the input
 * samples in[l * line + (first[o] + j) * step + c]; the output is laid out with out_line and out_step. */
typedef struct {
    int lines, channels;
    size_t line, step, out_line, out_step;
} pass_layout;

static void pass8(const uint8_t *in, uint8_t *out, const axis_weights *a, int out_size, pass_layout p)
{
    for (int l = 0; l < p.lines; l++)
        for (int o = 0; o < out_size; o++) {
            const int32_t *k = a->iw + (size_t)o * (size_t)a->ksize;
            const uint8_t *src = in + (size_t)l * p.line + (size_t)a->first[o] * p.step;
            for (int c = 0; c < p.channels; c++) {
                int64_t s = (int64_t)1 << (PRECISION_BITS - 1);
                for (int j = 0; j < a->count[o]; j++) s += (int64_t)src[(size_t)j * p.step + (size_t)c] * k[j];
                s >>= PRECISION_BITS;
                out[(size_t)l * p.out_line + (size_t)o * p.out_step + (size_t)c] = (uint8_t)(s < 0 ? 0 : s > 255 ? 255 : s);
            }
        }
}

static void pass16(const uint16_t *in, uint16_t *out, const axis_weights *a, int out_size, pass_layout p)
{
    for (int l = 0; l < p.lines; l++)
        for (int o = 0; o < out_size; o++) {
            const double *k = a->w + (size_t)o * (size_t)a->ksize;
            const uint16_t *src = in + (size_t)l * p.line + (size_t)a->first[o] * p.step;
            for (int c = 0; c < p.channels; c++) {
                double s = 0.0;
                for (int j = 0; j < a->count[o]; j++) s += src[(size_t)j * p.step + (size_t)c] * k[j];
                s = floor(s + 0.5);
                out[(size_t)l * p.out_line + (size_t)o * p.out_step + (size_t)c] =
                    (uint16_t)(s < 0 ? 0 : s > 65535 ? 65535 : s);
            }
        }
}

/* One pass from a w x h image to an image of ow x oh, where exactly one side changes. */
static bool resample_pass(const fv_image *in, fv_image *out, int ow, int oh, filter_def fd)
{
    bool horizontal = ow != in->width;
    axis_weights a = {0};
    size_t C = (size_t)in->channels;
    void *px = fv_image_alloc(ow, oh, in->channels, in->depth);
    if (!px || !weights_make(&a, horizontal ? in->width : in->height, horizontal ? ow : oh, fd)) {
        free(px), weights_free(&a);
        return false;
    }
    pass_layout p = horizontal ? (pass_layout){in->height, in->channels, (size_t)in->width * C, C, (size_t)ow * C, C}
                               : (pass_layout){in->width, in->channels, C, (size_t)in->width * C, C, (size_t)ow * C};
    if (in->depth == 16) pass16(in->pixels, px, &a, horizontal ? ow : oh, p);
    else pass8(in->pixels, px, &a, horizontal ? ow : oh, p);
    weights_free(&a);
    *out = (fv_image){ow, oh, in->channels, in->depth, px};
    return true;
}

/* Alpha premultiplied into the colour samples, and back, with PIL's rounding for 8 bits (RGBA to RGBa:
 * round(v * a / 255); back: v * 255 / a truncated, unchanged where a is 0 or opaque). */
static void premultiply(fv_image *im, bool forward)
{
    size_t n = (size_t)im->width * (size_t)im->height, C = (size_t)im->channels;
    unsigned max = im->depth == 16 ? 65535 : 255;
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c + 1 < C; c++) {
            size_t k = i * C + c;
            unsigned a = im->depth == 16 ? ((uint16_t *)im->pixels)[i * C + C - 1] : ((uint8_t *)im->pixels)[i * C + C - 1];
            unsigned v = im->depth == 16 ? ((uint16_t *)im->pixels)[k] : ((uint8_t *)im->pixels)[k];
            if (forward && im->depth == 8) {
                unsigned t = v * a + 128;
                v = ((t >> 8) + t) >> 8;
            } else if (forward) {
                v = (unsigned)(((uint64_t)v * a + max / 2) / max);
            } else if (a != 0 && a != max) {
                uint64_t u = (uint64_t)v * max / a;
                v = (unsigned)(u > max ? max : u);
            }
            if (im->depth == 16) ((uint16_t *)im->pixels)[k] = (uint16_t)v;
            else ((uint8_t *)im->pixels)[k] = (uint8_t)v;
        }
}

/* Nearest neighbour as PIL's affine scaling: source positions stepped by in/out from half a step, truncated. */
static bool resize_nearest(const fv_image *in, fv_image *out, int ow, int oh)
{
    size_t px = (size_t)in->channels * (size_t)(in->depth / 8);
    uint8_t *dst = fv_image_alloc(ow, oh, in->channels, in->depth);
    int *xs = malloc((size_t)ow * sizeof(int));
    if (!dst || !xs) {
        free(dst), free(xs);
        return false;
    }
    double ax = (double)in->width / ow, ay = (double)in->height / oh, xo = ax * 0.5, yo = ay * 0.5;
    for (int x = 0; x < ow; x++, xo += ax) xs[x] = xo >= in->width ? in->width - 1 : (int)xo;
    const uint8_t *src = in->pixels;
    for (int y = 0; y < oh; y++, yo += ay) {
        int sy = yo >= in->height ? in->height - 1 : (int)yo;
        for (int x = 0; x < ow; x++)
            memcpy(dst + ((size_t)y * (size_t)ow + (size_t)x) * px, src + ((size_t)sy * (size_t)in->width + (size_t)xs[x]) * px, px);
    }
    free(xs);
    *out = (fv_image){ow, oh, in->channels, in->depth, dst};
    return true;
}

static fv_image copy_image(const fv_image *in)
{
    fv_image c = *in;
    size_t n = (size_t)in->width * (size_t)in->height * (size_t)in->channels * (size_t)(in->depth / 8);
    c.pixels = malloc(n ? n : 1);
    if (c.pixels) memcpy(c.pixels, in->pixels, n);
    return c;
}

/* Horizontal then vertical, skipping a pass whose side does not change, as PIL. */
static bool resize_filtered(const fv_image *in, fv_image *out, int ow, int oh, filter_def fd)
{
    bool alpha = in->channels == 2 || in->channels == 4;
    fv_image cur = copy_image(in), next;
    if (!cur.pixels) return false;
    if (alpha) premultiply(&cur, true);
    if (ow != cur.width) {
        if (!resample_pass(&cur, &next, ow, cur.height, fd)) return fv_image_release(&cur), false;
        fv_image_release(&cur), cur = next;
    }
    if (oh != cur.height) {
        if (!resample_pass(&cur, &next, ow, oh, fd)) return fv_image_release(&cur), false;
        fv_image_release(&cur), cur = next;
    }
    if (alpha) premultiply(&cur, false);
    *out = cur;
    return true;
}

fv_status fv_image_resize(fv_ctx *ctx, const fv_image *in, int width, int height, fv_resize_filter filter,
                          fv_image *out)
{
    if (!out) return fv_error(ctx, FV_ERR_ARG, "fv_image_resize: no output image");
    memset(out, 0, sizeof *out);
    if (!in || !in->pixels || in->width < 1 || in->height < 1 || in->channels < 1 || in->channels > 4 ||
        (in->depth != 8 && in->depth != 16))
        return fv_error(ctx, FV_ERR_ARG, "fv_image_resize: not a valid image");
    if (width < 1 || height < 1 || (int64_t)width * height > FV_IMAGE_MAX_PIXELS)
        return fv_error(ctx, FV_ERR_ARG, "fv_image_resize: cannot resize to %dx%d", width, height);
    static const filter_def filters[] = {{NULL, 0}, {triangle, 1.0}, {box, 0.5}, {cubic, 2.0}};
    if ((int)filter < 0 || filter > FV_FILTER_BICUBIC)
        return fv_error(ctx, FV_ERR_ARG, "fv_image_resize: unknown filter %d", (int)filter);
    bool ok;
    if (width == in->width && height == in->height) *out = copy_image(in), ok = out->pixels != NULL;
    else if (filter == FV_FILTER_NEAREST) ok = resize_nearest(in, out, width, height);
    else ok = resize_filtered(in, out, width, height, filters[filter]);
    if (!ok) return fv_error(ctx, FV_ERR_NOMEM, "out of memory resizing %dx%d to %dx%d", in->width, in->height, width, height);
    return FV_OK;
}
