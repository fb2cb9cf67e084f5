/* Reference math kernels (see math.h): plain loops. Broadcasting walks the output's multi-index and keeps one
 * running offset per input, whose stride is 0 along the dimensions it repeats; gradients of broadcast inputs
 * sum over the repeated dimensions per destination element, in double, in output order. */
#include "math.h"

#include <math.h>
#include <string.h>

#define D FV_BCAST_DIMS

/* ---- walking a broadcast ---------------------------------------------------------------------------- */

typedef struct {
    const int64_t *shape;
    int64_t idx[D];
    int64_t stride[3][D]; /* per input, 0 where it is repeated */
    int64_t off[3];
    int k;
} walk;

static int64_t count(const int64_t *shape)
{
    int64_t n = 1;
    for (int d = 0; d < D; d++) n *= shape[d];
    return n;
}

static void walk_init(walk *w, const int64_t *oshape, int k, const int64_t *s0, const int64_t *s1, const int64_t *s2)
{
    const int64_t *s[3] = {s0, s1, s2};
    memset(w, 0, sizeof *w);
    w->shape = oshape;
    w->k = k;
    for (int j = 0; j < k; j++) {
        int64_t st = 1;
        for (int d = D - 1; d >= 0; d--) {
            w->stride[j][d] = s[j][d] == 1 ? 0 : st;
            st *= s[j][d];
        }
    }
}

/* Next multi-index (last dimension fastest), moving every input's offset with it. */
static void walk_next(walk *w)
{
    for (int d = D - 1; d >= 0; d--) {
        for (int j = 0; j < w->k; j++) w->off[j] += w->stride[j][d];
        if (++w->idx[d] < w->shape[d]) return;
        for (int j = 0; j < w->k; j++) w->off[j] -= w->stride[j][d] * w->shape[d];
        w->idx[d] = 0;
    }
}

/* Row-major offset of an output multi-index in a tensor of shape, repeating its size-1 dimensions. */
static int64_t offset(const int64_t *idx, const int64_t *shape)
{
    int64_t off = 0;
    for (int d = 0; d < D; d++) off = off * shape[d] + (shape[d] == 1 ? 0 : idx[d]);
    return off;
}

static void next_index(int64_t *idx, const int64_t *shape)
{
    for (int d = D - 1; d >= 0; d--) {
        if (++idx[d] < shape[d]) return;
        idx[d] = 0;
    }
}

/* dst (dshape) += sum over the output positions folding into each dst element of term(output index). The
 * positions folding into one element span the dimensions where dst has size 1 and the output does not. */
typedef double (*term_fn)(const void *ctx, const int64_t *oidx);

static void reduce_into(float *dst, const int64_t *dshape, const int64_t *oshape, term_fn term, const void *ctx)
{
    int64_t rshape[D];
    for (int d = 0; d < D; d++) rshape[d] = dshape[d] == 1 ? oshape[d] : 1;
    int64_t didx[D] = {0}, nd = count(dshape), nr = count(rshape);
    for (int64_t i = 0; i < nd; i++, next_index(didx, dshape)) {
        int64_t ridx[D] = {0}, oidx[D];
        double acc = 0.0;
        for (int64_t r = 0; r < nr; r++, next_index(ridx, rshape)) {
            for (int d = 0; d < D; d++) oidx[d] = dshape[d] == 1 ? ridx[d] : didx[d];
            acc += term(ctx, oidx);
        }
        dst[i] += (float)acc;
    }
}

/* ---- binary arithmetic ------------------------------------------------------------------------------ */

static float binary_f32(float x, float y, int op)
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
    case FV_MK_MOD: { /* fmod is exact; moving to the divisor's sign rounds once, as torch.remainder */
        float r = fmodf(x, y);
        return r != 0.0f && (r < 0.0f) != (y < 0.0f) ? r + y : r;
    }
    case FV_MK_FMOD: return fmodf(x, y);
    default: return NAN;
    }
}

void fv_ref_binary_f32(float *out, const int64_t *oshape, const float *a, const int64_t *ashape, const float *b,
                       const int64_t *bshape, int op)
{
    walk w;
    walk_init(&w, oshape, 2, ashape, bshape, NULL);
    int64_t n = count(oshape);
    for (int64_t i = 0; i < n; i++, walk_next(&w)) out[i] = binary_f32(a[w.off[0]], b[w.off[1]], op);
}

/* Integer arithmetic in the unsigned type, so overflow wraps instead of being undefined; the conversion back
 * to the signed type is two's complement on every compiler fovea supports. */
