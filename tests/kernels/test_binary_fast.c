/* The fast float binary kernel against the reference one: every kind (add ... fmod, pow by 2 and by other
 * exponents) on equal shapes, operands repeated along leading, trailing and middle dimensions, both repeated at
 * once, scalars, ranks 1 to 6 and sizes large enough to be threaded: bit for bit, on 1, 2 and 3 threads. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/kernels/fast/binary.h"
#include "fovea/core.h"
#include "test.h"

typedef struct {
    int na, nb;
    int64_t a[6], b[6];
} bcase;

static const bcase cases[] = {
    {3, 3, {3, 7, 17}, {3, 7, 17}},
    {3, 3, {1, 197, 768}, {1, 197, 1}},       /* x - mean(x) over the last axis */
    {3, 1, {1, 197, 768}, {768}},             /* a bias along the last axis */
    {3, 0, {2, 33, 65}, {0}},                 /* a scalar */
    {4, 4, {2, 5, 7, 9}, {2, 1, 7, 9}},       /* repeated along a middle axis */
    {3, 3, {2, 1, 7}, {1, 5, 1}},             /* both repeated */
    {6, 6, {2, 1, 3, 1, 5, 4}, {1, 3, 3, 2, 1, 4}},
    {1, 1, {1}, {1}},
    {4, 4, {3, 64, 40, 40}, {3, 64, 1, 1}},  /* threaded */
};

static float *values(int64_t n, uint64_t stream, bool positive)
{
    float *v = malloc((size_t)(n ? n : 1) * sizeof *v);
    for (int64_t i = 0; i < n; i++) {
        float u = fv_rng_uniform(5, stream, (uint64_t)i) * 4.0f - 2.0f;
        v[i] = positive ? fabsf(u) + 0.1f : u;
    }
    return v;
}

static int64_t padded(int n, const int64_t *s, int64_t *out)
{
    fv_bcast_pad(out, n, s);
    int64_t c = 1;
    for (int d = 0; d < FV_BCAST_DIMS; d++) c *= out[d];
    return c;
}

int main(void)
{
    int ops[] = {FV_MK_ADD, FV_MK_SUB, FV_MK_MUL, FV_MK_DIV, FV_MK_POW, FV_MK_MIN, FV_MK_MAX, FV_MK_PRELU, FV_MK_MOD,
                 FV_MK_FMOD};
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        int64_t as[FV_BCAST_DIMS], bs[FV_BCAST_DIMS], os[FV_BCAST_DIMS];
        int64_t na = padded(cases[c].na, cases[c].a, as), nb = padded(cases[c].nb, cases[c].b, bs), no = 1;
        for (int d = 0; d < FV_BCAST_DIMS; d++) os[d] = as[d] > bs[d] ? as[d] : bs[d], no *= os[d];
        for (size_t k = 0; k < sizeof ops / sizeof *ops; k++) {
            bool pw = ops[k] == FV_MK_POW;
            float *a = values(na, 2 * c, pw), *b = values(nb, 2 * c + 1, false);
            for (int pass = 0; pass < (pw ? 2 : 1); pass++) {
                if (pass) /* x^2, which the fast kernel computes as x * x */
                    for (int64_t i = 0; i < nb; i++) b[i] = 2.0f;
                float *want = malloc((size_t)no * sizeof *want), *got = malloc((size_t)no * sizeof *got);
                fv_ref_binary_f32(want, os, a, as, b, bs, ops[k]);
                bool same = true;
                for (int t = 1; t <= 3; t++) {
                    memset(got, 0xff, (size_t)no * sizeof *got);
                    fv_fast_binary_f32(t, got, os, a, as, b, bs, ops[k]);
                    same &= memcmp(got, want, (size_t)no * sizeof *got) == 0;
                }
                CHECK(same, "case %zu, kind %d%s: the fast kernel equals the reference bit for bit on 1-3 threads", c,
                      ops[k], pass ? " (exponent 2)" : "");
                free(want), free(got);
            }
            free(a), free(b);
        }
    }
    return test_finish();
}
