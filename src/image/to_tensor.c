/* An image as normalized floats (C, H, W), as torchvision's ToTensor then Normalize: each sample over its
 * depth's maximum, then minus the channel's mean, over its standard deviation. */
#include <stdlib.h>

#include "image_internal.h"

const float fv_imagenet_mean[3] = {0.485f, 0.456f, 0.406f};
const float fv_imagenet_std[3] = {0.229f, 0.224f, 0.225f};

void fv_image_to_floats(const fv_image *im, const float *mean, const float *std, float *into)
{
    size_t hw = (size_t)im->width * (size_t)im->height, ch = (size_t)im->channels;
    float max = im->depth == 16 ? 65535.0f : 255.0f;
    for (size_t c = 0; c < ch; c++) {
        float m = mean ? mean[c] : 0.0f, s = std ? std[c] : 1.0f;
        float *dst = into + c * hw;
        for (size_t i = 0; i < hw; i++) {
            size_t k = i * ch + c;
            float v = (im->depth == 16 ? ((const uint16_t *)im->pixels)[k] : ((const uint8_t *)im->pixels)[k]) / max;
            dst[i] = mean || std ? (v - m) / s : v;
        }
    }
}

fv_tensor *fv_image_to_tensor(fv_ctx *ctx, const fv_image *im, const float *mean, const float *std)
{
    if (!im || !im->pixels || im->channels < 1 || im->channels > 4 || (im->depth != 8 && im->depth != 16)) {
        fv_error(ctx, FV_ERR_ARG, "fv_image_to_tensor: not a valid image");
        return NULL;
    }
    int64_t shape[3] = {im->channels, im->height, im->width};
    fv_tensor *t = fv_tensor_new(ctx, FV_F32, 3, shape);
    if (t) fv_image_to_floats(im, mean, std, fv_f32(t));
    return t;
}
