/* The fast broadcasting kernels against the reference: add and mul forward and both inputs' gradients on
 * equal shapes, per-channel (N, C, 1, 1) and (1, C, 1, 1) operands on either side, row biases, scalars and
 * size-1 tensors with odd sizes; the forward and full-size gradients bit for bit, the summed gradients within
 * double rounding; shapes the fast kernels do not take are declined before anything is written; and every
 * result bit-identical on 1, 2 and 3 threads. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/kernels/fast/elementwise.h"
#include "../../src/kernels/ref/broadcast.h"
#include "fovea/core.h"
#include "test.h"

typedef struct {
    int na, nb;
    int64_t a[5], b[5];
    bool fast; /* whether the fast kernels take it */
} bcase;

static const bcase cases[] = {
    {3, 3, {3, 7, 17}, {3, 7, 17}, true},
    {4, 4, {2, 5, 7, 9}, {2, 5, 1, 1}, true},
    {4, 4, {2, 5, 7, 9}, {1, 5, 1, 1}, true},
    {4, 4, {1, 33, 1, 1}, {3, 33, 7, 3}, true},
    {4, 1, {3, 5, 7, 3}, {3}, true},
    {2, 1, {3, 17}, {17}, true},
    {2, 2, {33, 17}, {33, 1}, true},
    {1, 1, {33}, {1}, true},
    {3, 1, {2, 3, 4}, {1}, true},
    {1, 1, {1}, {1}, true},
    {4, 4, {2, 33, 33, 17}, {2, 33, 1, 1}, true}, /* large enough to be threaded */
    {4, 4, {1, 96, 1, 1}, {1, 96, 23, 21}, true},
    {4, 4, {1, 1, 1, 7}, {1, 1, 7, 7}, true},
    {3, 3, {2, 1, 7}, {1, 5, 1}, false},
    {4, 4, {2, 5, 7, 9}, {2, 1, 7, 9}, false},
};

static float *values(int64_t n, uint64_t stream)
{
    float *x = malloc((size_t)(n ? n : 1) * sizeof(float));
    for (int64_t i = 0; i < n; i++) x[i] = (float)(fv_rng_uniform(41, stream, (uint64_t)i) * 4.0 - 2.0);
    return x;
}

static int64_t count(const int64_t *s)
{
    int64_t n = 1;
    for (int d = 0; d < FV_BCAST_DIMS; d++) n *= s[d];
    return n;
}

/* One case, one op, on `threads`: the forward and both gradients into fresh buffers (gradients start nonzero,
 * since kernels add into them). Returns which of the three the fast kernels took (bits 1, 2, 4); threads == 0
 * runs the reference. */
static int run(const bcase *c, fv_bcast_op op, int threads, float **y, float **da, float **db)
{
    int64_t sa[FV_BCAST_DIMS], sb[FV_BCAST_DIMS], so[FV_BCAST_DIMS];
    fv_bcast_pad(sa, c->na, c->a);
    fv_bcast_pad(sb, c->nb, c->b);
    for (int d = 0; d < FV_BCAST_DIMS; d++) so[d] = sa[d] == 1 ? sb[d] : sa[d];
    int64_t n = count(so);
    float *a = values(count(sa), 1), *b = values(count(sb), 2), *dy = values(n, 3);
    *y = values(n, 4), *da = values(count(sa), 5), *db = values(count(sb), 6);
    bool mul = op == FV_BCAST_MUL;
    int took = 7;
    if (threads == 0) {
        fv_ref_bcast_forward(*y, so, a, sa, b, sb, op);
        fv_ref_bcast_grad(*da, sa, dy, so, mul ? b : NULL, sb);
        fv_ref_bcast_grad(*db, sb, dy, so, mul ? a : NULL, sa);
    } else {
        took = fv_fast_bcast_forward(threads, *y, so, a, sa, b, sb, op);
        took |= fv_fast_bcast_grad(threads, *da, sa, dy, so, mul ? b : NULL, sb) << 1;
        took |= fv_fast_bcast_grad(threads, *db, sb, dy, so, mul ? a : NULL, sa) << 2;
    }
    free(a), free(b), free(dy);
    return took;
}

