/* Colour: brightness, contrast, saturation and hue as torchvision.transforms.functional does them on float
 * tensors (same float32 operations in the same order, so results agree to rounding), grayscale, and the
 * ColorJitter-like random step. */
#include <math.h>

#include "augment_internal.h"

/* torchvision's _blend: ratio * a + (1 - ratio) * b clamped to [0, 1], the ratio's complement taken in double
 * as Python does before torch casts both scalars to float. */
static float blend(float a, float b, double ratio)
{
    float v = (float)ratio * a + (float)(1.0 - ratio) * b;
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

static float luma(float r, float g, float b) { return 0.2989f * r + 0.587f * g + 0.114f * b; }

void fv_adjust_brightness(float *im, int c, int h, int w, float factor)
{
    size_t n = (size_t)c * h * w;
    for (size_t i = 0; i < n; i++) im[i] = blend(im[i], 0, factor);
}

void fv_adjust_contrast(float *im, int c, int h, int w, float factor)
{
    size_t plane = (size_t)h * w;
    double sum = 0;
    for (size_t i = 0; i < plane; i++)
        if (c == 3) sum += luma(im[i], im[plane + i], im[2 * plane + i]);
    if (c != 3)
        for (size_t i = 0; i < (size_t)c * plane; i++) sum += im[i];
    float mean = (float)(sum / (double)(c == 3 ? plane : (size_t)c * plane));
    for (size_t i = 0; i < (size_t)c * plane; i++) im[i] = blend(im[i], mean, factor);
}

void fv_adjust_saturation(float *im, int c, int h, int w, float factor)
{
    if (c != 3) return;
    size_t plane = (size_t)h * w;
    for (size_t i = 0; i < plane; i++) {
        float l = luma(im[i], im[plane + i], im[2 * plane + i]);
        for (int k = 0; k < 3; k++) im[k * plane + i] = blend(im[k * plane + i], l, factor);
    }
}

/* torchvision's _rgb2hsv, float32 step by step; hsv[0] is the hue in [0, 1). */
static void rgb_to_hsv(float r, float g, float b, float hsv[3])
{
    float maxc = fmaxf(r, fmaxf(g, b)), minc = fminf(r, fminf(g, b));
    bool eq = maxc == minc;
    float cr = maxc - minc;
    float s = cr / (eq ? 1.0f : maxc), div = eq ? 1.0f : cr;
    float rc = (maxc - r) / div, gc = (maxc - g) / div, bc = (maxc - b) / div;
    float hue;
    if (maxc == r) hue = bc - gc;
    else if (maxc == g) hue = 2.0f + rc - bc;
    else hue = 4.0f + gc - rc;
    hsv[0] = fmodf(hue / 6.0f + 1.0f, 1.0f), hsv[1] = s, hsv[2] = maxc;
}

static float clamp01(float v) { return v < 0 ? 0 : v > 1 ? 1 : v; }

static void hsv_to_rgb(const float hsv[3], float rgb[3])
{
    float h = hsv[0], s = hsv[1], v = hsv[2];
    float fi = floorf(h * 6.0f), f = h * 6.0f - fi;
    int i = ((int)fi % 6 + 6) % 6;
    float p = clamp01(v * (1.0f - s)), q = clamp01(v * (1.0f - s * f)), t = clamp01(v * (1.0f - s * (1.0f - f)));
    const float r[6] = {v, q, p, p, t, v}, g[6] = {t, v, v, q, p, p}, b[6] = {p, p, t, v, v, q};
    rgb[0] = r[i], rgb[1] = g[i], rgb[2] = b[i];
}

void fv_adjust_hue(float *im, int c, int h, int w, float shift)
{
    if (c != 3) return;
    size_t plane = (size_t)h * w;
    for (size_t i = 0; i < plane; i++) {
        float hsv[3], rgb[3];
        rgb_to_hsv(im[i], im[plane + i], im[2 * plane + i], hsv);
        /* Python's % (the sign of the divisor), as torch's remainder. */
        float m = fmodf(hsv[0] + shift, 1.0f);
        hsv[0] = m < 0 ? m + 1.0f : m;
        hsv_to_rgb(hsv, rgb);
        for (int k = 0; k < 3; k++) im[k * plane + i] = rgb[k];
    }
}

void fv_to_grayscale(float *im, int c, int h, int w)
{
    if (c != 3) return;
    size_t plane = (size_t)h * w;
    for (size_t i = 0; i < plane; i++) im[i] = im[plane + i] = im[2 * plane + i] = luma(im[i], im[plane + i], im[2 * plane + i]);
}

static bool used(const double r[2]) { return !(r[0] == 0 && r[1] == 0); }

/* Draws 1..4: brightness, contrast, saturation and hue, applied in that order. */
void aug_apply_color(const aug_step *s, const step_rng *r, aug_sample *x)
{
    if (s->kind == STEP_GRAY) {
        fv_to_grayscale(x->image, x->c, x->h, x->w);
        return;
    }
    const fv_color_range *cr = &s->u.color;
    if (used(cr->brightness)) fv_adjust_brightness(x->image, x->c, x->h, x->w, (float)rng_range(r, 1, cr->brightness[0], cr->brightness[1]));
    if (used(cr->contrast)) fv_adjust_contrast(x->image, x->c, x->h, x->w, (float)rng_range(r, 2, cr->contrast[0], cr->contrast[1]));
    if (used(cr->saturation)) fv_adjust_saturation(x->image, x->c, x->h, x->w, (float)rng_range(r, 3, cr->saturation[0], cr->saturation[1]));
    if (used(cr->hue)) fv_adjust_hue(x->image, x->c, x->h, x->w, (float)rng_range(r, 4, cr->hue[0], cr->hue[1]));
}
