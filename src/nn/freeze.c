/* Freezing for fine-tuning: which layers keep their pretrained weights. A freeze spec names them by rule
 * ("all-but-head", "up-to=LAYER", "fraction=0.75") or by exact name, with '*' as the only wildcard (so that
 * "features.1" is features.1 alone, never features.10). Only weights are frozen; buffers never train anyway. A
 * frozen batch norm also runs in inference mode while training (ops/batch_norm.c), Keras' rule. */
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

static bool weighted(const fv_layer *l)
{
    for (int j = 0; j < l->n_params; j++)
        if (l->params[j]->kind == FV_PARAM_WEIGHT) return true;
    return false;
}

static void set_layer(fv_layer *l, bool trainable)
{
    for (int j = 0; j < l->n_params; j++)
        if (l->params[j]->kind == FV_PARAM_WEIGHT) fv_param_set_trainable(l->params[j], trainable);
}

/* Layers whose name matches pattern exactly, or as a glob when it holds '*'. */
static bool name_matches(const char *pattern, const char *name)
{
    return strchr(pattern, '*') ? fnmatch(pattern, name, 0) == 0 : strcmp(pattern, name) == 0;
}

/* "a,b,conv*": every item must match a weighted layer. */
static fv_status by_names(fv_model *m, const char *list, bool trainable, int *n)
{
    char buf[4096];
    if (strlen(list) >= sizeof buf) return fv_error(m->ctx, FV_ERR_ARG, "freeze: the list of names is too long");
    snprintf(buf, sizeof buf, "%s", list);
    bool *hit = calloc((size_t)m->n_layers + 1, sizeof *hit);
    if (!hit) return fv_error(m->ctx, FV_ERR_NOMEM, "out of memory");
    fv_status s = FV_OK;
    char *save = NULL;
    for (char *item = strtok_r(buf, ",", &save); item && !s; item = strtok_r(NULL, ",", &save)) {
        bool any = false;
        for (int i = 0; i < m->n_layers; i++)
            if (weighted(&m->layers[i]) && name_matches(item, m->layers[i].name)) hit[i] = any = true;
        if (!any)
            s = fv_error(m->ctx, FV_ERR_ARG, "freeze: '%s' matches no layer with weights in model '%s'%s", item,
                         m->name, strchr(item, '*') ? "" : " (names are exact; use * for a prefix, as 'features.*')");
    }
    for (int i = 0; !s && i < m->n_layers; i++)
        if (hit[i]) set_layer(&m->layers[i], trainable), (*n)++;
    free(hit);
    return s;
}

/* Weighted layers [0, last] frozen (or all but the ones after: trainable), the rest left. */
static void up_to(fv_model *m, int last, bool trainable, int *n)
{
    for (int i = 0; i <= last; i++)
        if (weighted(&m->layers[i]) && m->layers[i].share == 0) set_layer(&m->layers[i], trainable), (*n)++;
}

static int weighted_count(const fv_model *m)
{
    int w = 0;
    for (int i = 0; i < m->n_layers; i++) w += weighted(&m->layers[i]) && m->layers[i].share == 0;
    return w;
}

/* The index of the k-th (0-based) weighted layer. */
static int weighted_at(const fv_model *m, int k)
{
    for (int i = 0; i < m->n_layers; i++)
        if (weighted(&m->layers[i]) && m->layers[i].share == 0 && k-- == 0) return i;
    return -1;
}

/* The layer named, or else the last one inside the module path name ("layer3" for layer3.1.relu, as
 * torchvision's modules name them); -1 when neither exists. */
static int last_of(const fv_model *m, const char *name)
{
    int k = fv_model_find_layer(m, name);
    size_t n = strlen(name);
    for (int i = 0; k < 0 && n && i < m->n_layers; i++)
        if (strncmp(m->layers[i].name, name, n) == 0 && m->layers[i].name[n] == '.') k = -2 - i;
    return k < -1 ? -2 - k : k;
}

fv_status fv_model_freeze(fv_model *m, const char *spec, const char *head, int *n_layers)
{
    int n = 0;
    if (n_layers) *n_layers = 0;
    if (!m || !spec || !*spec) return m ? fv_error(m->ctx, FV_ERR_ARG, "freeze: an empty spec") : FV_ERR_ARG;
    fv_status s = FV_OK;
    if (strcmp(spec, "none") == 0) {
        up_to(m, m->n_layers - 1, true, &n);
        n = 0;
    } else if (strcmp(spec, "all") == 0) {
        up_to(m, m->n_layers - 1, false, &n);
    } else if (strcmp(spec, "all-but-head") == 0) {
        int h = fv_model_head_layer(m, head);
        if (h < 0) return fv_errcode(m->ctx);
        up_to(m, m->n_layers - 1, false, &n);
        set_layer(&m->layers[h], true), n--;
    } else if (strncmp(spec, "up-to=", 6) == 0) {
        int last = last_of(m, spec + 6);
        if (last < 0) return fv_error(m->ctx, FV_ERR_ARG, "freeze: up-to=%s: no such layer in model '%s'", spec + 6, m->name);
        up_to(m, last, false, &n);
    } else if (strncmp(spec, "fraction=", 9) == 0) {
        char *end;
        double f = strtod(spec + 9, &end);
        if (end == spec + 9 || *end || !(f > 0 && f <= 1))
            return fv_error(m->ctx, FV_ERR_ARG, "freeze: fraction=%s must be a number in (0, 1]", spec + 9);
        int w = weighted_count(m), k = (int)ceil(f * w);
        if (k > 0) up_to(m, weighted_at(m, k - 1), false, &n);
    } else {
        s = by_names(m, spec, false, &n);
    }
    if (n_layers) *n_layers = n;
    return s;
}

fv_status fv_model_unfreeze(fv_model *m, const char *names, int *n_layers)
{
    int n = 0;
    if (!m) return FV_ERR_ARG;
    fv_status s = names && *names ? by_names(m, names, true, &n) : (up_to(m, m->n_layers - 1, true, &n), FV_OK);
    if (n_layers) *n_layers = n;
    return s;
}

char *fv_model_frozen_layers(const fv_model *m)
{
    size_t len = 0, cap = 0;
    char *buf = NULL;
    for (int i = 0; m && i < m->n_layers; i++) {
        const fv_layer *l = &m->layers[i];
        bool frozen = false;
        for (int j = 0; j < l->n_params && l->share == 0; j++)
            frozen |= l->params[j]->kind == FV_PARAM_WEIGHT && !l->params[j]->trainable;
        if (!frozen) continue;
        if ((len && fv_text_append(&buf, &len, &cap, ",") != FV_OK) || fv_text_append(&buf, &len, &cap, l->name) != FV_OK) {
            free(buf);
            return NULL;
        }
    }
    return buf ? buf : calloc(1, 1);
}
