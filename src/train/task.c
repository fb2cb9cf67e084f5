/* Built-in tasks: their options and defaults, the loss expressions ("ce+0.5*dice"), and construction. The
 * losses are in task_loss.c, the metrics in task_metrics.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "task_internal.h"

static const char *const kind_names[FV_TASK_KIND_COUNT] = {"classify", "binary", "multilabel", "regress",
                                                            "segment", "embed", "detect"};

static const char *const loss_names[FV_TASK_LOSS_KIND_COUNT] = {
    "default", "ce", "bce", "focal", "dice", "mse", "l1", "smooth_l1", "huber", "contrastive", "cosine", "triplet"};

/* Which loss terms each kind can sum, as bits of fv_task_loss. */
#define BIT(l) (1u << (l))
static const unsigned kind_losses[FV_TASK_KIND_COUNT] = {
    [FV_TASK_CLASSIFY] = BIT(FV_TASK_LOSS_CE),
    [FV_TASK_BINARY] = BIT(FV_TASK_LOSS_BCE) | BIT(FV_TASK_LOSS_FOCAL) | BIT(FV_TASK_LOSS_DICE),
    [FV_TASK_MULTILABEL] = BIT(FV_TASK_LOSS_BCE) | BIT(FV_TASK_LOSS_FOCAL) | BIT(FV_TASK_LOSS_DICE),
    [FV_TASK_REGRESS] = BIT(FV_TASK_LOSS_MSE) | BIT(FV_TASK_LOSS_L1) | BIT(FV_TASK_LOSS_SMOOTH_L1) |
                        BIT(FV_TASK_LOSS_HUBER),
    [FV_TASK_SEGMENT] = BIT(FV_TASK_LOSS_CE) | BIT(FV_TASK_LOSS_DICE) | BIT(FV_TASK_LOSS_FOCAL),
    [FV_TASK_EMBED] = BIT(FV_TASK_LOSS_CONTRASTIVE) | BIT(FV_TASK_LOSS_COSINE) | BIT(FV_TASK_LOSS_TRIPLET),
    [FV_TASK_DETECT] = 0,
};

fv_task_options fv_task_defaults(fv_task_kind kind)
{
    fv_task_options o;
    memset(&o, 0, sizeof o);
    o.kind = kind;
    o.ignore_index = kind == FV_TASK_SEGMENT ? 255 : FV_NLL_IGNORE_DEFAULT;
    o.threshold = 0.5f;
    o.focal_alpha = 0.25f, o.focal_gamma = 2.0f;
    o.dice_smooth = 1.0f;
    o.beta = 1.0f;
    o.margin = NAN;
    o.p = 2.0f;
    o.mining = FV_TRIPLET_BATCH_HARD;
    return o;
}

int fv_task_kind_from_name(const char *name)
{
    for (int k = 0; name && k < FV_TASK_KIND_COUNT; k++)
        if (strcmp(name, kind_names[k]) == 0) return k;
    return -1;
}

const char *fv_task_kind_name(fv_task_kind kind)
{
    return kind >= 0 && kind < FV_TASK_KIND_COUNT ? kind_names[kind] : "?";
}

/* The names a kind accepts, "bce, focal, dice", for messages. */
static void accepted(fv_task_kind kind, char *buf, size_t size)
{
    buf[0] = 0;
    size_t used = 0;
    for (int l = 1; l < FV_TASK_LOSS_KIND_COUNT; l++)
        if (kind_losses[kind] & BIT(l) && used < size)
            used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? ", " : "", loss_names[l]);
    if (!used) snprintf(buf, size, "none (its loss is the detector's)");
}

/* One term "W*NAME" or "NAME" of length len into o. */
static fv_status parse_term(fv_ctx *ctx, const char *term, size_t len, fv_task_options *o)
{
    char buf[64];
    if (len == 0 || len >= sizeof buf) return fv_error(ctx, FV_ERR_ARG, "loss: an empty or overlong term");
    memcpy(buf, term, len);
    buf[len] = 0;
    float w = 1.0f;
    char *name = buf, *star = strchr(buf, '*');
    if (star) {
        *star = 0;
        char *end;
        double v = strtod(buf, &end);
        if (end == buf || *end || !(v > 0) || !isfinite(v) || v > 1e30)
            return fv_error(ctx, FV_ERR_ARG, "loss: the weight '%s' of a term must be a finite positive number", buf);
        w = (float)v, name = star + 1;
    }
    int l = 1;
    while (l < FV_TASK_LOSS_KIND_COUNT && strcmp(name, loss_names[l]) != 0) l++;
    char ok[160];
    accepted(o->kind, ok, sizeof ok);
    if (l == FV_TASK_LOSS_KIND_COUNT || !(kind_losses[o->kind] & BIT(l)))
        return fv_error(ctx, FV_ERR_ARG, "loss: '%s' %s for the task %s, which takes %s", name,
                        l == FV_TASK_LOSS_KIND_COUNT ? "is not a loss" : "does not fit", kind_names[o->kind], ok);
    if (o->n_terms == FV_TASK_MAX_TERMS)
        return fv_error(ctx, FV_ERR_ARG, "loss: at most %d terms", FV_TASK_MAX_TERMS);
    o->loss[o->n_terms] = (fv_task_loss)l, o->weight[o->n_terms++] = w;
    return FV_OK;
}

