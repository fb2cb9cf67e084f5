/* Augmentation: the primitives against scipy.ndimage and torchvision (tests/reference/gen_augment.py: affine
 * warps in every fill mode and both interpolations, Keras' composition, blur, median, sharpness, colour, resized
 * crop), flips, masks and boxes following the image, reproducibility from (seed, key) on any thread, the
 * statistics of the random steps, and the spec parser's errors. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "fovea.h"
#include "test.h"

static double max_diff(const float *a, const float *b, int64_t n)
{
    double d = 0;
    for (int64_t i = 0; i < n; i++) d = fmax(d, fabs((double)a[i] - b[i]));
    return d;
}

/* The largest difference over pixels at least `band` pixels away from the image's edges. */
static double max_diff_inner(const float *a, const float *b, int c, int h, int w, int band)
{
    double d = 0;
    for (int k = 0; k < c; k++)
        for (int y = band; y < h - band; y++)
            for (int x = band; x < w - band; x++) {
                size_t i = ((size_t)k * h + y) * w + x;
                d = fmax(d, fabs((double)a[i] - b[i]));
            }
    return d;
}

static const char *const fill_names[] = {"constant", "nearest", "reflect", "wrap"};

/* ---- against the references ------------------------------------------------------------------------------ */

static void affine_vs_scipy(const fx_file *fx)
{
    double worst[2] = {0, 0};
    int cases = 0;
    for (int img = 0; img < 2; img++) {
        const char *name = img ? "rgb" : "gray";
        char key[96];
        snprintf(key, sizeof key, "image:%s", name);
        const fv_tensor *in = fx_get(fx, key);
        if (!CHECK(in, "fixture %s", key)) continue;
        int c = (int)in->shape[0], h = (int)in->shape[1], w = (int)in->shape[2];
        float *out = malloc((size_t)in->size * sizeof(float));
        for (int k = 0; k < 3; k++) {
            snprintf(key, sizeof key, "m:%s:%d", name, k);
            const fv_tensor *mt = fx_get(fx, key);
            if (!mt) continue;
            double m[6];
            for (int i = 0; i < 6; i++) m[i] = fv_f32(mt)[i];
            for (int order = 0; order < 2; order++)
                for (int f = 0; f < 4; f++) {
                    snprintf(key, sizeof key, "out:%s:%d:%d:%d", name, k, order, f);
                    const fv_tensor *want = fx_get(fx, key);
                    fv_affine_warp(fv_f32(in), c, h, w, m, order ? FV_INTERP_BILINEAR : FV_INTERP_NEAREST,
                                   (fv_fill_mode)f, 0.25f, out);
                    double d = max_diff(out, fv_f32(want), in->size), inner = max_diff_inner(out, fv_f32(want), c, h, w, 1);
                    worst[order] = fmax(worst[order], d);
                    cases++;
                    CHECK(order ? d < 1e-5 : d == 0,
                          "%s matrix %d, %s, fill %s: max |fovea - scipy| %.2e (%.2e away from the border)", name, k,
                          order ? "bilinear" : "nearest", fill_names[f], d, inner);
                }
        }
        free(out);
    }
    printf("affine vs scipy.ndimage.affine_transform: %d cases, max difference nearest %.2e, bilinear %.2e\n", cases,
           worst[0], worst[1]);
}

static void keras_composition(const fx_file *fx)
{
    for (int k = 0; k < 2; k++) {
        char key[64];
        snprintf(key, sizeof key, "keras:params:%d", k);
        const fv_tensor *p = fx_get(fx, key);
        snprintf(key, sizeof key, "keras:m:%d", k);
        const fv_tensor *want = fx_get(fx, key);
        if (!CHECK(p && want, "Keras fixture %d", k)) continue;
        const float *v = fv_f32(p);
        fv_affine_params ap = {v[0], v[1], v[2], v[3], v[4], v[5]};
        double m[6], d = 0;
        fv_affine_matrix(&ap, 28, 28, m);
        for (int i = 0; i < 6; i++) d = fmax(d, fabs(m[i] - fv_f32(want)[i]));
        CHECK(d < 1e-5, "rotation %g, shift %g,%g, shear %g, zoom %g,%g composed as Keras does (max diff %.1e)",
              v[0], v[1], v[2], v[3], v[4], v[5], d);
    }
}

