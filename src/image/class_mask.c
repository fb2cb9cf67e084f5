/* Class masks of segmentation, for looking at: the class of each pixel from a model's logits, and a mask drawn
 * over its image in the Pascal VOC palette. `fovea segment` and the report's segmentation section draw with the
 * same functions, so an overlay means the same thing wherever it is shown. */
#include <math.h>
#include <stdlib.h>

#include "fovea/image.h"

void fv_class_colour(int c, uint8_t rgb[3])
{
    rgb[0] = rgb[1] = rgb[2] = 0;
    for (int j = 0; j < 8; j++, c >>= 3) /* VOC's bitget: bit 3j + k of c lands in bit 7 - j of channel k */
        for (int k = 0; k < 3; k++) rgb[k] |= (uint8_t)(((c >> k) & 1) << (7 - j));
}

uint8_t *fv_class_mask(const fv_tensor *logits, int64_t n, int height, int width)
{
    int64_t k = logits->shape[1], oh = logits->shape[2], ow = logits->shape[3], px = oh * ow;
    uint8_t *mask = malloc((size_t)height * (size_t)width);
    const float *v = fv_f32(logits) + n * k * px;
    for (int y = 0; mask && y < height; y++)
        for (int x = 0; x < width; x++) {
            int64_t p = (int64_t)y * oh / height * ow + (int64_t)x * ow / width, best = 0;
            /* fv_argmax_rows' rule (first maximum, a NaN wins), as the confusion matrix counts pixels, so a drawn
             * mask agrees with the metrics beside it */
            for (int64_t c = 1; c < k && !isnan(v[best * px + p]); c++)
                if (isnan(v[c * px + p]) || v[c * px + p] > v[best * px + p]) best = c;
            mask[y * width + x] = (uint8_t)best;
        }
    return mask;
}

uint8_t *fv_class_overlay(const uint8_t *mask, const float *image, int channels, int height, int width, float alpha)
{
    int plane = height * width;
    uint8_t *rgb = malloc((size_t)plane * 3);
    for (int p = 0; rgb && p < plane; p++) {
        uint8_t col[3];
        fv_class_colour(mask[p], col);
        for (int k = 0; k < 3; k++) {
            float v = image[(channels >= 3 ? k : 0) * plane + p];
            v = v < 0 ? 0 : v > 1 ? 255 : v * 255;
            if (mask[p]) v = (1 - alpha) * v + alpha * col[k]; /* class 0, the background, shows the image */
            rgb[3 * p + k] = (uint8_t)(v + 0.5f);
        }
    }
    return rgb;
}