fv_status fv_task_parse_loss(fv_ctx *ctx, const char *text, fv_task_options *o)
{
    if (!text || !o || o->kind < 0 || o->kind >= FV_TASK_KIND_COUNT)
        return fv_error(ctx, FV_ERR_ARG, "loss: no text or no task");
    fv_task_options copy = *o;
    copy.n_terms = 0;
    for (const char *p = text;;) {
        const char *plus = strchr(p, '+');
        size_t len = plus ? (size_t)(plus - p) : strlen(p);
        fv_status s = parse_term(ctx, p, len, &copy);
        if (s) return s;
        if (!plus) break;
        p = plus + 1;
    }
    *o = copy;
    return FV_OK;
}

/* ---- task lines ---------------------------------------------------------------------------------------- */

static bool number(const char *v, double lo, double hi, float *out)
{
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end || !(x >= lo && x <= hi)) return false;
    *out = (float)x;
    return true;
}

/* One key=value of a task line into o. */
static fv_status task_key(fv_ctx *ctx, char *item, fv_task_options *o, float *room, int room_size)
{
    char *v = strchr(item, '=');
    if (!v) return fv_error(ctx, FV_ERR_ARG, "task line: '%s' is not key=value", item);
    *v++ = '\0';
    float x = 0;
    bool ok = true;
    if (!strcmp(item, "loss")) return fv_task_parse_loss(ctx, v, o);
    if (!strcmp(item, "ignore_index")) ok = number(v, -2147483648.0, 2147483647.0, &x), o->ignore_index = (int64_t)x;
    else if (!strcmp(item, "threshold")) ok = number(v, 0, 1, &o->threshold);
    else if (!strcmp(item, "margin")) ok = number(v, -1e30, 1e30, &o->margin);
    else if (!strcmp(item, "beta")) ok = number(v, 0, 1e30, &o->beta);
    else if (!strcmp(item, "focal_alpha")) ok = number(v, -1, 1, &o->focal_alpha);
    else if (!strcmp(item, "focal_gamma")) ok = number(v, 0, 1e6, &o->focal_gamma);
    else if (!strcmp(item, "dice_smooth")) ok = number(v, 0, 1e30, &o->dice_smooth);
    else if (!strcmp(item, "label_smoothing")) ok = number(v, 0, 0.999999, &o->label_smoothing);
    else if (!strcmp(item, "p")) ok = number(v, 1e-6, 1e6, &o->p);
    else if (!strcmp(item, "swap")) ok = !strcmp(v, "true") || !strcmp(v, "false"), o->swap = !strcmp(v, "true");
    else if (!strcmp(item, "mining")) {
        ok = !strcmp(v, "hard") || !strcmp(v, "all") || !strcmp(v, "semi");
        o->mining = v[0] == 'a' ? FV_TRIPLET_BATCH_ALL : v[0] == 's' ? FV_TRIPLET_SEMI_HARD : FV_TRIPLET_BATCH_HARD;
    } else if (!strcmp(item, "pos_weight")) {
        int n = 0;
        for (char *p = v; ok && *p && n < room_size;) {
            char *end;
            double w = strtod(p, &end);
            ok = end != p && w >= 0 && isfinite(w) && (*end == ',' || !*end);
            room[n++] = (float)w;
            p = *end ? end + 1 : end;
        }
        ok = ok && n > 0 && n <= room_size;
        o->pos_weight = room, o->n_pos_weight = n;
    } else {
        return fv_error(ctx, FV_ERR_ARG, "task line: unknown key '%s' (loss, ignore_index, threshold, margin, mining, "
                        "beta, focal_alpha, focal_gamma, dice_smooth, label_smoothing, p, swap, pos_weight)", item);
    }
    return ok ? FV_OK : fv_error(ctx, FV_ERR_ARG, "task line: %s=%s is not a value the key takes", item, v);
}