/* A filter fn(in, c, h, w, param, out) against fixture entries named prefix:image[:param]. */
static void compare(const fx_file *fx, const char *what, const char *name, const float *got, const char *key, double tol)
{
    const fv_tensor *want = fx_get(fx, key);
    double d = want ? max_diff(got, fv_f32(want), want->size) : INFINITY;
    CHECK(d <= tol, "%s on %s: max |fovea - reference| %.2e (tolerance %.0e)", what, name, d, tol);
}

static void filters_vs_references(const fx_file *fx)
{
    for (int img = 0; img < 2; img++) {
        const char *name = img ? "rgb" : "gray";
        char key[96];
        snprintf(key, sizeof key, "image:%s", name);
        const fv_tensor *in = fx_get(fx, key);
        if (!CHECK(in, "fixture %s", key)) continue;
        int c = (int)in->shape[0], h = (int)in->shape[1], w = (int)in->shape[2];
        float *out = malloc((size_t)in->size * sizeof(float));
        static const double sigmas[2] = {0.6, 1.5};
        for (int s = 0; s < 2; s++) {
            fv_gaussian_blur(fv_f32(in), c, h, w, sigmas[s], out);
            snprintf(key, sizeof key, "blur:%s:%g", name, sigmas[s]);
            char what[64];
            snprintf(what, sizeof what, "Gaussian blur sigma %g vs scipy", sigmas[s]);
            compare(fx, what, name, out, key, 1e-6);
        }
        fv_median3(fv_f32(in), c, h, w, out);
        snprintf(key, sizeof key, "median:%s", name);
        compare(fx, "3x3 median vs scipy", name, out, key, 0);
        static const float factors[2] = {0.3f, 2.0f};
        for (int s = 0; s < 2; s++) {
            fv_adjust_sharpness(fv_f32(in), c, h, w, factors[s], out);
            snprintf(key, sizeof key, "sharpen:%s:%g", name, factors[s]);
            char what[64];
            snprintf(what, sizeof what, "sharpness %g vs torchvision", factors[s]);
            compare(fx, what, name, out, key, 1e-6);
        }
        free(out);
    }
}

typedef void (*colour_fn)(float *im, int c, int h, int w, float f);

static void colour_case(const fx_file *fx, const fv_tensor *in, const char *name, const char *op, colour_fn fn, float f)
{
    int c = (int)in->shape[0], h = (int)in->shape[1], w = (int)in->shape[2];
    float *im = malloc((size_t)in->size * sizeof(float));
    memcpy(im, in->data, (size_t)in->size * sizeof(float));
    fn(im, c, h, w, f);
    char key[96], what[64];
    snprintf(key, sizeof key, "%s:%s:%g", op, name, f);
    snprintf(what, sizeof what, "%s %g vs torchvision", op, f);
    compare(fx, what, name, im, key, 2e-6);
    free(im);
}

