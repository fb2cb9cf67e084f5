/* A model file or ONNX file whose weights hold NaN or infinity is refused at load, naming the file, the
 * parameter and the first bad element, unless the context allows it (fv_ctx_allow_nonfinite, the CLI's
 * --allow-nonfinite); a refused load changes nothing. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fovea/onnx.h"
#include "test.h"

static fv_model *poisoned(fv_ctx *ctx, const char *param, int64_t at, float value)
{
    fv_model *m = fv_model_parse(ctx, "input shape=1x6x6\nconv2d c filters=2 kernel=3\nrelu\nflatten\ndense fc units=3\n",
                                 "nonfinite");
    if (!m || fv_model_init(m) != FV_OK) return fv_model_free(m), NULL;
    fv_f32(&fv_model_find_param(m, param)->value)[at] = value;
    return m;
}

static void test_model_file(fv_ctx *ctx, char *path)
{
    const struct {
        const char *param;
        int64_t at;
        float value;
        const char *shown;
    } cases[] = {{"fc.weight", 5, NAN, "element 5 is nan"}, {"c.bias", 1, -INFINITY, "element 1 is -inf"}};
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        fv_model *m = poisoned(ctx, cases[k].param, cases[k].at, cases[k].value);
        CHECK(m && fv_model_save(m, path) == FV_OK, "a model with %s in %s saved (%s)", cases[k].shown, cases[k].param,
              fv_errmsg(ctx));
        fv_model_free(m);
        fv_ctx_allow_nonfinite(ctx, false);
        m = fv_model_load(ctx, path);
        const char *msg = fv_errmsg(ctx);
        CHECK(!m && fv_errcode(ctx) == FV_ERR_NUMERIC && strstr(msg, path) && strstr(msg, cases[k].param) &&
                  strstr(msg, cases[k].shown) && strstr(msg, "--allow-nonfinite"),
              "loading it is refused, naming file, parameter and element: %s", msg);
        fv_model_free(m);
        fv_ctx_allow_nonfinite(ctx, true);
        m = fv_model_load(ctx, path);
        float got = m ? fv_f32(&fv_model_find_param(m, cases[k].param)->value)[cases[k].at] : 0.0f;
        CHECK(m && !isfinite(got), "with the context allowing it, it loads as stored (%s)", fv_errmsg(ctx));
        fv_model_free(m);
    }
    fv_ctx_allow_nonfinite(ctx, false);
}

static void test_onnx(fv_ctx *ctx)
{
    fv_model *m = poisoned(ctx, "fc.weight", 7, INFINITY);
    void *bytes = NULL;
    size_t size = 0;
    CHECK(m && fv_onnx_save_mem(m, 13, &bytes, &size) == FV_OK, "an ONNX file with inf in fc.weight (%s)", fv_errmsg(ctx));
    fv_model_free(m);
    fv_model *back = bytes ? fv_onnx_load_mem(ctx, bytes, size, "inf.onnx") : NULL;
    const char *msg = fv_errmsg(ctx);
    CHECK(!back && fv_errcode(ctx) == FV_ERR_NUMERIC && strstr(msg, "inf.onnx") && strstr(msg, "fc.weight[7] is inf") &&
              strstr(msg, "--allow-nonfinite"),
          "importing it is refused, naming file, parameter and element: %s", msg);
    fv_model_free(back);
    fv_ctx_allow_nonfinite(ctx, true);
    back = bytes ? fv_onnx_load_mem(ctx, bytes, size, "inf.onnx") : NULL;
    CHECK(back && isinf(fv_f32(&fv_model_find_param(back, "fc.weight")->value)[7]),
          "with the context allowing it, it imports (%s)", fv_errmsg(ctx));
    fv_model_free(back);
    fv_ctx_allow_nonfinite(ctx, false);
    free(bytes);
}

int main(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    CHECK(!fv_ctx_nonfinite_allowed(ctx), "non-finite weights are refused by default");
    char path[] = "/tmp/fovea_nonfinite_XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0) {
        close(fd);
        test_model_file(ctx, path);
        unlink(path);
    }
    test_onnx(ctx);
    fv_ctx_free(ctx);
    return test_finish();
}
