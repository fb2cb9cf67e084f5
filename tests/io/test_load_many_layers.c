/* Loading a model of 100,000 layers is linear: a description (unnamed layers, from= references, parameters),
 * its model file, its ONNX export and a hand-made ONNX graph of unnamed nodes each load well inside a hang
 * guard. Before names were hashed, 4,000 unnamed layers took ~25 s (naming was cubic), so 100,000 never ended.
 * No tight time bar (shared machines are noisy): the guard counts CPU time, not wall time, and only catches a
 * return to quadratic loading (the test takes about 10 s of CPU under ASan, 3 s optimized). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "../onnx/pb.h"
#include "fovea/onnx.h"
#include "test.h"

#define N_LAYERS 100000
#define HANG_GUARD_S 60 /* seconds of CPU for the whole test */

static void hang(int sig)
{
    (void)sig;
    static const char msg[] = "FAIL loading many layers hung (over 60 s of CPU, or 600 s): quadratic or worse again\n"
                              "0 passed, 1 failed\n";
    if (write(2, msg, sizeof msg - 1) < 0) _exit(2);
    _exit(1);
}

/* A text buffer grown by appends. */
typedef struct {
    char *s;
    size_t n, cap;
} text;

static void add(text *t, const char *line)
{
    size_t k = strlen(line);
    if (t->n + k + 1 > t->cap) {
        t->cap = 2 * (t->n + k + 1);
        t->s = realloc(t->s, t->cap);
        if (!t->s) abort();
    }
    memcpy(t->s + t->n, line, k + 1);
    t->n += k;
}

/* Groups of dense, batch_norm, relu and add (a residual link by from=) of automatic names, and one layer a user
 * named as the automatic name of a later relu would be. */
static char *mixed_description(void)
{
    text t = {0};
    add(&t, "input shape=4\n");
    char line[128];
    for (int i = 0; 4 * i + 1 < N_LAYERS; i++) {
        char dense[32] = "dense", relu[32] = "relu";
        /* relu_5 goes to the layer after the one named relu_7, and relu_8 follows relu_6 */
        if (i) snprintf(dense, sizeof dense, "dense_%d", i), snprintf(relu, sizeof relu, "relu_%d", i - (i == 6 || i == 7));
        add(&t, "dense units=4\n");
        add(&t, "batch_norm\n");
        add(&t, i == 5 ? "relu relu_7\n" : "relu\n"); /* relu_7 taken: the automatic names skip it */
        snprintf(line, sizeof line, "add from=%s,%s\n", i == 5 ? "relu_7" : relu, dense);
        add(&t, line);
    }
    return t.s;
}

static void check_names(const fv_model *m, const char *what)
{
    int n = fv_model_layer_count(m);
    CHECK(n == N_LAYERS + 1, "%s: %d layers", what, n);
    const char *want[][2] = {{"1", "dense"}, {"2", "batch_norm"}, {"3", "relu"}, {"6", "batch_norm_1"},
                             {"7", "relu_1"}, {"23", "relu_7"}, {"27", "relu_5"}, {"31", "relu_6"}, {"35", "relu_8"},
                             {"99999", "relu_24999"}, {"100000", "add_24999"}};
    for (size_t k = 0; k < sizeof want / sizeof *want; k++) {
        const char *got = fv_model_layer_name(m, atoi(want[k][0]));
        CHECK(got && strcmp(got, want[k][1]) == 0, "%s: layer %s is named %s (%s)", what, want[k][0], want[k][1],
              got ? got : "none");
    }
    int add_last = fv_model_find_layer(m, "add_24999");
    CHECK(add_last == N_LAYERS && fv_model_layer_input(m, add_last, 0) == N_LAYERS - 1 &&
              fv_model_layer_input(m, add_last, 1) == N_LAYERS - 3,
          "%s: from= of the last add names relu_24999 and dense_24999", what);
    CHECK(fv_model_param_count(m) == 6 * (N_LAYERS / 4) && fv_model_find_param(m, "batch_norm_24999.running_var"),
          "%s: %d parameters, found by name", what, fv_model_param_count(m));
}

/* A graph of N_LAYERS unnamed Relu nodes, as some exporters write them. */
static pb unnamed_relus(void)
{
    pb g = {0};
    char in[32], out[32];
    for (int i = 0; i < N_LAYERS; i++) {
        snprintf(in, sizeof in, i ? "t%d" : "x", i);
        snprintf(out, sizeof out, i + 1 < N_LAYERS ? "t%d" : "y", i + 1);
        pb nd = pb_node("Relu", NULL, in, out);
        pb_msg(&g, 1, &nd);
    }
    int64_t dims[2] = {-1, 4};
    pb vi = pb_value_info("x", 2, dims), vo = pb_value_info("y", 0, NULL);
    pb_msg(&g, 11, &vi), pb_msg(&g, 12, &vo);
    return pb_model(13, &g);
}

int main(void)
{
    signal(SIGPROF, hang);
    signal(SIGALRM, hang);
    struct itimerval cpu = {{0, 0}, {HANG_GUARD_S, 0}};
    setitimer(ITIMER_PROF, &cpu, NULL);
    alarm(10 * HANG_GUARD_S); /* and a wall-clock net, far enough for the busiest machine */
    fv_ctx *ctx = fv_ctx_new(1);

    char *desc = mixed_description();
    fv_model *m = fv_model_parse(ctx, desc, "many.fvd");
    free(desc);
    if (!CHECK(m, "a description of %d layers parses (%s)", N_LAYERS, fv_errmsg(ctx))) return test_finish();
    check_names(m, "description");

    char path[] = "/tmp/fovea_many_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0 && fv_model_save(m, path) == FV_OK, "saved as a model file (%s)", fv_errmsg(ctx));
    fv_model *back = fv_model_load(ctx, path);
    CHECK(back, "the model file loads (%s)", fv_errmsg(ctx));
    if (back) check_names(back, "model file");
    fv_model_free(back);

    void *bytes = NULL;
    size_t size = 0;
    CHECK(fv_onnx_save_mem(m, 13, &bytes, &size) == FV_OK, "exported to ONNX (%s)", fv_errmsg(ctx));
    back = bytes ? fv_onnx_load_mem(ctx, bytes, size, "many.onnx") : NULL;
    CHECK(back && fv_model_layer_count(back) == N_LAYERS + 1 && fv_model_find_layer(back, "add_24999") == N_LAYERS,
          "the ONNX export loads with its names (%s)", fv_errmsg(ctx));
    fv_model_free(back);
    free(bytes);

    pb relus = unnamed_relus();
    back = fv_onnx_load_mem(ctx, relus.b, relus.n, "relus.onnx");
    CHECK(back && fv_model_layer_count(back) == N_LAYERS + 1, "an ONNX graph of %d unnamed nodes loads (%s)", N_LAYERS,
          fv_errmsg(ctx));
    const char *last = back ? fv_model_layer_name(back, N_LAYERS) : NULL;
    CHECK(back && strcmp(fv_model_layer_name(back, 1), "relu") == 0 && strcmp(fv_model_layer_name(back, 2), "relu_1") == 0 &&
              last && strcmp(last, "relu_99999") == 0,
          "its layers are named relu, relu_1 ... relu_99999 (last: %s)", last ? last : "none");
    fv_model_free(back);
    free(relus.b);

    if (fd >= 0) close(fd), unlink(path);
    fv_model_free(m);
    fv_ctx_free(ctx);
    return test_finish();
}
