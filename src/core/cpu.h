/* What the CPU offers (src/core, so that the context and the kernels can both ask): the vector instruction set to use, and how many cores. */
#ifndef FV_FAST_CPU_H
#define FV_FAST_CPU_H

#include <stdbool.h>

typedef enum { FV_SIMD_PORTABLE = 0, FV_SIMD_AVX2, FV_SIMD_AVX512 } fv_simd_level;

/* Chosen once from the CPU's features; FOVEA_SIMD=portable|avx2|avx512 lowers it (never above the CPU's). */
fv_simd_level fv_simd_level_get(void);
/* Cores available to this process (at least 1). */
int fv_cpu_count(void);
/* A kernel path's switch for comparisons: false when the environment variable `name` is "0" (FOVEA_WINOGRAD=0,
 * FOVEA_DIRECT=0), read once per variable per process. `state` is the caller's cache (initialized to -1). */
bool fv_path_enabled(const char *name, int *state);

#endif
