/* Images as files: PNG writing through libpng (reading, JPEG and resizing come with the image-data work). */
#ifndef FOVEA_IMAGE_H
#define FOVEA_IMAGE_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Write 8-bit pixels (height, width, channels: 1 gray, 3 RGB or 4 RGBA, row-major) as a PNG file, atomically
 * (a temporary file renamed over path). */
fv_status fv_png_write(fv_ctx *ctx, const char *path, const uint8_t *pixels, int width, int height, int channels);

/* The same PNG bytes in memory (*out malloc'd, *len bytes). */
fv_status fv_png_encode(fv_ctx *ctx, const uint8_t *pixels, int width, int height, int channels, uint8_t **out,
                        size_t *len);

/* A heat map (h, w) in [0, 1] upsampled bilinearly to the image's size and blended over it (image: float
 * (C, H, W) in [0, 1], 1 or 3 channels) with the "jet" colour map; alpha is the map's weight. Returns
 * H x W x 3 RGB bytes (malloc'd), or NULL when out of memory. */
uint8_t *fv_heatmap_overlay(const fv_tensor *map, const float *image, int channels, int height, int width,
                            float alpha);

#ifdef __cplusplus
}
#endif
#endif
