/* fovea augment: random image augmentation for training, as a pipeline of steps built from C or from a text
 * spec ("rotate=15 zoom=0.9:1.1 hflip=0.5 blur=0.1:2@0.3"), each step with its probability and ranges, every
 * random draw taken from (seed, key) so a sample is augmented identically on any thread. Geometric steps move
 * masks and boxes with the image. The deterministic primitives under the steps are public too: they are what
 * the tests compare with scipy and torchvision. Units and conventions: docs/AUGMENT.md. */
#ifndef FOVEA_AUGMENT_H
#define FOVEA_AUGMENT_H

#include <stdbool.h>
#include <stdint.h>

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the pipeline ------------------------------------------------------------------------------------ */

/* A pipeline of steps, applied in the order they were added. Immutable once built; fv_augment_apply may run on
 * many threads at once. Errors while building go to ctx (which must outlive the pipeline). */
typedef struct fv_augment fv_augment;

fv_augment *fv_augment_new(fv_ctx *ctx);
void fv_augment_free(fv_augment *a);

/* Append the steps of a spec: whitespace-separated KEY=VALUE items (grammar and keys in docs/AUGMENT.md), e.g.
 *   "rotate=15 shift=0.1 zoom=0.9:1.1 shear=10 fill=reflect hflip=0.5 blur=0.3:1.5 erase=0.25"
 * Items of one step (rotate, shift, zoom, shear, fill, cval, interp: one affine step; brightness, contrast,
 * saturation, hue: one colour step; crop-scale with crop ...) gather into it, and the step takes the place of
 * its first item. VALUE@P sets the step's probability P. On error nothing is appended and the message names the
 * item, e.g. "augment spec: 'zoom=0.9:abc': zoom expects a number or a range LO:HI". */
fv_status fv_augment_parse(fv_augment *a, const char *spec);
int fv_augment_steps(const fv_augment *a); /* number of steps (0: identity) */
/* The pipeline as a spec that parses back to it (for logs and model files); buf gets at most len bytes. */
void fv_augment_describe(const fv_augment *a, char *buf, size_t len);

/* Augment one sample in place. image: (c, h, w) floats in [0, 1]; the size does not change. Every random number
 * is fv_rng_uniform(seed, key, step << 40 | draw): the same (seed, key) gives the same result on any thread;
 * callers pass a key that mixes epoch and sample index. masks: n_masks planes (h, w) moved by the geometric
 * steps (nearest interpolation, 0 outside the image); may be NULL. boxes: *n_boxes boxes x0, y0, x1, y1 in
 * pixel-edge coordinates (pixel (i, j) alone is j, i, j+1, i+1) replaced by the box enclosing their transformed
 * corners, clipped to the image; boxes left without area are dropped and *n_boxes lowered; may be NULL.
 * Colour steps other than brightness and contrast act only when c == 3. Errors (bad sizes, out of memory) are
 * recorded in the pipeline's context. */
fv_status fv_augment_apply(const fv_augment *a, uint64_t seed, uint64_t key, float *image, int c, int h, int w,
                           float *masks, int n_masks, float *boxes, int *n_boxes);
/* The same with one label per box (its class, say; may be NULL): labels[i] stays with box i when boxes before
 * it are dropped, so that labels[0 .. *n_boxes) belong to the boxes kept. */
fv_status fv_augment_apply_labelled(const fv_augment *a, uint64_t seed, uint64_t key, float *image, int c, int h,
                                    int w, float *masks, int n_masks, float *boxes, float *labels, int *n_boxes);

/* ---- steps from C ------------------------------------------------------------------------------------ */
/* Each builder appends one step applied with probability p in [0, 1]; ranges are checked (finite, lo <= hi,
 * within their domain) and a refusal names the parameter and its value. */

typedef enum { FV_INTERP_BILINEAR = 0, FV_INTERP_NEAREST = 1 } fv_interp; /* scipy's order 1 and 0 */

/* How pixels outside the image are made up, as Keras' fill_mode (input a b c d):
 *   CONSTANT  k k k k | a b c d | k k k k   (k = cval)
 *   NEAREST   a a a a | a b c d | d d d d
 *   REFLECT   d c b a | a b c d | d c b a   (scipy.ndimage 'reflect'; 'mirror' would repeat no edge)
 *   WRAP      a b c d | a b c d | a b c d   (scipy.ndimage 'grid-wrap') */
typedef enum { FV_FILL_CONSTANT = 0, FV_FILL_NEAREST, FV_FILL_REFLECT, FV_FILL_WRAP } fv_fill_mode;

/* Random affine as Keras' ImageDataGenerator.random_transform: all zero means identity. */
typedef struct {
    double rotation;         /* degrees: angle uniform in [-rotation, rotation] */
    double shift_x, shift_y; /* fractions of width and height: uniform in [-shift, shift] */
    double shear;            /* degrees: uniform in [-shear, shear] */
    double zoom_lo, zoom_hi; /* zx and zy drawn independently in [lo, hi] (0, 0: no zoom); > 1 shrinks content */
    fv_interp interp;
    fv_fill_mode fill;
    float cval; /* the constant of FV_FILL_CONSTANT */
} fv_affine_range;
fv_status fv_augment_add_affine(fv_augment *a, const fv_affine_range *r, double p);

fv_status fv_augment_add_flip(fv_augment *a, bool horizontal, double p);

