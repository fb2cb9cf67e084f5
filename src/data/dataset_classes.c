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
