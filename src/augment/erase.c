/* Occlusion: torchvision's RandomErasing (a random rectangle of random area and aspect set to a value or to
 * noise) and Cutout (a fixed-size square around a random pixel, allowed to hang over the edges). */
#include <math.h>

#include "augment_internal.h"

/* Fill rows [y0, y1) x columns [x0, x1) of every channel; random values are draws 100 + pixel index. */
static void fill_rect(const step_rng *r, aug_sample *x, int y0, int y1, int x0, int x1, float value, bool random)
{
    size_t plane = (size_t)x->h * x->w;
    for (int k = 0; k < x->c; k++)
        for (int y = y0; y < y1; y++)
            for (int i = x0; i < x1; i++) {
                size_t at = k * plane + (size_t)y * x->w + i;
                x->image[at] = random ? (float)rng_u(r, 100 + at) : value;
            }
}

/* Ten tries of four draws each (area, aspect, top, left); torchvision keeps the image when all fail. */
void aug_apply_erase(const aug_step *s, const step_rng *r, aug_sample *x)
{
    const fv_erase_range *e = &s->u.erase;
    double area = (double)x->h * x->w, lr0 = log(e->ratio_lo), lr1 = log(e->ratio_hi);
    for (int t = 0; t < 10; t++) {
        double target = area * rng_range(r, 1 + 4 * t, e->scale_lo, e->scale_hi);
        double aspect = exp(rng_range(r, 2 + 4 * t, lr0, lr1));
        int eh = (int)lround(sqrt(target * aspect)), ew = (int)lround(sqrt(target / aspect));
        if (!(eh < x->h && ew < x->w)) continue;
        int top = rng_int(r, 3 + 4 * t, 0, x->h - eh + 1), left = rng_int(r, 4 + 4 * t, 0, x->w - ew + 1);
        fill_rect(r, x, top, top + eh, left, left + ew, e->value, e->random_value);
        return;
    }
}

void aug_apply_cutout(const aug_step *s, const step_rng *r, aug_sample *x)
{
    int shorter = x->h < x->w ? x->h : x->w;
    int side = (int)lround(s->u.size * shorter);
    if (side < 1) side = 1;
    int cy = rng_int(r, 1, 0, x->h), cx = rng_int(r, 2, 0, x->w);
    int y0 = cy - side / 2, x0 = cx - side / 2, y1 = y0 + side, x1 = x0 + side;
    y0 = y0 < 0 ? 0 : y0, x0 = x0 < 0 ? 0 : x0;
    y1 = y1 > x->h ? x->h : y1, x1 = x1 > x->w ? x->w : x1;
    fill_rect(r, x, y0, y1, x0, x1, 0, false);
}
