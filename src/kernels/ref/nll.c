/* Reference kernels of the negative log-likelihood loss (see nll.h): plain loops, sums in double. */
#include "nll.h"

static int64_t target_at(const void *t, bool t64, int64_t i)
{
    return t64 ? ((const int64_t *)t)[i] : ((const int32_t *)t)[i];
}

/* The sum of the weights of the targets not ignored: the mean's denominator. */
static double weight_sum(const void *target, bool t64, const float *w, int64_t ignore, int64_t count)
{
    double W = 0.0;
    for (int64_t i = 0; i < count; i++) {
        int64_t c = target_at(target, t64, i);
        if (c != ignore) W += w ? w[c] : 1.0;
    }
    return W;
}

void fv_ref_nll_forward(float *out, const float *x, const void *target, bool t64, const float *w, int64_t ignore,
                        int reduction, int64_t N, int64_t C, int64_t inner)
{
    double total = 0.0;
    for (int64_t n = 0; n < N; n++)
        for (int64_t p = 0; p < inner; p++) {
            int64_t i = n * inner + p, c = target_at(target, t64, i);
            double l = c == ignore ? 0.0 : -(w ? (double)w[c] : 1.0) * x[(n * C + c) * inner + p];
            if (reduction == 2) out[i] = (float)l;
            else total += l;
        }
    if (reduction == 1) out[0] = (float)total;
    /* no target left (all ignored, or none at all) gives 0 / 0 = NaN, as PyTorch and ONNX */
    if (reduction == 0) out[0] = (float)(total / weight_sum(target, t64, w, ignore, N * inner));
}

void fv_ref_nll_backward(float *dx, const float *dout, const float *x, const void *target, bool t64, const float *w,
                         int64_t ignore, int reduction, int64_t N, int64_t C, int64_t inner)
{
    (void)x;
    double scale = reduction == 2 ? 1.0 : dout[0];
    if (reduction == 0) {
        double W = weight_sum(target, t64, w, ignore, N * inner);
        if (W == 0.0) return; /* every target ignored: nothing depends on x */
        scale /= W;
    }
    for (int64_t n = 0; n < N; n++)
        for (int64_t p = 0; p < inner; p++) {
            int64_t i = n * inner + p, c = target_at(target, t64, i);
            if (c == ignore) continue;
            double g = (reduction == 2 ? dout[i] : scale) * (w ? (double)w[c] : 1.0);
            dx[(n * C + c) * inner + p] -= (float)g;
        }
}
