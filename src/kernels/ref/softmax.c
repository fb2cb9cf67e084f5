/* Reference softmax kernels: the maximum is subtracted before exponentiating so that large logits cannot
 * overflow, and the normalizing sums are accumulated in double. */
#include <math.h>

#include "softmax.h"

/* One line along the axis: x[k * inner] for k < C. */
static void forward_line(float *y, const float *x, int64_t C, int64_t inner, bool log_out)
{
    double m = x[0];
    for (int64_t k = 1; k < C; k++) m = fmax(m, x[k * inner]);
    double sum = 0.0;
    for (int64_t k = 0; k < C; k++) sum += exp(x[k * inner] - m);
    double lse = m + log(sum);
    for (int64_t k = 0; k < C; k++)
        y[k * inner] = (float)(log_out ? x[k * inner] - lse : exp(x[k * inner] - lse));
}

/* softmax: dx = y (dy - sum(dy y)); log_softmax: dx = dy - exp(y) sum(dy). */
static void backward_line(float *dx, const float *dy, const float *y, int64_t C, int64_t inner, bool log_out)
{
    double s = 0.0;
    for (int64_t k = 0; k < C; k++) s += log_out ? (double)dy[k * inner] : (double)dy[k * inner] * y[k * inner];
    for (int64_t k = 0; k < C; k++) {
        double yk = y[k * inner];
        dx[k * inner] += (float)(log_out ? dy[k * inner] - exp(yk) * s : yk * (dy[k * inner] - s));
    }
}

void fv_ref_softmax_forward(float *out, const float *inp, int64_t outer, int64_t C, int64_t inner, bool log_out)
{
    if (C == 0) return; /* empty lines: nothing to normalize (and no first element to start the maximum) */
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            int64_t base = o * C * inner + i;
            forward_line(out + base, inp + base, C, inner, log_out);
        }
}

void fv_ref_softmax_backward(float *dinp, const float *dout, const float *out, int64_t outer, int64_t C,
                             int64_t inner, bool log_out)
{
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            int64_t base = o * C * inner + i;
            backward_line(dinp + base, dout + base, out + base, C, inner, log_out);
        }
}
