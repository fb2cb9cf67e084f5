/* t-SNE with exact gradients. Affinities: for each point a Gaussian over the others whose width is found by
 * bisection so that its perplexity is the one asked; symmetrized and normalized. Embedding: gradient descent with
 * momentum and per-coordinate gains on the Kullback-Leibler divergence to Student-t affinities. Rows are
 * independent and reductions run in row order, so threads change nothing in the result. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/internal.h"
#include "../core/cpu.h"
#include "../core/pool.h"
#include "fovea/diagnose.h"

#define EXAGGERATION 12.0
#define EXAGGERATION_ITERS 250
#define ITERS 1000

static double sqdist(const float *a, const float *b, int64_t d)
{
    double s = 0;
    for (int64_t j = 0; j < d; j++) s += ((double)a[j] - b[j]) * ((double)a[j] - b[j]);
    return s;
}

/* Row i of the conditional affinities: bisection on beta = 1 / (2 sigma^2) until the entropy is log(perplexity). */
static void conditional_row(double *p, const double *dist, int64_t n, int64_t i, double perplexity)
{
    double lo = -INFINITY, hi = INFINITY, beta = 1, target = log(perplexity);
    for (int it = 0; it < 100; it++) {
        double sum = 0, h = 0;
        for (int64_t j = 0; j < n; j++) {
            p[j] = j == i ? 0 : exp(-dist[j] * beta);
            sum += p[j];
        }
        if (sum <= 0) sum = 1e-12;
        for (int64_t j = 0; j < n; j++) h += p[j] * dist[j];
        h = log(sum) + beta * h / sum;
        for (int64_t j = 0; j < n; j++) p[j] /= sum;
        if (fabs(h - target) < 1e-5) break;
        if (h > target) lo = beta, beta = isinf(hi) ? beta * 2 : (beta + hi) / 2;
        else hi = beta, beta = isinf(lo) ? beta / 2 : (beta + lo) / 2;
    }
}

/* The loops' operands: rows [i0, i1) go to the threads, each row written by one. */
typedef struct {
    const float *x;
    const double *P, *y;
    double *dist, *out, *num, *row_z, *grad;
    const int32_t *labels;
    int64_t n, d;
    int dims, k;
    double perplexity, exaggeration, Z;
} rows_job;

static void distance_rows(void *p, int64_t i0, int64_t i1, int worker)
{
    const rows_job *j = p;
    for (int64_t i = i0; i < i1; i++)
        for (int64_t k = 0; k < j->n; k++) j->dist[i * j->n + k] = sqdist(j->x + i * j->d, j->x + k * j->d, j->d);
}

static void conditional_rows(void *p, int64_t i0, int64_t i1, int worker)
{
    const rows_job *j = p;
    for (int64_t i = i0; i < i1; i++) conditional_row(j->out + i * j->n, j->dist + i * j->n, j->n, i, j->perplexity);
}

static fv_status affinities(fv_ctx *ctx, const float *x, int64_t n, int64_t d, double perplexity, double *P)
{
    int t = fv_ctx_threads(ctx);
    double *dist = malloc((size_t)(n * n) * sizeof *dist);
    if (!dist) return fv_error(ctx, FV_ERR_NOMEM, "t-SNE: out of memory for %lld x %lld distances", (long long)n, (long long)n);
    rows_job rows = {.x = x, .dist = dist, .out = P, .n = n, .d = d, .perplexity = perplexity};
    fv_parallel_for(t, n, 1, distance_rows, &rows);
    fv_parallel_for(t, n, 1, conditional_rows, &rows);
    free(dist);
    for (int64_t i = 0; i < n; i++) /* symmetrize: p_ij = (p_j|i + p_i|j) / 2n */
        for (int64_t j = i + 1; j < n; j++) {
            double v = (P[i * n + j] + P[j * n + i]) / (2.0 * (double)n);
            P[i * n + j] = P[j * n + i] = v > 1e-12 ? v : 1e-12;
        }
    for (int64_t i = 0; i < n; i++) P[i * n + i] = 0;
    return FV_OK;
}

