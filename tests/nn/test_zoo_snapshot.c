/* The zoo's models are exactly what they were when the zoo formatted text for the description parser: every
 * model, with and without its top, and the options that change structure, gives the same description and the
 * same parameter names, shapes and kinds. The digests were taken from the build before the zoo moved to typed
 * layer specs (FNV-1a 64 of fv_model_describe, then one "name shape kind" line per parameter; unet's when it
 * joined the zoo, after its count and forward were checked against PyTorch in test_unet.c; the segmentation
 * models' likewise, after test_fcn.c and test_seg_zoo.c); run with
 * --print to write the table again after a deliberate change. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fovea.h"
#include "test.h"

typedef struct {
    const char *name;
    int variant; /* 0: defaults; 1: headless, average pooling; 2: 10 classes at 3x96x128; 3: alpha 0.75 (the
                  * mobilenets, fcn32s/16s/8s, the mobilenet segmentation models), aux, or unet at depth 2,
                  * width 8, bilinear, without batch norm */
    uint64_t digest;
} snapshot;

static const snapshot snapshots[] = {
#include "zoo_snapshot.inc"
};
#define N_SNAPSHOTS ((int)(sizeof snapshots / sizeof snapshots[0]))

static uint64_t fnv1a(uint64_t h, const char *s)
{
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) h = (h ^ *c) * 0x100000001b3ull;
    return h;
}

/* The mobilenets, the FCN-VGG16 nets and the mobilenet segmentation models take a width multiplier. */
static bool takes_alpha(const char *name)
{
    return strncmp(name, "mobilenet", 9) == 0 || strstr(name, "_mobilenet_v3") ||
           (strncmp(name, "fcn", 3) == 0 && strcmp(name, "fcn_resnet50") != 0);
}

static fv_zoo_options options(const char *name, int variant)
{
    fv_zoo_options o = fv_zoo_defaults();
    if (variant == 1) o.include_top = false, o.pooling = FV_ZOO_POOL_AVG;
    if (variant == 2) o.num_classes = 10, o.height = 96, o.width = 128;
    if (variant == 3 && takes_alpha(name)) o.alpha = 0.75;
    if (variant == 3 && strcmp(name, "googlenet") == 0) o.aux_logits = true;
    if (variant == 3 && strcmp(name, "unet") == 0)
        o.depth = 2, o.base_width = 8, o.upsample = FV_ZOO_UP_BILINEAR, o.no_batch_norm = true;
    return o;
}

/* The digest of one model (the small built-in ones by fv_model_by_name, variant 0), 0 if it does not build. */
static uint64_t digest(fv_ctx *ctx, const char *name, int variant)
{
    fv_zoo_options o = options(name, variant);
    fv_model *m = fv_zoo_has(name) ? fv_zoo_build(ctx, name, &o) : fv_model_by_name(ctx, name, 0, 0, 0, 0);
    if (!m) return 0;
    char *d = fv_model_describe(m);
    uint64_t h = fnv1a(0xcbf29ce484222325ull, d ? d : "");
    free(d);
    for (int k = 0; k < fv_model_param_count(m); k++) {
        const fv_param *p = fv_model_param(m, k);
        char line[256], shape[96];
        snprintf(line, sizeof line, "%s %s %d\n", p->name, fv_shape_str(&p->value, shape, sizeof shape), (int)p->kind);
        h = fnv1a(h, line);
    }
    fv_model_free(m);
    return h;
}

static bool takes_variant_3(const char *name)
{
    return takes_alpha(name) || !strcmp(name, "googlenet") || !strcmp(name, "unet");
}

int main(int argc, char **argv)
{
    fv_ctx *ctx = fv_ctx_new(1);
    if (argc > 1 && strcmp(argv[1], "--print") == 0) {
        for (const char *const *n = fv_model_names(); *n; n++) {
            for (int v = 0; v < (fv_zoo_has(*n) ? 4 : 1); v++)
                if (v < 3 || takes_variant_3(*n)) printf("    {\"%s\", %d, 0x%016llxull},\n", *n, v,
                                                         (unsigned long long)digest(ctx, *n, v));
        }
        fv_ctx_free(ctx);
        return 0;
    }
    for (int i = 0; i < N_SNAPSHOTS; i++) {
        const snapshot *s = &snapshots[i];
        uint64_t h = digest(ctx, s->name, s->variant);
        CHECK(h == s->digest, "%s (variant %d): description and parameters as before (0x%016llx, want 0x%016llx) %s",
              s->name, s->variant, (unsigned long long)h, (unsigned long long)s->digest, h ? "" : fv_errmsg(ctx));
    }
    fv_ctx_free(ctx);
    return test_finish();
}
