/* The model zoo's registry and options (fv_zoo_build), and the pieces its builders share. Each family lives
 * in its own file (zoo_alexnet.c, zoo_vgg.c, ...) and adds typed layer specs through fv_zoo_add, so every model
 * is an ordinary layer list that `fovea summary --describe` prints and fv_model_parse reads back. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "zoo_internal.h"

typedef void (*zoo_builder)(fv_zoo_b *b, int a, int c);

typedef struct {
    const char *name;
    zoo_builder build;
    int a, c, takes;
} zoo_entry;

#define ZOO_ENTRY(name, fn, a, c, takes) {name, fn, a, c, takes},
static const zoo_entry zoo[] = {FV_ZOO_LIST(ZOO_ENTRY)};
#define N_ZOO ((int)(sizeof zoo / sizeof zoo[0]))

static const zoo_entry *find(const char *name)
{
    for (int i = 0; name && i < N_ZOO; i++)
        if (strcmp(zoo[i].name, name) == 0) return &zoo[i];
    return NULL;
}

bool fv_zoo_has(const char *name) { return find(name) != NULL; }

fv_zoo_options fv_zoo_defaults(void)
{
    /* num_classes 0: the model's own (1000 for the classifiers, 21 for the segmentation models) */
    fv_zoo_options o = {0, 3, 224, 224, true, FV_ZOO_POOL_NONE, 1.0, false, 3, 16, FV_ZOO_UP_TRANSPOSE, false};
    return o;
}

/* unet's options (0s already replaced by the defaults); the other models must leave them at their defaults, so
 * that a depth or width meant for unet is never silently ignored. */
static fv_status check_unet_options(fv_ctx *ctx, const zoo_entry *e, const fv_zoo_options *o)
{
    fv_zoo_options d = fv_zoo_defaults();
    if (!(e->takes & FV_ZOO_TAKES_UNET)) {
        if (o->depth != d.depth || o->base_width != d.base_width || o->upsample != d.upsample || o->no_batch_norm)
            return fv_error(ctx, FV_ERR_ARG, "%s: depth, base_width, upsample and no_batch_norm are unet's options",
                            e->name);
        return FV_OK;
    }
    if (o->depth < 1 || o->depth > 8)
        return fv_error(ctx, FV_ERR_ARG, "%s: depth=%d must be in [1, 8] (0: the default, %d)", e->name, o->depth,
                        d.depth);
    if (o->base_width < 1 || o->base_width > 4096 || ((int64_t)o->base_width << o->depth) > 65536)
        return fv_error(ctx, FV_ERR_ARG,
                        "%s: base_width=%d must be in [1, 4096] and base_width * 2^depth (the bottleneck's "
                        "channels) at most 65536 (0: the default, %d)",
                        e->name, o->base_width, d.base_width);
    if (o->upsample != FV_ZOO_UP_TRANSPOSE && o->upsample != FV_ZOO_UP_BILINEAR)
        return fv_error(ctx, FV_ERR_ARG, "%s: unknown upsample %d (transpose %d, bilinear %d)", e->name,
                        (int)o->upsample, FV_ZOO_UP_TRANSPOSE, FV_ZOO_UP_BILINEAR);
    return FV_OK;
}

