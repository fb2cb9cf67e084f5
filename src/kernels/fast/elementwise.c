/* Broadcasting add and mul for common shapes (see elementwise.h). The output is seen as (outer, mid, inner)
 * after dropping its size-1 dimensions and merging neighbours; the operand that is not full size must then
 * match it on the middle block and be repeated over the outer and inner ones (its element is the middle
 * index m). That covers equal shapes (outer = inner = 1), a per-channel (N, C, 1, 1) or (1, C, 1, 1) operand
 * against (N, C, H, W), a bias over rows (inner = 1) and a scalar. Anything else (two operands both broadcast,
 * a (N, 1, H, W) mask) is left to the reference. Loops are plain C marked `omp simd`: these kernels are
 * memory bound, so the baseline vector width does as well as AVX2 would. */
#include "elementwise.h"

#include <stddef.h>

#include "../../core/pool.h"

#define CHUNK 16384 /* elements per piece of work */
#define COLS 64     /* columns per piece of a column sum */

/* An operand's place in the output: out index (o, m, i) reads its element m. */
typedef struct {
    int64_t outer, mid, inner;
} layout;

/* Whether small (padded shape) repeats along leading and trailing dimensions of oshape only, and how. */
static bool layout_of(const int64_t *small, const int64_t *oshape, layout *l)
{
    int phase = 0; /* 0: in the leading repeated block, 1: the matched block, 2: the trailing repeated block */
    *l = (layout){1, 1, 1};
    for (int d = 0; d < FV_BCAST_DIMS; d++) {
        int64_t s = oshape[d];
        if (small[d] != s && small[d] != 1) return false;
        if (s == 1) continue;
        if (small[d] == s) {
            if (phase == 2) return false;
            phase = 1, l->mid *= s;
        } else if (phase == 0) {
            l->outer *= s;
        } else {
            phase = 2, l->inner *= s;
        }
    }
    if (l->mid == 1) l->inner *= l->outer, l->outer = 1; /* a scalar: one run */
    return true;
}

static bool full(const layout *l) { return l->outer == 1 && l->inner == 1; }

/* What a run computes: y = x + s, y = x * s, y += x, y += x * s. */
typedef enum { OP_ADD, OP_MUL, OP_ACC, OP_ACC_MUL } run_op;

/* y[k] (op)= x[k] with the one value v. The products are float products and the sums float sums, so the
 * results are the reference's bits (it rounds the exact double product once to float). */
static void run_scalar(float *y, const float *x, float v, int64_t n, run_op op)
{
    switch (op) {
    case OP_ADD:
#pragma omp simd
        for (int64_t k = 0; k < n; k++) y[k] = x[k] + v;
        break;
    case OP_MUL:
#pragma omp simd
        for (int64_t k = 0; k < n; k++) y[k] = x[k] * v;
        break;
    case OP_ACC:
#pragma omp simd
        for (int64_t k = 0; k < n; k++) y[k] += x[k];
        break;
    case OP_ACC_MUL:
#pragma omp simd
        for (int64_t k = 0; k < n; k++) y[k] += x[k] * v;
        break;
    }
}

/* y[k] (op)= x[k] with s[k] (s unused by OP_ACC). */
static void run_vector(float *y, const float *x, const float *s, int64_t n, run_op op)
{
    switch (op) {
    case OP_ADD:
#pragma omp simd
        for (int64_t k = 0; k < n; k++) y[k] = x[k] + s[k];
        break;
    case OP_MUL:
#pragma omp simd
        for (int64_t k = 0; k < n; k++) y[k] = x[k] * s[k];
        break;
    case OP_ACC:
#pragma omp simd
        for (int64_t k = 0; k < n; k++) y[k] += x[k];
        break;
    case OP_ACC_MUL:
#pragma omp simd
        for (int64_t k = 0; k < n; k++) y[k] += x[k] * s[k];
        break;
    }
}

/* y (out shape) op= big (out shape) with small placed by l (NULL for OP_ACC). */
typedef struct {
    float *y;
    const float *big, *small;
    layout l;
    run_op op;
} map_job;

/* Elements [i0, i1) in runs over which small's element is constant (inner > 1), runs along small (inner = 1),
 * or elementwise (small full size or absent). */
static void map_range(void *p, int64_t i0, int64_t i1, int worker)
{
    const map_job *j = p;
    const layout *l = &j->l;
    if (!j->small || full(l)) {
        run_vector(j->y + i0, j->big + i0, j->small ? j->small + i0 : NULL, i1 - i0, j->op);
        return;
    }
    int64_t len = l->inner > 1 ? l->inner : l->mid;
    for (int64_t i = i0; i < i1;) {
        int64_t r = i / len, end = (r + 1) * len < i1 ? (r + 1) * len : i1;
        if (l->inner > 1) run_scalar(j->y + i, j->big + i, j->small[r % l->mid], end - i, j->op);
        else run_vector(j->y + i, j->big + i, j->small + (i - r * len), end - i, j->op);
        i = end;
    }
}

