/* The typed layer API (fovea/layer.h): a model built from specs is the model its description text makes (same
 * description, parameters, weights drawn and outputs); every layer reads back as the spec that made it, and
 * those specs rebuild the model; bad specs (an unknown input, a negative kernel, zero filters, a wrong number
 * of inputs, share= between different shapes, no type, values the parser would refuse) are refused with a
 * message naming the layer and the attribute, never a crash. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fovea.h"
#include "../common/model_run.h"
#include "../common/test.h"

static const char text[] = "model typed\n"
                           "input x shape=3x16x16\n"
                           "conv2d c1 filters=8 kernel=3 stride=2 padding=1\n"
                           "batch_norm bn momentum=0.01\n"
                           "leaky_relu r alpha=0.2\n"
                           "conv2d c2 filters=8 kernel=3x1 padding=1x0 bias=false from=r\n"
                           "add s from=r,c2\n"
                           "concat cat from=s,r\n"
                           "max_pool p kernel=2\n"
                           "reshape rs shape=0,16,-1\n"
                           "transpose t perm=0,2,1\n"
                           "flatten f\n"
                           "dropout d rate=0.25\n"
                           "dense fc units=5\n"
                           "softmax sm\n";

/* The same model through the typed API; NULL with the error. */
static fv_model *typed(fv_ctx *ctx)
{
    fv_model *m = fv_model_new(ctx, "typed");
    fv_layer_spec s[16];
    int n = 0;
    s[n++] = fv_spec_input("x", 3, (int64_t[]){3, 16, 16});
    s[n] = fv_spec_conv2d("c1", 8, 3);
    fv_spec_stride(&s[n], 2, 2);
    fv_spec_padding(&s[n++], 1, 1);
    s[n] = fv_spec_batch_norm("bn");
    s[n++].a.momentum = 0.01f;
    s[n++] = fv_spec_leaky_relu("r", 0.2f);
    s[n] = fv_spec_conv2d("c2", 8, 3);
    s[n].a.kernel[1] = 1;
    fv_spec_padding(&s[n], 1, 0);
    s[n].a.bias = false;
    fv_spec_from(&s[n++], "r");
    s[n++] = fv_spec_add("s", "r", "c2");
    s[n] = fv_spec_concat("cat", 1);
    fv_spec_from(&s[n], "s");
    fv_spec_from_layer(&s[n++], 3); /* r, by index */
    s[n++] = fv_spec_max_pool("p", 2);
    s[n] = fv_spec_of_type("reshape", "rs");
    s[n].a.dims = (fv_int_list){3, {0, 16, -1}};
    n++;
    s[n] = fv_spec_of_type("transpose", "t");
    s[n++].a.axes = (fv_int_list){3, {0, 2, 1}};
    s[n++] = fv_spec_flatten("f");
    s[n++] = fv_spec_dropout("d", 0.25f);
    s[n++] = fv_spec_dense("fc", 5);
    s[n++] = fv_spec_softmax("sm", 1);
    for (int i = 0; m && i < n; i++)
        if (fv_model_add_layer(m, &s[i]) != i) {
            fv_model_free(m);
            return NULL;
        }
    return m;
}

static bool same_params(const fv_model *a, const fv_model *b)
{
    if (fv_model_param_count(a) != fv_model_param_count(b)) return false;
    for (int k = 0; k < fv_model_param_count(a); k++) {
        const fv_param *p = fv_model_param(a, k), *q = fv_model_param(b, k);
        if (strcmp(p->name, q->name) || !fv_same_shape(&p->value, &q->value) || p->kind != q->kind ||
            memcmp(p->value.data, q->value.data, (size_t)p->value.size * sizeof(float)))
            return false;
    }
    return true;
}

static void typed_equals_text(void)
{
    fv_ctx *ca = fv_ctx_new(7), *cb = fv_ctx_new(7);
    fv_model *a = fv_model_parse(ca, text, "typed.fvd"), *b = typed(cb);
    CHECK(a && b, "the text parses and the specs add (%s / %s)", fv_errmsg(ca), fv_errmsg(cb));
    if (!a || !b) goto done;
    char *da = fv_model_describe(a), *db = fv_model_describe(b);
    bool same = da && db && strcmp(da, db) == 0;
    CHECK(same, "the same description");
    if (!same) fprintf(stderr, "text:\n%s---\nspecs:\n%s", da ? da : "", db ? db : "");
    free(da), free(db);
    CHECK(fv_model_init(a) == FV_OK && fv_model_init(b) == FV_OK && same_params(a, b),
          "the same parameters: names, shapes, kinds, and the weights drawn from the same seed");
    fv_tensor *x = fv_tensor_new(ca, FV_F32, 4, (int64_t[]){2, 3, 16, 16});
    for (int64_t i = 0; i < x->size; i++) fv_f32(x)[i] = fv_rng_uniform(11, 0, (uint64_t)i) - 0.5f;
    fv_tensor *ya = run_model(a, x, false), *yb = run_model(b, x, false);
    CHECK(ya && yb && ya->size == 10 && memcmp(ya->data, yb->data, (size_t)ya->size * sizeof(float)) == 0,
          "the same outputs on a random batch of 2");
    fv_tensor_free(x), fv_tensor_free(ya), fv_tensor_free(yb);
done:
    fv_model_free(a), fv_model_free(b);
    fv_ctx_free(ca), fv_ctx_free(cb);
}

