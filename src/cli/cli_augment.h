/* The augmentation flags that `fovea augment` and `fovea train` share (--rotate 15 --zoom 0.9:1.1 --hflip 0.5
 * ...): their table entries and the pipeline they make. The values are the spec grammar's (docs/AUGMENT.md),
 * so each flag is a string that the library's parser checks, and the flags run in the table's order. */
#ifndef FV_CLI_AUGMENT_H
#define FV_CLI_AUGMENT_H

#include "args.h"
#include "fovea.h"

#define CLI_AUG_OPT(name, metavar, help) FV_CLI_STR_OPT(name, NULL, metavar, help)
/* For a command's table: static const fv_cli_opt opts[] = {..., CLI_AUGMENT_OPTS}; */
#define CLI_AUGMENT_OPTS                                                                                          \
    CLI_AUG_OPT("crop", "P", "random resized crop (torchvision's) with probability P, resized back"),             \
    CLI_AUG_OPT("crop-scale", "LO:HI", "crop area as a fraction of the image (default 0.08:1)"),                  \
    CLI_AUG_OPT("crop-ratio", "LO:HI", "crop aspect width/height (default 0.75:1.3333)"),                         \
    CLI_AUG_OPT("rotate", "DEG[@P]", "rotation uniform in [-DEG, DEG] degrees"),                                  \
    CLI_AUG_OPT("shift", "F", "shift up to F of the width and the height"),                                       \
    CLI_AUG_OPT("shift-x", "F", "horizontal shift up to F of the width"),                                         \
    CLI_AUG_OPT("shift-y", "F", "vertical shift up to F of the height"),                                          \
    CLI_AUG_OPT("shear", "DEG", "shear uniform in [-DEG, DEG] degrees (Keras' shear)"),                           \
    CLI_AUG_OPT("zoom", "LO:HI|Z", "zoom x and y drawn apart in [LO, HI] (Z: 1-Z:1+Z; above 1 shrinks, as Keras)"), \
    CLI_AUG_OPT("fill", "MODE", "outside the image for the affine: constant, nearest, reflect or wrap"),          \
    CLI_AUG_OPT("cval", "V", "the value of --fill constant (default 0)"),                                         \
    CLI_AUG_OPT("interp", "MODE", "affine interpolation: bilinear or nearest"),                                   \
    CLI_AUG_OPT("hflip", "P", "horizontal flip with probability P"),                                              \
    CLI_AUG_OPT("vflip", "P", "vertical flip with probability P"),                                                \
    CLI_AUG_OPT("brightness", "B|LO:HI", "brightness factor in [1-B, 1+B] (torchvision's ColorJitter)"),          \
    CLI_AUG_OPT("contrast", "C|LO:HI", "contrast factor in [1-C, 1+C]"),                                          \
    CLI_AUG_OPT("saturation", "S|LO:HI", "saturation factor in [1-S, 1+S] (RGB only)"),                           \
    CLI_AUG_OPT("hue", "H|LO:HI", "hue shift in [-H, H] turns, H <= 0.5 (RGB only)"),                             \
    CLI_AUG_OPT("grayscale", "P", "grayscale with probability P (RGB only)"),                                     \
    CLI_AUG_OPT("blur", "LO:HI[@P]", "Gaussian blur, sigma in [LO, HI] pixels"),                                  \
    CLI_AUG_OPT("sharpen", "LO:HI[@P]", "sharpness factor in [LO, HI] (torchvision's; 1 unchanged)"),             \
    CLI_AUG_OPT("median", "P", "3x3 median filter with probability P"),                                           \
    CLI_AUG_OPT("noise", "LO:HI[@P]", "Gaussian noise, standard deviation in [LO, HI] (of the 0..1 scale)"),      \
    CLI_AUG_OPT("erase", "P", "random erasing (torchvision's) with probability P"),                               \
    CLI_AUG_OPT("erase-scale", "LO:HI", "erased area fraction (default 0.02:0.33)"),                              \
    CLI_AUG_OPT("erase-ratio", "LO:HI", "erased aspect height/width (default 0.3:3.3)"),                          \
    CLI_AUG_OPT("erase-value", "V|random", "value of erased pixels (default 0)"),                                 \
    CLI_AUG_OPT("cutout", "F[@P]", "cutout: a square of side F of the shorter side set to 0")

/* The pipeline of spec (may be NULL, e.g. --augment's) followed by the flags above that were given. *out is
 * NULL when neither says anything. Returns 0, or 2 after printing "prog: --zoom 'abc': zoom expects ...". */
int cli_augment_from_args(fv_ctx *ctx, const fv_cli_args *a, const char *prog, const char *spec, fv_augment **out);

#endif
