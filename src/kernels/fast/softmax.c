/* Fast softmax along a contiguous axis (see softmax.h). Per line: m = max x; e_k = exp(x_k - m) (every
 * argument <= 0, where the vector exp is made for); s = sum e_k, accumulated in eight float lanes and
 * reduced in double; then y_k = e_k / s, or for log-softmax y_k = (x_k - m) - log s. NaN anywhere in a line
 * makes the whole line NaN, and so does +inf, as in the reference. */
#include "softmax.h"

#include <math.h>

#include "../../core/cpu.h"
#include "../../core/pool.h"
#include "vexp.h"

#ifdef FV_VEXP_X86
FV_AVX2 static float line_max(const float *x, int64_t C)
{
    __m256 vm = _mm256_set1_ps(-INFINITY);
    int64_t k = 0;
    for (; k + 8 <= C; k += 8) vm = _mm256_max_ps(_mm256_loadu_ps(x + k), vm);
    float lanes[8], m = -INFINITY;
    _mm256_storeu_ps(lanes, vm);
    for (int i = 0; i < 8; i++) m = lanes[i] > m ? lanes[i] : m;
    for (; k < C; k++) m = x[k] > m ? x[k] : m;
    return m; /* NaNs are passed over here; their own exp makes the sum, and so the line, NaN */
}

/* e_k = exp(x_k - m) into y, returning their sum */
FV_AVX2 static double exps(float *y, const float *x, int64_t C, float m)
{
    __m256 vs = _mm256_setzero_ps(), vm = _mm256_set1_ps(m);
    int64_t k = 0;
    for (; k + 8 <= C; k += 8) {
        __m256 e = fv_exp8(_mm256_sub_ps(_mm256_loadu_ps(x + k), vm));
        _mm256_storeu_ps(y + k, e);
        vs = _mm256_add_ps(vs, e);
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, vs);
    double s = 0.0;
    for (int i = 0; i < 8; i++) s += lanes[i];
    for (; k < C; k++) {
        y[k] = fv_exp_s(x[k] - m); /* <= 0, or NaN, which fv_exp_s keeps */
        s += y[k];
    }
    return s;
}

FV_AVX2 static void line_avx2(float *y, const float *x, int64_t C, bool log_out)
{
    float m = line_max(x, C);
    double s = exps(y, x, C, m);
    int64_t k = 0;
    if (log_out) { /* (x - m) - log s: m + log s rounded to float would lose digits of lines far from 0 */
        float ls = (float)log(s);
        __m256 vm = _mm256_set1_ps(m), vl = _mm256_set1_ps(ls);
        for (; k + 8 <= C; k += 8) _mm256_storeu_ps(y + k, _mm256_sub_ps(_mm256_sub_ps(_mm256_loadu_ps(x + k), vm), vl));
        for (; k < C; k++) y[k] = (x[k] - m) - ls;
        return;
    }
    __m256 inv = _mm256_set1_ps((float)(1.0 / s));
    for (; k + 8 <= C; k += 8) _mm256_storeu_ps(y + k, _mm256_mul_ps(_mm256_loadu_ps(y + k), inv));
    for (; k < C; k++) y[k] = (float)(y[k] / s);
}
#endif

typedef struct {
    float *out;
    const float *inp;
    int64_t C;
    bool log_out;
} softmax_job;

static void lines(void *p, int64_t l0, int64_t l1, int worker)
{
    (void)worker;
#ifdef FV_VEXP_X86
    const softmax_job *j = p;
    for (int64_t l = l0; l < l1; l++) line_avx2(j->out + l * j->C, j->inp + l * j->C, j->C, j->log_out);
#else
    (void)p, (void)l0, (void)l1;
#endif
}

bool fv_fast_softmax_forward_at(int level, int threads, float *out, const float *inp, int64_t outer, int64_t C,
                                int64_t inner, bool log_out)
{
    if (level > (int)fv_simd_level_get()) level = (int)fv_simd_level_get();
#ifdef FV_VEXP_X86
    if (level < FV_SIMD_AVX2 || inner != 1) return false;
    if (C == 0 || outer == 0) return true;
    softmax_job j = {out, inp, C, log_out};
    int64_t grain = C >= 4096 ? 1 : 4096 / C;
    fv_parallel_for(outer * C >= 16384 ? threads : 1, outer, grain, lines, &j);
    return true;
#else
    (void)threads, (void)out, (void)inp, (void)outer, (void)C, (void)log_out;
    return false;
#endif
}

bool fv_fast_softmax_forward(int threads, float *out, const float *inp, int64_t outer, int64_t C, int64_t inner,
                             bool log_out)
{
    return fv_fast_softmax_forward_at(FV_SIMD_AVX512, threads, out, inp, outer, C, inner, log_out);
}