/* The options with 0s replaced by the defaults, checked against what model e takes. */
static fv_status check_options(fv_ctx *ctx, const zoo_entry *e, const fv_zoo_options *in, fv_zoo_options *o)
{
    *o = in ? *in : fv_zoo_defaults();
    fv_zoo_options d = fv_zoo_defaults();
    int *v[4] = {&o->num_classes, &o->channels, &o->height, &o->width};
    const int dv[4] = {e->takes & FV_ZOO_SEGMENT ? 21 : 1000, d.channels, d.height, d.width};
    const char *what[4] = {"num_classes", "channels", "height", "width"};
    for (int i = 0; i < 4; i++) {
        if (*v[i] == 0) *v[i] = dv[i];
        if (*v[i] < 0 || *v[i] > (1 << 24))
            return fv_error(ctx, FV_ERR_ARG, "%s: %s=%d must be in [1, %d] (0: the default, %d)", e->name, what[i],
                            *v[i], 1 << 24, dv[i]);
    }
    if (o->pooling != FV_ZOO_POOL_NONE && o->pooling != FV_ZOO_POOL_AVG && o->pooling != FV_ZOO_POOL_MAX)
        return fv_error(ctx, FV_ERR_ARG, "%s: unknown pooling %d (none %d, avg %d, max %d)", e->name, (int)o->pooling,
                        FV_ZOO_POOL_NONE, FV_ZOO_POOL_AVG, FV_ZOO_POOL_MAX);
    if (o->alpha == 0.0) o->alpha = 1.0;
    if (o->depth == 0) o->depth = d.depth;
    if (o->base_width == 0) o->base_width = d.base_width;
    if (!isfinite(o->alpha) || o->alpha <= 0.0 || o->alpha > 64.0)
        return fv_error(ctx, FV_ERR_ARG, "%s: alpha=%g must be in (0, 64]", e->name, o->alpha);
    if (o->alpha != 1.0 && !(e->takes & FV_ZOO_TAKES_ALPHA))
        return fv_error(ctx, FV_ERR_ARG,
                        "%s: alpha=%g: only the mobilenets, the fcn*s and the mobilenet segmentation models take a "
                        "width multiplier",
                        e->name, o->alpha);
    if (o->aux_logits && !(e->takes & FV_ZOO_TAKES_AUX))
        return fv_error(ctx, FV_ERR_ARG, "%s: aux_logits: only googlenet has auxiliary classifiers", e->name);
    if (o->aux_logits && !o->include_top)
        return fv_error(ctx, FV_ERR_ARG, "%s: aux_logits needs include_top (the auxiliary heads are classifiers)",
                        e->name);
    return check_unet_options(ctx, e, o);
}

static void unknown(fv_ctx *ctx, const char *name)
{
    char list[1024] = "";
    size_t n = 0;
    for (int i = 0; i < N_ZOO && n < sizeof list; i++)
        n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "", zoo[i].name);
    fv_error(ctx, FV_ERR_ARG, "unknown zoo model '%s' (known: %s)", name ? name : "(null)", list);
}

fv_model *fv_zoo_build(fv_ctx *ctx, const char *name, const fv_zoo_options *opt)
{
    if (!ctx) return NULL;
    const zoo_entry *e = find(name);
    if (!e) {
        unknown(ctx, name);
        return NULL;
    }
    fv_zoo_options o;
    if (check_options(ctx, e, opt, &o) != FV_OK) return NULL;
    fv_zoo_b b = {fv_model_new(ctx, e->name), &o, false, 1e-5f, 0.1f};
    if (!b.m) return NULL;
    fv_zoo_add(&b, fv_spec_input("input", 3, (int64_t[]){o.channels, o.height, o.width}), NULL);
    e->build(&b, e->a, e->c);
    if (b.failed) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", fv_errmsg(ctx));
        fv_error(ctx, fv_errcode(ctx) ? fv_errcode(ctx) : FV_ERR_ARG, "%s for input %dx%dx%d: %s", e->name,
                 o.channels, o.height, o.width, msg);
        fv_model_free(b.m);
        return NULL;
    }
    return b.m;
}

/* ---- shared pieces ------------------------------------------------------------------------------------- */

void fv_zoo_add(fv_zoo_b *b, fv_layer_spec s, const char *from)
{
    if (b->failed) return;
    if (from) fv_spec_from(&s, from);
    b->failed = fv_model_add_layer(b->m, &s) < 0;
}

const char *fv_zoo_last(const fv_zoo_b *b) { return fv_model_layer_name(b->m, fv_model_layer_count(b->m) - 1); }

bool fv_zoo_map_size(fv_zoo_b *b, const char *layer, int64_t hw[2])
{
    int64_t s[FV_MAX_DIMS];
    if (b->failed || fv_model_layer_shape(b->m, fv_model_find_layer(b->m, layer), s) != 3) return false;
    hw[0] = s[1], hw[1] = s[2];
    return true;
}