static void colour_vs_torchvision(const fx_file *fx)
{
    const fv_tensor *gray = fx_get(fx, "image:gray"), *rgb = fx_get(fx, "image:rgb");
    if (!CHECK(gray && rgb, "colour fixture images")) return;
    for (int img = 0; img < 2; img++) {
        const fv_tensor *in = img ? rgb : gray;
        const char *name = img ? "rgb" : "gray";
        colour_case(fx, in, name, "brightness", fv_adjust_brightness, 0.6f);
        colour_case(fx, in, name, "brightness", fv_adjust_brightness, 1.4f);
        colour_case(fx, in, name, "contrast", fv_adjust_contrast, 0.5f);
        colour_case(fx, in, name, "contrast", fv_adjust_contrast, 1.6f);
    }
    colour_case(fx, rgb, "rgb", "saturation", fv_adjust_saturation, 0.3f);
    colour_case(fx, rgb, "rgb", "saturation", fv_adjust_saturation, 1.8f);
    colour_case(fx, rgb, "rgb", "hue", fv_adjust_hue, -0.3f);
    colour_case(fx, rgb, "rgb", "hue", fv_adjust_hue, 0.1f);
    colour_case(fx, rgb, "rgb", "hue", fv_adjust_hue, 0.45f);
    float *im = malloc((size_t)rgb->size * sizeof(float));
    memcpy(im, rgb->data, (size_t)rgb->size * sizeof(float));
    fv_to_grayscale(im, 3, (int)rgb->shape[1], (int)rgb->shape[2]);
    compare(fx, "grayscale vs torchvision", "rgb", im, "grayscale:rgb", 1e-6);
    free(im);
}

static void crop_vs_torchvision(const fx_file *fx)
{
    for (int img = 0; img < 2; img++) {
        const char *name = img ? "rgb" : "gray";
        char key[96];
        snprintf(key, sizeof key, "image:%s", name);
        const fv_tensor *in = fx_get(fx, key);
        if (!in) continue;
        int c = (int)in->shape[0], h = (int)in->shape[1], w = (int)in->shape[2];
        float *out = malloc((size_t)in->size * sizeof(float));
        for (int k = 0; k < 3; k++) {
            snprintf(key, sizeof key, "crop:%s:%d", name, k);
            const fv_tensor *b = fx_get(fx, key);
            if (!b) continue;
            const int32_t *v = fv_i32(b);
            fv_resized_crop(fv_f32(in), c, h, w, v[0], v[1], v[2], v[3], out, h, w);
            snprintf(key, sizeof key, "cropped:%s:%d", name, k);
            char what[96];
            snprintf(what, sizeof what, "resized crop (%d,%d,%d,%d) vs torchvision", v[0], v[1], v[2], v[3]);
            compare(fx, what, name, out, key, 2e-6);
        }
        free(out);
    }
}

/* ---- geometry ------------------------------------------------------------------------------------------- */

static void rotation_direction(void)
{
    /* A dot right of the centre of a 9x9 image, turned by +90 degrees, ends above the centre (counter-clockwise). */
    float in[81] = {0}, out[81];
    in[4 * 9 + 7] = 1;
    fv_affine_params p = {.rotation = 90, .zoom_x = 1, .zoom_y = 1};
    double m[6];
    fv_affine_matrix(&p, 9, 9, m);
    fv_affine_warp(in, 1, 9, 9, m, FV_INTERP_BILINEAR, FV_FILL_CONSTANT, 0, out);
    CHECK(fabsf(out[1 * 9 + 4] - 1) < 1e-6, "rotation +90 moves (7, 4) to (4, 1): counter-clockwise on screen");
}

