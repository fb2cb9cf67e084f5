/* Fast float binary operators on any broadcast: the output is cut into runs along which each operand either
 * advances one element or stays on one (a bias along the last axis, x - mean(x) over it, a scalar), found once
 * from the shapes; a run is a plain loop the compiler vectorizes, and only its start needs index arithmetic.
 * The reference kernel (ref/math.c) computes every element's offsets, which cost more than the arithmetic:
 * transformers' decomposed layer norms (sub, pow, div over (L, 768) by (L, 1)) spent 7% of ViT-B/16 there.
 * Every element is computed by the same expression as the reference one, so results are bit-identical. */
#include <math.h>
#include <string.h>

#include "../../core/pool.h"
#include "binary.h"

#define D FV_BCAST_DIMS

typedef struct {
    int64_t shape[D];           /* the output's, merged: runs are along the last dimension */
    int64_t stride[2][D];       /* per operand, 0 where it is repeated */
    int nd;
    float *out;
    const float *in[2];
    int op;
} plan;

/* The same expression as ref/math.c's binary_f32 (so the results are the same bits). */
static inline float one(float x, float y, int op)
{
    switch (op) {
    case FV_MK_ADD: return x + y;
    case FV_MK_SUB: return x - y;
    case FV_MK_MUL: return x * y;
    case FV_MK_DIV: return x / y;
    case FV_MK_POW: return (float)pow(x, y);
    case FV_MK_MIN: return isnan(x) || isnan(y) ? NAN : x < y ? x : y;
    case FV_MK_MAX: return isnan(x) || isnan(y) ? NAN : x > y ? x : y;
    case FV_MK_PRELU: return x > 0.0f ? x : y * x;
    case FV_MK_MOD: {
        float r = fmodf(x, y);
        return r != 0.0f && (r < 0.0f) != (y < 0.0f) ? r + y : r;
    }
    case FV_MK_FMOD: return fmodf(x, y);
    default: return NAN;
    }
}

/* One run of n elements; sa, sb: 1 when the operand advances, 0 when it repeats. The common cases get loops of
 * their own, whose constant strides let the compiler vectorize them. */
static void run(float *o, const float *a, const float *b, int64_t n, int sa, int sb, int op)
{
#define LOOP(EXPR)                                                                                             \
    do {                                                                                                      \
        if (sa && sb)                                                                                         \
            for (int64_t i = 0; i < n; i++) { float x = a[i], y = b[i]; o[i] = (EXPR); }                      \
        else if (sa)                                                                                          \
            for (int64_t i = 0; i < n; i++) { float x = a[i], y = b[0]; o[i] = (EXPR); }                      \
        else if (sb)                                                                                          \
            for (int64_t i = 0; i < n; i++) { float x = a[0], y = b[i]; o[i] = (EXPR); }                      \
        else                                                                                                  \
            for (int64_t i = 0; i < n; i++) { float x = a[0], y = b[0]; o[i] = (EXPR); }                      \
    } while (0)
    switch (op) {
    case FV_MK_ADD: LOOP(x + y); break;
    case FV_MK_SUB: LOOP(x - y); break;
    case FV_MK_MUL: LOOP(x * y); break;
    case FV_MK_DIV: LOOP(x / y); break;
    case FV_MK_POW:
        /* x^2, the decomposed layer norm's square: the double product of two floats is exact, so rounding it to
         * float gives x * x in float, the same bits as the reference's (float)pow(x, 2.0) */
        if (!sb && b[0] == 2.0f) LOOP(x * x + 0.0f * y);
        else LOOP(one(x, y, FV_MK_POW));
        break;
    default: LOOP(one(x, y, op)); break;
    }
#undef LOOP
}

static void rows(void *arg, int64_t begin, int64_t end, int worker)
{
    (void)worker;
    const plan *p = arg;
    int last = p->nd - 1;
    int64_t n = p->shape[last];
    for (int64_t r = begin; r < end; r++) {
        int64_t rest = r, off[2] = {0, 0};
        for (int d = last - 1; d >= 0; d--) { /* the row's multi-index, last dimension excluded */
            int64_t i = rest % p->shape[d];
            rest /= p->shape[d];
            off[0] += i * p->stride[0][d], off[1] += i * p->stride[1][d];
        }
        run(p->out + r * n, p->in[0] + off[0], p->in[1] + off[1], n, p->stride[0][last] != 0,
            p->stride[1][last] != 0, p->op);
    }
}

/* Strides of the operands, then neighbouring dimensions merged where both operands move alike across them (an
 * operand repeated along both or along neither), which makes runs as long as the broadcast allows. */
static void make_plan(plan *p, const int64_t *oshape, const int64_t *ashape, const int64_t *bshape)
{
    const int64_t *s[2] = {ashape, bshape};
    int64_t st[2][D];
    for (int j = 0; j < 2; j++) {
        int64_t acc = 1;
        for (int d = D - 1; d >= 0; d--) {
            st[j][d] = s[j][d] == 1 ? 0 : acc;
            acc *= s[j][d];
        }
    }
    p->nd = 0;
    for (int d = 0; d < D; d++) {
        if (oshape[d] == 1) continue; /* contributes nothing */
        int k = p->nd - 1;
        bool merge = k >= 0;
        for (int j = 0; merge && j < 2; j++)
            merge = (st[j][d] == 0) == (p->stride[j][k] == 0) && (st[j][d] == 0 || p->stride[j][k] == st[j][d] * oshape[d]);
        if (merge) {
            p->shape[k] *= oshape[d];
            for (int j = 0; j < 2; j++) p->stride[j][k] = st[j][d];
        } else {
            p->shape[p->nd] = oshape[d];
            for (int j = 0; j < 2; j++) p->stride[j][p->nd] = st[j][d];
            p->nd++;
        }
    }
    if (p->nd == 0) { /* a single element */
        p->shape[0] = 1, p->stride[0][0] = p->stride[1][0] = 0, p->nd = 1;
    }
}

void fv_fast_binary_f32(int threads, float *out, const int64_t *oshape, const float *a, const int64_t *ashape,
                        const float *b, const int64_t *bshape, int op)
{
    plan p = {.out = out, .in = {a, b}, .op = op};
    make_plan(&p, oshape, ashape, bshape);
    int64_t n = p.shape[p.nd - 1], n_rows = 1;
    for (int d = 0; d < p.nd - 1; d++) n_rows *= p.shape[d];
    if (n_rows * n == 0) return;
    /* rows of at least 16K elements each per chunk: below that a thread costs more than it saves */
    int64_t grain = n >= (1 << 14) ? 1 : ((1 << 14) + n - 1) / n;
    fv_parallel_for(n_rows * n >= (1 << 16) ? threads : 1, n_rows, grain, rows, &p);
}
