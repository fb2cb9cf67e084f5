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

/* ---- along a strided axis (inner > 1: the class axis of (N, K, H, W) logits) ---------------------------- */

/* Eight neighbouring lines at once, one per lane: x[k inner + lane] for k < C. Per lane the same steps as a
 * contiguous line (float maximum and exponentials, the sum reduced in float here, one lane per line). */
FV_AVX2 static void lines8_forward(float *y, const float *x, int64_t C, int64_t inner, bool log_out)
{
    __m256 m = _mm256_loadu_ps(x), s = _mm256_setzero_ps();
    for (int64_t k = 1; k < C; k++) m = _mm256_max_ps(_mm256_loadu_ps(x + k * inner), m);
    for (int64_t k = 0; k < C; k++) {
        __m256 e = fv_exp8(_mm256_sub_ps(_mm256_loadu_ps(x + k * inner), m));
        if (!log_out) _mm256_storeu_ps(y + k * inner, e);
        s = _mm256_add_ps(s, e);
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, s);
    for (int i = 0; i < 8; i++) lanes[i] = log_out ? (float)log(lanes[i]) : (float)(1.0 / lanes[i]);
    __m256 v = _mm256_loadu_ps(lanes);
    for (int64_t k = 0; k < C; k++) {
        float *yk = y + k * inner;
        __m256 r = log_out ? _mm256_sub_ps(_mm256_sub_ps(_mm256_loadu_ps(x + k * inner), m), v)
                           : _mm256_mul_ps(_mm256_loadu_ps(yk), v);
        _mm256_storeu_ps(yk, r);
    }
}

/* One strided line, the scalar tail of the above. */
static void line1_forward(float *y, const float *x, int64_t C, int64_t inner, bool log_out)
{
    float m = x[0], s = 0.0f;
    for (int64_t k = 1; k < C; k++) m = x[k * inner] > m || x[k * inner] != x[k * inner] ? x[k * inner] : m;
    for (int64_t k = 0; k < C; k++) s += fv_exp_s(x[k * inner] - m);
    float ls = (float)log(s), inv = (float)(1.0 / s);
    for (int64_t k = 0; k < C; k++)
        y[k * inner] = log_out ? (x[k * inner] - m) - ls : fv_exp_s(x[k * inner] - m) * inv;
}

/* dx += dy - exp(y) sum(dy) (log-softmax) or y (dy - sum(dy y)) (softmax), eight lines a lane each. */
FV_AVX2 static void lines8_backward(float *dx, const float *dy, const float *y, int64_t C, int64_t inner,
                                    bool log_out)
{
    __m256 s = _mm256_setzero_ps();
    for (int64_t k = 0; k < C; k++) {
        __m256 d = _mm256_loadu_ps(dy + k * inner);
        s = log_out ? _mm256_add_ps(s, d) : _mm256_fmadd_ps(d, _mm256_loadu_ps(y + k * inner), s);
    }
    for (int64_t k = 0; k < C; k++) {
        __m256 d = _mm256_loadu_ps(dy + k * inner), yk = _mm256_loadu_ps(y + k * inner), g;
        if (log_out) g = _mm256_sub_ps(d, _mm256_mul_ps(fv_exp8(yk), s));
        else g = _mm256_mul_ps(yk, _mm256_sub_ps(d, s));
        _mm256_storeu_ps(dx + k * inner, _mm256_add_ps(_mm256_loadu_ps(dx + k * inner), g));
    }
}

static void line1_backward(float *dx, const float *dy, const float *y, int64_t C, int64_t inner, bool log_out)
{
    float s = 0.0f;
    for (int64_t k = 0; k < C; k++) s += log_out ? dy[k * inner] : dy[k * inner] * y[k * inner];
    for (int64_t k = 0; k < C; k++)
        dx[k * inner] += log_out ? dy[k * inner] - fv_exp_s(y[k * inner]) * s : y[k * inner] * (dy[k * inner] - s);
}

typedef struct {
    float *out;
    const float *inp, *y; /* backward: out is dx, inp is dy, y the forward's output */
    int64_t C, inner, blocks; /* blocks of 8 lines per outer index (the last one may be partial) */
    bool log_out;
} strided_job;

static void strided_blocks(void *p, int64_t b0, int64_t b1, int worker)
{
    const strided_job *j = p;
    (void)worker;
    for (int64_t b = b0; b < b1; b++) {
        int64_t o = b / j->blocks, i = b % j->blocks * 8, at = o * j->C * j->inner + i;
        if (i + 8 <= j->inner) {
            if (j->y) lines8_backward(j->out + at, j->inp + at, j->y + at, j->C, j->inner, j->log_out);
            else lines8_forward(j->out + at, j->inp + at, j->C, j->inner, j->log_out);
            continue;
        }
        for (int64_t l = 0; l < j->inner - i; l++) {
            if (j->y) line1_backward(j->out + at + l, j->inp + at + l, j->y + at + l, j->C, j->inner, j->log_out);
            else line1_forward(j->out + at + l, j->inp + at + l, j->C, j->inner, j->log_out);
        }
    }
}

static void strided_run(int threads, strided_job *j, int64_t outer)
{
    j->blocks = (j->inner + 7) / 8;
    int64_t n = outer * j->blocks, grain = 4096 / (8 * j->C) + 1;
    fv_parallel_for(n * 8 * j->C >= 16384 ? threads : 1, n, grain, strided_blocks, j);
}

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
    if (level < FV_SIMD_AVX2) return false;
    if (C == 0 || outer == 0 || inner == 0) return true;
    if (inner > 1) {
        strided_job sj = {out, inp, NULL, C, inner, 0, log_out};
        strided_run(threads, &sj, outer);
        return true;
    }
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

bool fv_fast_softmax_backward(int threads, float *dinp, const float *dout, const float *out, int64_t outer,
                              int64_t C, int64_t inner, bool log_out)
{
#ifdef FV_VEXP_X86
    if (fv_simd_level_get() < FV_SIMD_AVX2 || inner < 8) return false;
    if (C == 0 || outer == 0) return true;
    strided_job j = {dinp, dout, out, C, inner, 0, log_out};
    strided_run(threads, &j, outer);
    return true;
#else
    (void)threads, (void)dinp, (void)dout, (void)out, (void)outer, (void)C, (void)inner, (void)log_out;
    return false;
#endif
}
