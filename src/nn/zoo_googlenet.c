/* GoogLeNet (Inception v1) as torchvision builds it: every convolution a BasicConv2d (conv without bias,
 * batch norm with eps 1e-3, ReLU), ceil-mode max pools, a 3x3 convolution in the "5x5" branch (torchvision's
 * known departure from the paper, kept so that its weights load), and the two auxiliary classifiers on
 * request. Each inception module's output is the concat named after the module. */
#include <stdio.h>

#include "zoo_internal.h"

/* BasicConv2d named p: p.conv, p.bn, p.relu. */
static void basic(fv_zoo_b *b, const char *p, const char *from, int filters, int kernel, int stride)
{
    char src[96] = "";
    if (from) snprintf(src, sizeof src, " from=%s", from);
    fv_zoo_add(b, "conv2d", "%s.conv filters=%d kernel=%d stride=%d padding=%d bias=false%s", p, filters, kernel,
               stride, kernel / 2, src);
    fv_zoo_add(b, "batch_norm", "%s.bn eps=0.001", p);
    fv_zoo_add(b, "relu", "%s.relu", p);
}

typedef struct {
    const char *name;
    int c1, c3_reduce, c3, c5_reduce, c5, pool_proj;
} inception_cfg;

/* Four branches over x, concatenated along channels into a layer named after the module. */
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
    fv_zoo_add(b, "max_pool", "%s.branch4.0 kernel=3 stride=1 padding=1 ceil_mode=true from=%s", c->name, x);
    snprintf(p[3], sizeof p[3], "%s.branch4.1", c->name);
    basic(b, p[3], NULL, c->pool_proj, 1, 1);
    fv_zoo_add(b, "concat", "%s from=%s.relu,%s.relu,%s.relu,%s.relu", c->name, p[0], p[1], p[2], p[3]);
}

/* InceptionAux named p over x: a side branch ending in the logits p.fc2. */
static void aux_head(fv_zoo_b *b, const char *p, const char *x)
{
    char conv[64];
    snprintf(conv, sizeof conv, "%s.conv", p);
    fv_zoo_add(b, "adaptive_avg_pool", "%s.avgpool size=4 from=%s", p, x);
    basic(b, conv, NULL, 128, 1, 1);
    fv_zoo_add(b, "flatten", "%s.flatten", p);
    fv_zoo_add(b, "dense", "%s.fc1 units=1024", p);
    fv_zoo_add(b, "relu", "%s.relu", p);
    fv_zoo_add(b, "dropout", "%s.dropout rate=0.7", p);
    fv_zoo_add(b, "dense", "%s.fc2 units=%d", p, b->opt->num_classes);
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
    fv_zoo_add(b, "max_pool", "maxpool1 kernel=3 stride=2 ceil_mode=true");
    basic(b, "conv2", NULL, 64, 1, 1);
    basic(b, "conv3", NULL, 192, 3, 1);
    fv_zoo_add(b, "max_pool", "maxpool2 kernel=3 stride=2 ceil_mode=true");
    const char *x = "maxpool2";
    for (int i = 0; i < 9; i++) {
        inception(b, &cfg[i], x);
        x = cfg[i].name;
        if (i == 1 || i == 6) { /* after inception3b and inception4e */
            fv_zoo_add(b, "max_pool", "maxpool%d kernel=%d stride=2 ceil_mode=true", i == 1 ? 3 : 4, i == 1 ? 3 : 2);
            x = i == 1 ? "maxpool3" : "maxpool4";
        }
        if (b->opt->aux_logits && (i == 2 || i == 5)) /* on inception4a and inception4d */
            aux_head(b, i == 2 ? "aux1" : "aux2", x);
    }
    if (!b->opt->include_top) {
        fv_zoo_headless(b);
        return;
    }
    fv_zoo_add(b, "global_avg_pool", "avgpool from=inception5b");
    fv_zoo_add(b, "flatten", "flatten");
    fv_zoo_add(b, "dropout", "dropout rate=0.2");
    fv_zoo_add(b, "dense", "fc units=%d", b->opt->num_classes);
}
