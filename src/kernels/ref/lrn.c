/* Reference local response normalization kernels: plain loops over every channel window, in double, to
 * serve as the oracle for faster kernels. */
#include <math.h>

#include "lrn.h"

static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }
static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

void fv_ref_lrn_forward(float *out, float *den, const float *x, int64_t N, int64_t C, int64_t S, int size,
                        float alpha, float beta, float k)
{
    double a = (double)alpha / size;
    for (int64_t n = 0; n < N; n++)
        for (int64_t c = 0; c < C; c++) {
            /* PyTorch pads size/2 channels before and (size-1)/2 after, and always divides by size. */
            int64_t lo = max64(0, c - size / 2), hi = min64(C - 1, c + (size - 1) / 2);
            for (int64_t s = 0; s < S; s++) {
                double sum = 0.0;
                for (int64_t j = lo; j <= hi; j++) {
                    double v = x[(n * C + j) * S + s];
                    sum += v * v;
                }
                double d = k + a * sum;
                int64_t i = (n * C + c) * S + s;
                den[i] = (float)d;
                out[i] = (float)(x[i] * pow(d, -(double)beta));
            }
        }
}

void fv_ref_lrn_backward(float *dx, const float *dy, const float *x, const float *den, int64_t N, int64_t C,
                         int64_t S, int size, float alpha, float beta)
{
    double a = (double)alpha / size;
    for (int64_t n = 0; n < N; n++)
        for (int64_t j = 0; j < C; j++) {
            /* x_j enters the denominators of the channels c whose windows hold j: j - (size-1)/2 <= c <= j + size/2. */
            int64_t lo = max64(0, j - (size - 1) / 2), hi = min64(C - 1, j + size / 2);
            for (int64_t s = 0; s < S; s++) {
                int64_t i = (n * C + j) * S + s;
                double g = dy[i] * pow(den[i], -(double)beta), cross = 0.0;
                for (int64_t c = lo; c <= hi; c++) {
                    int64_t ic = (n * C + c) * S + s;
                    cross += (double)dy[ic] * x[ic] * pow(den[ic], -(double)beta - 1.0);
                }
                g -= 2.0 * a * beta * x[i] * cross;
                dx[i] += (float)g;
            }
        }
}