static void introspection(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fv_model *m = typed(ctx);
    fv_layer_spec s;
    int c2 = fv_model_find_layer(m, "c2");
    CHECK(fv_model_layer_spec(m, c2, &s) == FV_OK && !strcmp(s.type, "conv2d") && !strcmp(s.name, "c2") &&
              s.n_in == 1 && s.in[0] == fv_model_find_layer(m, "r") && !s.in_name[0] && !s.share &&
              s.a.filters == 8 && s.a.kernel[0] == 3 && s.a.kernel[1] == 1 && s.a.pad[0] == 1 && s.a.pad[1] == 0 &&
              s.a.stride[0] == 1 && !s.a.bias,
          "conv2d c2 reads back: type, name, input by index, filters, kernel, padding, stride, bias");
    CHECK(fv_model_layer_spec(m, fv_model_find_layer(m, "cat"), &s) == FV_OK && s.n_in == 2 &&
              s.in[0] == fv_model_find_layer(m, "s") && s.in[1] == 3,
          "concat's two inputs read back in order");
    CHECK(fv_model_layer_spec(m, fv_model_find_layer(m, "rs"), &s) == FV_OK && !strcmp(s.type, "reshape") &&
              s.a.dims.n == 3 && s.a.dims.v[2] == -1,
          "a generic layer's list attribute reads back");
    CHECK(fv_model_layer_spec(m, 99, &s) == FV_ERR_ARG && strstr(fv_errmsg(ctx), "no layer 99"),
          "a layer index past the end is an error: %s", fv_errmsg(ctx));
    /* every layer's spec, added in order to a new model, makes the same model */
    fv_model *copy = fv_model_new(ctx, "typed");
    bool ok = true;
    for (int i = 0; ok && i < fv_model_layer_count(m); i++)
        ok = fv_model_layer_spec(m, i, &s) == FV_OK && fv_model_add_layer(copy, &s) == i;
    char *d1 = fv_model_describe(m), *d2 = fv_model_describe(copy);
    CHECK(ok && d1 && d2 && !strcmp(d1, d2), "the specs read back rebuild the model (%s)", fv_errmsg(ctx));
    free(d1), free(d2);
    fv_model_free(copy);
    fv_model_free(m);
    /* share= */
    m = fv_model_parse(ctx, "input a shape=8\ninput b shape=8\ndense d1 units=4 from=a\ndense d2 units=4 from=b "
                            "share=d1\n", "twin");
    int d2i = m ? fv_model_find_layer(m, "d2") : -1;
    CHECK(m && fv_model_layer_share(m, d2i) == fv_model_find_layer(m, "d1") &&
              fv_model_layer_share(m, fv_model_find_layer(m, "d1")) == -1 &&
              fv_model_layer_spec(m, d2i, &s) == FV_OK && s.share && !strcmp(s.share, "d1"),
          "share= reads back: the owner's index and name");
    fv_model_free(m);
    /* padding= of four sizes fills the four entries and nothing after them (the parser once copied six) */
    m = fv_model_parse(ctx, "input x shape=1x8x8\nconv_transpose2d t filters=1 kernel=3 padding=1x2x3x4\n", "pad4");
    CHECK(m && fv_model_layer_spec(m, 1, &s) == FV_OK && s.a.pad[0] == 1 && s.a.pad[1] == 2 && s.a.pad[2] == 3 &&
              s.a.pad[3] == 4 && s.a.output_padding[0] == 0 && s.a.output_padding[1] == 0,
          "padding=1x2x3x4 reads back, output_padding left at 0 (%s)", m ? "" : fv_errmsg(ctx));
    fv_model_free(m);
    fv_ctx_free(ctx);
}

/* A two-layer model (input x of 3x8x8, relu r) that spec s is added to: it must be refused with a message
 * holding each of want and want2. */
static void refused(fv_layer_spec s, const char *want, const char *want2, const char *what)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fv_model *m = fv_model_new(ctx, "bad");
    fv_layer_spec in = fv_spec_input("x", 3, (int64_t[]){3, 8, 8}), r = fv_spec_relu("r");
    fv_model_add_layer(m, &in);
    fv_model_add_layer(m, &r);
    int n = fv_model_layer_count(m);
    int got = fv_model_add_layer(m, &s);
    CHECK(got == -1 && fv_model_layer_count(m) == n && strstr(fv_errmsg(ctx), want) &&
              (!want2 || strstr(fv_errmsg(ctx), want2)),
          "%s: refused naming '%s'%s%s: %s", what, want, want2 ? " and " : "", want2 ? want2 : "", fv_errmsg(ctx));
    fv_model_free(m);
    fv_ctx_free(ctx);
}