/* torchvision's RandomResizedCrop: a crop of area fraction in [scale_lo, scale_hi] and aspect (w / h) drawn
 * log-uniformly in [ratio_lo, ratio_hi] (10 tries, then a central crop), resized back to h x w bilinearly.
 * All zero: torchvision's defaults (0.08, 1) and (3/4, 4/3). */
typedef struct {
    double scale_lo, scale_hi, ratio_lo, ratio_hi;
} fv_crop_range;
fv_status fv_augment_add_resized_crop(fv_augment *a, const fv_crop_range *r, double p);

/* Gaussian blur, sigma in pixels uniform in [lo, hi]; kernel radius round(4 sigma) (scipy's truncate=4). */
fv_status fv_augment_add_blur(fv_augment *a, double sigma_lo, double sigma_hi, double p);
/* torchvision's adjust_sharpness, factor uniform in [lo, hi]: 0 smooths, 1 is the image, 2 doubles detail. */
fv_status fv_augment_add_sharpen(fv_augment *a, double factor_lo, double factor_hi, double p);
/* Median of each 3x3 neighbourhood (edges reflected). */
fv_status fv_augment_add_median(fv_augment *a, double p);
/* Additive Gaussian noise of standard deviation uniform in [lo, hi] (units of the [0, 1] scale), clipped. */
fv_status fv_augment_add_noise(fv_augment *a, double std_lo, double std_hi, double p);

/* torchvision's ColorJitter as factor ranges (applied in this order): brightness, contrast and saturation
 * factors in [lo, hi] (1 is unchanged; {0, 0} leaves the property alone), hue shift in [lo, hi] within
 * [-0.5, 0.5] turns of the colour wheel. */
typedef struct {
    double brightness[2], contrast[2], saturation[2], hue[2];
} fv_color_range;
fv_status fv_augment_add_color(fv_augment *a, const fv_color_range *r, double p);
/* The luma (ITU-R 601: 0.2989 R + 0.587 G + 0.114 B) in all three channels. */
fv_status fv_augment_add_grayscale(fv_augment *a, double p);

/* torchvision's RandomErasing: a rectangle of area fraction in [scale] and aspect (height / width, as
 * torchvision computes it) log-uniform in [ratio] (10 tries, else nothing) set to value, or to uniform noise in [0, 1] when random_value. All-zero ranges:
 * torchvision's defaults (0.02, 0.33) and (0.3, 3.3). */
typedef struct {
    double scale_lo, scale_hi, ratio_lo, ratio_hi;
    float value;
    bool random_value;
} fv_erase_range;
fv_status fv_augment_add_erase(fv_augment *a, const fv_erase_range *r, double p);
/* Cutout (DeVries and Taylor): a square of side size * min(h, w) centred on a uniformly drawn pixel (it may
 * hang over the edges) set to 0. */
fv_status fv_augment_add_cutout(fv_augment *a, double size, double p);

/* ---- the deterministic primitives --------------------------------------------------------------------- */

/* Output pixel (x, y) (x the column, y the row, pixel centres at integers) samples the input at
 *   (m[0] x + m[1] y + m[2],  m[3] x + m[4] y + m[5])
 * with interp and fill; planes of one image (c, h, w). in and out must not overlap. The same as
 * scipy.ndimage.affine_transform(plane, [[m4, m3], [m1, m0]], offset=[m5, m2], order, mode) with modes
 * 'grid-constant', 'nearest', 'reflect', 'grid-wrap'. */
void fv_affine_warp(const float *in, int c, int h, int w, const double m[6], fv_interp interp, fv_fill_mode fill,
                    float cval, float *out);

/* One draw of the affine step: angle and shear in degrees, shifts in pixels, zooms as factors. */
typedef struct {
    double rotation, shift_x, shift_y, shear, zoom_x, zoom_y;
} fv_affine_params;
/* Its output-to-input matrix for fv_affine_warp on an h x w image, composed as Keras does (rotation, shift,
 * shear, zoom, about the centre ((w - 1) / 2, (h - 1) / 2)): input = centre + R (Sh Z (output - centre) + t). */
void fv_affine_matrix(const fv_affine_params *p, int h, int w, double m[6]);

/* The crop (top, left, ch, cw) of (c, h, w) resized to (c, oh, ow) bilinearly, half-pixel centres, edges
 * clamped: torchvision.transforms.functional.resized_crop on a tensor (a crop is never smaller than its output
 * in the augmentation, so no antialiasing is involved). */
void fv_resized_crop(const float *in, int c, int h, int w, int top, int left, int ch, int cw, float *out, int oh,
                     int ow);

/* Filters on (c, h, w): scipy.ndimage.gaussian_filter(sigma, mode='reflect', truncate=4) per plane;
 * torchvision's adjust_sharpness; scipy.ndimage.median_filter(size=3, mode='reflect') per plane. */
void fv_gaussian_blur(const float *in, int c, int h, int w, double sigma, float *out);
void fv_adjust_sharpness(const float *in, int c, int h, int w, float factor, float *out);
void fv_median3(const float *in, int c, int h, int w, float *out);

/* Colour on (c, h, w) in place, as torchvision.transforms.functional on float tensors (results clamped to
 * [0, 1]); saturation, hue and grayscale need c == 3 and do nothing otherwise. */
void fv_adjust_brightness(float *im, int c, int h, int w, float factor);
void fv_adjust_contrast(float *im, int c, int h, int w, float factor);
void fv_adjust_saturation(float *im, int c, int h, int w, float factor);
void fv_adjust_hue(float *im, int c, int h, int w, float shift);
void fv_to_grayscale(float *im, int c, int h, int w);

#ifdef __cplusplus
}
#endif
#endif
