/* Fast elementwise functions of the math family (ref/math.h's FV_MK_ kinds) where a benchmark showed the
 * reference's libm calls to matter: erf and exact GELU in float within 2e-6 of the reference (relative),
 * sqrt bit for bit. They return false, having touched nothing, for other kinds and below AVX2. Threaded over
 * fixed element ranges: results do not depend on the thread count. */
#ifndef FV_FAST_UNARY_H
#define FV_FAST_UNARY_H

#include <stdbool.h>
#include <stdint.h>

bool fv_fast_unary_forward(int threads, float *out, const float *x, int64_t n, int kind);
/* The same at a given vector level (an fv_simd_level, lowered to what the CPU has), for tests. */
bool fv_fast_unary_forward_at(int level, int threads, float *out, const float *x, int64_t n, int kind);

#endif