static void bad_specs(void)
{
    fv_layer_spec s = fv_spec_conv2d("c", 4, 3);
    fv_spec_from(&s, "nowhere");
    refused(s, "conv2d 'c'", "no layer 'nowhere' before it", "an unknown input name");
    s = fv_spec_conv2d("c", 4, 3);
    fv_spec_from_layer(&s, 7);
    refused(s, "conv2d 'c'", "input 0 is layer 7", "an input index past the last layer");
    s = fv_spec_conv2d("c", 4, -3);
    refused(s, "conv2d 'c'", "kernel=-3: expected a positive size", "a negative kernel");
    s = fv_spec_conv2d("c", 0, 3);
    refused(s, "conv2d 'c'", "filters=0: expected a positive integer", "zero filters");
    s = fv_spec_conv2d("c", 4, 3);
    fv_spec_stride(&s, 0, 1);
    refused(s, "conv2d 'c'", "stride=0x1", "a zero stride");
    s = fv_spec_add("s", "x", NULL);
    refused(s, "add 's'", "needs 2 inputs", "one input to add");
    s = fv_spec_relu("r2");
    fv_spec_from(&s, "x"), fv_spec_from(&s, "r");
    refused(s, "relu 'r2'", "takes at most 1 inputs", "two inputs to relu");
    s = fv_spec_concat("cat", 1);
    for (int i = 0; i < FV_LAYER_MAX_INPUTS + 3; i++) fv_spec_from(&s, "r");
    refused(s, "concat 'cat'", "takes at most 64 inputs", "too many inputs");
    s = fv_spec_dense("d", 4);
    s.type = NULL;
    refused(s, "layer 'd'", "no type (NULL)", "a NULL type");
    s = fv_spec_of_type("convolution", "c");
    refused(s, "unknown layer type 'convolution'", "layer 'c'", "an unknown type");
    s = fv_spec_of_type("reshape", "rs");
    refused(s, "reshape 'rs'", "missing shape=", "a generic type's required key left unset");
    s = fv_spec_of_type("einsum", "e");
    snprintf(s.a.text, sizeof s.a.text, "ij, jk->ik");
    fv_spec_from(&s, "r"), fv_spec_from(&s, "r");
    refused(s, "einsum 'e'", "equation=", "a text key with a space");
    s = fv_spec_of_type("transpose", "t");
    s.a.axes.n = 13;
    refused(s, "transpose 't'", "perm=", "a list longer than 12");
    s = fv_spec_of_type("pad_nd", "p");
    s.a.dims = (fv_int_list){2, {0, 0}};
    s.a.choice[0] = 7;
    refused(s, "pad_nd 'p'", "mode=", "a choice out of range");
    s = fv_spec_dropout("d", NAN);
    refused(s, "dropout 'd'", "rate=nan: expected a finite number", "a NaN rate");
    s = fv_spec_max_pool("p", 2);
    s.a.pad_mode = FV_PAD_SAME;
    refused(s, "max_pool 'p'", "padding=", "'same' padding on a pool");
    int64_t big[7] = {1, 1, 1, 1, 1, 1, 1};
    s = fv_spec_constant("k", 7, big, FV_F32);
    refused(s, "constant 'k'", "shape=", "a shape of rank 7");
    s = fv_spec_relu("has space");
    refused(s, "relu 'has space'", "may not hold spaces", "a name with a space");
    s = fv_spec_relu("r");
    refused(s, "relu 'r'", "already exists", "a name taken");
    s = fv_spec_activation("act", (fv_activation_kind)99);
    refused(s, "layer 'act'", "no type (NULL)", "an activation kind out of range");
    /* share= between layers of different shapes */
    fv_ctx *ctx = fv_ctx_new(1);
    fv_model *m = fv_model_new(ctx, "twins");
    fv_layer_spec l[4] = {fv_spec_input("x", 1, (int64_t[]){8}), fv_spec_dense("d1", 4), fv_spec_dense("d2", 3)};
    fv_spec_from(&l[2], "x");
    l[2].share = "d1";
    CHECK(fv_model_add_layer(m, &l[0]) == 0 && fv_model_add_layer(m, &l[1]) == 1 && fv_model_add_layer(m, &l[2]) == -1 &&
              strstr(fv_errmsg(ctx), "dense 'd2': share=d1") && strstr(fv_errmsg(ctx), "differs"),
          "share= between dense layers of 4 and 3 units is refused naming both: %s", fv_errmsg(ctx));
    CHECK(fv_model_add_layer(m, NULL) == -1 && strstr(fv_errmsg(ctx), "spec is NULL"), "a NULL spec is refused");
    CHECK(fv_model_add_layer(NULL, &l[1]) == -1, "a NULL model is refused");
    fv_model_free(m);
    m = fv_model_new(ctx, "headless");
    CHECK(fv_model_add_layer(m, &l[1]) == -1 && strstr(fv_errmsg(ctx), "starts with an input layer"),
          "a model must start with an input: %s", fv_errmsg(ctx));
    fv_model_free(m);
    fv_ctx_free(ctx);
}

int main(void)
{
    typed_equals_text();
    introspection();
    bad_specs();
    return test_finish();
}
