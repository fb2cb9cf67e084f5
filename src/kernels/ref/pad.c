/* Reference constant-padding kernels: fill the border, copy the interior (backward: gather the interior). */
#include "pad.h"

#include <stdbool.h>

void fv_ref_pad2d_forward(float *out, const float *inp, int64_t P, int64_t H, int64_t W, int pt, int pl, int pb,
                          int pr, float value)
{
    int64_t OH = H + pt + pb, OW = W + pl + pr;
    for (int64_t p = 0; p < P; p++)
        for (int64_t oh = 0; oh < OH; oh++)
            for (int64_t ow = 0; ow < OW; ow++) {
                int64_t h = oh - pt, w = ow - pl;
                bool inside = h >= 0 && h < H && w >= 0 && w < W;
                out[(p * OH + oh) * OW + ow] = inside ? inp[(p * H + h) * W + w] : value;
            }
}

void fv_ref_pad2d_backward(float *dinp, const float *dout, int64_t P, int64_t H, int64_t W, int pt, int pl, int pb,
                           int pr)
{
    int64_t OH = H + pt + pb, OW = W + pl + pr;
    for (int64_t p = 0; p < P; p++)
        for (int64_t h = 0; h < H; h++)
            for (int64_t w = 0; w < W; w++) dinp[(p * H + h) * W + w] += dout[(p * OH + h + pt) * OW + w + pl];
}
