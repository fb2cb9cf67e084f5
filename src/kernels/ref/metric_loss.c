/* Reference metric-learning losses (metric_loss.h): a row at a time, in double. */
#include "metric_loss.h"

#include <math.h>
#include <stddef.h>

/* ---- contrastive ---- */

static double distance2(const float *a, const float *b, int64_t D)
{
    double s = 0.0;
    for (int64_t j = 0; j < D; j++) s += ((double)a[j] - b[j]) * ((double)a[j] - b[j]);
    return sqrt(s);
}

void fv_ref_contrastive_forward(float *l, const float *a, const float *b, const float *y, int64_t N, int64_t D,
                                float margin)
{
    for (int64_t i = 0; i < N; i++) {
        double d = distance2(a + i * D, b + i * D, D), gap = margin - d > 0.0 ? margin - d : 0.0;
        l[i] = (float)(0.5 * y[i] * d * d + 0.5 * (1.0 - y[i]) * gap * gap);
    }
}

void fv_ref_contrastive_backward(float *da, float *db, const float *dl, int64_t dl_step, const float *a, const float *b,
                                 const float *y, int64_t N, int64_t D, float margin)
{
    for (int64_t i = 0; i < N; i++) {
        const float *ai = a + i * D, *bi = b + i * D;
        double d = distance2(ai, bi, D), gap = margin - d > 0.0 ? margin - d : 0.0;
        /* dl/d(a - b) = (y d - (1 - y) gap) (a - b) / d: y (a - b) - (1 - y) gap (a - b) / d */
        double k = d > 0.0 ? dl[i * dl_step] * (y[i] - (1.0 - y[i]) * gap / d) : 0.0;
        for (int64_t j = 0; j < D; j++) {
            double g = k * ((double)ai[j] - bi[j]);
            if (da) da[i * D + j] += (float)g;
            if (db) db[i * D + j] -= (float)g;
        }
    }
}

/* ---- triplet margin ---- */

/* ||x - z + eps||_p, and its gradient with respect to x (z's is its negative) scaled by s, added to gx. */
static double pnorm(const float *x, const float *z, int64_t D, const fv_ref_triplet_args *t)
{
    double s = 0.0;
    for (int64_t j = 0; j < D; j++) s += pow(fabs((double)x[j] - z[j] + t->eps), t->p);
    return pow(s, 1.0 / t->p);
}

static void pnorm_grad(float *gx, float *gz, double s, const float *x, const float *z, int64_t D,
                       const fv_ref_triplet_args *t)
{
    double d = pnorm(x, z, D, t);
    if (!(d > 0.0)) return; /* no direction at 0: PyTorch's norm gives 0 there */
    for (int64_t j = 0; j < D; j++) {
        double v = (double)x[j] - z[j] + t->eps, g = s * (v > 0 ? 1.0 : v < 0 ? -1.0 : 0.0) *
                                                     pow(fabs(v), t->p - 1.0) / pow(d, t->p - 1.0);
        if (gx) gx[j] += (float)g;
        if (gz) gz[j] -= (float)g;
    }
}

void fv_ref_triplet_forward(float *l, const float *a, const float *p, const float *n, int64_t N, int64_t D,
                            const fv_ref_triplet_args *t)
{
    for (int64_t i = 0; i < N; i++) {
        const float *ai = a + i * D, *pi = p + i * D, *ni = n + i * D;
        double dap = pnorm(ai, pi, D, t), dan = pnorm(ai, ni, D, t);
        if (t->swap) {
            double dpn = pnorm(pi, ni, D, t);
            dan = dpn < dan ? dpn : dan;
        }
        double v = dap - dan + t->margin;
        l[i] = (float)(v > 0.0 ? v : 0.0);
    }
}

void fv_ref_triplet_backward(float *da, float *dp, float *dn, const float *dl, int64_t dl_step, const float *a, const float *p,
                             const float *n, int64_t N, int64_t D, const fv_ref_triplet_args *t)
{
    for (int64_t i = 0; i < N; i++) {
        const float *ai = a + i * D, *pi = p + i * D, *ni = n + i * D;
        double dap = pnorm(ai, pi, D, t), dan = pnorm(ai, ni, D, t), dpn = t->swap ? pnorm(pi, ni, D, t) : dan;
        bool swapped = t->swap && dpn < dan;
        if (!(dap - (swapped ? dpn : dan) + t->margin > 0.0)) continue; /* the hinge is flat */
        float *gai = da ? da + i * D : NULL, *gpi = dp ? dp + i * D : NULL, *gni = dn ? dn + i * D : NULL;
        double g = dl[i * dl_step];
        pnorm_grad(gai, gpi, g, ai, pi, D, t);
        if (swapped) pnorm_grad(gpi, gni, -g, pi, ni, D, t);
        else pnorm_grad(gai, gni, -g, ai, ni, D, t);
    }
}

/* ---- cosine embedding ---- */

#define COS_EPS 1e-12 /* PyTorch's EPSILON in cosine_embedding_loss */

typedef struct {
    double dot, m1, m2, cos;
} cosine;

static cosine cosine_of(const float *x1, const float *x2, int64_t D)
{
    cosine c = {0.0, COS_EPS, COS_EPS, 0.0};
    for (int64_t j = 0; j < D; j++)
        c.dot += (double)x1[j] * x2[j], c.m1 += (double)x1[j] * x1[j], c.m2 += (double)x2[j] * x2[j];
    c.cos = c.dot / sqrt(c.m1 * c.m2);
    return c;
}

void fv_ref_cosine_embedding_forward(float *l, const float *x1, const float *x2, const float *y, int64_t N,
                                     int64_t D, float margin)
{
    for (int64_t i = 0; i < N; i++) {
        cosine c = cosine_of(x1 + i * D, x2 + i * D, D);
        l[i] = (float)(y[i] == 1.0f ? 1.0 - c.cos : y[i] == -1.0f ? (c.cos - margin > 0.0 ? c.cos - margin : 0.0) : 0.0);
    }
}

void fv_ref_cosine_embedding_backward(float *d1, float *d2, const float *dl, int64_t dl_step, const float *x1, const float *x2,
                                      const float *y, int64_t N, int64_t D, float margin)
{
    for (int64_t i = 0; i < N; i++) {
        const float *a = x1 + i * D, *b = x2 + i * D;
        cosine c = cosine_of(a, b, D);
        /* dl/dcos: -1 for y = 1, 1 above the margin for y = -1 */
        double s = y[i] == 1.0f ? -1.0 : y[i] == -1.0f && c.cos - margin > 0.0 ? 1.0 : 0.0;
        if (s == 0.0) continue;
        double root = sqrt(c.m1 * c.m2), k = dl[i * dl_step] * s;
        for (int64_t j = 0; j < D; j++) { /* dcos/dx1 = x2 / root - cos x1 / m1, and symmetrically */
            if (d1) d1[i * D + j] += (float)(k * (b[j] / root - c.cos * a[j] / c.m1));
            if (d2) d2[i * D + j] += (float)(k * (a[j] / root - c.cos * b[j] / c.m2));
        }
    }
}
