/* Reference kernels of 2-D pooling over NCHW data: windowed max and average pooling with asymmetric padding,
 * and global (whole-plane) max and average pooling. */
#ifndef FV_REF_POOL_H
#define FV_REF_POOL_H

#include <stdbool.h>
#include <stdint.h>

/* The window grid: input (N, C, H, W), output (N, C, OH, OW); window (oh, ow) covers rows
 * [oh*sh - pt, oh*sh - pt + kh) and columns [ow*sw - pl, ow*sw - pl + kw) of the input. The padded extent
 * is rows [-pt, H + pb) and columns [-pl, W + pr). */
typedef struct {
    int64_t N, C, H, W, OH, OW;
    int kh, kw, sh, sw;
    int pt, pl, pb, pr; /* top, left, bottom, right */
} fv_ref_pool2d_geom;

/* out (N, C, OH, OW) = max of each window over the real input (padding counts as -inf); argmax
 * (N, C, OH, OW) = the flat index h*W + w of the first maximum in the plane (-1 for an empty window).
 * inp (N, C, H, W). NaN wins, as in PyTorch. */
void fv_ref_max_pool2d_forward(float *out, int32_t *argmax, const float *inp, const fv_ref_pool2d_geom *p);
/* Accumulate (+=) dout (N, C, OH, OW) into dinp (N, C, H, W) at forward's argmax (N, C, OH, OW). */
void fv_ref_max_pool2d_backward(float *dinp, const float *dout, const int32_t *argmax, const fv_ref_pool2d_geom *p);

/* out (N, C, OH, OW) = sum of each window over the real input / divisor; the divisor is the window clipped
 * to the padded extent when count_include_pad, else the window clipped to the real input (PyTorch's rule).
 * inp (N, C, H, W). */
void fv_ref_avg_pool2d_forward(float *out, const float *inp, const fv_ref_pool2d_geom *p, bool count_include_pad);
/* Accumulate (+=) into dinp (N, C, H, W) each dout (N, C, OH, OW) / divisor over its window. */
void fv_ref_avg_pool2d_backward(float *dinp, const float *dout, const fv_ref_pool2d_geom *p, bool count_include_pad);

/* out (P) = mean of each plane of inp (P, S); P = N*C planes of S = H*W elements. */
void fv_ref_global_avg_pool2d_forward(float *out, const float *inp, int64_t P, int64_t S);
/* Accumulate (+=) dout (P) / S into every element of dinp (P, S). */
void fv_ref_global_avg_pool2d_backward(float *dinp, const float *dout, int64_t P, int64_t S);
/* out (P) = max of each plane of inp (P, S), argmax (P) = index of its first maximum (NaN wins). */
void fv_ref_global_max_pool2d_forward(float *out, int32_t *argmax, const float *inp, int64_t P, int64_t S);
/* Accumulate (+=) dout (P) into dinp (P, S) at argmax (P). */
void fv_ref_global_max_pool2d_backward(float *dinp, const float *dout, const int32_t *argmax, int64_t P, int64_t S);

#endif
