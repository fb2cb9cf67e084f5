/* fv_dataset_sample_stratified, what --limit takes: every class its share (Hamilton's largest remainders), the
 * same samples for the same seed and others for another, kept in the dataset's order. */
#include <stdlib.h>

#include "fovea/data.h"
#include "test.h"

/* 100 one-pixel samples sorted by class as a class folder lists them: 50 of class 0, 30 of 1, 20 of 2. */
static fv_dataset *sorted_set(fv_ctx *ctx)
{
    uint8_t px[100];
    int32_t labels[100];
    for (int i = 0; i < 100; i++) px[i] = (uint8_t)i, labels[i] = i < 50 ? 0 : i < 80 ? 1 : 2;
    return fv_dataset_from_u8(ctx, 100, 1, 1, 1, px, labels, 3);
}

static void counts_of(const fv_dataset *ds, int64_t c[3]) { fv_dataset_class_counts(ds, c); }

static bool same_samples(fv_ctx *ctx, const fv_dataset *a, const fv_dataset *b)
{
    if (fv_dataset_count(a) != fv_dataset_count(b)) return false;
    int64_t n = fv_dataset_count(a);
    fv_tensor *x = fv_tensor_new(ctx, FV_F32, 2, (int64_t[]){n, 1}), *y = fv_tensor_new(ctx, FV_F32, 2, (int64_t[]){n, 1});
    int64_t *idx = malloc((size_t)n * sizeof *idx);
    for (int64_t i = 0; i < n; i++) idx[i] = i;
    fv_dataset_batch(a, idx, (int)n, x, NULL), fv_dataset_batch(b, idx, (int)n, y, NULL);
    bool same = true;
    for (int64_t i = 0; i < n; i++) same &= fv_f32(x)[i] == fv_f32(y)[i];
    free(idx), fv_tensor_free(x), fv_tensor_free(y);
    return same;
}

int main(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fv_dataset *ds = sorted_set(ctx);
    int64_t c[3];
    fv_dataset *s10 = fv_dataset_sample_stratified(ds, 10, 1);
    counts_of(s10, c);
    CHECK(fv_dataset_count(s10) == 10 && c[0] == 5 && c[1] == 3 && c[2] == 2, "10 of 50/30/20: 5, 3, 2 (%lld %lld %lld)",
          (long long)c[0], (long long)c[1], (long long)c[2]);
    fv_dataset *s7 = fv_dataset_sample_stratified(ds, 7, 1);
    counts_of(s7, c);
    CHECK(c[0] == 4 && c[1] == 2 && c[2] == 1, "7 of 50/30/20: 3.5, 2.1, 1.4 -> 4, 2, 1 (%lld %lld %lld)", (long long)c[0],
          (long long)c[1], (long long)c[2]);
    bool ordered = true;
    for (int64_t i = 1; i < 7; i++) ordered &= fv_dataset_label(s7, i) >= fv_dataset_label(s7, i - 1);
    CHECK(ordered, "the sample keeps the dataset's order");
    fv_dataset *again = fv_dataset_sample_stratified(ds, 10, 1), *other = fv_dataset_sample_stratified(ds, 10, 2);
    CHECK(same_samples(ctx, s10, again), "the same seed: the same samples");
    CHECK(!same_samples(ctx, s10, other), "another seed: other samples");
    fv_dataset *all = fv_dataset_sample_stratified(ds, 500, 1);
    CHECK(all && fv_dataset_count(all) == 100, "more than there are: all of them");
    fv_dataset *one = fv_dataset_sample_stratified(ds, 1, 3);
    CHECK(one && fv_dataset_count(one) == 1 && fv_dataset_label(one, 0) == 0, "1 sample: from the largest class");
    fv_dataset_free(s10), fv_dataset_free(s7), fv_dataset_free(again), fv_dataset_free(other), fv_dataset_free(all);
    fv_dataset_free(one), fv_dataset_free(ds);
    fv_ctx_free(ctx);
    return test_finish();
}
