/* Reference adaptive average pooling: plain loops over each output cell's window, sums in double, the oracle
 * for anything faster. */
#include "adaptive_pool.h"

int64_t fv_ref_adaptive_start(int64_t o, int64_t in, int64_t out) { return o * in / out; }

int64_t fv_ref_adaptive_end(int64_t o, int64_t in, int64_t out) { return ((o + 1) * in + out - 1) / out; }

void fv_ref_adaptive_avg_pool2d_forward(float *out, const float *inp, int64_t P, int64_t H, int64_t W, int64_t OH,
                                        int64_t OW)
{
    for (int64_t plane = 0; plane < P; plane++) {
        const float *x = inp + plane * H * W;
        for (int64_t oh = 0; oh < OH; oh++) {
            int64_t h0 = fv_ref_adaptive_start(oh, H, OH), h1 = fv_ref_adaptive_end(oh, H, OH);
            for (int64_t ow = 0; ow < OW; ow++) {
                int64_t w0 = fv_ref_adaptive_start(ow, W, OW), w1 = fv_ref_adaptive_end(ow, W, OW);
                double acc = 0.0;
                for (int64_t h = h0; h < h1; h++)
                    for (int64_t w = w0; w < w1; w++) acc += x[h * W + w];
                out[(plane * OH + oh) * OW + ow] = (float)(acc / (double)((h1 - h0) * (w1 - w0)));
            }
        }
    }
}

void fv_ref_adaptive_avg_pool2d_backward(float *dinp, const float *dout, int64_t P, int64_t H, int64_t W, int64_t OH,
                                         int64_t OW)
{
    for (int64_t plane = 0; plane < P; plane++) {
        float *dx = dinp + plane * H * W;
        for (int64_t oh = 0; oh < OH; oh++) {
            int64_t h0 = fv_ref_adaptive_start(oh, H, OH), h1 = fv_ref_adaptive_end(oh, H, OH);
            for (int64_t ow = 0; ow < OW; ow++) {
                int64_t w0 = fv_ref_adaptive_start(ow, W, OW), w1 = fv_ref_adaptive_end(ow, W, OW);
                float g = (float)((double)dout[(plane * OH + oh) * OW + ow] / (double)((h1 - h0) * (w1 - w0)));
                for (int64_t h = h0; h < h1; h++)
                    for (int64_t w = w0; w < w1; w++) dx[h * W + w] += g;
            }
        }
    }
}