/* Row i of the Student-t kernel into num, and its sum into row_z[i]. */
static void kernel_rows(void *p, int64_t i0, int64_t i1, int worker)
{
    const rows_job *jb = p;
    const double *y = jb->y;
    int64_t n = jb->n;
    int dims = jb->dims;
    for (int64_t i = i0; i < i1; i++) {
        double z = 0;
        for (int64_t j = 0; j < n; j++) {
            double dd = 0;
            for (int c = 0; c < dims; c++) dd += (y[i * dims + c] - y[j * dims + c]) * (y[i * dims + c] - y[j * dims + c]);
            jb->num[i * n + j] = j == i ? 0 : 1 / (1 + dd);
            z += jb->num[i * n + j];
        }
        jb->row_z[i] = z;
    }
}

static void gradient_rows(void *p, int64_t i0, int64_t i1, int worker)
{
    const rows_job *jb = p;
    const double *y = jb->y, *P = jb->P, *num = jb->num;
    int64_t n = jb->n;
    int dims = jb->dims;
    for (int64_t i = i0; i < i1; i++) {
        double g[3] = {0, 0, 0};
        for (int64_t j = 0; j < n; j++) {
            double m = (jb->exaggeration * P[i * n + j] - num[i * n + j] / jb->Z) * num[i * n + j];
            for (int c = 0; c < dims; c++) g[c] += m * (y[i * dims + c] - y[j * dims + c]);
        }
        for (int c = 0; c < dims; c++) jb->grad[i * dims + c] = 4 * g[c];
    }
}

/* The gradient of KL(P || Q) at y into grad (n, dims), with P scaled by exaggeration. Z is summed in row order
 * after the rows are done, so it is the same for any thread count. */
static void gradient(int t, const double *P, const double *y, int64_t n, int dims, double exaggeration, double *grad,
                     double *num, double *row_z)
{
    rows_job j = {.P = P, .y = y, .num = num, .row_z = row_z, .grad = grad, .n = n, .dims = dims,
                  .exaggeration = exaggeration};
    fv_parallel_for(t, n, 1, kernel_rows, &j);
    for (int64_t i = 0; i < n; i++) j.Z += row_z[i];
    fv_parallel_for(t, n, 1, gradient_rows, &j);
}

static void initialize(fv_ctx *ctx, const float *x, int64_t n, int64_t d, int dims, double *y)
{
    float *proj = malloc((size_t)(n * dims) * sizeof *proj);
    if (proj && d <= 1024 && d >= dims && fv_pca(ctx, x, n, d, dims, NULL, NULL, NULL, proj) == FV_OK) {
        double mean = 0, var = 0;
        for (int64_t i = 0; i < n; i++) mean += proj[i * dims];
        mean /= (double)n;
        for (int64_t i = 0; i < n; i++) var += (proj[i * dims] - mean) * (proj[i * dims] - mean);
        double scale = var > 0 ? 1e-4 / sqrt(var / (double)n) : 1;
        for (int64_t i = 0; i < n * dims; i++) y[i] = proj[i] * scale;
    } else {
        for (int64_t i = 0; i < n * dims; i++) y[i] = 1e-4 * (fv_rng_uniform(fv_ctx_seed(ctx), 0x7453, (uint64_t)i) - 0.5);
    }
    free(proj);
}