#define INT_BINARY(T, UT, TMIN)                                                                               \
    static int64_t binary_##T(T *out, const int64_t *oshape, const T *a, const int64_t *ashape, const T *b,  \
                              const int64_t *bshape, int op)                                                \
    {                                                                                                        \
        walk w;                                                                                              \
        walk_init(&w, oshape, 2, ashape, bshape, NULL);                                                      \
        int64_t n = count(oshape), zero = -1;                                                                \
        for (int64_t i = 0; i < n; i++, walk_next(&w)) {                                                     \
            T x = a[w.off[0]], y = b[w.off[1]], r = 0;                                                       \
            switch (op) {                                                                                    \
            case FV_MK_ADD: r = (T)((UT)x + (UT)y); break;                                                   \
            case FV_MK_SUB: r = (T)((UT)x - (UT)y); break;                                                   \
            case FV_MK_MUL: r = (T)((UT)x * (UT)y); break;                                                   \
            case FV_MK_DIV:                                                                                  \
                if (y == 0) {                                                                                \
                    if (zero < 0) zero = i;                                                                  \
                } else {                                                                                     \
                    r = x == TMIN && y == -1 ? TMIN : x / y;                                                 \
                }                                                                                            \
                break;                                                                                       \
            case FV_MK_MOD:                                                                                  \
            case FV_MK_FMOD:                                                                                 \
                if (y == 0) {                                                                                \
                    if (zero < 0) zero = i;                                                                  \
                } else if (y != -1) { /* x % -1 is 0, and INT_MIN % -1 is undefined in C */                   \
                    r = x % y;                                                                               \
                    if (op == FV_MK_MOD && r != 0 && (r < 0) != (y < 0)) r = (T)(r + y);                     \
                }                                                                                            \
                break;                                                                                       \
            case FV_MK_MIN: r = x < y ? x : y; break;                                                        \
            case FV_MK_MAX: r = x > y ? x : y; break;                                                        \
            default: break;                                                                                  \
            }                                                                                                \
            out[i] = r;                                                                                      \
        }                                                                                                    \
        return zero;                                                                                         \
    }

INT_BINARY(int32_t, uint32_t, INT32_MIN)
INT_BINARY(int64_t, uint64_t, INT64_MIN)

int64_t fv_ref_binary_int(void *out, const int64_t *oshape, const void *a, const int64_t *ashape, const void *b,
                          const int64_t *bshape, int op, fv_dtype dtype)
{
    if (dtype == FV_I64) return binary_int64_t(out, oshape, a, ashape, b, bshape, op);
    return binary_int32_t(out, oshape, a, ashape, b, bshape, op);
}

/* d(x op y)/dx (wrt 0) or /dy (wrt 1), PyTorch's conventions at ties and zeros. */
static double binary_deriv(double x, double y, int op, int wrt)
{
    switch (op) {
    case FV_MK_ADD: return 1.0;
    case FV_MK_SUB: return wrt ? -1.0 : 1.0;
    case FV_MK_MUL: return wrt ? x : y;
    case FV_MK_DIV: return wrt ? -x / (y * y) : 1.0 / y;
    case FV_MK_POW:
        if (wrt) return x == 0.0 && y >= 0.0 ? 0.0 : pow(x, y) * log(x);
        return y == 0.0 ? 0.0 : y * pow(x, y - 1.0);
    case FV_MK_MIN: /* the smaller one takes it all; at a tie each takes half */
        if (wrt) return x < y ? 0.0 : x == y ? 0.5 : 1.0;
        return x > y ? 0.0 : x == y ? 0.5 : 1.0;
    case FV_MK_MAX:
        if (wrt) return x > y ? 0.0 : x == y ? 0.5 : 1.0;
        return x < y ? 0.0 : x == y ? 0.5 : 1.0;
    case FV_MK_PRELU:
        if (wrt) return x > 0.0 ? 0.0 : x;
        return x > 0.0 ? 1.0 : y;
    case FV_MK_MOD: return wrt ? -floor(x / y) : 1.0; /* torch.remainder's, with the quotient in double */
    case FV_MK_FMOD: return wrt ? -trunc(x / y) : 1.0;
    default: return 0.0;
    }
}

typedef struct {
    const float *dout, *a, *b;
    const int64_t *oshape, *ashape, *bshape;
    int op, wrt;
} binary_term_ctx;

