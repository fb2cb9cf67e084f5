/* Reference kernels of resizing the trailing axes of a tensor (ONNX Resize, PyTorch F.interpolate): each axis
 * has a table of taps (source index and weight per output index); an output element is the sum, over all
 * combinations of its axes' taps, of the product of their weights times the source element. Nearest has one
 * tap per axis, linear two, cubic four. */
#ifndef FV_REF_RESAMPLE_H
#define FV_REF_RESAMPLE_H

#include <stdbool.h>
#include <stdint.h>

#include "fovea/ops_norm.h"

/* One resized axis: the taps of output index o are idx[o * taps + t] (in [0, in)) with weight w[o * taps + t]. */
typedef struct {
    int64_t in, out;
    int taps;
    const int64_t *idx;
    const double *w;
} fv_ref_resample_axis;

/* Taps per output index for a mode (1, 2 or 4). */
int fv_ref_resample_taps(fv_resample_mode mode);

/* Fill idx and w (out * taps each) for one axis of input size in (>= 1) and output size out. scale: the factor
 * the caller gave, or 0 when the output size was given (the source coordinate then uses in / out). */
void fv_ref_resample_table(int64_t *idx, double *w, const fv_resize_args *a, int64_t in, int64_t out, double scale);

/* out (P, ax[0].out, ..., ax[k-1].out) from inp (P, ax[0].in, ..., ax[k-1].in); 1 <= k <= 6. */
void fv_ref_resample_forward(float *out, const float *inp, int64_t P, int k, const fv_ref_resample_axis *ax);
/* Accumulate (+=) into dinp (P, ins...) each dout (P, outs...) times its taps' weights. */
void fv_ref_resample_backward(float *dinp, const float *dout, int64_t P, int k, const fv_ref_resample_axis *ax);

#endif