fv_status fv_tsne(fv_ctx *ctx, const float *x, int64_t n, int64_t d, int dims, float perplexity, float *out)
{
    if (n < 4 || d < 1 || (dims != 2 && dims != 3) || !(perplexity > 0) || perplexity >= (float)n || n > 50000)
        return fv_error(ctx, FV_ERR_ARG, "t-SNE of %lld points x %lld features into %d dimensions with perplexity %g: "
                        "needs 4 to 50000 points, 2 or 3 dimensions and 0 < perplexity < points", (long long)n,
                        (long long)d, dims, (double)perplexity);
    double *P = calloc((size_t)(n * n), sizeof *P), *num = malloc((size_t)(n * n) * sizeof *num);
    double *y = malloc((size_t)(n * dims) * sizeof *y), *grad = malloc((size_t)(n * dims) * sizeof *grad);
    double *update = calloc((size_t)(n * dims), sizeof *update), *gains = malloc((size_t)(n * dims) * sizeof *gains);
    double *row_z = malloc((size_t)n * sizeof *row_z);
    fv_status s = P && num && y && grad && update && gains && row_z ? FV_OK
                  : fv_error(ctx, FV_ERR_NOMEM, "t-SNE: out of memory for %lld points", (long long)n);
    if (!s) s = affinities(ctx, x, n, d, perplexity, P);
    if (!s) {
        initialize(ctx, x, n, d, dims, y);
        for (int64_t i = 0; i < n * dims; i++) gains[i] = 1;
        double lr = fmax((double)n / EXAGGERATION / 4, 50);
        for (int it = 0; it < ITERS; it++) {
            bool early = it < EXAGGERATION_ITERS;
            gradient(fv_ctx_threads(ctx), P, y, n, dims, early ? EXAGGERATION : 1, grad, num, row_z);
            double momentum = early ? 0.5 : 0.8;
            for (int64_t i = 0; i < n * dims; i++) {
                gains[i] = (update[i] * grad[i] < 0) ? gains[i] + 0.2 : gains[i] * 0.8;
                if (gains[i] < 0.01) gains[i] = 0.01;
                update[i] = momentum * update[i] - lr * gains[i] * grad[i];
                y[i] += update[i];
            }
        }
        for (int64_t i = 0; i < n * dims; i++) out[i] = (float)y[i];
    }
    free(P), free(num), free(y), free(grad), free(update), free(gains), free(row_z);
    return s;
}

/* 1 when the majority of row i's k nearest neighbours (ties: the smaller label) has row i's label. */
static int knn_hit(const float *x, int64_t n, int64_t d, const int32_t *labels, int k, int64_t i)
{
    double best[64];
    int32_t lab[64];
    int kk = k < 64 ? k : 64, have = 0;
    for (int64_t j = 0; j < n; j++) {
        if (j == i) continue;
        double dd = sqdist(x + i * d, x + j * d, d);
        if (have < kk) have++;
        else if (dd >= best[kk - 1]) continue;
        int p = have - 1;
        while (p > 0 && best[p - 1] > dd) best[p] = best[p - 1], lab[p] = lab[p - 1], p--;
        best[p] = dd, lab[p] = labels[j];
    }
    int32_t vote = -1;
    int most = 0;
    for (int a = 0; a < have; a++) {
        int c = 0;
        for (int b = 0; b < have; b++) c += lab[b] == lab[a];
        if (c > most || (c == most && lab[a] < vote)) most = c, vote = lab[a];
    }
    return vote == labels[i];
}

/* Rows per partial count: each block is counted by one thread, the blocks added in order afterwards. */
#define KNN_BLOCK 64

static void knn_rows(void *p, int64_t i0, int64_t i1, int worker)
{
    const rows_job *j = p;
    for (int64_t i = i0; i < i1; i++) j->out[i / KNN_BLOCK] += knn_hit(j->x, j->n, j->d, j->labels, j->k, i);
}

double fv_knn_accuracy(const float *x, int64_t n, int64_t d, const int32_t *labels, int k)
{
    if (n <= 0) return NAN;
    int64_t blocks = (n + KNN_BLOCK - 1) / KNN_BLOCK;
    double *parts = calloc((size_t)blocks, sizeof *parts), hits = 0;
    if (!parts) { /* no memory for the partials: one thread */
        for (int64_t i = 0; i < n; i++) hits += knn_hit(x, n, d, labels, k, i);
        return hits / (double)n;
    }
    rows_job j = {.x = x, .out = parts, .labels = labels, .n = n, .d = d, .k = k};
    fv_parallel_for(fv_cpu_count(), n, KNN_BLOCK, knn_rows, &j);
    for (int64_t b = 0; b < blocks; b++) hits += parts[b];
    free(parts);
    return hits / (double)n;
}
