/* Segmentation pairs under augmentation (fv_tensor_set_augment with FV_PAIR_MASK, as `fovea train --task segment
 * --augment ...` runs it): masks are sampled nearest, so they only ever hold the classes they had (plus the fill,
 * 0, outside the image) even when the image is warped bilinearly; under nearest geometric steps the mask is
 * exactly where the image went; photometric steps leave the mask untouched. A mask of ids 3 and 11 would show
 * an interpolated 7 (or anything between) the moment it is blended. */
#include <stdlib.h>
#include <string.h>

#include "fovea/augment.h"
#include "fovea/data.h"
#include "test.h"

#define N 4
#define S 24

/* N images of S x S whose pixel value is their mask's id / 16: ids 3 and 11 in blobs and stripes. */
static fv_tensor_set *pairs(fv_ctx *ctx)
{
    fv_tensor *x = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){N, 1, S, S});
    fv_tensor *y = fv_tensor_new(ctx, FV_I32, 3, (int64_t[]){N, S, S});
    for (int i = 0; i < N; i++)
        for (int r = 0; r < S; r++)
            for (int c = 0; c < S; c++) {
                int id = ((r / (2 + i)) + (c / 3)) % 2 ? 11 : 3;
                fv_i32(y)[(i * S + r) * S + c] = id;
                fv_f32(x)[(i * S + r) * S + c] = (float)id / 16.0f;
            }
    fv_tensor_set *set = fv_tensor_set_new(ctx, (const fv_tensor *const[]){x}, 1, y);
    fv_tensor_free(x), fv_tensor_free(y);
    return set;
}

typedef struct {
    int foreign;      /* mask values other than 0, 3, 11 */
    int misplaced;    /* pixels whose image value is not their mask's id / 16 */
    int image_moved;  /* pixels of the image that changed */
    int mask_moved;   /* pixels of the mask that changed */
} tally;

/* Augment with spec over several epochs, counting what the masks hold. */
static tally run(fv_ctx *ctx, const char *spec, int epochs)
{
    tally t = {0};
    fv_tensor_set *set = pairs(ctx);
    fv_augment *aug = fv_augment_new(ctx);
    fv_tensor *x = fv_tensor_new(ctx, FV_F32, 4, (int64_t[]){N, 1, S, S}), *y = fv_tensor_new(ctx, FV_I32, 3, (int64_t[]){N, S, S});
    bool ok = set && aug && fv_augment_parse(aug, spec) == FV_OK && fv_tensor_set_augment(set, aug, 9, FV_PAIR_MASK) == FV_OK;
    if (!CHECK(ok, "%s: parsed and paired (%s)", spec, fv_errmsg(ctx))) t.foreign = -1;
    fv_data_source src = fv_tensor_set_source(set);
    const fv_tensor *y0 = fv_tensor_set_target(set), *x0 = fv_tensor_set_input(set, 0);
    int64_t idx[N] = {0, 1, 2, 3};
    for (int e = 0; ok && e < epochs; e++) {
        if (src.fetch(src.data, e, idx, N, x, y) != FV_OK) {
            t.foreign = -1;
            break;
        }
        for (int64_t p = 0; p < (int64_t)N * S * S; p++) {
            int32_t id = fv_i32(y)[p];
            t.foreign += id != 0 && id != 3 && id != 11;
            t.misplaced += fv_f32(x)[p] != (float)id / 16.0f;
            t.image_moved += fv_f32(x)[p] != fv_f32(x0)[p];
            t.mask_moved += id != fv_i32(y0)[p];
        }
    }
    fv_tensor_free(x), fv_tensor_free(y), fv_augment_free(aug), fv_tensor_set_free(set);
    return t;
}

int main(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    const char *warps = "rotate=40 shear=20 zoom=0.6:1.5 shift=0.2 hflip=0.5 vflip=0.5 interp=bilinear crop=0.5 "
                        "blur=0.5:1.5 noise=0.05 brightness=0.4 contrast=0.4 erase=0.5 cutout=0.3";
    tally t = run(ctx, warps, 12);
    CHECK(t.foreign == 0 && t.mask_moved > 0, "bilinear warps, crops, blur and noise on the image: the masks moved "
          "(%d pixels) but hold only 0, 3 and 11 (%d other values)", t.mask_moved, t.foreign);
    t = run(ctx, "rotate=35 shear=15 zoom=0.7:1.3 shift=0.15 hflip=0.5 vflip=0.5 interp=nearest", 12);
    CHECK(t.foreign == 0 && t.misplaced == 0 && t.mask_moved > 0,
          "nearest geometric steps: every mask pixel is its image pixel's class (0 outside both), %d misplaced", t.misplaced);
    t = run(ctx, "brightness=0.5 contrast=0.5 noise=0.1 blur=1:2 erase=1 cutout=0.4@1", 6);
    CHECK(t.mask_moved == 0 && t.image_moved > 0, "photometric steps change the image (%d pixels), never the mask (%d)",
          t.image_moved, t.mask_moved);
    fv_ctx_free(ctx);
    return test_finish();
}