static bool equal(const float *x, const float *y, int64_t n) { return memcmp(x, y, (size_t)n * 4) == 0; }

/* A gradient that was summed: within double rounding; one that was not: bit for bit. */
static bool grad_ok(const float *got, const float *ref, const int64_t *shape, const int64_t *oshape)
{
    int64_t n = count(shape);
    return count(oshape) == n ? equal(got, ref, n) : rel_error(got, ref, n) < 1e-6;
}

static void against_reference(void)
{
    int bad = 0, declined = 0;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        for (int op = 0; op < 2; op++) {
            const bcase *c = &cases[k];
            float *y[2], *da[2], *db[2];
            run(c, (fv_bcast_op)op, 0, &y[0], &da[0], &db[0]);
            int took = run(c, (fv_bcast_op)op, 2, &y[1], &da[1], &db[1]);
            int64_t sa[FV_BCAST_DIMS], sb[FV_BCAST_DIMS], so[FV_BCAST_DIMS];
            fv_bcast_pad(sa, c->na, c->a), fv_bcast_pad(sb, c->nb, c->b);
            for (int d = 0; d < FV_BCAST_DIMS; d++) so[d] = sa[d] == 1 ? sb[d] : sa[d];
            if (!c->fast) { /* the forward declined, nothing written; a gradient (add's) may still be taken */
                float *y0 = values(count(so), 4), *a0 = values(count(sa), 5), *b0 = values(count(sb), 6);
                if ((took & 1) || !equal(y[1], y0, count(so)) ||
                    !((took & 2) ? grad_ok(da[1], da[0], sa, so) : equal(da[1], a0, count(sa))) ||
                    !((took & 4) ? grad_ok(db[1], db[0], sb, so) : equal(db[1], b0, count(sb))))
                    declined++;
                free(y0), free(a0), free(b0);
            } else if (took != 7 || !equal(y[1], y[0], count(so)) || !grad_ok(da[1], da[0], sa, so) ||
                       !grad_ok(db[1], db[0], sb, so)) {
                bad++;
                printf("  case %zu op %d differs (took %d)\n", k, op, took);
            }
            for (int t = 0; t < 2; t++) free(y[t]), free(da[t]), free(db[t]);
        }
    CHECK(bad == 0, "add and mul, forward and gradients, equal the reference on %d shapes (%d differ)",
          (int)(sizeof cases / sizeof cases[0]), bad);
    CHECK(declined == 0, "shapes broadcast on both sides: declined before anything is written, or right (%d not)",
          declined);
}

static void threads(void)
{
    int bad = 0;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        if (!cases[k].fast) continue;
        for (int op = 0; op < 2; op++) {
            float *y[3], *da[3], *db[3];
            for (int t = 0; t < 3; t++) run(&cases[k], (fv_bcast_op)op, t + 1, &y[t], &da[t], &db[t]);
            int64_t sa[FV_BCAST_DIMS], sb[FV_BCAST_DIMS], so[FV_BCAST_DIMS];
            fv_bcast_pad(sa, cases[k].na, cases[k].a), fv_bcast_pad(sb, cases[k].nb, cases[k].b);
            for (int d = 0; d < FV_BCAST_DIMS; d++) so[d] = sa[d] == 1 ? sb[d] : sa[d];
            for (int t = 1; t < 3; t++)
                if (!equal(y[t], y[0], count(so)) || !equal(da[t], da[0], count(sa)) ||
                    !equal(db[t], db[0], count(sb)))
                    bad++;
            for (int t = 0; t < 3; t++) free(y[t]), free(da[t]), free(db[t]);
        }
    }
    CHECK(bad == 0, "bit-identical on 1, 2 and 3 threads (%d differ)", bad);
}

int main(void)
{
    against_reference();
    threads();
    return test_finish();
}