fv_status fv_task_options_parse(fv_ctx *ctx, const char *text, fv_task_options *o, float *room, int room_size)
{
    char buf[512];
    if (!text || !o || strlen(text) >= sizeof buf)
        return fv_error(ctx, FV_ERR_ARG, "task line: %s", text ? "longer than 511 characters" : "none");
    snprintf(buf, sizeof buf, "%s", text);
    char *save = NULL, *kind = strtok_r(buf, " \t", &save);
    int k = fv_task_kind_from_name(kind);
    if (k < 0 || k == FV_TASK_DETECT)
        return fv_error(ctx, FV_ERR_ARG, "task line: '%s' is not a task (classify, binary, multilabel, regress, "
                        "segment, embed)", kind ? kind : "");
    fv_task_options next = fv_task_defaults((fv_task_kind)k);
    for (char *item = strtok_r(NULL, " \t", &save); item; item = strtok_r(NULL, " \t", &save)) {
        fv_status s = task_key(ctx, item, &next, room, room_size);
        if (s) return s;
    }
    *o = next;
    return FV_OK;
}

/* ---- construction ------------------------------------------------------------------------------------ */

static fv_status check_options(fv_ctx *ctx, const fv_task_options *o)
{
    if (o->kind < 0 || o->kind >= FV_TASK_KIND_COUNT)
        return fv_error(ctx, FV_ERR_ARG, "task: kind %d is not a task", (int)o->kind);
    if (o->n_terms < 0 || o->n_terms > FV_TASK_MAX_TERMS)
        return fv_error(ctx, FV_ERR_ARG, "task %s: %d loss terms (0 to %d)", kind_names[o->kind], o->n_terms,
                        FV_TASK_MAX_TERMS);
    for (int i = 0; i < o->n_terms; i++) {
        char ok[160];
        accepted(o->kind, ok, sizeof ok);
        if (o->loss[i] <= 0 || o->loss[i] >= FV_TASK_LOSS_KIND_COUNT || !(kind_losses[o->kind] & BIT(o->loss[i])))
            return fv_error(ctx, FV_ERR_ARG, "task %s: loss term %d (%d) does not fit; the task takes %s",
                            kind_names[o->kind], i, (int)o->loss[i], ok);
        if (!(o->weight[i] > 0) || !isfinite(o->weight[i]))
            return fv_error(ctx, FV_ERR_ARG, "task %s: the weight %g of loss term %d must be finite and positive",
                            kind_names[o->kind], (double)o->weight[i], i);
    }
    if (!(o->label_smoothing >= 0 && o->label_smoothing < 1))
        return fv_error(ctx, FV_ERR_ARG, "task: label smoothing %g must be in [0, 1)", (double)o->label_smoothing);
    if (!(o->threshold > 0 && o->threshold < 1))
        return fv_error(ctx, FV_ERR_ARG, "task: threshold %g must be in (0, 1)", (double)o->threshold);
    if (!(o->focal_gamma >= 0) || !isfinite(o->focal_gamma) || !(o->focal_alpha <= 1) || !(o->dice_smooth >= 0) ||
        !isfinite(o->dice_smooth) || !(o->beta >= 0) || !isfinite(o->beta) || !(o->p > 0) || !isfinite(o->p))
        return fv_error(ctx, FV_ERR_ARG, "task: focal gamma %g (>= 0), alpha %g (<= 1; < 0: none), dice smoothing %g "
                        "(>= 0), beta %g (>= 0) and p %g (> 0) must be finite", (double)o->focal_gamma,
                        (double)o->focal_alpha, (double)o->dice_smooth, (double)o->beta, (double)o->p);
    if (!isnan(o->margin) && !isfinite(o->margin))
        return fv_error(ctx, FV_ERR_ARG, "task: margin %g must be finite", (double)o->margin);
    if (o->mining < FV_TRIPLET_BATCH_HARD || o->mining > FV_TRIPLET_SEMI_HARD)
        return fv_error(ctx, FV_ERR_ARG, "task: mining %d is none of batch-hard, batch-all, semi-hard", (int)o->mining);
    return FV_OK;
}

/* A copy of n floats (each finite and >= 0) as a tensor, or NULL when there are none. */
static fv_status copy_weights(fv_ctx *ctx, const char *what, const float *w, int n, fv_tensor **out)
{
    *out = NULL;
    if (!w || n <= 0) return FV_OK;
    for (int i = 0; i < n; i++)
        if (!(w[i] >= 0) || !isfinite(w[i]))
            return fv_error(ctx, FV_ERR_ARG, "task: %s %d is %g; weights must be finite and >= 0", what, i, (double)w[i]);
    int64_t len = n;
    *out = fv_tensor_from(ctx, FV_F32, 1, &len, w);
    return *out ? FV_OK : fv_errcode(ctx);
}

