/* Core: status messages, tensor allocation limits, and the counter-based generator agreeing bit for bit with
 * its Python twin (tests/reference/fvrng.py), on which the dropout fixtures rely. */
#include "fixture.h"
#include "test.h"

static void rng_matches_python(void)
{
    fx_file *fx = fx_load(FIXTURE_DIR "/rng_values.fvx");
    if (!CHECK(fx != NULL, "rng fixture loads")) return;
    const uint64_t idx[] = {0, 1, 2, 3, 1000, 123456789, (1ull << 40) + 17};
    const int cases[][2] = {{0, 0}, {1, 0}, {7, 0}, {7, 1}, {12345, 99}};
    for (int c = 0; c < 5; c++) {
        char hi[64], lo[64], u[64];
        snprintf(hi, sizeof hi, "hi:%d:%d", cases[c][0], cases[c][1]);
        snprintf(lo, sizeof lo, "lo:%d:%d", cases[c][0], cases[c][1]);
        snprintf(u, sizeof u, "u:%d:%d", cases[c][0], cases[c][1]);
        int same = 1;
        for (int i = 0; i < 7; i++) {
            uint64_t b = fv_rng_bits((uint64_t)cases[c][0], (uint64_t)cases[c][1], idx[i]);
            same &= (int32_t)(b >> 40) == fv_i32(fx_get(fx, hi))[i];
            same &= (int32_t)(b & 0xFFFFFF) == fv_i32(fx_get(fx, lo))[i];
            same &= fv_rng_uniform((uint64_t)cases[c][0], (uint64_t)cases[c][1], idx[i]) == fv_f32(fx_get(fx, u))[i];
        }
        CHECK(same, "rng seed %d stream %d matches the Python replica", cases[c][0], cases[c][1]);
    }
    fx_free(fx);
}

static void rng_properties(void)
{
    double sum = 0, sumsq = 0;
    int n = 100000;
    for (int i = 0; i < n; i++) {
        double u = fv_rng_uniform(42, 3, (uint64_t)i);
        sum += u;
        sumsq += u * u;
    }
    double mean = sum / n, var = sumsq / n - mean * mean;
    CHECK(fabs(mean - 0.5) < 0.005 && fabs(var - 1.0 / 12) < 0.002, "uniform mean %.4f var %.4f", mean, var);
    CHECK(fv_rng_bits(1, 0, 5) != fv_rng_bits(1, 1, 5) && fv_rng_bits(1, 0, 5) != fv_rng_bits(2, 0, 5),
          "streams and seeds differ");
    fv_ctx *ctx = fv_ctx_new(9);
    CHECK(fv_ctx_next_stream(ctx) == 0 && fv_ctx_next_stream(ctx) == 1 && fv_ctx_seed(ctx) == 9,
          "context hands out streams in order");
    fv_ctx_free(ctx);
}

static void tensors_and_status(void)
{
    fv_ctx *ctx = fv_ctx_new(0);
    CHECK(strcmp(fv_status_str(FV_ERR_SHAPE), "incompatible shapes") == 0 && strcmp(fv_status_str(FV_STATUS_COUNT), "unknown status") == 0,
          "status messages");
    fv_tensor *t = fv_tensor_new(ctx, FV_F32, 3, (int64_t[]){2, 3, 4});
    char buf[64];
    CHECK(t && t->size == 24 && strcmp(fv_shape_str(t, buf, sizeof buf), "(2,3,4)") == 0 && fv_f32(t)[23] == 0.0f,
          "a zeroed (2,3,4) tensor");
    fv_tensor_free(t);
    fv_tensor *s = fv_tensor_new(ctx, FV_F32, 0, NULL);
    CHECK(s && s->size == 1, "a scalar has one element");
    fv_tensor_free(s);
    fv_tensor *six = fv_tensor_new(ctx, FV_I64, 6, (int64_t[]){1, 2, 1, 1, 1, 3});
    CHECK(six && six->size == 6 && fv_dtype_size(six->dtype) == 8, "an int64 tensor of rank 6");
    fv_tensor_free(six);
    CHECK(fv_tensor_new(ctx, FV_F32, 7, (int64_t[]){1, 1, 1, 1, 1, 1, 1}) == NULL && strstr(fv_errmsg(ctx), "7 dimensions"),
          "more than 6 dims: %s", fv_errmsg(ctx));
    CHECK(fv_tensor_new(ctx, FV_BOOL, 2, (int64_t[]){0, 3}) == NULL && strstr(fv_errmsg(ctx), "is 0"),
          "fv_tensor_new refuses an empty dimension: %s", fv_errmsg(ctx));
    CHECK(fv_tensor_new(ctx, (fv_dtype)9, 1, (int64_t[]){3}) == NULL && strstr(fv_errmsg(ctx), "dtype 9"),
          "an unknown dtype: %s", fv_errmsg(ctx));
    CHECK(fv_tensor_new(ctx, FV_F32, 2, (int64_t[]){INT64_MAX / 2, 4}) == NULL && fv_errcode(ctx) == FV_ERR_SHAPE,
          "an overflowing size is refused: %s", fv_errmsg(ctx));
    CHECK(fv_tensor_new(ctx, FV_F32, 2, (int64_t[]){1 << 20, 1 << 20}) == NULL, "a 4 TiB tensor is refused: %s",
          fv_errmsg(ctx));
    fv_clear_error(ctx);
    CHECK(fv_errcode(ctx) == FV_OK && fv_errmsg(ctx)[0] == '\0', "errors clear");
    fv_ctx_free(ctx);
}

int main(void)
{
    rng_matches_python();
    rng_properties();
    tensors_and_status();
    return test_finish();
}
