/* fovea's side of the zoo inference benchmark (../shared/BENCHMARKS.md, "Zoo inference set"): a zoo model
 * (random weights drawn by fv_model_init, inference graph: eval mode, batch norms folded) at 224x224, batch B;
 * prints the median and minimum of `rounds` forward passes after `warmup` passes, and peak RSS. With a fifth
 * argument it writes the same model (same seed) as ONNX with fv_onnx_save instead, for ONNX Runtime. NAME may
 * be an .onnx file instead (architectures the zoo does not build, as PyTorch exported them), run at its own
 * input size.
 * Usage: bench_zoo NAME|FILE.onnx BATCH THREADS ROUNDS [EXPORT.onnx]   (env WARMUP, default 2) */
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "fovea.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 5) return fprintf(stderr, "usage: bench_zoo NAME BATCH THREADS ROUNDS [EXPORT.onnx]\n"), 2;
    const char *name = argv[1];
    int batch = atoi(argv[2]), threads = atoi(argv[3]), rounds = atoi(argv[4]);
    int warmup = getenv("WARMUP") ? atoi(getenv("WARMUP")) : 2;
    if (rounds < 1) rounds = 1;
    fv_ctx *ctx = fv_ctx_new(1);
    fv_ctx_set_threads(ctx, threads);
    size_t len = strlen(name);
    bool file = len > 5 && strcmp(name + len - 5, ".onnx") == 0;
    fv_model *m = file ? fv_onnx_load(ctx, name) : fv_zoo_build(ctx, name, NULL);
    if (!m || (!file && fv_model_init(m) != FV_OK)) return fprintf(stderr, "%s\n", fv_errmsg(ctx)), 1;
    if (file) { /* "DIR/convnext_tiny.onnx" is reported as convnext_tiny */
        name = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
        static char base[128];
        snprintf(base, sizeof base, "%.*s", (int)(strlen(name) - 5), name);
        name = base;
    }
    if (argc > 5) {
        if (fv_onnx_save(m, argv[5], 0) != FV_OK) return fprintf(stderr, "%s\n", fv_errmsg(ctx)), 1;
        fv_model_free(m);
        fv_ctx_free(ctx);
        return 0;
    }
    fv_node *in, *out;
    fv_graph *g = fv_model_build_inference(m, batch, &in, &out);
    if (!g) return fprintf(stderr, "%s\n", fv_errmsg(ctx)), 1;
    int64_t shape[FV_MAX_DIMS] = {batch};
    int nd = fv_model_input_shape(m, shape + 1) + 1;
    fv_tensor *x = fv_tensor_new(ctx, FV_F32, nd, shape);
    if (!x) return fprintf(stderr, "%s\n", fv_errmsg(ctx)), 1;
    for (int64_t i = 0; i < x->size; i++) fv_f32(x)[i] = fv_rng_uniform(7, 0, (uint64_t)i);
    if (fv_graph_set_input(g, in, x) != FV_OK) return fprintf(stderr, "%s\n", fv_errmsg(ctx)), 1;
    for (int i = 0; i < warmup; i++)
        if (fv_graph_forward(g) != FV_OK) return fprintf(stderr, "%s\n", fv_errmsg(ctx)), 1;
    double *times = malloc(sizeof *times * (size_t)rounds);
    for (int i = 0; i < rounds; i++) {
        double t0 = now();
        if (fv_graph_forward(g) != FV_OK) return fprintf(stderr, "%s\n", fv_errmsg(ctx)), 1;
        times[i] = now() - t0;
    }
    qsort(times, (size_t)rounds, sizeof *times, cmp);
    double med = rounds % 2 ? times[rounds / 2] : (times[rounds / 2 - 1] + times[rounds / 2]) / 2;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("fovea %s batch %d: median %.3f ms, min %.3f ms, %.1f images/s, %d threads, %s, activations %.1f MiB, "
           "peak RSS %.1f MiB\n", name, batch, med * 1e3, times[0] * 1e3, batch / med, fv_ctx_threads(ctx),
           fv_simd_name(), fv_graph_peak_bytes(g) / 1048576.0, ru.ru_maxrss / 1024.0);
    free(times);
    fv_tensor_free(x);
    fv_graph_free(g);
    fv_model_free(m);
    fv_ctx_free(ctx);
    return 0;
}
