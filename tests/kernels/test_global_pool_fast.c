/* Threaded global average pooling against the reference: planes of 1 to 12544 elements, the forward within
 * float rounding (the reference sums in one double chain, the fast kernel in 8 lanes), the gradient bit for
 * bit; and both bit-identical on 1, 2 and 3 threads. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/kernels/fast/global_pool.h"
#include "../../src/kernels/ref/pool.h"
#include "fovea/core.h"
#include "test.h"

static float *random_buf(int64_t n, uint64_t stream)
{
    float *x = malloc((size_t)(n ? n : 1) * sizeof(float));
    for (int64_t i = 0; i < n; i++) x[i] = (float)(fv_rng_uniform(61, stream, (uint64_t)i) * 4.0 - 1.0);
    return x;
}

int main(void)
{
    static const int64_t planes[] = {1, 3, 17, 33}, sizes[] = {1, 3, 7, 49, 196, 3137, 12544};
    int fwd = 0, bwd = 0, nondet = 0;
    for (size_t a = 0; a < 4; a++)
        for (size_t b = 0; b < 7; b++) {
            int64_t P = planes[a], S = sizes[b];
            float *x = random_buf(P * S, 1), *dy = random_buf(P, 2), *ref = malloc((size_t)P * 4);
            float *dref = random_buf(P * S, 3);
            fv_ref_global_avg_pool2d_forward(ref, x, P, S);
            fv_ref_global_avg_pool2d_backward(dref, dy, P, S);
            float *y[3], *dx[3];
            for (int t = 0; t < 3; t++) {
                y[t] = malloc((size_t)P * 4), dx[t] = random_buf(P * S, 3);
                fv_fast_global_avg_pool2d_forward(t + 1, y[t], x, P, S);
                fv_fast_global_avg_pool2d_backward(t + 1, dx[t], dy, P, S);
                if (t && (memcmp(y[t], y[0], (size_t)P * 4) || memcmp(dx[t], dx[0], (size_t)(P * S) * 4))) nondet++;
            }
            for (int64_t i = 0; i < P; i++) /* values near 1: 2 ulps */
                if (!(fabs((double)y[0][i] - ref[i]) <= 2.4e-7 * fabs((double)ref[i]) + 1e-12)) fwd++;
            if (memcmp(dx[0], dref, (size_t)(P * S) * 4)) bwd++;
            for (int t = 0; t < 3; t++) free(y[t]), free(dx[t]);
            free(x), free(dy), free(ref), free(dref);
        }
    CHECK(fwd == 0, "forward within float rounding of the reference (%d planes off)", fwd);
    CHECK(bwd == 0, "gradient equal to the reference bit for bit (%d shapes differ)", bwd);
    CHECK(nondet == 0, "bit-identical on 1, 2 and 3 threads (%d differ)", nondet);
    return test_finish();
}
