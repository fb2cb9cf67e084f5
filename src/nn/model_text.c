/* The description text (docs/MODELS.md) and the model: a line is parsed into a layer spec (fovea/layer.h)
 * that fv_model_add_spec checks and adds as it does any spec, and fv_model_describe writes each layer back
 * as a line that parses to the same layer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

/* Split "name key=v key=v from=a,b" into the layer; where prefixes messages ("net.fvd:3: "). */
static fv_status parse_args(fv_model *m, fv_layer *l, const char *args, const char *where, char *from, size_t from_size,
                            char *share, size_t share_size)
{
    char buf[FV_LINE_MAX];
    if (strlen(args) >= sizeof buf)
        return fv_error(m->ctx, FV_ERR_ARG, "%s%s: the layer's description is too long", where, l->type->name);
    strcpy(buf, args);
    bool first = true;
    for (char *tok = strtok(buf, " \t\r\n"); tok; tok = strtok(NULL, " \t\r\n"), first = false) {
        char *eq = strchr(tok, '=');
        if (!eq) {
            if (!first) return fv_error(m->ctx, FV_ERR_ARG, "%s%s '%s': '%s' is not key=value", where, l->type->name,
                                        l->name, tok);
            if (strlen(tok) >= sizeof l->name)
                return fv_error(m->ctx, FV_ERR_ARG, "%slayer name '%.40s...' is longer than 63 characters", where, tok);
            snprintf(l->name, sizeof l->name, "%s", tok);
            continue;
        }
        *eq = '\0';
        if (strcmp(tok, "from") == 0) {
            snprintf(from, from_size, "%s", eq + 1);
            continue;
        }
        if (strcmp(tok, "share") == 0) {
            snprintf(share, share_size, "%s", eq + 1);
            continue;
        }
        fv_status s = fv_layer_set_key(m->ctx, where, l, tok, eq + 1);
        if (s) return s;
    }
    return FV_OK; /* a required key not given is still marked unset: fv_model_add_spec reports it */
}


/* One layer line without its type: the keys are read into a scratch layer (fv_layer_set_key checks their
 * syntax and names the layer in its messages), then handed on as a spec with from= and share= by name. */
static int add_text(fv_model *m, const char *type, const char *args, const char *where)
{
    if (!m) return -1;
    const fv_layer_type *t = fv_layer_type_find(type ? type : "");
    if (!t) {
        fv_error(m->ctx, FV_ERR_ARG, "%sunknown layer type '%s'", where, type ? type : "(null)");
        return -1;
    }
    fv_layer l;
    memset(&l, 0, sizeof l);
    l.type = t;
    fv_layer_spec_defaults(t, &l.a);
    fv_model_auto_name(m, t, l.name, sizeof l.name); /* a name token replaces it; key errors have one to show */
    char from[FV_LINE_MAX] = "", share[FV_LINE_MAX] = "";
    if (parse_args(m, &l, args ? args : "", where, from, sizeof from, share, sizeof share) != FV_OK) return -1;
    fv_layer_spec s = {.type = t->name, .name = l.name, .share = *share ? share : NULL, .a = l.a};
    for (char *tok = strtok(from, ","); tok; tok = strtok(NULL, ",")) {
        if (s.n_in < FV_LAYER_MAX_INPUTS) s.in_name[s.n_in] = tok;
        if (s.n_in <= FV_LAYER_MAX_INPUTS) s.n_in++; /* one past the most: refused as too many */
    }
    return fv_model_add_spec(m, &s, where);
}

int fv_model_add(fv_model *m, const char *type, const char *args) { return add_text(m, type, args, ""); }

/* The text of an `outputs` line: layer names separated by commas. */
static fv_status set_outputs_text(fv_model *m, const char *text, const char *where)
{
    char buf[FV_LINE_MAX];
    int layers[FV_MODEL_MAX_IO], n = 0;
    snprintf(buf, sizeof buf, "%s", text + strspn(text, " \t\r"));
    buf[strcspn(buf, " \t\r")] = '\0';
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        int k = fv_model_find_layer(m, tok);
        if (k < 0) return fv_error(m->ctx, FV_ERR_ARG, "%soutputs: no layer '%s' before this line", where, tok);
        if (n == FV_MODEL_MAX_IO) return fv_error(m->ctx, FV_ERR_ARG, "%soutputs: more than %d", where, FV_MODEL_MAX_IO);
        layers[n++] = k;
    }
    if (!n) return fv_error(m->ctx, FV_ERR_ARG, "%soutputs: name the output layers (outputs a,b)", where);
    return fv_model_set_outputs(m, layers, n);
}