static double binary_term(const void *p, const int64_t *oidx)
{
    const binary_term_ctx *c = p;
    double g = c->dout[offset(oidx, c->oshape)];
    if (c->op == FV_MK_ADD || (c->op == FV_MK_SUB && !c->wrt)) return g;
    double d = binary_deriv(c->a[offset(oidx, c->ashape)], c->b[offset(oidx, c->bshape)], c->op, c->wrt);
    return g * d;
}

void fv_ref_binary_grad(float *dst, const float *dout, const int64_t *oshape, const float *a, const int64_t *ashape,
                        const float *b, const int64_t *bshape, int op, int wrt)
{
    binary_term_ctx c = {dout, a, b, oshape, ashape, bshape, op, wrt};
    reduce_into(dst, wrt ? bshape : ashape, oshape, binary_term, &c);
}

/* ---- comparisons, logic, where ---------------------------------------------------------------------- */

#define COMPARE(u, v, op)                                                                                   \
    ((op) == FV_MK_EQ ? (u) == (v) : (op) == FV_MK_LT ? (u) < (v) : (op) == FV_MK_LE ? (u) <= (v)          \
     : (op) == FV_MK_GT ? (u) > (v) : (u) >= (v))

#define COMPARE_LOOP(T)                                                                                     \
    do {                                                                                                    \
        const T *x = a, *y = b;                                                                             \
        for (int64_t i = 0; i < n; i++, walk_next(&w)) out[i] = COMPARE(x[w.off[0]], y[w.off[1]], op);      \
    } while (0)

void fv_ref_compare(uint8_t *out, const int64_t *oshape, const void *a, const int64_t *ashape, const void *b,
                    const int64_t *bshape, int op, fv_dtype dtype)
{
    walk w;
    walk_init(&w, oshape, 2, ashape, bshape, NULL);
    int64_t n = count(oshape);
    switch (dtype) {
    case FV_F32: COMPARE_LOOP(float); break;
    case FV_I32: COMPARE_LOOP(int32_t); break;
    case FV_I64: COMPARE_LOOP(int64_t); break;
    default: COMPARE_LOOP(uint8_t); break;
    }
}

void fv_ref_logical(uint8_t *out, const int64_t *oshape, const uint8_t *a, const int64_t *ashape, const uint8_t *b,
                    const int64_t *bshape, int op)
{
    walk w;
    walk_init(&w, oshape, op == FV_MK_NOT ? 1 : 2, ashape, op == FV_MK_NOT ? ashape : bshape, NULL);
    int64_t n = count(oshape);
    for (int64_t i = 0; i < n; i++, walk_next(&w)) {
        bool x = a[w.off[0]] != 0, y = op == FV_MK_NOT ? false : b[w.off[1]] != 0;
        out[i] = op == FV_MK_NOT ? !x : op == FV_MK_AND ? x && y : op == FV_MK_OR ? x || y : x != y;
    }
}

#define WHERE_LOOP(T)                                                                                       \
    do {                                                                                                    \
        T *o = out;                                                                                         \
        const T *x = a, *y = b;                                                                             \
        for (int64_t i = 0; i < n; i++, walk_next(&w)) o[i] = cond[w.off[0]] ? x[w.off[1]] : y[w.off[2]];   \
    } while (0)

void fv_ref_where(void *out, const int64_t *oshape, const uint8_t *cond, const int64_t *cshape, const void *a,
                  const int64_t *ashape, const void *b, const int64_t *bshape, int elem_size)
{
    walk w;
    walk_init(&w, oshape, 3, cshape, ashape, bshape);
    int64_t n = count(oshape);
    if (elem_size == 8) WHERE_LOOP(int64_t);
    else if (elem_size == 4) WHERE_LOOP(int32_t);
    else WHERE_LOOP(uint8_t);
}

typedef struct {
    const float *dout;
    const uint8_t *cond;
    const int64_t *oshape, *cshape;
    bool take;
} where_term_ctx;

static double where_term(const void *p, const int64_t *oidx)
{
    const where_term_ctx *c = p;
    bool t = c->cond[offset(oidx, c->cshape)] != 0;
    return t == c->take ? c->dout[offset(oidx, c->oshape)] : 0.0;
}

void fv_ref_where_grad(float *dst, const int64_t *dshape, const float *dout, const int64_t *oshape,
                       const uint8_t *cond, const int64_t *cshape, bool take)
{
    where_term_ctx c = {dout, cond, oshape, cshape, take};
    reduce_into(dst, dshape, oshape, where_term, &c);
}
