/* GoogLeNet (Inception v1) as torchvision builds it: every convolution a BasicConv2d (conv without bias,
 * batch norm with eps 1e-3, ReLU), ceil-mode max pools, a 3x3 convolution in the "5x5" branch (torchvision's
 * known departure from the paper, kept so that its weights load), and the two auxiliary classifiers on
 * request. Each inception module's output is the concat named after the module. */
#include <stdio.h>

#include "zoo_internal.h"

/* BasicConv2d named p: p.conv, p.bn, p.relu. */
static void basic(fv_zoo_b *b, const char *p, const char *from, int filters, int kernel, int stride)
{
    char name[96];
    snprintf(name, sizeof name, "%s.conv", p);
    fv_zoo_conv(b, name, from, filters, kernel, stride, kernel / 2, 1, false);
    snprintf(name, sizeof name, "%s.bn", p);
    fv_layer_spec bn = fv_spec_batch_norm(name);
    bn.a.eps = 0.001f;
    fv_zoo_add(b, bn, NULL);
    snprintf(name, sizeof name, "%s.relu", p);
    fv_zoo_add(b, fv_spec_relu(name), NULL);
}

typedef struct {
    const char *name;
    int c1, c3_reduce, c3, c5_reduce, c5, pool_proj;
} inception_cfg;

/* Four branches over x, concatenated along channels into a layer named after the module. */
/* A max pool of torchvision's GoogLeNet: ceil_mode rounds the output size up. */
static fv_layer_spec max_pool(const char *name, int kernel, int stride, int padding)
{
    fv_layer_spec s = fv_spec_max_pool(name, kernel);
    fv_spec_stride(&s, stride, stride);
    fv_spec_padding(&s, padding, padding);
    s.a.ceil_mode = true;
    return s;
}

static void inception(fv_zoo_b *b, const inception_cfg *c, const char *x)
{
    char p[4][64], name[96];
    snprintf(p[0], sizeof p[0], "%s.branch1", c->name);
    basic(b, p[0], x, c->c1, 1, 1);
    snprintf(name, sizeof name, "%s.branch2.0", c->name);
    basic(b, name, x, c->c3_reduce, 1, 1);
    snprintf(p[1], sizeof p[1], "%s.branch2.1", c->name);
    basic(b, p[1], NULL, c->c3, 3, 1);
    snprintf(name, sizeof name, "%s.branch3.0", c->name);
    basic(b, name, x, c->c5_reduce, 1, 1);
    snprintf(p[2], sizeof p[2], "%s.branch3.1", c->name);
    basic(b, p[2], NULL, c->c5, 3, 1);
    snprintf(name, sizeof name, "%s.branch4.0", c->name);
    fv_zoo_add(b, max_pool(name, 3, 1, 1), x);
    snprintf(p[3], sizeof p[3], "%s.branch4.1", c->name);
    basic(b, p[3], NULL, c->pool_proj, 1, 1);
    char relu[4][96];
    fv_layer_spec cat = fv_spec_concat(c->name, 1);
    for (int i = 0; i < 4; i++) {
        snprintf(relu[i], sizeof relu[i], "%.63s.relu", p[i]);
        fv_spec_from(&cat, relu[i]);
    }
    fv_zoo_add(b, cat, NULL);
}

/* InceptionAux named p over x: a side branch ending in the logits p.fc2. */
static void aux_head(fv_zoo_b *b, const char *p, const char *x)
{
    char conv[64], name[80];
    snprintf(conv, sizeof conv, "%s.conv", p);
    snprintf(name, sizeof name, "%s.avgpool", p);
    fv_zoo_add(b, fv_spec_adaptive_avg_pool(name, 4, 4), x);
    basic(b, conv, NULL, 128, 1, 1);
    snprintf(name, sizeof name, "%s.flatten", p);
    fv_zoo_add(b, fv_spec_flatten(name), NULL);
    snprintf(name, sizeof name, "%s.fc1", p);
    fv_zoo_add(b, fv_spec_dense(name, 1024), NULL);
    snprintf(name, sizeof name, "%s.relu", p);
    fv_zoo_add(b, fv_spec_relu(name), NULL);
    snprintf(name, sizeof name, "%s.dropout", p);
    fv_zoo_add(b, fv_spec_dropout(name, 0.7f), NULL);
    snprintf(name, sizeof name, "%s.fc2", p);
    fv_zoo_add(b, fv_spec_dense(name, b->opt->num_classes), NULL);
}

void fv_zoo_googlenet(fv_zoo_b *b, int unused_a, int unused_b)
{
    (void)unused_a, (void)unused_b;
    static const inception_cfg cfg[9] = {
        {"inception3a", 64, 96, 128, 16, 32, 32},    {"inception3b", 128, 128, 192, 32, 96, 64},
        {"inception4a", 192, 96, 208, 16, 48, 64},   {"inception4b", 160, 112, 224, 24, 64, 64},
        {"inception4c", 128, 128, 256, 24, 64, 64},  {"inception4d", 112, 144, 288, 32, 64, 64},
        {"inception4e", 256, 160, 320, 32, 128, 128}, {"inception5a", 256, 160, 320, 32, 128, 128},
        {"inception5b", 384, 192, 384, 48, 128, 128}};
    basic(b, "conv1", NULL, 64, 7, 2);
    fv_zoo_add(b, max_pool("maxpool1", 3, 2, 0), NULL);
    basic(b, "conv2", NULL, 64, 1, 1);
    basic(b, "conv3", NULL, 192, 3, 1);
    fv_zoo_add(b, max_pool("maxpool2", 3, 2, 0), NULL);
    const char *x = "maxpool2";
    for (int i = 0; i < 9; i++) {
        inception(b, &cfg[i], x);
        x = cfg[i].name;
        if (i == 1 || i == 6) { /* after inception3b and inception4e */
            x = i == 1 ? "maxpool3" : "maxpool4";
            fv_zoo_add(b, max_pool(x, i == 1 ? 3 : 2, 2, 0), NULL);
        }
        if (b->opt->aux_logits && (i == 2 || i == 5)) /* on inception4a and inception4d */
            aux_head(b, i == 2 ? "aux1" : "aux2", x);
    }
    if (!b->opt->include_top) {
        fv_zoo_headless(b);
        return;
    }
    fv_zoo_add(b, fv_spec_global_avg_pool("avgpool"), "inception5b");
    fv_zoo_add(b, fv_spec_flatten("flatten"), NULL);
    fv_zoo_add(b, fv_spec_dropout("dropout", 0.2f), NULL);
    fv_zoo_add(b, fv_spec_dense("fc", b->opt->num_classes), NULL);
}