static void builtin_free(fv_task *t)
{
    fv_builtin_task *b = fv_builtin(t);
    if (b->detect_user_free) b->detect_user_free(b->detect_user);
    fv_tensor_free(b->class_weights);
    fv_tensor_free(b->pos_weight);
    fv_task_metrics_free(b);
    free(b);
}

static fv_builtin_task *builtin_new(fv_ctx *ctx, const fv_task_options *o)
{
    fv_builtin_task *b = calloc(1, sizeof *b);
    if (!b) {
        fv_error(ctx, FV_ERR_NOMEM, "out of memory creating a task");
        return NULL;
    }
    b->ctx = ctx;
    b->o = *o;
    b->base.name = kind_names[o->kind];
    b->base.logits = o->kind != FV_TASK_REGRESS && o->kind != FV_TASK_EMBED && o->kind != FV_TASK_DETECT;
    b->base.target_spec = fv_task_target_spec;
    b->base.loss = fv_task_builtin_loss;
    b->base.check_target = fv_task_check_target;
    b->base.metrics_reset = fv_task_metrics_reset;
    b->base.metrics_add = fv_task_metrics_add;
    b->base.metrics_values = fv_task_metrics_values;
    b->base.eval_loss_add = o->kind == FV_TASK_CLASSIFY ? fv_task_classify_loss_add : NULL;
    b->base.free = builtin_free;
    fv_task_metrics_setup(b);
    return b;
}

fv_task *fv_task_new(fv_ctx *ctx, const fv_task_options *o)
{
    if (!o) {
        fv_error(ctx, FV_ERR_ARG, "task: no options");
        return NULL;
    }
    if (check_options(ctx, o) != FV_OK) return NULL;
    if (o->kind == FV_TASK_DETECT) {
        fv_error(ctx, FV_ERR_ARG, "task detect: its loss is the detector's (fv_task_detect)");
        return NULL;
    }
    fv_builtin_task *b = builtin_new(ctx, o);
    if (!b) return NULL;
    b->o.class_weights = NULL, b->o.pos_weight = NULL; /* the copies below stand for them */
    if (copy_weights(ctx, "class weight", o->class_weights, o->n_class_weights, &b->class_weights) != FV_OK ||
        copy_weights(ctx, "pos_weight", o->pos_weight, o->n_pos_weight, &b->pos_weight) != FV_OK) {
        builtin_free(&b->base);
        return NULL;
    }
    if (b->class_weights) b->o.class_weights = fv_f32(b->class_weights);
    if (b->pos_weight) b->o.pos_weight = fv_f32(b->pos_weight);
    return &b->base;
}

fv_task *fv_task_detect(fv_ctx *ctx, int max_boxes, fv_detect_loss_fn loss, void *user)
{
    return fv_task_detect_owning(ctx, max_boxes, loss, user, NULL);
}

fv_task *fv_task_detect_owning(fv_ctx *ctx, int max_boxes, fv_detect_loss_fn loss, void *user,
                               void (*user_free)(void *user))
{
    if (!loss || max_boxes < 1 || max_boxes > 100000) {
        if (user_free) user_free(user);
        fv_error(ctx, FV_ERR_ARG, "task detect: needs a loss function and 1 to 100000 boxes per image (%d given)",
                 max_boxes);
        return NULL;
    }
    fv_task_options o = fv_task_defaults(FV_TASK_DETECT);
    fv_builtin_task *b = builtin_new(ctx, &o);
    if (!b) {
        if (user_free) user_free(user);
        return NULL;
    }
    b->max_boxes = max_boxes, b->detect_loss = loss, b->detect_user = user, b->detect_user_free = user_free;
    return &b->base;
}

void fv_task_free(fv_task *t)
{
    if (t && t->free) t->free(t);
}

const fv_task_options *fv_task_options_of(const fv_task *t)
{
    return t && t->target_spec == fv_task_target_spec ? &((const fv_builtin_task *)t)->o : NULL;
}

const fv_confusion *fv_task_confusion(const fv_task *t)
{
    const fv_task_options *o = fv_task_options_of(t);
    return o && o->kind == FV_TASK_SEGMENT ? ((const fv_builtin_task *)t)->cm : NULL;
}
