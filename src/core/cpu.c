/* CPU features and core count for the fast kernels. The level is read once: it depends on the machine only,
 * so a process-wide cache is no hidden state in the sense of results (every level computes the same sums in
 * the same order; only the instructions differ). */
#define _GNU_SOURCE
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu.h"
#include "fovea/core.h"

static fv_simd_level detect(void)
{
    fv_simd_level best = FV_SIMD_PORTABLE;
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) best = FV_SIMD_AVX2;
    if (__builtin_cpu_supports("avx512f")) best = FV_SIMD_AVX512;
#endif
    const char *env = getenv("FOVEA_SIMD");
    fv_simd_level want = best;
    if (env && strcmp(env, "portable") == 0) want = FV_SIMD_PORTABLE;
    else if (env && strcmp(env, "avx2") == 0) want = FV_SIMD_AVX2;
    return want < best ? want : best;
}

fv_simd_level fv_simd_level_get(void)
{
    static int level = -1; /* benign race: every thread computes the same value */
    if (level < 0) level = (int)detect();
    return (fv_simd_level)level;
}

const char *fv_simd_name(void)
{
    static const char *const names[] = {"portable", "avx2", "avx512"};
    return names[fv_simd_level_get()];
}

int fv_cpu_count(void)
{
#ifdef CPU_COUNT
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
#endif
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

bool fv_path_enabled(const char *name, int *state)
{
    if (*state < 0) { /* benign race: every thread computes the same value */
        const char *e = getenv(name);
        *state = !(e && strcmp(e, "0") == 0);
    }
    return *state;
}
