/* Messages and printed names: fv_printable (names from files shown without their control characters),
 * fv_model_summary and the confusion report printing names escaped, fv_model_explain_input (what the model
 * expects, leading the failing layer's own words) and fv_predict naming an int32 batch as such. */
#include <stdlib.h>

#include "fovea/metrics.h"
#include "test.h"

static void test_printable(void)
{
    char buf[64];
    const char *plain = "T-shirt/top caf\xc3\xa9 \xe2\x9c\x93";
    CHECK(fv_printable(plain, buf, sizeof buf) == plain, "clean UTF-8 is returned as it is");
    CHECK(strcmp(fv_printable("a\033[2Jb\n\tc\x7f", buf, sizeof buf), "a\\x1b[2Jb\\n\\tc\\x7f") == 0,
          "ESC, newline, tab and DEL escaped: %s", buf);
    CHECK(strcmp(fv_printable("x\xc2\x9b" "1m\xff", buf, sizeof buf), "x\\xc2\\x9b1m\\xff") == 0,
          "a C1 control (U+009B, CSI) and a byte that is not UTF-8 escaped: %s", buf);
    CHECK(strcmp(fv_printable("\033\033\033\033", buf, 10), "\\x1b\\x1b") == 0, "cut at a whole escape: %s", buf);
    CHECK(strcmp(fv_printable(NULL, buf, sizeof buf), "") == 0, "NULL prints as nothing");
}

/* What f printed, as a malloc'd string (the caller frees). */
static char *printed(void (*print)(FILE *, void *), void *arg)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return NULL;
    print(f, arg);
    fclose(f);
    return text;
}

static void print_summary(FILE *f, void *m) { fv_model_summary(m, f, false); }

static void print_report(FILE *f, void *names)
{
    fv_ctx *ctx = fv_ctx_new(0);
    fv_confusion *cm = fv_confusion_new(ctx, 2);
    int32_t y[2] = {0, 1};
    if (cm) fv_confusion_add(cm, y, y, 2), fv_confusion_print_report(cm, f, names, 20);
    fv_confusion_free(cm);
    fv_ctx_free(ctx);
}

static void test_printed_names(fv_ctx *ctx)
{
    fv_model *m = fv_model_parse(ctx, "model evil\033]0;x\007\ninput shape=1x4x4\nconv2d c\033[2J filters=2 kernel=3\n"
                                      "flatten\ndense fc units=2\n", "test");
    CHECK(m != NULL, "a model named with escape sequences parses (%s)", fv_errmsg(ctx));
    char *text = m ? printed(print_summary, m) : NULL;
    CHECK(text && !strchr(text, '\033') && strstr(text, "Model: \"evil\\x1b]0;x\\x07\"") && strstr(text, " c\\x1b[2J (Conv2D)"),
          "the summary prints the names escaped");
    free(text);
    const char *names[2] = {"cat\033[31m", "dog"};
    text = printed(print_report, (void *)names);
    CHECK(text && !strchr(text, '\033') && strstr(text, "cat\\x1b[31m"), "the confusion report prints class names escaped");
    free(text);
    fv_model_free(m);
}

static void test_expected_input(fv_ctx *ctx)
{
    fv_model *m = fv_model_parse(ctx, "model small\ninput shape=1x8x8\nconv2d conv1 filters=2 kernel=3\nrelu relu1\n"
                                      "flatten\ndense fc units=3\n", "test");
    if (!CHECK(m && fv_model_init(m) == FV_OK, "a small model (%s)", fv_errmsg(ctx))) return;
    fv_tensor *rgb = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){2, 3, 16, 16});
    fv_tensor *p = rgb ? fv_predict(m, rgb) : NULL;
    static const char lead[] = "model 'small' expects (N, 1, 8, 8), got (2, 3, 16, 16): conv2d 'conv1': ";
    CHECK(!p && strncmp(fv_errmsg(ctx), lead, sizeof lead - 1) == 0,
          "an RGB batch for a gray model: %s", fv_errmsg(ctx));
    fv_tensor *ints = fv_tensor_new(ctx, FV_I32, 4, (int64_t[]){2, 1, 8, 8});
    fv_tensor_free(p);
    p = ints ? fv_predict(m, ints) : NULL;
    CHECK(!p && strcmp(fv_errmsg(ctx), "model 'small' expects float32 (N, 1, 8, 8), got int32 (2, 1, 8, 8)") == 0,
          "an int32 batch: %s", fv_errmsg(ctx));
    fv_tensor *good = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){2, 1, 8, 8});
    fv_clear_error(ctx);
    CHECK(good && fv_model_explain_input(m, good, FV_ERR_SHAPE) == FV_ERR_SHAPE && !*fv_errmsg(ctx),
          "a batch of the model's shape adds nothing");
    fv_tensor_free(p), fv_tensor_free(rgb), fv_tensor_free(ints), fv_tensor_free(good);
    fv_model_free(m);
}

int main(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    test_printable();
    test_printed_names(ctx);
    test_expected_input(ctx);
    fv_ctx_free(ctx);
    return test_finish();
}