static void flips(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    int c = 2, h = 5, w = 7;
    float im[70], orig[70], ref[70];
    for (int i = 0; i < 70; i++) orig[i] = im[i] = (float)((i * 37) % 23) / 23.0f;
    fv_augment *a = fv_augment_new(ctx);
    CHECK(fv_augment_parse(a, "hflip=1") == FV_OK && fv_augment_steps(a) == 1, "hflip=1 parses");
    float box[4] = {1, 0, 3, 2};
    int nb = 1;
    fv_augment_apply(a, 1, 1, im, c, h, w, NULL, 0, box, &nb);
    double m[6] = {-1, 0, w - 1, 0, 1, 0};
    fv_affine_warp(orig, c, h, w, m, FV_INTERP_NEAREST, FV_FILL_CONSTANT, 0, ref);
    CHECK(memcmp(im, ref, sizeof im) == 0, "horizontal flip exact");
    CHECK(nb == 1 && box[0] == 4 && box[1] == 0 && box[2] == 6 && box[3] == 2, "its box 1,0,3,2 becomes 4,0,6,2 (%g,%g,%g,%g)",
          box[0], box[1], box[2], box[3]);
    fv_augment_free(a);
    a = fv_augment_new(ctx);
    fv_augment_add_flip(a, false, 1);
    memcpy(im, orig, sizeof im);
    fv_augment_apply(a, 1, 1, im, c, h, w, NULL, 0, NULL, NULL);
    double mv[6] = {1, 0, 0, 0, -1, h - 1};
    fv_affine_warp(orig, c, h, w, mv, FV_INTERP_BILINEAR, FV_FILL_CONSTANT, 0, ref);
    CHECK(memcmp(im, ref, sizeof im) == 0, "vertical flip exact");
    fv_augment_apply(a, 1, 2, im, c, h, w, NULL, 0, NULL, NULL);
    CHECK(memcmp(im, orig, sizeof im) == 0, "two vertical flips restore the image");
    fv_augment_free(a);
    fv_ctx_free(ctx);
}

/* A bright square on a dark 40x40 image, its mask and its box, through a pipeline: the mask must stay on the
 * square and the box around it. */
static void masks_and_boxes(const char *spec, bool exact)
{
    enum { H = 40, W = 40 };
    fv_ctx *ctx = fv_ctx_new(1);
    fv_augment *a = fv_augment_new(ctx);
    if (!CHECK(fv_augment_parse(a, spec) == FV_OK, "'%s' parses (%s)", spec, fv_errmsg(ctx))) return;
    int bad_pixels = 0, outside = 0, kept = 0, loose = 0;
    for (uint64_t key = 0; key < 40; key++) {
        static float im[H * W], mask[2 * H * W];
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                bool in = y >= 12 && y < 22 && x >= 20 && x < 28;
                im[y * W + x] = mask[y * W + x] = in ? 1.0f : 0.0f;
                mask[H * W + y * W + x] = 1; /* a second mask: everything */
            }
        float boxes[8] = {20, 12, 28, 22, 0, 0, 2, 2};
        int nb = 2;
        fv_augment_apply(a, 9, key, im, 1, H, W, mask, 2, boxes, &nb);
        int x0 = W, y0 = H, x1 = -1, y1 = -1;
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                bool m = mask[y * W + x] > 0.5f;
                if (exact ? (m != (im[y * W + x] > 0.5f)) : ((m && im[y * W + x] < 0.25f) || (!m && im[y * W + x] > 0.75f)))
                    bad_pixels++;
                if (m) x0 = x < x0 ? x : x0, y0 = y < y0 ? y : y0, x1 = x > x1 ? x : x1, y1 = y > y1 ? y : y1;
            }
        if (x1 < 0) continue; /* the square left the image */
        kept++;
        /* The first box is the square's (the corner box may have been dropped after it). */
        const float *b = boxes;
        /* Mask pixels are those whose centres land in the square, so the box holds their centres. */
        if (nb < 1 || b[0] > x0 + 0.5 + 1e-3 || b[1] > y0 + 0.5 + 1e-3 || b[2] < x1 + 0.5 - 1e-3 || b[3] < y1 + 0.5 - 1e-3)
            outside++;
        if (nb >= 1 && (b[2] - b[0]) * (b[3] - b[1]) > 2.5 * (x1 + 1 - x0) * (y1 + 1 - y0) + 16) loose++;
    }
    CHECK(kept > 20 && bad_pixels == 0 && outside == 0 && loose == 0,
          "'%s': over %d keys the mask stays on the square (%d pixels off) and its box encloses it (%d not, %d loose)",
          spec, kept, bad_pixels, outside, loose);
    fv_augment_free(a);
    fv_ctx_free(ctx);
}

