/* The data path of a model's preprocessing against torchvision (tests/reference/gen_preprocess.py): on two real
 * photographs, Resize(S) + CenterCrop((H, W)) and Resize((H, W)) through fv_image_prepare (gray to RGB, RGB to
 * gray, shrinking, enlarging, a crop larger than the resized image, odd offsets) give torchvision's pixels within
 * 1/255, the ImageNet-normalized tensor within 1/255 / std; and the resize rules' arithmetic on sizes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "fovea.h"
#include "test.h"

#define IMAGES FIXTURE_DIR "/images"

/* The case's photo and target channels, as the generator lists them. */
static const struct {
    const char *name, *photo;
    int channels;
} CASES[] = {
    {"rgb_s64_c56", "photo_rgb.jpg", 3},          {"rgb_s97_c90x71", "photo_rgb.jpg", 3},
    {"rgb_s200_c160", "photo_rgb.jpg", 3},        {"rgb_s64_c70", "photo_rgb.jpg", 3},
    {"rgb_stretch_50x81", "photo_rgb.jpg", 3},    {"rgb_as_gray_s61_c48", "photo_rgb.jpg", 1},
    {"gray_s77_c64", "photo_gray.jpg", 1},        {"gray_as_rgb_s160_c120x100", "photo_gray.jpg", 3},
    {"gray_stretch_33x29", "photo_gray.jpg", 1},
};

/* The case's text as a preprocessing ("shorter S crop HxW" or "stretch HxW") and the target size. */
static bool parse_case(const char *text, fv_preprocess *p, int *h, int *w)
{
    *p = fv_preprocess_defaults();
    int s;
    if (sscanf(text, "shorter %d crop %dx%d", &s, h, w) == 3) return p->resize = FV_RESIZE_SHORTER, p->resize_size = s, true;
    return sscanf(text, "stretch %dx%d", h, w) == 2;
}

static void against_torchvision(fv_ctx *ctx, const fx_file *fx)
{
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        char key[96], path[256];
        snprintf(key, sizeof key, "shape:%s", CASES[i].name);
        const fv_tensor *shape = fx_get(fx, key), *px = fx_get(fx, CASES[i].name);
        snprintf(key, sizeof key, "case:%s", CASES[i].name);
        const char *text = fx_str(fx, key);
        fv_preprocess p;
        int h = 0, w = 0;
        if (!CHECK(shape && px && text && parse_case(text, &p, &h, &w), "%s in the fixture", CASES[i].name)) continue;
        const int32_t *s = fv_i32(shape);
        int c = CASES[i].channels;
        snprintf(path, sizeof path, "%s/%s", IMAGES, CASES[i].photo);
        fv_image im;
        float *x = malloc((size_t)c * (size_t)h * (size_t)w * sizeof *x);
        bool ok = x && fv_image_read(ctx, path, &im) == FV_OK;
        ok = ok && fv_image_prepare(ctx, &im, &p, c, h, w, x) == FV_OK;
        if (ok) fv_image_release(&im);
        const uint8_t *want = px->data;
        double diff = ok && s[0] == h && s[1] == w && s[2] == c ? 0 : INFINITY;
        for (int ch = 0; isfinite(diff) && ch < c; ch++)
            for (int k = 0; k < h * w; k++) diff = fmax(diff, fabs(round(x[ch * h * w + k] * 255.0) - want[k * c + ch]));
        CHECK(diff <= 1.0, "%s (%s): torchvision's pixels within 1/255: max difference %g/255 (%s)",
              CASES[i].name, text, diff, ok ? "ok" : fv_errmsg(ctx));
        if (i == 0) { /* the whole of ToTensor + Normalize */
            snprintf(key, sizeof key, "tensor:%s", CASES[i].name);
            const fv_tensor *t = fx_get(fx, key);
            double td = t && ok ? 0 : INFINITY;
            for (int ch = 0; isfinite(td) && ch < c; ch++)
                for (int k = 0; k < h * w; k++)
                    td = fmax(td, fabs((x[ch * h * w + k] - fv_imagenet_mean[ch]) / fv_imagenet_std[ch] -
                                       fv_f32(t)[ch * h * w + k]));
            CHECK(td <= 1.0 / 255 / 0.224 + 1e-5, "%s: the normalized tensor within 1/255 / std: %.3g", CASES[i].name, td);
        }
        free(x);
    }
}

/* Sizes: torchvision's int(S * long / short), the half-to-even centre offset, padding of a crop too large. */
static void sizes(fv_ctx *ctx)
{
    uint8_t px[7 * 5];
    for (int i = 0; i < 35; i++) px[i] = (uint8_t)(i + 1);
    fv_image im = {5, 7, 1, 8, px}, out;
    bool sized = fv_image_resize_shorter(ctx, &im, 3, FV_FILTER_BILINEAR, &out) == FV_OK && out.width == 3 && out.height == 4;
    CHECK(sized, "7x5 to shorter side 3: 4x3 (int(3 * 7 / 5) = 4)");
    fv_image_release(&out);
    /* 5 wide cropped to 2: offset round(1.5) = 2 (half to even); 7 high to 4: round(1.5) = 2 */
    CHECK(fv_image_center_crop(ctx, &im, 2, 4, &out) == FV_OK && ((uint8_t *)out.pixels)[0] == px[2 * 5 + 2],
          "centre crop offsets round half to even");
    fv_image_release(&out);
    /* 5 wide cropped to 4: round(0.5) = 0 */
    CHECK(fv_image_center_crop(ctx, &im, 4, 7, &out) == FV_OK && ((uint8_t *)out.pixels)[0] == px[0], "round(0.5) is 0");
    fv_image_release(&out);
    /* a crop of 8 on 5: padded 1 left, 2 right (torchvision: (8 - 5) // 2 before) */
    CHECK(fv_image_center_crop(ctx, &im, 8, 7, &out) == FV_OK && ((uint8_t *)out.pixels)[0] == 0 &&
              ((uint8_t *)out.pixels)[1] == px[0] && ((uint8_t *)out.pixels)[6] == 0 && ((uint8_t *)out.pixels)[7] == 0,
          "a crop wider than the image pads with 0, the odd column after");
    fv_image_release(&out);
    /* letterbox: a 7x5 into 10x10 is scaled to 10x7 (wide 7, high 10), centred on black */
    fv_preprocess p = fv_preprocess_defaults();
    p.resize = FV_RESIZE_PAD;
    float x[100];
    CHECK(fv_image_prepare(ctx, &im, &p, 1, 10, 10, x) == FV_OK && x[0] == 0 && x[9] == 0 && x[1] > 0,
          "pad: the sides are black, the image in the middle");
    CHECK(fv_image_prepare(ctx, &im, &p, 2, 10, 10, x) == FV_ERR_ARG && strstr(fv_errmsg(ctx), "2 channels"),
          "2 channels refused: %s", fv_errmsg(ctx));
}

int main(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fx_file *fx = fx_load(FIXTURE_DIR "/preprocess.fvx");
    if (CHECK(fx != NULL, "fixture loads")) against_torchvision(ctx, fx);
    sizes(ctx);
    fx_free(fx);
    fv_ctx_free(ctx);
    return test_finish();
}
