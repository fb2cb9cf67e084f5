/* Images as files and pixels: decoding and encoding through libjpeg-turbo and libpng (no hand-written codec),
 * EXIF orientation, colour conversion, resizing as PIL does it, and the step to a normalized float tensor. */
#ifndef FOVEA_IMAGE_H
#define FOVEA_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- decoded images ------------------------------------------------------------------------------------- */

/* The largest image decoded: width * height above this is refused from the header, before pixels are
 * allocated (a 100000 x 100000 header is an error, not an allocation). */
#define FV_IMAGE_MAX_PIXELS ((int64_t)1 << 28)

typedef enum { FV_IMAGE_UNKNOWN = 0, FV_IMAGE_PNG, FV_IMAGE_JPEG } fv_image_format;

/* Pixels row-major and interleaved: (height, width, channels) samples of depth bits (8: uint8_t, 16: uint16_t
 * in native byte order). channels: 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA. pixels is malloc'd. */
typedef struct fv_image {
    int width, height, channels, depth;
    void *pixels;
} fv_image;

/* What a file's header says, without decoding the pixels (for `fovea data inspect`). */
typedef struct {
    fv_image_format format;
    int width, height, channels, depth; /* as stored (before EXIF rotation and palette expansion: a palette PNG
                                           is 1 channel of its index depth, a CMYK JPEG 4 channels) */
    int orientation;                    /* JPEG EXIF orientation 1..8 (1 when absent) */
} fv_image_info;

/* Decode a JPEG or PNG file (recognized by its content, not its name) as stored: gray stays gray, 16-bit PNG
 * stays 16-bit, palettes expand to RGB or RGBA, a tRNS chunk becomes alpha, CMYK/YCCK JPEG is converted to RGB
 * as PIL does; a JPEG's EXIF orientation is applied (rotated/flipped upright). Errors (FV_ERR_FORMAT,
 * FV_ERR_IO, FV_ERR_NOMEM) name the path: truncated or corrupt data, not an image, zero bytes, sizes over
 * FV_IMAGE_MAX_PIXELS. out is zeroed on error. */
fv_status fv_image_read(fv_ctx *ctx, const char *path, fv_image *out);
/* The same from memory; name stands for the file in messages. */
fv_status fv_image_decode(fv_ctx *ctx, const void *data, size_t size, const char *name, fv_image *out);
/* The header only. */
fv_status fv_image_read_info(fv_ctx *ctx, const char *path, fv_image_info *out);
void fv_image_release(fv_image *im);

/* A segmentation mask: a PNG read as class ids, one 8-bit channel. An 8-bit (or 1/2/4-bit) gray PNG gives its
 * values, a palette (indexed) PNG its indices, never the palette's colours (so a Pascal VOC mask reads as its
 * classes). Refused naming the file and why: an RGB(A) mask, gray + alpha, 16-bit gray, a palette PNG without
 * its PLTE chunk, a JPEG, anything fv_image_read refuses. out is zeroed on error. */
fv_status fv_mask_read(fv_ctx *ctx, const char *path, fv_image *out);
fv_status fv_mask_decode(fv_ctx *ctx, const void *data, size_t size, const char *name, fv_image *out);

/* A copy with another channel count (1, 3 or 4; 2 is gray + alpha) and depth (8 or 16), as PIL's convert:
 * RGB to gray is PIL's fixed-point L = (R * 19595 + G * 38470 + B * 7471 + 32768) >> 16 (R * 299/1000 +
 * G * 587/1000 + B * 114/1000 rounded), alpha is dropped or set opaque, 16 to 8 bits is the high byte, 8 to 16
 * multiplies by 257. */
fv_status fv_image_convert(fv_ctx *ctx, const fv_image *in, int channels, int depth, fv_image *out);

/* Write an image as PNG (8 or 16 bit) or JPEG (8 bit; quality 1..100, 0 for 90) by the path's extension
 * (.png, .jpg, .jpeg), atomically. */
fv_status fv_image_write(fv_ctx *ctx, const char *path, const fv_image *im, int quality);

/* ---- resizing ------------------------------------------------------------------------------------------ */

typedef enum {
    FV_FILTER_NEAREST = 0,
    FV_FILTER_BILINEAR, /* antialiased when shrinking, as PIL's Image.resize (and torchvision on PIL images) */
    FV_FILTER_AREA,     /* PIL's BOX: the mean over each output pixel's footprint */
    FV_FILTER_BICUBIC   /* PIL's BICUBIC (a = -0.5), antialiased when shrinking */
} fv_resize_filter;

typedef enum {
    FV_FIT_STRETCH = 0, /* to width x height, ignoring the aspect ratio */
    FV_FIT_PAD,         /* scaled to fit inside, centred, the rest filled with pad_value */
    FV_FIT_CROP         /* scaled to cover, then the centre cropped */
} fv_fit_mode;

/* Resize to width x height with a filter; the result matches PIL's Image.resize within one grey level. */
fv_status fv_image_resize(fv_ctx *ctx, const fv_image *in, int width, int height, fv_resize_filter filter,
                          fv_image *out);
/* Resize to width x height keeping the aspect ratio by padding or centre-cropping (pad_value in the image's
 * own scale: 0..255 or 0..65535). */
fv_status fv_image_fit(fv_ctx *ctx, const fv_image *in, int width, int height, fv_resize_filter filter,
                       fv_fit_mode mode, int pad_value, fv_image *out);

/* ---- to tensors ---------------------------------------------------------------------------------------- */

/* ImageNet's per-channel statistics (RGB), as torchvision's pretrained models expect. */
extern const float fv_imagenet_mean[3], fv_imagenet_std[3];

