/* Keras' model summary, and with --explain the arithmetic of each layer's output size and parameter count
 * written as a course writes it (W2 = (W1 - F + 2P)/S + 1, params = K*(F*F*D1) + K) with the numbers in. */
#include <stdio.h>
#include <string.h>

#include "model_internal.h"

/* 1234567 -> "1,234,567" */
static const char *commas(int64_t v, char *buf, size_t size)
{
    char digits[32];
    snprintf(digits, sizeof digits, "%lld", (long long)(v < 0 ? -v : v));
    size_t n = strlen(digits), o = 0;
    if (v < 0 && o + 1 < size) buf[o++] = '-';
    for (size_t i = 0; i < n && o + 2 < size; i++) {
        if (i && (n - i) % 3 == 0) buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

static void shape_text(const fv_model *m, int i, char *buf, size_t size)
{
    int64_t s[FV_MAX_DIMS];
    int nd = fv_model_layer_shape(m, i, s);
    bool batched = fv_model_layer_batched(m, i); /* a constant, or an input with batch=false, has no batch */
    size_t n = (size_t)snprintf(buf, size, "(%s", batched ? "None" : "");
    for (int d = 0; d < nd && n < size; d++)
        n += (size_t)snprintf(buf + n, size - n, "%s%lld", d || batched ? ", " : "", (long long)s[d]);
    if (n < size) snprintf(buf + n, size - n, ")");
}

/* A layer sharing another's parameters counts none of its own (the rows add up to the total). */
static int64_t layer_param_count(const fv_layer *l)
{
    int64_t n = 0;
    if (l->share) return 0;
    for (int j = 0; j < l->n_params; j++) n += l->params[j]->value.size;
    return n;
}

static int64_t dim_of(const fv_model *m, int layer, int d)
{
    int64_t s[FV_MAX_DIMS];
    int nd = fv_model_layer_shape(m, layer, s);
    return d < nd ? s[d] : 0;
}

/* One spatial axis of a convolution or pooling: axis 1 (H) or 2 (W) of the C, H, W shapes. */
static void explain_axis(FILE *out, const fv_model *m, const fv_layer *l, int i, int axis, bool pool)
{
    const fv_layer_attrs *a = &l->a;
    const char *sym = axis == 1 ? "H" : "W";
    int k = axis - 1;
    int64_t in = dim_of(m, l->in[0], axis), o = dim_of(m, i, axis);
    int f = a->kernel[k], s = a->stride[k] ? a->stride[k] : a->kernel[k], d = a->dilation[k];
    int p0 = a->pad[k], p1 = a->pad[k + 2];
    if (l->type->kind == FV_L_CONV2D && a->pad_mode == FV_PAD_SAME) {
        fprintf(out, "      %s2 = ceil(%s1 / S) = ceil(%lld / %d) = %lld   ('same' padding)\n", sym, sym, (long long)in,
                s, (long long)o);
        return;
    }
    int fe = pool ? f : d * (f - 1) + 1;
    char fdesc[64] = "";
    if (fe != f) snprintf(fdesc, sizeof fdesc, "   (F = %d dilated by %d: %d)", f, d, fe);
    if (a->ceil_mode) { /* Caffe's pooling (FCN): a partial window at the end still gives an output */
        fprintf(out,
                "      %s2 = ceil((%s1 - F + P1 + P2)/S) + 1 = ceil((%lld - %d + %d + %d)/%d) + 1 = %lld   (ceil_mode)\n",
                sym, sym, (long long)in, fe, p0, p1, s, (long long)o);
        return;
    }
    const char *round = "";
    if (l->type->kind == FV_L_CONV_TRANSPOSE2D) {
        fprintf(out, "      %s2 = (%s1 - 1)*S - 2P + D*(F - 1) + OP + 1 = (%lld - 1)*%d - %d + %d*(%d - 1) + %d + 1 = %lld\n",
                sym, sym, (long long)in, s, p0 + p1, d, f, a->output_padding[k], (long long)o);
        return;
    }
    if (p0 == p1)
        fprintf(out, "      %s2 = %s(%s1 - F + 2P)/S + 1 = %s(%lld - %d + 2*%d)/%d + 1 = %lld%s\n", sym, round, sym, round,
                (long long)in, fe, p0, s, (long long)o, fdesc);
    else
        fprintf(out, "      %s2 = %s(%s1 - F + P1 + P2)/S + 1 = %s(%lld - %d + %d + %d)/%d + 1 = %lld%s\n", sym, round,
                sym, round, (long long)in, fe, p0, p1, s, (long long)o, fdesc);
}

/* Where two paths meet (U-Net's skip concatenated with the upsampled map, FCN's score map added to the
 * upsampled coarser one): each input's shape, then how the output's follows. */
static void explain_join(FILE *out, const fv_model *m, const fv_layer *l, int i)
{
    char shape[96], pb[256];
    for (int k = 0; k < l->n_in; k++) {
        shape_text(m, l->in[k], shape, sizeof shape);
        fprintf(out, "      from %s: %s\n", fv_printable(m->layers[l->in[k]].name, pb, sizeof pb), shape);
    }
    if (l->type->kind != FV_L_CONCAT || l->a.axis != 1) {
        fprintf(out, "      elementwise: the inputs' shapes agree (or broadcast), the output has theirs\n");
        return;
    }
    fprintf(out, "      D2 = ");
    for (int k = 0; k < l->n_in; k++) fprintf(out, "%s%lld", k ? " + " : "", (long long)dim_of(m, l->in[k], 0));
    fprintf(out, " = %lld; H2 x W2 = %lld x %lld, as every input's\n", (long long)dim_of(m, i, 0),
            (long long)dim_of(m, i, 1), (long long)dim_of(m, i, 2));
}

/* A slice of the spatial axes (FCN's crops): which window of the input it keeps. */
static void explain_slice(FILE *out, const fv_model *m, const fv_layer *l, int i)
{
    const fv_layer_attrs *a = &l->a;
    int64_t s[FV_MAX_DIMS];
    int nd = fv_model_layer_shape(m, l->in[0], s) + 1; /* the axes count the batch */
    for (int k = a->axes.n - 1; k >= 0; k--) {
        int64_t axis = a->axes.v[k] < 0 ? a->axes.v[k] + nd : a->axes.v[k];
        bool step1 = a->steps.n <= k || a->steps.v[k] == 1;
        if (axis < 2 || axis > 3 || !step1 || a->starts.v[k] < 0 || a->ends.v[k] > s[axis - 1]) continue;
        const char *sym = axis == 2 ? "H" : "W";
        fprintf(out, "      %s2 = end - start = %lld - %lld = %lld   (a crop of %s1 = %lld at offset %lld)\n", sym,
                (long long)a->ends.v[k], (long long)a->starts.v[k], (long long)dim_of(m, i, (int)axis - 1), sym,
                (long long)s[axis - 1], (long long)a->starts.v[k]);
    }
}

/* Resizing back up (U-Net's bilinear decoder, the torchvision heads' upsampling to the input). */
static void explain_resize(FILE *out, const fv_model *m, const fv_layer *l, int i)
{
    for (int axis = 2; axis >= 1; axis--) {
        const char *sym = axis == 1 ? "H" : "W";
        int64_t in = dim_of(m, l->in[0], axis), o = dim_of(m, i, axis);
        if (l->type->kind == FV_L_UPSAMPLE)
            fprintf(out, "      %s2 = %s1 * scale = %lld * %d = %lld\n", sym, sym, (long long)in, l->a.scale[axis - 1],
                    (long long)o);
        else
            fprintf(out, "      %s2 = %lld from %s1 = %lld (x%.4g)\n", sym, (long long)o, sym, (long long)in,
                    in ? (double)o / (double)in : 0.0);
    }
}

static void explain(FILE *out, const fv_model *m, int i)
{
    const fv_layer *l = &m->layers[i];
    const fv_layer_attrs *a = &l->a;
    char n1[32], n2[32];
    if (l->share) { /* its parameters are counted once, on their owner's row; its output size as any other's */
        fprintf(out, "      params = 0: it shares %s's %lld\n", m->layers[l->share - 1].name,
                (long long)layer_param_count(&m->layers[l->share - 1]));
        if (l->type->kind == FV_L_CONV2D || l->type->kind == FV_L_CONV_TRANSPOSE2D) {
            explain_axis(out, m, l, i, 2, false);
            explain_axis(out, m, l, i, 1, false);
        }
        return;
    }
    switch (l->type->kind) {
    case FV_L_CONV2D:
    case FV_L_CONV_TRANSPOSE2D: {
        explain_axis(out, m, l, i, 2, false);
        explain_axis(out, m, l, i, 1, false);
        int64_t d1 = dim_of(m, l->in[0], 0), kk = a->filters;
        fprintf(out, "      D2 = K = %lld\n", (long long)kk);
        int64_t per = (int64_t)a->kernel[0] * a->kernel[1] * d1 / a->groups;
        const char *g = a->groups > 1 ? "/G" : "";
        if (a->bias)
            fprintf(out, "      params = K*(F*F*D1%s) + K = %lld*(%d*%d*%lld%s) + %lld = %s\n", g, (long long)kk,
                    a->kernel[0], a->kernel[1], (long long)d1, a->groups > 1 ? "/" : "", (long long)kk,
                    commas(kk * per + kk, n1, sizeof n1));
        else
            fprintf(out, "      params = K*(F*F*D1%s) = %lld*(%d*%d*%lld) = %s (no bias)\n", g, (long long)kk,
                    a->kernel[0], a->kernel[1], (long long)d1, commas(kk * per, n1, sizeof n1));
        if (a->groups > 1) fprintf(out, "      (G = %d groups)\n", a->groups);
        break;
    }
    case FV_L_MAX_POOL:
    case FV_L_AVG_POOL:
        explain_axis(out, m, l, i, 2, true);
        explain_axis(out, m, l, i, 1, true);
        fprintf(out, "      D2 = D1 = %lld; params = 0\n", (long long)dim_of(m, i, 0));
        break;
    case FV_L_DENSE: {
        int64_t in = dim_of(m, l->in[0], 0), u = a->units;
        if (a->bias)
            fprintf(out, "      params = units*inputs + units = %lld*%lld + %lld = %s\n", (long long)u, (long long)in,
                    (long long)u, commas(u * in + u, n1, sizeof n1));
        else
            fprintf(out, "      params = units*inputs = %lld*%lld = %s\n", (long long)u, (long long)in,
                    commas(u * in, n1, sizeof n1));
        break;
    }
    case FV_L_BATCH_NORM: {
        int64_t c = dim_of(m, i, 0);
        fprintf(out, "      params = 4*C = 4*%lld = %s: gamma, beta trainable (%s); running mean, variance not\n",
                (long long)c, commas(4 * c, n1, sizeof n1), commas(2 * c, n2, sizeof n2));
        break;
    }
    case FV_L_FLATTEN: {
        int64_t s[FV_MAX_DIMS];
        int nd = fv_model_layer_shape(m, l->in[0], s);
        fprintf(out, "      features = ");
        for (int d = 0; d < nd; d++) fprintf(out, "%s%lld", d ? "*" : "", (long long)s[d]);
        fprintf(out, " = %s\n", commas(dim_of(m, i, 0), n1, sizeof n1));
        break;
    }
    case FV_L_GLOBAL_AVG_POOL:
    case FV_L_GLOBAL_MAX_POOL:
        fprintf(out, "      one value per channel: %ld x %lld x %lld -> %lld\n", (long)dim_of(m, l->in[0], 0),
                (long long)dim_of(m, l->in[0], 1), (long long)dim_of(m, l->in[0], 2), (long long)dim_of(m, i, 0));
        break;
    case FV_L_CONCAT:
    case FV_L_ADD:
    case FV_L_MUL: explain_join(out, m, l, i); break;
    case FV_L_UPSAMPLE: explain_resize(out, m, l, i); break;
    case FV_L_GENERIC:
        if (strcmp(l->type->name, "slice") == 0) explain_slice(out, m, l, i);
        else if (strcmp(l->type->name, "resize") == 0 && dim_of(m, i, 2) > 0) explain_resize(out, m, l, i);
        break;
    default: break;
    }
}

/* With --explain, the spatial sizes along every path in one list: the input, each layer that changes the height
 * or width (pools and strides down, upsampling up, crops) and each layer where paths meet, with the sizes met.
 * A U-Net reads as its contracting then expanding path, an FCN as its body then the score/upsample path. */
static void spatial_path(FILE *out, const fv_model *m)
{
    char pb[256], line[160], size[48];
    fprintf(out, "Spatial sizes (H x W) where they change and where paths meet:\n");
    for (int i = 0; i < m->n_layers; i++) {
        const fv_layer *l = &m->layers[i];
        int64_t s[FV_MAX_DIMS], in[FV_MAX_DIMS];
        if (fv_model_layer_shape(m, i, s) != 3) continue;
        bool first = l->n_in == 0, join = l->n_in > 1;
        bool changed = !first && (fv_model_layer_shape(m, l->in[0], in) != 3 || in[1] != s[1] || in[2] != s[2]);
        if (!first && !join && !changed) continue;
        snprintf(line, sizeof line, "%s (%s)", fv_printable(l->name, pb, sizeof pb), l->type->keras_name);
        snprintf(size, sizeof size, "%lld x %lld", (long long)s[1], (long long)s[2]);
        fprintf(out, "  %-44s %11s", line, size);
        for (int k = 0; join && k < l->n_in; k++)
            fprintf(out, "%s%s %lld x %lld", k ? ", " : "  meets ",
                    fv_printable(m->layers[l->in[k]].name, pb, sizeof pb), (long long)dim_of(m, l->in[k], 1),
                    (long long)dim_of(m, l->in[k], 2));
        fputc('\n', out);
    }
}

static bool has_branches(const fv_model *m)
{
    for (int i = 1; i < m->n_layers; i++)
        if (m->layers[i].n_in != 1 || m->layers[i].in[0] != i - 1) return true;
    return false;
}

static void rule(FILE *out, char c, int width)
{
    for (int i = 0; i < width; i++) fputc(c, out);
    fputc('\n', out);
}

fv_status fv_model_summary(const fv_model *m, FILE *out, bool explain_layers)
{
    if (!m || !out) return FV_ERR_ARG;
    bool branches = has_branches(m);
    int w_name = 29, w_shape = 26, w_params = 10;
    char name[160], shape[96], pb[256]; /* names are printed escaped (fv_printable): they come from files */
    for (int i = 0; i < m->n_layers; i++) {
        int n = snprintf(name, sizeof name, "%s (%s)", fv_printable(m->layers[i].name, pb, sizeof pb),
                         m->layers[i].type->keras_name);
        if (n + 2 > w_name) w_name = n + 2;
        shape_text(m, i, shape, sizeof shape);
        if ((int)strlen(shape) + 2 > w_shape) w_shape = (int)strlen(shape) + 2;
    }
    int width = 1 + w_name + w_shape + w_params + (branches ? 24 : 0);
    fprintf(out, "Model: \"%s\"\n", fv_printable(m->name, pb, sizeof pb));
    rule(out, '_', width);
    fprintf(out, " %-*s%-*s%-*s%s\n", w_name, "Layer (type)", w_shape, "Output Shape", w_params, "Param #",
            branches ? "Connected to" : "");
    rule(out, '=', width);
    for (int i = 0; i < m->n_layers; i++) {
        const fv_layer *l = &m->layers[i];
        char count[32];
        snprintf(name, sizeof name, "%s (%s)", fv_printable(l->name, pb, sizeof pb), l->type->keras_name);
        shape_text(m, i, shape, sizeof shape);
        fprintf(out, " %-*s%-*s%-*s", w_name, name, w_shape, shape, w_params, commas(layer_param_count(l), count, sizeof count));
        for (int k = 0; branches && k < l->n_in; k++)
            fprintf(out, "%s%s", k ? ", " : "", fv_printable(m->layers[l->in[k]].name, pb, sizeof pb));
        fputc('\n', out);
        if (explain_layers) explain(out, m, i);
        if (i + 1 < m->n_layers) fputc('\n', out);
    }
    rule(out, '=', width);
    fv_param_totals t = fv_model_param_totals(m);
    char a[32], b[32], c[32];
    fprintf(out, "Total params: %s\nTrainable params: %s\nNon-trainable params: %s\n", commas(t.total, a, sizeof a),
            commas(t.trainable, b, sizeof b), commas(t.non_trainable, c, sizeof c));
    if (explain_layers && branches) spatial_path(out, m);
    if (m->has_pre) { /* shown only when stored: models without keep their summary as it was */
        char pre[512];
        fprintf(out, "Preprocessing: %s\n", fv_preprocess_describe(&m->pre, pre, sizeof pre));
    }
    rule(out, '_', width);
    return ferror(out) ? FV_ERR_IO : FV_OK;
}
