/* Reference triplet loss mined in a batch (triplet_mining.h). The distances are made once per call (N x N);
 * forward and backward walk the same selections, so the gradient is that of the value forward gives. */
#include "triplet_mining.h"

#include <math.h>
#include <stdlib.h>

static double *distances(const float *e, int64_t N, int64_t D)
{
    double *d = malloc((size_t)(N > 0 ? N * N : 1) * sizeof *d);
    for (int64_t i = 0; d && i < N; i++)
        for (int64_t j = 0; j < N; j++) {
            double s = 0.0;
            for (int64_t k = 0; k < D; k++) s += ((double)e[i * D + k] - e[j * D + k]) * ((double)e[i * D + k] - e[j * D + k]);
            d[i * N + j] = sqrt(s);
        }
    return d;
}

/* de += c (e_i - e_j) / d_ij on row i and its negative on row j */
static void pull(float *de, const float *e, int64_t D, int64_t i, int64_t j, double dij, double c)
{
    if (!(dij > 0.0) || c == 0.0) return;
    for (int64_t k = 0; k < D; k++) {
        double g = c * ((double)e[i * D + k] - e[j * D + k]) / dij;
        de[i * D + k] += (float)g, de[j * D + k] -= (float)g;
    }
}

/* The hardest positive and negative of anchor a (-1 when it has none). */
static void hardest(const double *d, const int64_t *labels, int64_t N, int64_t a, int64_t *p, int64_t *n)
{
    *p = *n = -1;
    for (int64_t j = 0; j < N; j++) {
        if (j == a) continue;
        if (labels[j] == labels[a]) {
            if (*p < 0 || d[a * N + j] > d[a * N + *p]) *p = j;
        } else if (*n < 0 || d[a * N + j] < d[a * N + *n]) {
            *n = j;
        }
    }
}

/* The semi-hard negative of the pair (a, p) (Schroff, Kalenichenko and Philbin 2015, FaceNet): the nearest
 * negative farther from a than p; when none is, the farthest negative (as TensorFlow Addons'
 * triplet_semihard_loss); -1 when a has no negative. */
static int64_t semi_hard(const double *d, const int64_t *labels, int64_t N, int64_t a, int64_t p)
{
    int64_t outside = -1, inside = -1;
    double dap = d[a * N + p];
    for (int64_t j = 0; j < N; j++) {
        if (labels[j] == labels[a]) continue;
        double v = d[a * N + j];
        if (v > dap && (outside < 0 || v < d[a * N + outside])) outside = j;
        if (inside < 0 || v > d[a * N + inside]) inside = j;
    }
    return outside >= 0 ? outside : inside;
}

/* One hinge term of the pair (a, p) against n: into the sums on the first pass, its gradient on the second. */
static void term(float *de, int pass, const float *e, int64_t N, int64_t D, const double *d, int64_t a, int64_t p,
                 int64_t n, float margin, double scale, double *sum, int64_t *terms)
{
    double v = d[a * N + p] - d[a * N + n] + margin;
    if (pass == 0) *sum += v > 0.0 ? v : 0.0, (*terms)++;
    else if (v > 0.0) pull(de, e, D, a, p, d[a * N + p], scale), pull(de, e, D, a, n, d[a * N + n], -scale);
}

/* Walks the loss's terms: batch-hard, one per anchor with both; semi-hard, one per positive pair whose anchor
 * has a negative; batch-all, every valid triplet. Each term's
 * hinge v goes to the sums, and (de set) its gradient share scale * [v > 0] to the rows. Returns the loss; with
 * de, the backward of dl. */
static double walk(float *de, float dl, const float *e, const int64_t *labels, int64_t N, int64_t D, float margin,
                   int mining, const double *d)
{
    double sum = 0.0;
    int64_t terms = 0, positive = 0;
    bool batch_all = mining == FV_MINE_ALL;
    for (int pass = 0; pass < (de ? 2 : 1); pass++) { /* the gradient needs the count first */
        double scale = batch_all ? (positive ? dl / (double)positive : 0.0) : (terms ? dl / (double)terms : 0.0);
        for (int64_t a = 0; a < N; a++) {
            if (mining == FV_MINE_HARD) {
                int64_t p, n;
                hardest(d, labels, N, a, &p, &n);
                if (p >= 0 && n >= 0) term(de, pass, e, N, D, d, a, p, n, margin, scale, &sum, &terms);
                continue;
            }
            if (mining == FV_MINE_SEMI_HARD) {
                for (int64_t p = 0; p < N; p++) {
                    if (p == a || labels[p] != labels[a]) continue;
                    int64_t n = semi_hard(d, labels, N, a, p);
                    if (n >= 0) term(de, pass, e, N, D, d, a, p, n, margin, scale, &sum, &terms);
                }
                continue;
            }
            for (int64_t p = 0; p < N; p++) {
                if (p == a || labels[p] != labels[a]) continue;
                for (int64_t n = 0; n < N; n++) {
                    if (labels[n] == labels[a]) continue;
                    double v = d[a * N + p] - d[a * N + n] + margin;
                    if (!(v > 0.0)) continue;
                    if (pass == 0) sum += v, positive++;
                    else pull(de, e, D, a, p, d[a * N + p], scale), pull(de, e, D, a, n, d[a * N + n], -scale);
                }
            }
        }
    }
    return batch_all ? (positive ? sum / (double)positive : 0.0) : (terms ? sum / (double)terms : 0.0);
}

bool fv_ref_triplet_mined_forward(double *loss, const float *e, const int64_t *labels, int64_t N, int64_t D,
                                  float margin, int mining)
{
    double *d = distances(e, N, D);
    if (!d) return false;
    *loss = walk(NULL, 0.0f, e, labels, N, D, margin, mining, d);
    free(d);
    return true;
}

void fv_ref_triplet_mined_backward(float *de, float dl, const float *e, const int64_t *labels, int64_t N, int64_t D,
                                   float margin, int mining)
{
    double *d = distances(e, N, D);
    if (!d) return;
    walk(de, dl, e, labels, N, D, margin, mining, d);
    free(d);
}
