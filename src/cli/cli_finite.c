/* Warnings for samples whose outputs are NaN or infinite (see cli_finite.h): one line per sample, capped, so
 * that a batch of broken inputs cannot flood the terminal. */
#include <math.h>
#include <stdio.h>

#include "cli_finite.h"

#define SHOWN 5

/* "a NaN", "an infinite" or "a NaN and an infinite" output; 0 when all are finite. */
static int kind_of_row(const float *row, int64_t n)
{
    int kind = 0;
    for (int64_t j = 0; j < n; j++)
        if (!isfinite(row[j])) kind |= isnan(row[j]) ? 1 : 2;
    return kind;
}

int64_t cli_warn_nonfinite(const char *prog, const fv_tensor *y, const char *source, const int64_t *indices,
                           const char *(*path)(const void *data, int64_t i), const void *data)
{
    static const char *what[4] = {"", "a NaN", "an infinite", "a NaN and an infinite"};
    if (!y || y->dtype != FV_F32 || y->ndim < 1 || y->shape[0] < 1) return 0;
    int64_t n = y->shape[0], per = y->size / n, bad = 0;
    for (int64_t i = 0; i < n; i++) {
        int kind = kind_of_row(fv_f32(y) + i * per, per);
        if (!kind) continue;
        if (bad++ >= SHOWN) continue;
        int64_t at = indices ? indices[i] : i;
        char shown[1024]; /* a file name from a folder or a CSV */
        const char *file = path ? path(data, at) : NULL;
        if (file) file = fv_printable(file, shown, sizeof shown);
        fprintf(stderr, "%s: warning: sample %lld of %s%s%s%s gave %s output; its prediction means nothing\n", prog,
                (long long)at, source, file ? " (" : "", file ? file : "", file ? ")" : "", what[kind]);
    }
    if (bad > SHOWN)
        fprintf(stderr, "%s: warning: %lld more samples of %s gave non-finite outputs\n", prog, (long long)(bad - SHOWN),
                source);
    return bad;
}
