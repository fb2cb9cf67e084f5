/* The machine's single-precision FMA peak as this code can reach it: independent FMA chains held in registers
 * on every thread, at the widest vector level the CPU has. Each thread times its own chains, after the team has
 * started (thread start-up is not FMA time) and as the best of five bursts (a burst that the host interrupts
 * says nothing about the core); the peak is the sum of the threads' rates. Usage: bench_peak [threads] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../src/core/cpu.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

__attribute__((target("avx512f"))) static float chains512(long n)
{
    __m512 a[12], x = _mm512_set1_ps(1.0000001f), y = _mm512_set1_ps(0.9999999f);
    for (int i = 0; i < 12; i++) a[i] = _mm512_set1_ps((float)i);
    for (long k = 0; k < n; k++)
#pragma GCC unroll 12
        for (int i = 0; i < 12; i++) a[i] = _mm512_fmadd_ps(a[i], x, y);
    __m512 s = a[0];
    for (int i = 1; i < 12; i++) s = _mm512_add_ps(s, a[i]);
    return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx2,fma"))) static float chains256(long n)
{
    __m256 a[12], x = _mm256_set1_ps(1.0000001f), y = _mm256_set1_ps(0.9999999f);
    for (int i = 0; i < 12; i++) a[i] = _mm256_set1_ps((float)i);
    for (long k = 0; k < n; k++)
#pragma GCC unroll 12
        for (int i = 0; i < 12; i++) a[i] = _mm256_fmadd_ps(a[i], x, y);
    float out[8];
    __m256 s = a[0];
    for (int i = 1; i < 12; i++) s = _mm256_add_ps(s, a[i]);
    _mm256_storeu_ps(out, s);
    return out[0];
}
#endif

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : fv_cpu_count();
    long n = 10000000;
    int width = 0;
    volatile float sink = 0;
    double rate = 0; /* FMA chain steps per second, summed over the threads */
#if defined(__x86_64__) && defined(__GNUC__)
    fv_simd_level level = fv_simd_level_get();
    width = level == FV_SIMD_AVX512 ? 16 : level == FV_SIMD_AVX2 ? 8 : 0;
#pragma omp parallel num_threads(threads)
    {
        double best = 1e30;
        for (int burst = 0; burst < 5; burst++) {
#pragma omp barrier
            double t0 = now();
            float r = width == 16 ? chains512(n) : width == 8 ? chains256(n) : 0;
            double t = now() - t0;
            if (t < best) best = t;
#pragma omp atomic
            sink += r;
        }
#pragma omp atomic
        rate += (double)n / best;
    }
#endif
    double gflops = 2.0 * 12 * width * rate / 1e9;
    printf("fp32 FMA peak: %.1f GFLOP/s on %d threads (%d-wide)\n", gflops, threads, width);
    return sink == 12345.0f; /* keep the result alive */
}
