/* Reference kernels of spatial resizing of NCHW data with PyTorch's F.interpolate conventions: 'nearest'
 * and 'bilinear' (align_corners true or false). */
#ifndef FV_REF_RESIZE_H
#define FV_REF_RESIZE_H

#include <stdbool.h>
#include <stdint.h>

/* Sizes of one resize: P = N*C planes, input (P, H, W), output (P, OH, OW). scale_h and scale_w are the scale
 * factors the caller gave (upsample), or 0 when only the output size was given; PyTorch then maps output
 * coordinates back with 1/scale instead of in/out. */
typedef struct {
    int64_t P, H, W, OH, OW;
    double scale_h, scale_w;
} fv_ref_resize_geom;

/* out (P, OH, OW) = inp (P, H, W) at source row and column src = min(floor(dst * s), in - 1), s = in/out
 * (or 1/scale) computed in float32 exactly as PyTorch's 'nearest' (with its shortcuts for out = in and
 * out = 2 in). */
void fv_ref_resize_nearest_forward(float *out, const float *inp, const fv_ref_resize_geom *p);
/* Accumulate (+=) each dout (P, OH, OW) into its source element of dinp (P, H, W). */
void fv_ref_resize_nearest_backward(float *dinp, const float *dout, const fv_ref_resize_geom *p);

/* out (P, OH, OW) = bilinear interpolation of inp (P, H, W). Source coordinate of output index d:
 * align_corners: d * (in-1)/(out-1) (0 when out = 1); else max(0, (d + 0.5) * s - 0.5), s = in/out or 1/scale. */
void fv_ref_resize_bilinear_forward(float *out, const float *inp, const fv_ref_resize_geom *p, bool align_corners);
/* Accumulate (+=) into dinp (P, H, W) each dout (P, OH, OW) times its four interpolation weights. */
void fv_ref_resize_bilinear_backward(float *dinp, const float *dout, const fv_ref_resize_geom *p, bool align_corners);

#endif
