/* What the CPU offers (src/core, so that the context and the kernels can both ask): the vector instruction set to use, and how many cores. */
#ifndef FV_FAST_CPU_H
#define FV_FAST_CPU_H

typedef enum { FV_SIMD_PORTABLE = 0, FV_SIMD_AVX2, FV_SIMD_AVX512 } fv_simd_level;

/* Chosen once from the CPU's features; FOVEA_SIMD=portable|avx2|avx512 lowers it (never above the CPU's). */
fv_simd_level fv_simd_level_get(void);
/* Cores available to this process (at least 1). */
int fv_cpu_count(void);

#endif