/* ---- randomness ------------------------------------------------------------------------------------------ */

#define RH 24
#define RW 24
static const char *const full_spec =
    "crop=0.5 rotate=20 shift=0.1 zoom=0.8:1.2 shear=8 fill=reflect hflip=0.5 vflip=0.2 brightness=0.3 contrast=0.3 "
    "saturation=0.4 hue=0.1 grayscale=0.1 blur=0.1:1.2@0.5 sharpen=0.5:2@0.3 median=0.2 noise=0.01:0.05@0.5 "
    "erase=0.5 erase-value=random cutout=0.3@0.3";

static void fill_rgb(float *im)
{
    for (int i = 0; i < 3 * RH * RW; i++) im[i] = (float)((i * 7919) % 101) / 100.0f;
}

typedef struct {
    const fv_augment *a;
    uint64_t first;
    float *out; /* 8 samples */
} job;

static void *worker(void *arg)
{
    job *j = arg;
    for (int s = 0; s < 8; s++) {
        float *im = j->out + (size_t)s * 3 * RH * RW;
        fill_rgb(im);
        fv_augment_apply(j->a, 42, j->first + (uint64_t)s, im, 3, RH, RW, NULL, 0, NULL, NULL);
    }
    return NULL;
}

static void reproducible(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fv_augment *a = fv_augment_new(ctx);
    CHECK(fv_augment_parse(a, full_spec) == FV_OK, "the full spec parses (%s)", fv_errmsg(ctx));
    CHECK(fv_augment_steps(a) == 12, "into 12 steps (%d)", fv_augment_steps(a));
    size_t n = 3 * RH * RW;
    float *serial = malloc(32 * n * sizeof(float)), *threaded = malloc(32 * n * sizeof(float));
    job jobs[4];
    for (int t = 0; t < 4; t++) jobs[t] = (job){a, (uint64_t)t * 8, serial + (size_t)t * 8 * n};
    for (int t = 3; t >= 0; t--) worker(&jobs[t]);
    pthread_t th[4];
    for (int t = 0; t < 4; t++) {
        jobs[t].out = threaded + (size_t)t * 8 * n;
        pthread_create(&th[t], NULL, worker, &jobs[t]);
    }
    for (int t = 0; t < 4; t++) pthread_join(th[t], NULL);
    CHECK(memcmp(serial, threaded, 32 * n * sizeof(float)) == 0, "32 samples on 4 threads equal the serial ones bit for bit");
    int same = 0;
    for (int s = 1; s < 32; s++) same += memcmp(serial, serial + s * n, n * sizeof(float)) == 0;
    CHECK(same == 0, "different keys give different samples (%d equal to key 0)", same);
    float *other = malloc(n * sizeof(float));
    fill_rgb(other);
    fv_augment_apply(a, 43, 0, other, 3, RH, RW, NULL, 0, NULL, NULL);
    CHECK(memcmp(other, serial, n * sizeof(float)) != 0, "another seed gives another sample");
    bool in_range = true;
    for (size_t i = 0; i < 32 * n; i++) in_range = in_range && serial[i] >= 0 && serial[i] <= 1;
    CHECK(in_range, "values stay in [0, 1]");
    /* describe -> parse gives the same pipeline. */
    char desc[2048];
    fv_augment_describe(a, desc, sizeof desc);
    fv_augment *b = fv_augment_new(ctx);
    CHECK(fv_augment_parse(b, desc) == FV_OK && fv_augment_steps(b) == 12, "its description parses back (%s)", fv_errmsg(ctx));
    fill_rgb(other);
    fv_augment_apply(b, 42, 0, other, 3, RH, RW, NULL, 0, NULL, NULL);
    CHECK(memcmp(other, serial, n * sizeof(float)) == 0, "and augments identically: %s", desc);
    fv_augment_free(b);
    free(other), free(serial), free(threaded);
    fv_augment_free(a);
    fv_ctx_free(ctx);
}

