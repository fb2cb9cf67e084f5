/* Importing a 100 MB ONNX model (a convolution stack and a 4096 x 6144 dense layer, 25 M parameters): the
 * weights arrive intact. Prints the times (wall clock; about 0.5 s beyond reading the file on a quiet 2-core
 * machine), but asserts none: on a shared machine a time bound makes a flaky test, and speed is the business
 * of the benchmarks. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fovea/onnx.h"
#include "test.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(void)
{
    fv_ctx *ctx = fv_ctx_new(2);
    fv_model *m = fv_model_parse(ctx, "input x shape=16x16x16\nconv2d c1 filters=64 kernel=3 padding=1\n"
                                      "batch_norm bn\nrelu r\nconv2d c2 filters=16 kernel=3 padding=1\nflatten f\n"
                                      "dense fc units=6144\nrelu r2\ndense out units=10\n", "large");
    char path[] = "/tmp/fovea_large_XXXXXX";
    int fd = mkstemp(path);
    if (!CHECK(m && fv_model_init(m) == FV_OK && fd >= 0 && fv_onnx_save(m, path, 13) == FV_OK, "a model of %lld "
               "parameters saved (%s)", m ? (long long)fv_model_param_totals(m).total : 0LL, fv_errmsg(ctx)))
        return test_finish();
    close(fd);
    double t0 = now();
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    size_t n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    void *buf = malloc(n);
    size_t got = fread(buf, 1, n, f);
    fclose(f);
    double t1 = now();
    fv_model *back = got == n ? fv_onnx_load_mem(ctx, buf, n, path) : NULL;
    double t2 = now();
    fv_model *again = fv_onnx_load(ctx, path);
    double t3 = now();
    CHECK(back && again && n > 100e6, "%.1f MB read in %.3f s, imported in %.3f s more (fv_onnx_load, reading "
          "included: %.3f s)", (double)n / 1e6, t1 - t0, t2 - t1, t3 - t2);
    fv_param *p = back ? fv_model_find_param(back, "fc.weight") : NULL;
    CHECK(p && memcmp(p->value.data, fv_model_find_param(m, "fc.weight")->value.data, (size_t)p->value.size * 4) == 0,
          "the 25 M weights arrive intact");
    unlink(path);
    free(buf);
    fv_model_free(again), fv_model_free(back), fv_model_free(m);
    fv_ctx_free(ctx);
    return test_finish();
}
