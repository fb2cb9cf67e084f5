/* A seeded stratified sample of a dataset (what --limit takes): every class keeps its share of the samples,
 * so that the first N files of a sorted image folder (one class) can no longer pass for a data set. */
#include <stdlib.h>

#include "dataset_internal.h"

typedef struct {
    int32_t label;
    uint64_t key;
    int64_t i;
} keyed;

static int by_label_key(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->label != y->label) return x->label < y->label ? -1 : 1;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

static int by_index(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* quota[c] = floor(n * counts[c] / total), then one more for the classes with the largest remainders (ties to
 * the lower class) until the quotas sum to n: Hamilton's rule, so no class gets less than its share rounded
 * down nor more than it rounded up. */
static void quotas(const int64_t *counts, int k, int64_t n, int64_t total, int64_t *quota, int64_t *rem)
{
    int64_t given = 0;
    for (int c = 0; c < k; c++) {
        quota[c] = n * counts[c] / total, rem[c] = n * counts[c] % total;
        given += quota[c];
    }
    for (; given < n; given++) {
        int best = 0;
        for (int c = 1; c < k; c++)
            if (rem[c] > rem[best]) best = c;
        quota[best]++, rem[best] = -1;
    }
}

/* The samples each class keeps (quota[c]), taken with the smallest keys of (seed, FV_SAMPLE_STREAM, i), in ds's
 * order: per_class >= 0 gives min(per_class, count) to every class, else Hamilton's shares of n. */
static fv_dataset *sample(const fv_dataset *ds, int64_t n, int64_t per_class, uint64_t seed)
{
    int64_t total = ds->n;
    if (total > INT64_C(3000000000)) { /* keeps n * count within 63 bits */
        fv_error(ds->ctx, FV_ERR_ARG, "%s: %lld samples are too many to sample from", ds->store->origin, (long long)total);
        return NULL;
    }
    int k = ds->store->n_classes;
    int64_t *counts = calloc((size_t)k * 3 + 1, sizeof *counts), *chosen = malloc((size_t)(n ? n : 1) * sizeof *chosen);
    keyed *all = malloc((size_t)total * sizeof *all);
    fv_dataset *out = NULL;
    if (!counts || !chosen || !all) {
        fv_error(ds->ctx, FV_ERR_NOMEM, "%s: out of memory sampling %lld of %lld samples", ds->store->origin,
                 (long long)n, (long long)total);
        goto done;
    }
    int64_t *quota = counts + k, *rem = counts + 2 * k;
    fv_dataset_class_counts(ds, counts);
    if (per_class >= 0)
        for (int c = 0; c < k; c++) quota[c] = counts[c] < per_class ? counts[c] : per_class;
    else
        quotas(counts, k, n, total, quota, rem);
    for (int64_t i = 0; i < total; i++)
        all[i] = (keyed){fv_dataset_label(ds, i), fv_rng_bits(seed, FV_SAMPLE_STREAM, (uint64_t)i), i};
    qsort(all, (size_t)total, sizeof *all, by_label_key);
    int64_t m = 0;
    for (int64_t i = 0, start = 0; i < total; i++) {
        if (i > 0 && all[i].label != all[i - 1].label) start = i;
        if (i - start < quota[all[i].label]) chosen[m++] = all[i].i;
    }
    qsort(chosen, (size_t)m, sizeof *chosen, by_index);
    out = fv_dataset_subset(ds, chosen, m);
done:
    free(counts), free(chosen), free(all);
    return out;
}

fv_dataset *fv_dataset_sample_stratified(const fv_dataset *ds, int64_t n, uint64_t seed)
{
    if (!ds) return NULL;
    if (n < 0) n = 0;
    if (n >= ds->n) return fv_dataset_range(ds, 0, ds->n);
    return sample(ds, n, -1, seed);
}

fv_dataset *fv_dataset_sample_per_class(const fv_dataset *ds, int64_t per_class, uint64_t seed)
{
    if (!ds) return NULL;
    if (per_class < 1) {
        fv_error(ds->ctx, FV_ERR_ARG, "%s: %lld samples per class (at least 1)", ds->store->origin, (long long)per_class);
        return NULL;
    }
    int k = ds->store->n_classes;
    int64_t most = (int64_t)k * per_class;
    return sample(ds, most < ds->n ? most : ds->n, per_class, seed);
}
