/* Matching a dataset's classes to a model's by name: a folder of classes sorted differently from the ones a
 * model was trained on (or holding other classes) must not be scored, fine-tuned or resumed by index alone.
 * Datasets without names (IDX without classes.txt, integer CSV labels) keep index matching. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset_internal.h"

#define LIST_SHOWN 8 /* names shown of each list in a message */

/* "a, b, c, ... (N in all)" into buf, each name cut to 24 bytes. */
static void list_names(char *buf, size_t cap, const char *const *names, int n)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int k = 0; k < n && k < LIST_SHOWN && at < cap; k++)
        at += (size_t)snprintf(buf + at, cap - at, "%s%.24s", k ? ", " : "", names[k]);
    if (n > LIST_SHOWN && at < cap) snprintf(buf + at, cap - at, ", ... (%d in all)", n);
}

static int find(const char *const *names, int n, const char *name)
{
    for (int k = 0; k < n; k++)
        if (names[k] && strcmp(names[k], name) == 0) return k;
    return -1;
}

static fv_status refuse(const fv_dataset *ds, const char *bad, const char *const *names, int n)
{
    char have[200], want[200];
    list_names(have, sizeof have, (const char *const *)ds->store->names, ds->store->n_classes);
    list_names(want, sizeof want, names, n);
    return fv_error(ds->ctx, FV_ERR_FORMAT, "%s: class '%.40s' is not one of the model's classes (the data's: %s; the "
                    "model's: %s)", ds->store->origin, bad, have, want);
}

fv_status fv_dataset_match_class_names(fv_dataset *ds, const char *const *names, int n)
{
    if (!ds || n < 0 || (n && !names)) return FV_ERR_ARG;
    ds_store *st = ds->store;
    if (!st->names || n == 0) return FV_OK; /* index matching */
    int k = st->n_classes, *to = malloc((size_t)(k ? k : 1) * sizeof *to);
    if (!to) return fv_error(ds->ctx, FV_ERR_NOMEM, "out of memory matching class names");
    bool same = k == n;
    for (int c = 0; c < k; c++) {
        if ((to[c] = find(names, n, st->names[c])) < 0) {
            free(to);
            return refuse(ds, st->names[c], names, n);
        }
        same &= to[c] == c;
    }
    fv_status s = FV_OK;
    if (!same) { /* the model's names and order; the store's labels (shared by every subset) renumbered */
        char **copy = calloc((size_t)n, sizeof *copy);
        for (int c = 0; copy && c < n; c++)
            if (!(copy[c] = strdup(names[c] ? names[c] : ""))) {
                for (int j = 0; j < c; j++) free(copy[j]);
                free(copy), copy = NULL;
            }
        if (!copy) {
            s = fv_error(ds->ctx, FV_ERR_NOMEM, "out of memory matching class names");
        } else {
            for (int64_t i = 0; i < st->n; i++) st->labels[i] = to[st->labels[i]];
            for (int c = 0; c < k; c++) free(st->names[c]);
            free(st->names);
            st->names = copy, st->n_classes = n;
        }
    }
    free(to);
    return s;
}

/* ---- a data set of some classes ------------------------------------------------------------------------ */

/* Store sample j's pixels, or its file, into sample i of a new store. */
static bool copy_sample(ds_store *to, int64_t i, const ds_store *from, int64_t j)
{
    int64_t per = from->c * from->h * from->w;
    if (from->u8) memcpy(to->u8 + i * per, from->u8 + j * per, (size_t)per);
    if (from->f32) memcpy(to->f32 + i * per, from->f32 + j * per, (size_t)per * sizeof(float));
    return !from->paths || (to->paths[i] = strdup(from->paths[j])) != NULL;
}

/* Room for n samples of from's kind (bytes, floats or file names). */
static bool alloc_like(ds_store *to, const ds_store *from, int64_t n)
{
    size_t per = (size_t)(from->c * from->h * from->w);
    if (from->u8 && !(to->u8 = malloc((size_t)n * per))) return false;
    if (from->f32 && !(to->f32 = malloc((size_t)n * per * sizeof(float)))) return false;
    if (from->paths && !(to->paths = calloc((size_t)n, sizeof *to->paths))) return false;
    to->filter = from->filter, to->fit = from->fit;
    return true;
}

fv_dataset *fv_dataset_select_classes(const fv_dataset *ds, const int *classes, int k)
{
    if (!ds) return NULL;
    const ds_store *st = ds->store;
    int *to = malloc((size_t)st->n_classes * sizeof *to);
    if (!to) return fv_error(ds->ctx, FV_ERR_NOMEM, "out of memory"), NULL;
    for (int c = 0; c < st->n_classes; c++) to[c] = -1;
    for (int i = 0; i < k; i++) {
        if (classes[i] < 0 || classes[i] >= st->n_classes || to[classes[i]] >= 0) {
            fv_error(ds->ctx, FV_ERR_ARG, "%s: class %d is %s (the data set has %d classes)", st->origin, classes[i],
                     classes[i] >= 0 && classes[i] < st->n_classes ? "given twice" : "not one of its classes",
                     st->n_classes);
            free(to);
            return NULL;
        }
        to[classes[i]] = i;
    }
    int64_t n = 0;
    for (int64_t i = 0; i < ds->n; i++) n += to[fv_dataset_label(ds, i)] >= 0;
    ds_store *out = n && k > 0 ? ds_store_new(ds->ctx, n, st->c, st->h, st->w, st->origin) : NULL;
    if (!out) {
        if (!n || k <= 0) fv_error(ds->ctx, FV_ERR_ARG, "%s: no samples of the classes asked for", st->origin);
        free(to);
        return NULL;
    }
    bool ok = alloc_like(out, st, n);
    for (int64_t i = 0, m = 0; ok && i < ds->n; i++) {
        int c = to[fv_dataset_label(ds, i)];
        if (c < 0) continue;
        out->labels[m] = c;
        ok = copy_sample(out, m++, st, ds->index ? ds->index[i] : i);
    }
    out->n_classes = k;
    fv_dataset *sel = ok ? ds_wrap(ds->ctx, out) : NULL;
    if (!ok) ds_store_unref(out), fv_error(ds->ctx, FV_ERR_NOMEM, "%s: out of memory selecting classes", st->origin);
    const char *names[FV_DATASET_MAX_CLASSES > 4096 ? 4096 : FV_DATASET_MAX_CLASSES];
    if (sel && st->names && k <= 4096) {
        for (int i = 0; i < k; i++) names[i] = st->names[classes[i]];
        if (fv_dataset_set_class_names(sel, names, k) != FV_OK) fv_dataset_free(sel), sel = NULL;
    }
    free(to);
    return sel;
}