fv_model *fv_model_parse(fv_ctx *ctx, const char *text, const char *source)
{
    if (!ctx) return NULL;
    if (!text) {
        fv_error(ctx, FV_ERR_ARG, "model description is NULL");
        return NULL;
    }
    fv_model *m = fv_model_new(ctx, NULL);
    if (!m) return NULL;
    const char *src = source ? source : "model";
    int lineno = 0;
    for (const char *p = text; *p;) {
        const char *end = strchr(p, '\n');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        lineno++;
        char line[FV_LINE_MAX], where[300];
        snprintf(where, sizeof where, "%s:%d: ", src, lineno);
        if (n >= sizeof line) {
            fv_error(ctx, FV_ERR_ARG, "%sline is longer than %zu characters", where, sizeof line - 1);
            goto fail;
        }
        memcpy(line, p, n);
        line[n] = '\0';
        p = end ? end + 1 : p + n;
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        char *type = line + strspn(line, " \t\r");
        if (!*type) continue;
        char *rest = type + strcspn(type, " \t\r");
        if (*rest) *rest++ = '\0';
        if (strcmp(type, "outputs") == 0) { /* "outputs a,b": what graphs of the model output */
            if (set_outputs_text(m, rest, where) != FV_OK) goto fail;
            continue;
        }
        if (strcmp(type, "task") == 0) { /* "task segment loss=...": what the model is trained for */
            if (fv_model_set_task(m, rest) != FV_OK) {
                char msg[400];
                snprintf(msg, sizeof msg, "%s", fv_errmsg(ctx));
                fv_error(ctx, FV_ERR_ARG, "%s%s", where, msg);
                goto fail;
            }
            continue;
        }
        if (strcmp(type, "model") == 0) { /* "model NAME": the model's name */
            char *name = rest + strspn(rest, " \t\r");
            name[strcspn(name, " \t\r")] = '\0';
            if (*name) snprintf(m->name, sizeof m->name, "%s", name);
            continue;
        }
        if (add_text(m, type, rest, where) < 0) goto fail;
    }
    if (m->n_layers < 2) {
        fv_error(ctx, FV_ERR_ARG, "%s: a model needs an input and at least one layer", src);
        goto fail;
    }
    return m;
fail:
    fv_model_free(m);
    return NULL;
}

char *fv_model_describe(const fv_model *m)
{
    if (!m) return NULL;
    char *buf = NULL, line[FV_LINE_MAX + 400];
    size_t len = 0, cap = 0;
    snprintf(line, sizeof line, "model %s\n", m->name);
    bool ok = fv_text_append(&buf, &len, &cap, line) == FV_OK;
    for (int i = 0; ok && i < m->n_layers; i++) {
        const fv_layer *l = &m->layers[i];
        snprintf(line, sizeof line, "%s %s", l->type->name, l->name);
        ok = fv_text_append(&buf, &len, &cap, line) == FV_OK && fv_layer_write_keys(l, &buf, &len, &cap) == FV_OK;
        if (ok && l->share) {
            snprintf(line, sizeof line, " share=%s", m->layers[l->share - 1].name);
            ok = fv_text_append(&buf, &len, &cap, line) == FV_OK;
        }
        if (ok && l->n_in && !(l->n_in == 1 && l->in[0] == i - 1)) { /* the previous layer goes without saying */
            snprintf(line, sizeof line, " from=");
            for (int j = 0; j < l->n_in; j++) {
                if (j) strcat(line, ",");
                strcat(line, m->layers[l->in[j]].name); /* FV_LAYER_MAX_INPUTS names of < 64 characters fit */
            }
            ok = fv_text_append(&buf, &len, &cap, line) == FV_OK;
        }
        ok = ok && fv_text_append(&buf, &len, &cap, "\n") == FV_OK;
    }
    for (int j = 0; ok && j < m->n_outputs; j++)
        ok = fv_text_append(&buf, &len, &cap, j ? "," : "outputs ") == FV_OK &&
             fv_text_append(&buf, &len, &cap, m->layers[m->outputs[j]].name) == FV_OK &&
             (j + 1 < m->n_outputs || fv_text_append(&buf, &len, &cap, "\n") == FV_OK);
    if (ok && m->task[0]) {
        snprintf(line, sizeof line, "task %s\n", m->task);
        ok = fv_text_append(&buf, &len, &cap, line) == FV_OK;
    }
    if (!ok) {
        free(buf);
        fv_error(m->ctx, FV_ERR_NOMEM, "out of memory describing model '%s'", m->name);
        return NULL;
    }
    return buf;
}