/* The image as floats (C, H, W): each sample over its depth's maximum (x / 255 or x / 65535, torchvision's
 * ToTensor), then (x - mean[c]) / std[c] when mean and std are given. into must hold C * H * W floats. */
void fv_image_to_floats(const fv_image *im, const float *mean, const float *std, float *into);
/* The same as a new tensor of shape (C, H, W); NULL when out of memory. */
fv_tensor *fv_image_to_tensor(fv_ctx *ctx, const fv_image *im, const float *mean, const float *std);

/* ---- a model's preprocessing ------------------------------------------------------------------------------- */

/* How an image becomes a model's input. The data path (fv_image_prepare, image sets, the command line) decodes,
 * converts to the model's channels, resizes by the rule and divides by the depth's maximum, giving RGB floats in
 * [0, 1]; the model's graph then applies the rest as its first, exact step (fv_model_build): channel order,
 * x * 255 * scale, then (x - mean[c]) / std[c]. So training, evaluation and inference cannot disagree. */
#define FV_PREPROCESS_MAX_CHANNELS 16

typedef enum {
    FV_RESIZE_STRETCH = 0, /* to the input's height x width, ignoring the aspect ratio */
    FV_RESIZE_SHORTER,     /* torchvision's Resize(int): the shorter side to resize_size, the longer in proportion
                            * (truncated), then CenterCrop to the input's size */
    FV_RESIZE_PAD          /* letterbox: scaled to fit inside, centred on black (0) */
} fv_resize_rule;

typedef struct {
    int channels;        /* mean and std hold 1 (every channel) or the input's channel count; 0: no normalization */
    float mean[FV_PREPROCESS_MAX_CHANNELS], std[FV_PREPROCESS_MAX_CHANNELS];
    float scale;         /* what a sample of 0..255 is multiplied by before mean and std: 1/255 (ToTensor) */
    bool bgr;            /* the model reads blue first (Caffe's models); mean and std are then in BGR order */
    fv_resize_rule resize;
    int resize_size;     /* the shorter side (in pixels) of the resized image before a centre crop to the input's
                          * size (torchvision's Resize(256) + CenterCrop(224)); 0: the input's shorter side */
} fv_preprocess;

/* No normalization, scale 1/255, RGB, stretched: what a model without stored preprocessing gets. */
fv_preprocess fv_preprocess_defaults(void);
/* Whether the graph has nothing to do (no mean/std, scale 1/255, RGB). */
bool fv_preprocess_graph_identity(const fv_preprocess *p);
/* torchvision's ImageNet preprocessing: mean fv_imagenet_mean, std fv_imagenet_std, resize shorter 256, crop. */
fv_preprocess fv_preprocess_imagenet(void);
/* p as one line, as summaries print it: "mean 0.485,0.456,0.406 std 0.229,0.224,0.225, scale 1/255, RGB; images
 * resized: shorter side 256, centre crop". Returns buf. */
const char *fv_preprocess_describe(const fv_preprocess *p, char *buf, size_t size);

/* torchvision's Resize(size) on a PIL image: the shorter side becomes size, the other int(size * long / short)
 * (truncated, as torchvision computes it), resized with filter (bilinear: antialiased, PIL's). */
fv_status fv_image_resize_shorter(fv_ctx *ctx, const fv_image *in, int size, fv_resize_filter filter, fv_image *out);
/* torchvision's CenterCrop((height, width)): offsets round((in - out) / 2) (half to even, Python's round); a
 * side smaller than the crop is padded with 0 on both sides first, as torchvision pads. */
fv_status fv_image_center_crop(fv_ctx *ctx, const fv_image *in, int width, int height, fv_image *out);

/* One image as a model's input, the data-path half of p: converted to channels (1 or 3: gray repeated, RGB to
 * luma, alpha dropped), resized to height x width by p's rule (NULL: stretched) with PIL's antialiased bilinear
 * filter, each sample over its depth's maximum. into holds channels * height * width floats in [0, 1], RGB
 * order (the model's graph applies the channel order, scale and mean/std). */
fv_status fv_image_prepare(fv_ctx *ctx, const fv_image *im, const fv_preprocess *p, int channels, int height,
                           int width, float *into);

/* ---- writing pixels ------------------------------------------------------------------------------------ */

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

/* ---- segmentation class masks ---------------------------------------------------------------------------- */

/* Class c's colour in the Pascal VOC palette (c's bits spread over R, G and B from the high bit down): 0 black,
 * 1 dark red, 2 dark green, ..., 255 (the usual ignore value) cream. */
void fv_class_colour(int c, uint8_t rgb[3]);

/* The class of each pixel of sample n of logits (N, K, h, w) (K <= 256) at height x width, the logits' map
 * taken by nearest neighbour: the argmax over K by fv_argmax_rows' rule (first maximum, a NaN counting as the
 * largest), as fv_confusion_add_masks counts. Returns height x width bytes (malloc'd), NULL when out of memory. */
uint8_t *fv_class_mask(const fv_tensor *logits, int64_t n, int height, int width);

/* mask (height x width class ids) over image (float (C, H, W) in [0, 1], 1 or 3 channels): each pixel of a
 * class other than 0 blended with the class's colour (alpha its weight), background pixels left as the image.
 * Returns H x W x 3 RGB bytes (malloc'd), or NULL when out of memory. */
uint8_t *fv_class_overlay(const uint8_t *mask, const float *image, int channels, int height, int width, float alpha);

#ifdef __cplusplus
}
#endif
#endif
