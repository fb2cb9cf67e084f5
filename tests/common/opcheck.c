/* Operator checks against fixtures and finite differences (see opcheck.h). */
#include <stdlib.h>

#include "opcheck.h"
#include "test.h"

fv_node *opcheck_leaf(const opcheck_leaves *in, const char *name)
{
    for (int i = 0; i < in->n; i++)
        if (strcmp(in->name[i], name) == 0) return in->leaf[i];
    return NULL;
}

static const char *strip(const char *name, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(name, prefix, n) == 0 ? name + n : NULL;
}

/* The float data a leaf's value lives in: a parameter's value for parameter nodes. */
static float *leaf_data(fv_node *leaf)
{
    fv_param *p = fv_node_param(leaf);
    return p ? fv_f32(&p->value) : fv_f32(fv_node_value(leaf));
}

static const fv_tensor *leaf_grad(fv_node *leaf)
{
    fv_param *p = fv_node_param(leaf);
    return p ? &p->grad : fv_node_grad(leaf);
}

static double seeded_sum(const fv_tensor *out, const fv_tensor *seed)
{
    double s = 0;
    for (int64_t i = 0; i < out->size; i++) s += (double)fv_f32(out)[i] * (seed ? fv_f32(seed)[i] : 1.0);
    return s;
}

static double loss_at(fv_graph *g, fv_node *out, const fv_tensor *seed)
{
    if (fv_graph_forward(g) != FV_OK) return NAN;
    return seeded_sum(fv_node_value(out), seed);
}

int gradcheck(fv_graph *g, fv_node *out, const fv_tensor *seed, fv_node *const *leaves, int n_leaves,
              int samples_per_leaf, int *checked)
{
    int bad = 0;
    *checked = 0;
    for (int l = 0; l < n_leaves; l++) {
        fv_node *leaf = leaves[l];
        const fv_tensor *an = leaf_grad(leaf);
        fv_param *p = fv_node_param(leaf);
        if (!an || fv_node_value(leaf)->dtype != FV_F32 || (p && !p->trainable)) continue; /* buffers have none */
        float *x = leaf_data(leaf);
        int64_t size = an->size;
        double scale = 0;
        for (int64_t i = 0; i < size; i++) scale = fmax(scale, fabs(fv_f32(an)[i]));
        int samples = size < samples_per_leaf ? (int)size : samples_per_leaf;
        for (int s = 0; s < samples; s++) {
            int64_t i = size <= samples_per_leaf ? s : (int64_t)((s * 2654435761u) % (uint64_t)size);
            float x0 = x[i];
            double l0 = loss_at(g, out, seed), num[2], fwd = 0, bwd = 0;
            for (int k = 0; k < 2; k++) {
                float eps = (k ? 5e-4f : 1e-3f) * fmaxf(1.0f, fabsf(x0));
                x[i] = x0 + eps;
                double hp = (double)x[i] - x0; /* the step float rounding actually took */
                double lp = loss_at(g, out, seed);
                x[i] = x0 - eps;
                double hm = x0 - (double)x[i];
                double lm = loss_at(g, out, seed);
                x[i] = x0;
                num[k] = (lp - lm) / (hp + hm);
                if (k == 0) fwd = (lp - l0) / hp, bwd = (l0 - lm) / hm;
            }
            double a = fv_f32(an)[i];
            double tol = 2e-2 * fmax(fmax(fabs(a), 0.05 * scale), 1e-3);
            /* Skip points within eps of a kink (relu at 0, a max switching, a piecewise loss changing piece):
             * there one-sided slopes disagree, or the estimate moves with the step size. */
            if (fabs(fwd - bwd) > fmax(tol, 0.1 * fmax(fabs(fwd), fabs(bwd))) || fabs(num[0] - num[1]) > tol / 4)
                continue;
            double num_best = num[1];
            ++*checked;
            if (fabs(num_best - a) > tol) {
                if (bad < 5)
                    printf("  gradcheck %s[%lld]: autodiff %.6g, finite difference %.6g\n", fv_node_name(leaf),
                           (long long)i, a, num_best);
                bad++;
            }
        }
    }
    loss_at(g, out, seed); /* leave the graph's values as they were */
    return bad;
}

static int make_leaves(fv_graph *g, const fx_file *fx, opcheck_leaves *in, fv_param **params)
{
    in->leaf = calloc((size_t)fx->n, sizeof *in->leaf);
    in->name = calloc((size_t)fx->n, sizeof *in->name);
    for (int i = 0; i < fx->n; i++) {
        const fx_entry *e = &fx->e[i];
        const char *nm;
        fv_node *leaf = NULL;
        if (!e->t) continue;
        if ((nm = strip(e->name, "in:"))) {
            leaf = fv_input(g, nm, e->t->dtype, e->t->ndim, e->t->shape);
            if (leaf) fv_graph_set_input(g, leaf, e->t);
            char gname[128];
            snprintf(gname, sizeof gname, "grad:%s", nm);
            if (leaf && fx_get(fx, gname)) fv_node_keep_grad(g, leaf);
        } else if ((nm = strip(e->name, "param:")) || (nm = strip(e->name, "buffer:"))) {
            bool buffer = strip(e->name, "buffer:") != NULL;
            fv_param *p = fv_param_new(fv_graph_ctx(g), nm, buffer ? FV_PARAM_BUFFER : FV_PARAM_WEIGHT, e->t->ndim,
                                       e->t->shape);
            if (!p) return 0;
            memcpy(p->value.data, e->t->data, (size_t)e->t->size * 4);
            params[in->n] = p;
            leaf = fv_use_param(g, p);
        } else {
            continue;
        }
        if (!leaf) return 0;
        in->leaf[in->n] = leaf;
        in->name[in->n++] = nm;
    }
    return 1;
}