void fv_zoo_conv(fv_zoo_b *b, const char *name, const char *from, int filters, int kernel, int stride, int padding,
                 int groups, bool bias)
{
    fv_layer_spec s = fv_spec_conv2d(name, filters, kernel);
    fv_spec_stride(&s, stride, stride);
    fv_spec_padding(&s, padding, padding);
    s.a.groups = groups;
    s.a.bias = bias;
    fv_zoo_add(b, s, from);
}

void fv_zoo_conv_dilated(fv_zoo_b *b, const char *name, const char *from, int filters, int kernel, int stride,
                         int dilation, int groups, bool bias)
{
    fv_layer_spec s = fv_spec_conv2d(name, filters, kernel);
    fv_spec_stride(&s, stride, stride);
    fv_spec_padding(&s, dilation * (kernel - 1) / 2, dilation * (kernel - 1) / 2);
    s.a.dilation[0] = s.a.dilation[1] = dilation;
    s.a.groups = groups;
    s.a.bias = bias;
    fv_zoo_add(b, s, from);
}

void fv_zoo_bn(fv_zoo_b *b, const char *name)
{
    fv_layer_spec s = fv_spec_batch_norm(name);
    s.a.eps = b->bn_eps, s.a.momentum = b->bn_momentum;
    fv_zoo_add(b, s, NULL);
}

const char *fv_zoo_name(char *buf, size_t size, const char *p, const char *suffix)
{
    snprintf(buf, size, "%s%s", p, suffix);
    return buf;
}

void fv_zoo_conv_bn_act(fv_zoo_b *b, const char *p, const char *from, int filters, int kernel, int stride,
                        int groups, fv_activation_kind act)
{
    fv_zoo_conv_bn_act_dilated(b, p, from, filters, kernel, stride, 1, groups, act);
}

void fv_zoo_conv_bn_act_dilated(fv_zoo_b *b, const char *p, const char *from, int filters, int kernel, int stride,
                                int dilation, int groups, fv_activation_kind act)
{
    char name[96];
    fv_zoo_conv_dilated(b, fv_zoo_name(name, sizeof name, p, ".0"), from, filters, kernel, stride, dilation, groups,
                        false);
    fv_zoo_bn(b, fv_zoo_name(name, sizeof name, p, ".1"));
    if (act != FV_ZOO_NO_ACT) fv_zoo_add(b, fv_spec_activation(fv_zoo_name(name, sizeof name, p, ".2"), act), NULL);
}

void fv_zoo_squeeze_excite(fv_zoo_b *b, const char *p, const char *x, int channels, int squeeze,
                           fv_activation_kind act, fv_activation_kind scale_act)
{
    char name[96], gate[96];
    fv_zoo_add(b, fv_spec_global_avg_pool(fv_zoo_name(name, sizeof name, p, ".avgpool")), x);
    fv_zoo_conv(b, fv_zoo_name(name, sizeof name, p, ".fc1"), NULL, squeeze, 1, 1, 0, 1, true);
    fv_zoo_add(b, fv_spec_activation(fv_zoo_name(name, sizeof name, p, ".activation"), act), NULL);
    fv_zoo_conv(b, fv_zoo_name(name, sizeof name, p, ".fc2"), NULL, channels, 1, 1, 0, 1, true);
    fv_zoo_add(b, fv_spec_activation(fv_zoo_name(gate, sizeof gate, p, ".scale_activation"), scale_act), NULL);
    fv_zoo_add(b, fv_spec_mul(p, gate, x), NULL);
}

void fv_zoo_headless(fv_zoo_b *b)
{
    if (b->opt->pooling == FV_ZOO_POOL_NONE) return;
    if (b->opt->pooling == FV_ZOO_POOL_AVG) fv_zoo_add(b, fv_spec_global_avg_pool("global_avg_pool"), NULL);
    else fv_zoo_add(b, fv_spec_global_max_pool("global_max_pool"), NULL);
    fv_zoo_add(b, fv_spec_flatten("flatten"), NULL);
}

int fv_zoo_make_divisible(double v, int divisor)
{
    int r = (int)(v + divisor / 2.0) / divisor * divisor;
    if (r < divisor) r = divisor;
    if (r < 0.9 * v) r += divisor;
    return r;
}