/* Apply spec to a flat 0.5 grey 64x64 image for n keys; count samples changed; last sample left in im. */
static int changed_count(const char *spec, int n, float *im, int c)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fv_augment *a = fv_augment_new(ctx);
    fv_augment_parse(a, spec);
    int changed = 0;
    for (int k = 0; k < n; k++) {
        for (int i = 0; i < c * 64 * 64; i++) im[i] = 0.5f;
        fv_augment_apply(a, 5, (uint64_t)k, im, c, 64, 64, NULL, 0, NULL, NULL);
        bool diff = false;
        for (int i = 0; i < c * 64 * 64; i++) diff = diff || im[i] != 0.5f;
        changed += diff;
    }
    fv_augment_free(a);
    fv_ctx_free(ctx);
    return changed;
}

static void statistics(void)
{
    static float im[3 * 64 * 64];
    int n = changed_count("erase=0.3", 1000, im, 1);
    CHECK(n > 250 && n < 350, "erase=0.3 erases about 30%% of 1000 samples (%d)", n);
    changed_count("noise=0.05@1", 1, im, 1);
    double s = 0, s2 = 0;
    for (int i = 0; i < 4096; i++) s += im[i] - 0.5, s2 += (im[i] - 0.5) * (im[i] - 0.5);
    double mean = s / 4096, sd = sqrt(s2 / 4096 - mean * mean);
    CHECK(fabs(mean) < 0.004 && fabs(sd - 0.05) < 0.004, "noise=0.05: mean %.4f, standard deviation %.4f", mean, sd);
    int areas_ok = 1;
    for (int k = 0; k < 50; k++) {
        changed_count("erase=1 erase-scale=0.1:0.2 erase-value=0", 1, im, 1);
        int z = 0;
        for (int i = 0; i < 4096; i++) z += im[i] == 0;
        /* rounding the sides moves the area a little */
        areas_ok = areas_ok && z >= 0.08 * 4096 && z <= 0.23 * 4096;
    }
    CHECK(areas_ok, "erased areas within the scale range 0.1:0.2 (up to rounding of the sides)");
    changed_count("cutout=0.25", 1, im, 1);
    int z = 0;
    for (int i = 0; i < 4096; i++) z += im[i] == 0;
    CHECK(z > 0 && z <= 16 * 16, "cutout=0.25 of 64 px blanks at most a 16x16 square (%d pixels)", z);
    CHECK(changed_count("crop=1 crop-scale=1:1 crop-ratio=1:1", 20, im, 1) == 0, "a whole-image crop changes nothing");
    CHECK(changed_count("hue=0.3 saturation=0.5 grayscale=1", 20, im, 1) == 0, "hue, saturation, grayscale leave one channel alone");
    CHECK(changed_count("", 5, im, 3) == 0, "an empty pipeline is the identity");
    CHECK(changed_count("rotate=30@0 hflip=0", 50, im, 3) == 0, "probability 0 never applies");
}

/* ---- errors --------------------------------------------------------------------------------------------- */

static void parse_error(const char *spec, const char *want)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fv_augment *a = fv_augment_new(ctx);
    fv_augment_parse(a, "hflip=0.5");
    fv_status s = fv_augment_parse(a, spec);
    CHECK(s == FV_ERR_ARG && strstr(fv_errmsg(ctx), want) && fv_augment_steps(a) == 1, "'%s' refused: %s", spec,
          fv_errmsg(ctx));
    fv_augment_free(a);
    fv_ctx_free(ctx);
}

