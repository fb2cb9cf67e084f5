/* Composed segmentation canvases (fv_compose_canvas, fv_compose_write) and segmentation folders
 * (fv_tensor_set_load_segmentation): the same seed gives the same canvases and another seed others, masks hold
 * 0..10 and are nonzero exactly where the canvas exceeds the threshold, the last item's bright pixels carry its
 * class + 1, boxes bound them, and a written folder reads back as the canvases (N, 1, H, W) and masks (N, H, W). */
#include <stdlib.h>
#include <string.h>

#include "fovea/data.h"
#include "test.h"

#define S 28
#define C 48

/* 20 items of 28x28 in 10 classes: a filled rectangle of brightness 10 + 12 * i with a faint rim of 20. */
static fv_dataset *items(fv_ctx *ctx)
{
    static uint8_t px[20 * S * S];
    int32_t labels[20];
    memset(px, 0, sizeof px);
    for (int i = 0; i < 20; i++) {
        labels[i] = i % 10;
        for (int r = 4; r < 20 + i / 4; r++)
            for (int c = 2 + i % 5; c < 24; c++)
                px[i * S * S + r * S + c] = (r == 4 || c == 23) ? 20 : (uint8_t)(30 + 11 * i);
    }
    return fv_dataset_from_u8(ctx, 20, 1, S, S, px, labels, 10);
}

static void check_canvas(fv_ctx *ctx, const fv_dataset *ds, const fv_compose_options *o, int64_t i)
{
    uint8_t im[C * C], mk[C * C], im2[C * C], mk2[C * C];
    fv_compose_box b[FV_COMPOSE_MAX_ITEMS];
    int n = 0, n2 = 0;
    fv_status st = fv_compose_canvas(ctx, ds, o, i, im, mk, b, &n);
    fv_compose_canvas(ctx, ds, o, i, im2, mk2, NULL, &n2);
    CHECK(st == FV_OK && n >= 2 && n <= 4 && n == n2, "canvas %lld: 2 to 4 items (%d) (%s)", (long long)i, n, fv_errmsg(ctx));
    CHECK(!memcmp(im, im2, sizeof im) && !memcmp(mk, mk2, sizeof mk), "canvas %lld is the same drawn twice", (long long)i);
    int bad = 0;
    for (int p = 0; p < C * C; p++) bad += mk[p] > 10 || (mk[p] != 0) != (im[p] > 25);
    CHECK(bad == 0, "canvas %lld: masks in 0..10, nonzero exactly where the pixel exceeds 25 (%d pixels not)", (long long)i, bad);
    /* the last item lies on top: all its bright pixels are its class + 1 */
    const fv_compose_box *last = &b[n - 1];
    int inside = 0;
    for (int y = last->y0; y < last->y1; y++)
        for (int x = last->x0; x < last->x1; x++) inside += mk[y * C + x] == last->class_id;
    CHECK(last->class_id >= 1 && last->class_id <= 10 && inside > 0,
          "canvas %lld: the top item's box (%d, %d..%d, %d..%d) holds its class %d", (long long)i, last->class_id,
          last->x0, last->x1, last->y0, last->y1, last->class_id);
    int corners = mk[last->y0 * C + last->x0] == last->class_id && mk[(last->y1 - 1) * C + last->x1 - 1] == last->class_id;
    CHECK(corners, "canvas %lld: the top item's box is tight (its corners are its class)", (long long)i);
}

static void check_seeds(fv_ctx *ctx, const fv_dataset *ds, fv_compose_options o)
{
    uint8_t a[C * C], b[C * C], m[C * C];
    int differ = 0;
    for (int64_t i = 0; i < 8; i++) {
        o.seed = 1, fv_compose_canvas(ctx, ds, &o, i, a, m, NULL, NULL);
        o.seed = 2, fv_compose_canvas(ctx, ds, &o, i, b, m, NULL, NULL);
        differ += memcmp(a, b, sizeof a) != 0;
    }
    CHECK(differ >= 7, "another seed gives other canvases (%d of 8 differ)", differ);
}

static void check_folder(fv_ctx *ctx, const fv_dataset *ds, const fv_compose_options *o)
{
    char dir[] = "/tmp/fovea_compose.XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "a temporary folder");
    fv_status st = fv_compose_write(ctx, ds, o, 5, dir);
    CHECK(st == FV_OK && fv_is_segmentation_folder(dir), "5 canvases written as a segmentation folder (%s)", fv_errmsg(ctx));
    fv_tensor_set *s = fv_tensor_set_load_segmentation(ctx, dir, 0);
    const fv_tensor *x = s ? fv_tensor_set_input(s, 0) : NULL, *y = s ? fv_tensor_set_target(s) : NULL;
    CHECK(x && y && x->ndim == 4 && x->shape[0] == 5 && x->shape[1] == 1 && x->shape[2] == C && x->shape[3] == C &&
              y->ndim == 3 && y->dtype == FV_I32 && y->shape[1] == C,
          "it reads back as (5, 1, %d, %d) images and (5, %d, %d) masks (%s)", C, C, C, C, fv_errmsg(ctx));
    uint8_t im[C * C], mk[C * C];
    int wrong = 0;
    for (int64_t i = 0; x && y && i < 5; i++) {
        fv_compose_canvas(ctx, ds, o, i, im, mk, NULL, NULL);
        for (int p = 0; p < C * C; p++)
            wrong += fv_i32(y)[i * C * C + p] != mk[p] || (int)(fv_f32(x)[i * C * C + p] * 255.0f + 0.5f) != im[p];
    }
    CHECK(x && wrong == 0, "the read pixels and masks are the composed ones (%d differ)", wrong);
    fv_tensor_set_free(s);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "clean up");
}

int main(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fv_dataset *ds = items(ctx);
    fv_compose_options o = fv_compose_defaults();
    o.canvas = C, o.seed = 7;
    for (int64_t i = 0; i < 50; i++) check_canvas(ctx, ds, &o, i);
    check_seeds(ctx, ds, o);
    fv_compose_options bad = o;
    bad.canvas = 20;
    uint8_t im[C * C], mk[C * C];
    CHECK(fv_compose_canvas(ctx, ds, &bad, 0, im, mk, NULL, NULL) == FV_ERR_ARG && strstr(fv_errmsg(ctx), "canvas of 20"),
          "a canvas smaller than the items is refused (%s)", fv_errmsg(ctx));
    check_folder(ctx, ds, &o);
    fv_dataset_free(ds);
    fv_ctx_free(ctx);
    return test_finish();
}
