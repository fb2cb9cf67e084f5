/* Reference kernels of adaptive average pooling over NCHW data (PyTorch's adaptive_avg_pool2d): the output
 * size is given and each output cell averages the input window that PyTorch's start/end rule assigns it. */
#ifndef FV_REF_ADAPTIVE_POOL_H
#define FV_REF_ADAPTIVE_POOL_H

#include <stdint.h>

/* Output cell o of OUT along an axis of length IN covers [floor(o*IN/OUT), ceil((o+1)*IN/OUT)): windows
 * overlap when IN is not a multiple of OUT, and repeat input cells when OUT > IN. */
int64_t fv_ref_adaptive_start(int64_t o, int64_t in, int64_t out);
int64_t fv_ref_adaptive_end(int64_t o, int64_t in, int64_t out);

/* out (N*C, OH, OW) = the mean of each window of inp (N*C, H, W); P = N*C planes. */
void fv_ref_adaptive_avg_pool2d_forward(float *out, const float *inp, int64_t P, int64_t H, int64_t W, int64_t OH,
                                        int64_t OW);
/* Accumulate (+=) into dinp (P, H, W) each dout (P, OH, OW) divided by its window's size, over the window. */
void fv_ref_adaptive_avg_pool2d_backward(float *dinp, const float *dout, int64_t P, int64_t H, int64_t W, int64_t OH,
                                         int64_t OW);

#endif