static int64_t count(const int64_t *shape)
{
    int64_t n = 1;
    for (int d = 0; d < FV_BCAST_DIMS; d++) n *= shape[d];
    return n;
}

static void map(int threads, map_job *j, int64_t n)
{
    fv_parallel_for(n >= 2 * CHUNK ? threads : 1, n, CHUNK, map_range, j);
}

bool fv_fast_bcast_forward(int threads, float *out, const int64_t *oshape, const float *a, const int64_t *ashape,
                           const float *b, const int64_t *bshape, fv_bcast_op op)
{
    layout la, lb;
    if (!layout_of(ashape, oshape, &la) || !layout_of(bshape, oshape, &lb)) return false;
    /* a + b and a * b are commutative in IEEE arithmetic, bits included, so either may be the big one */
    map_job j = {.y = out, .op = op == FV_BCAST_MUL ? OP_MUL : OP_ADD};
    if (full(&la)) j.big = a, j.small = b, j.l = lb;
    else if (full(&lb)) j.big = b, j.small = a, j.l = la;
    else return false;
    map(threads, &j, count(oshape));
    return true;
}

/* ---- gradients summed over broadcast dimensions ----------------------------------------------------- */

/* lanes[k % 8] += g[k] * x[k] (x NULL: 1), in double; the products are exact. */
static void lanes_add(double *lanes, const float *g, const float *x, int64_t n)
{
    int64_t k = 0;
    for (; k + 8 <= n; k += 8) {
        if (x) {
#pragma omp simd
            for (int q = 0; q < 8; q++) lanes[q] += (double)g[k + q] * x[k + q];
        } else {
#pragma omp simd
            for (int q = 0; q < 8; q++) lanes[q] += g[k + q];
        }
    }
    for (int q = 0; k < n; k++, q++) lanes[q] += x ? (double)g[k] * x[k] : g[k];
}

static double lanes_total(const double *l)
{
    return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
}

/* dst (placed by l) += dout (out shape) times other (out shape, or NULL for 1) summed over o and i. */
typedef struct {
    float *dst;
    const float *dout, *other;
    layout l;
} sum_job;

/* dst[m] for m in [m0, m1), each summed over (o, i) in order into 8 lanes. */
static void sum_runs_range(void *p, int64_t m0, int64_t m1, int worker)
{
    const sum_job *j = p;
    const layout *l = &j->l;
    for (int64_t m = m0; m < m1; m++) {
        double lanes[8] = {0};
        for (int64_t o = 0; o < l->outer; o++) {
            int64_t at = (o * l->mid + m) * l->inner;
            lanes_add(lanes, j->dout + at, j->other ? j->other + at : NULL, l->inner);
        }
        j->dst[m] += (float)lanes_total(lanes);
    }
}

/* inner = 1: dst[m] for m in [m0, m1) are column sums of an (outer, mid) matrix; each column is summed
 * down the rows in order (the reference's order), COLS columns side by side. */
static void sum_cols_range(void *p, int64_t m0, int64_t m1, int worker)
{
    const sum_job *j = p;
    const layout *l = &j->l;
    for (; m0 < m1; m0 += COLS) { /* a call on one thread gets the whole range */
        double acc[COLS] = {0};
        int64_t w = m1 - m0 < COLS ? m1 - m0 : COLS;
        for (int64_t o = 0; o < l->outer; o++) {
            const float *g = j->dout + o * l->mid + m0, *x = j->other ? j->other + o * l->mid + m0 : NULL;
            if (x) {
#pragma omp simd
                for (int64_t k = 0; k < w; k++) acc[k] += (double)g[k] * x[k];
            } else {
#pragma omp simd
                for (int64_t k = 0; k < w; k++) acc[k] += g[k];
            }
        }
        for (int64_t k = 0; k < w; k++) j->dst[m0 + k] += (float)acc[k];
    }
}

bool fv_fast_bcast_grad(int threads, float *dst, const int64_t *dshape, const float *dout, const int64_t *oshape,
                        const float *other, const int64_t *othshape)
{
    layout ld, lo;
    if (!layout_of(dshape, oshape, &ld) || (other && !layout_of(othshape, oshape, &lo))) return false;
    int64_t n = count(oshape);
    if (n == 0) return true; /* nothing to add (and no piece size to divide by) */
    if (full(&ld)) { /* nothing to sum: dst += dout, or dout times other placed by its layout */
        map_job j = {.y = dst, .big = dout, .small = other, .op = other ? OP_ACC_MUL : OP_ACC};
        if (other) j.l = lo;
        map(threads, &j, n);
        return true;
    }
    if (other && !full(&lo)) return false; /* both broadcast: the reference's business */
    sum_job j = {dst, dout, other, ld};
    int t = n >= 2 * CHUNK ? threads : 1;
    if (ld.inner == 1) {
        fv_parallel_for(t, ld.mid, COLS, sum_cols_range, &j);
    } else {
        int64_t per = ld.outer * ld.inner, grain = per >= CHUNK ? 1 : CHUNK / per;
        fv_parallel_for(t, ld.mid, grain, sum_runs_range, &j);
    }
    return true;
}