static void compare(const char *tag, const char *what, const fv_tensor *got, const fv_tensor *want, double tol)
{
    if (!got) {
        CHECK(0, "%s: %s missing", tag, what);
        return;
    }
    if (got->size != want->size) {
        CHECK(0, "%s: %s has %lld elements, PyTorch %lld", tag, what, (long long)got->size, (long long)want->size);
        return;
    }
    if (want->dtype != FV_F32 || got->dtype != FV_F32) { /* indices, masks: exact, and of the same rank */
        int64_t bad = -1;
        for (int64_t i = 0; i < got->size && bad < 0 && got->dtype != FV_F32; i++)
            if (fx_int_of(got, i) != fx_int_of(want, i)) bad = i;
        CHECK(got->dtype != FV_F32 && bad < 0 && got->ndim == want->ndim, "%s: %s (%s) equals PyTorch's (%s)%s", tag,
              what, fv_dtype_name(got->dtype), fv_dtype_name(want->dtype), bad >= 0 ? ": differs" : "");
        return;
    }
    double err = rel_error(fv_f32(got), fv_f32(want), got->size);
    CHECK(err <= tol, "%s: %s rel error %.2e (tol %.0e)", tag, what, err, tol);
}

static void check_results(const fx_file *fx, const char *tag, const opcheck_leaves *in, fv_node *out, double tol)
{
    compare(tag, "out", fv_node_value(out), fx_get(fx, "out"), tol);
    for (int i = 0; i < fx->n; i++) {
        const char *nm;
        if ((nm = strip(fx->e[i].name, "grad:"))) {
            fv_node *leaf = opcheck_leaf(in, nm);
            compare(tag, fx->e[i].name, leaf ? leaf_grad(leaf) : NULL, fx->e[i].t, tol);
        } else if ((nm = strip(fx->e[i].name, "after:"))) {
            fv_node *leaf = opcheck_leaf(in, nm);
            fv_param *p = leaf ? fv_node_param(leaf) : NULL;
            compare(tag, fx->e[i].name, p ? &p->value : NULL, fx->e[i].t, tol);
        }
    }
}

/* One fixture with the fast kernels (and the finite-difference check) or the reference kernels. */
static void run_fixture(const char *path, opcheck_build build, bool reference)
{
    fx_file *fx = fx_load(path);
    char tag[256];
    snprintf(tag, sizeof tag, "%s%s", strrchr(path, '/') ? strrchr(path, '/') + 1 : path, reference ? " [ref]" : "");
    if (!CHECK(fx != NULL, "%s: fixture loads", tag)) return;
    fv_ctx *ctx = fv_ctx_new(1);
    fv_ctx_use_reference_kernels(ctx, reference);
    fv_graph *g = fv_graph_new(ctx);
    fv_param **params = calloc((size_t)fx->n + 1, sizeof *params);
    opcheck_leaves in = {0};
    fv_node *out = NULL;
    if (make_leaves(g, fx, &in, params)) out = build(g, &in, fx);
    const char *mode = fx_str(fx, "meta:mode");
    fv_graph_set_training(g, !(mode && strcmp(mode, "eval") == 0));
    if (CHECK(out != NULL, "%s: builds (%s)", tag, fv_errmsg(ctx)) &&
        CHECK(fv_graph_forward(g) == FV_OK, "%s: forward (%s)", tag, fv_errmsg(ctx))) {
        const fv_tensor *seed = fx_get(fx, "dout");
        fv_status s = seed ? fv_graph_backward_seed(g, out, seed) : fv_graph_backward(g, out);
        CHECK(s == FV_OK, "%s: backward (%s)", tag, fv_errmsg(ctx));
        double tol = fx_float(fx, "meta:tol", 1e-5f);
        check_results(fx, tag, &in, out, tol);
        if (!reference && fx_int(fx, "meta:gradcheck", 0, 1)) {
            int checked, bad = gradcheck(g, out, seed, in.leaf, in.n, 16, &checked);
            CHECK(bad == 0 && checked > 0, "%s: finite-difference gradient check (%d elements, %d mismatches)", tag,
                  checked, bad);
        }
    }
    fv_graph_free(g);
    for (int i = 0; i < fx->n; i++) fv_param_free(params[i]);
    free(params);
    free(in.leaf);
    free(in.name);
    fv_ctx_free(ctx);
    fx_free(fx);
}

void opcheck_fixture(const char *path, opcheck_build build)
{
    run_fixture(path, build, false);
    run_fixture(path, build, true);
}

void opcheck_all(const char *prefix, opcheck_build build)
{
    char **paths;
    int n = fx_list(FIXTURE_DIR, prefix, &paths);
    CHECK(n > 0, "fixtures %s*.fvx found in %s: %d", prefix, FIXTURE_DIR, n);
    for (int i = 0; i < n; i++) opcheck_fixture(paths[i], build);
    fx_list_free(paths, n);
}