static void errors(void)
{
    parse_error("zoom=0.9:abc", "'zoom=0.9:abc': zoom expects a number or a range LO:HI");
    parse_error("rotate=-5", "'rotate=-5': rotate expects a number in [0, 180] (degrees)");
    parse_error("rotate=15 blur=nan", "'blur=nan'");
    parse_error("blur=2:1", "blur range 2:1 has LO > HI");
    parse_error("noise=-0.1:0.2", "'noise=-0.1:0.2': noise range -0.1:0.2 is outside [0, 1]");
    parse_error("brightness=-0.2", "brightness amount -0.2 is negative");
    parse_error("hue=0.7", "'hue=0.7': hue range -0.7:0.7 is outside [-0.5, 0.5] (turns)");
    parse_error("fill=mirror", "'fill=mirror': fill expects one of constant|nearest|reflect|wrap");
    parse_error("rotat=5", "unknown key 'rotat'");
    parse_error("rotate=5 rotate=6", "rotate is given twice");
    parse_error("hflip=0.5@0.3", "hflip takes its probability as its value");
    parse_error("hflip=1.5", "'hflip=1.5': hflip expects a number in [0, 1] (probability)");
    parse_error("rotate=10@0.5 zoom=0.9:1.1@0.3", "already given as 0.5 by 'rotate=10@0.5'");
    parse_error("blur=1@2", "the probability after @ must be a number in [0, 1]");
    parse_error("erase-value=2", "erase-value expects a value in [0, 1] or 'random'");
    parse_error("rotate", "'rotate': expected KEY=VALUE");
    parse_error("zoom=0:1", "zoom range 0:1 is outside [0.01, 100]");
    fv_ctx *ctx = fv_ctx_new(1);
    fv_augment *a = fv_augment_new(ctx);
    fv_affine_range r = {.rotation = NAN};
    CHECK(fv_augment_add_affine(a, &r, 1) == FV_ERR_ARG && strstr(fv_errmsg(ctx), "rotation (degrees) nan"), "C builder: %s", fv_errmsg(ctx));
    CHECK(fv_augment_add_blur(a, 0.5, 0.1, 1) == FV_ERR_ARG && strstr(fv_errmsg(ctx), "blur sigma"), "C builder: %s", fv_errmsg(ctx));
    CHECK(fv_augment_add_flip(a, true, -0.1) == FV_ERR_ARG && strstr(fv_errmsg(ctx), "probability -0.1"), "C builder: %s", fv_errmsg(ctx));
    float im[4] = {0};
    fv_augment_add_flip(a, true, 1);
    CHECK(fv_augment_apply(a, 1, 1, im, 0, 2, 2, NULL, 0, NULL, NULL) == FV_ERR_ARG && strstr(fv_errmsg(ctx), "bad image (0, 2, 2)"),
          "apply refuses 0 channels: %s", fv_errmsg(ctx));
    CHECK(fv_augment_apply(a, 1, 1, im, 1, 2, 2, NULL, 3, NULL, NULL) == FV_ERR_ARG, "apply refuses masks without data");
    fv_augment_free(a);
    fv_ctx_free(ctx);
}

int main(void)
{
    fx_file *affine = fx_load(FIXTURE_DIR "/augment_affine.fvx");
    fx_file *filters = fx_load(FIXTURE_DIR "/augment_filters.fvx");
    fx_file *colour = fx_load(FIXTURE_DIR "/augment_colour.fvx");
    if (CHECK(affine && filters && colour, "augmentation fixtures load")) {
        affine_vs_scipy(affine);
        keras_composition(affine);
        filters_vs_references(filters);
        colour_vs_torchvision(colour);
        crop_vs_torchvision(colour);
    }
    fx_free(affine), fx_free(filters), fx_free(colour);
    rotation_direction();
    flips();
    masks_and_boxes("rotate=40 shift=0.2 zoom=0.7:1.3 shear=15 interp=nearest hflip=0.5 vflip=0.5", true);
    masks_and_boxes("crop=1 crop-scale=0.3:1 hflip=0.5", false);
    masks_and_boxes("rotate=25 zoom=0.8:1.2 shift=0.1 vflip=0.5", false);
    reproducible();
    statistics();
    errors();
    return test_finish();
}
