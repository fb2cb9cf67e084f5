/* Class masks for viewing (src/image/class_mask.c): the Pascal VOC palette's published colours, the argmax per
 * pixel by the confusion matrix's rule (first maximum, NaN first; a mask made from logits, taken as the truth,
 * scores every pixel right), nearest-neighbour scaling, and the overlay's blend over gray and RGB images. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fovea.h"
#include "test.h"

static void check_palette(void)
{
    /* VOC's colour map: background, aeroplane, bicycle, bird, ..., person (15), and 255 (the void border) */
    static const int want[][4] = {{0, 0, 0, 0},    {1, 128, 0, 0},     {2, 0, 128, 0},   {3, 128, 128, 0},
                                  {4, 0, 0, 128},  {8, 64, 0, 0},      {15, 192, 128, 128}, {20, 0, 64, 128},
                                  {255, 224, 224, 192}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        uint8_t rgb[3];
        fv_class_colour(want[i][0], rgb);
        CHECK(rgb[0] == want[i][1] && rgb[1] == want[i][2] && rgb[2] == want[i][3], "class %d is (%d, %d, %d), got "
              "(%d, %d, %d)", want[i][0], want[i][1], want[i][2], want[i][3], rgb[0], rgb[1], rgb[2]);
    }
}

static void check_argmax(void)
{
    /* logits (2, 3, 1, 2): sample 1's pixel 0 ties classes 1 and 2 (the first wins), pixel 1 has a NaN (it wins) */
    float v[] = {9, 0, 0, 0, 0, 0, /* sample 0: class 0 everywhere */
                 1, 1, 5, NAN, 5, 7};
    fv_tensor z = {FV_F32, 4, {2, 3, 1, 2}, 12, v, false};
    uint8_t *m = fv_class_mask(&z, 1, 1, 2);
    CHECK(m && m[0] == 1 && m[1] == 1, "ties to the first maximum, a NaN wins: %d %d", m ? m[0] : -1, m ? m[1] : -1);
    free(m);
    m = fv_class_mask(&z, 1, 2, 4); /* 2x4 from 1x2: each logit pixel covers 2x2 */
    static const uint8_t up[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    CHECK(m && memcmp(m, up, 8) == 0, "nearest-neighbour scaling");
    free(m);
    m = fv_class_mask(&z, 0, 1, 2);
    CHECK(m && m[0] == 0 && m[1] == 0, "sample 0 is its own");
    free(m);
}

/* A mask drawn from random logits (some NaN) is what the confusion matrix predicts: as the truth it is all right. */
static void check_agrees_with_confusion(fv_ctx *ctx)
{
    enum { K = 5, H = 6, W = 7 };
    float v[K * H * W];
    uint64_t s = 12345;
    for (int i = 0; i < K * H * W; i++) {
        s = s * 6364136223846793005u + 1442695040888963407u;
        v[i] = (float)((s >> 40) % 7) - 3; /* few distinct values: many ties */
        if (i % 37 == 5) v[i] = NAN;
    }
    fv_tensor z = {FV_F32, 4, {1, K, H, W}, K * H * W, v, false};
    uint8_t *m = fv_class_mask(&z, 0, H, W);
    int32_t y[H * W];
    for (int p = 0; m && p < H * W; p++) y[p] = m[p];
    fv_tensor labels = {FV_I32, 3, {1, H, W}, H * W, y, false};
    fv_confusion *cm = fv_confusion_new(ctx, K);
    CHECK(m && cm && fv_confusion_add_masks(cm, &z, &labels, -1) == FV_OK && fv_confusion_accuracy(cm) == 1.0,
          "the mask is the confusion matrix's prediction, pixel for pixel");
    fv_confusion_free(cm);
    free(m);
}

static void check_overlay(void)
{
    float gray[2] = {0.5f, 1.5f}; /* 1x1x2: the second pixel out of range, clipped */
    uint8_t mask[2] = {0, 1};
    uint8_t *rgb = fv_class_overlay(mask, gray, 1, 1, 2, 0.5f);
    /* background: the image (0.5 -> 128); class 1 (128, 0, 0) at weight 0.5 over 255: 191.5, 127.5, 127.5 */
    CHECK(rgb && rgb[0] == 128 && rgb[1] == 128 && rgb[2] == 128, "the background shows the image");
    CHECK(rgb && rgb[3] == 192 && rgb[4] == 128 && rgb[5] == 128, "class 1 blended: %d %d %d", rgb ? rgb[3] : -1,
          rgb ? rgb[4] : -1, rgb ? rgb[5] : -1);
    free(rgb);
    float col[3] = {0.0f, 1.0f, 0.2f}; /* 3x1x1 RGB */
    uint8_t two = 2;
    rgb = fv_class_overlay(&two, col, 3, 1, 1, 1.0f);
    CHECK(rgb && rgb[0] == 0 && rgb[1] == 128 && rgb[2] == 0, "alpha 1: the class colour alone");
    free(rgb);
    rgb = fv_class_overlay(&two, col, 3, 1, 1, 0.0f);
    CHECK(rgb && rgb[0] == 0 && rgb[1] == 255 && rgb[2] == 51, "alpha 0: the RGB image alone");
    free(rgb);
}

int main(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    check_palette();
    check_argmax();
    check_agrees_with_confusion(ctx);
    check_overlay();
    fv_ctx_free(ctx);
    return test_finish();
}
