/* Data sets as the commands name them, over the library's fv_dataset: the named sets Debian packages
 * (fashion-mnist, mnist) or a directory of IDX files, one split at a time, optionally cut to its first samples. */
#include <stdio.h>
#include <stdlib.h>

#include "args.h"
#include "cli_data.h"

struct cli_data {
    fv_dataset *ds;
};

cli_data *cli_data_open(fv_ctx *ctx, const char *spec, bool train, int64_t limit)
{
    fv_dataset *ds = fv_dataset_find(ctx, spec, train);
    if (!ds) return NULL;
    if (limit > 0 && limit < fv_dataset_count(ds)) {
        fv_dataset *cut = fv_dataset_range(ds, 0, limit);
        fv_dataset_free(ds);
        if (!(ds = cut)) return NULL;
    }
    cli_data *d = malloc(sizeof *d);
    if (!d) {
        fv_dataset_free(ds);
        fprintf(stderr, "out of memory opening %s\n", spec);
        return NULL;
    }
    d->ds = ds;
    return d;
}

void cli_data_free(cli_data *d)
{
    if (!d) return;
    fv_dataset_free(d->ds);
    free(d);
}

int64_t cli_data_count(const cli_data *d) { return fv_dataset_count(d->ds); }
void cli_data_shape(const cli_data *d, int64_t shape[3]) { fv_dataset_shape(d->ds, shape); }
int cli_data_classes(const cli_data *d) { return fv_dataset_classes(d->ds); }
const char *cli_data_class_name(const cli_data *d, int k) { return fv_dataset_class_name(d->ds, k); }

fv_data_source cli_data_source(cli_data *d)
{
    fv_data_source s = {fv_dataset_count(d->ds), fv_dataset_fetch, d->ds};
    return s;
}

void cli_data_balanced_weights(const cli_data *d, float *w, int k)
{
    int64_t *counts = calloc((size_t)k, sizeof *counts);
    if (!counts) return;
    fv_dataset_class_counts(d->ds, counts);
    int64_t n = fv_dataset_count(d->ds);
    for (int c = 0; c < k; c++) w[c] = counts[c] ? (float)((double)n / ((double)k * (double)counts[c])) : 0.0f;
    free(counts);
}

int cli_data_check_model(const cli_data *d, const fv_model *m, const char *prog, const char *spec)
{
    int64_t ds[3], ms[FV_MAX_DIMS];
    fv_dataset_shape(d->ds, ds);
    int nd = fv_model_input_shape(m, ms);
    int64_t dsize = ds[0] * ds[1] * ds[2], msize = 1;
    for (int i = 0; i < nd; i++) msize *= ms[i];
    bool same = nd == 3 ? ds[0] == ms[0] && ds[1] == ms[1] && ds[2] == ms[2] : dsize == msize;
    if (same) return 0;
    fprintf(stderr, "%s: the images of %s are %lldx%lldx%lld but model '%s' takes ", prog, spec, (long long)ds[0],
            (long long)ds[1], (long long)ds[2], fv_model_name(m));
    for (int i = 0; i < nd; i++) fprintf(stderr, "%s%lld", i ? "x" : "", (long long)ms[i]);
    fprintf(stderr, "%s\n", nd == 1 ? " features" : "");
    return 1;
}

fv_tensor *cli_load_image(fv_ctx *ctx, const fv_cli_args *a, const fv_model *m, int32_t *label, const char *prog)
{
    *label = -1;
    if (fv_cli_npos(a) > 1) return fv_npy_read(ctx, fv_cli_pos_at(a, 1));
    cli_data *d = cli_data_open(ctx, fv_cli_str(a, "data"), false, 0);
    if (!d) return NULL;
    int64_t s[3], i = fv_cli_int(a, "index");
    cli_data_shape(d, s);
    fv_tensor *x = NULL, *y = NULL;
    if (cli_data_check_model(d, m, prog, fv_cli_str(a, "data"))) goto done;
    if (i >= cli_data_count(d)) {
        fprintf(stderr, "%s: --index %lld is past the %lld images of %s\n", prog, (long long)i,
                (long long)cli_data_count(d), fv_cli_str(a, "data"));
        goto done;
    }
    x = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){1, s[0], s[1], s[2]});
    y = fv_tensor_new(ctx, FV_I32, 1, (int64_t[]){1});
    fv_data_source src = cli_data_source(d);
    if (x && y && src.fetch(src.data, -1, &i, 1, x, y) == FV_OK) *label = fv_i32(y)[0];
    else fv_tensor_free(x), x = NULL;
done:
    fv_tensor_free(y);
    cli_data_free(d);
    return x;
}

