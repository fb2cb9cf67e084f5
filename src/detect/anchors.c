/* Anchors on a feature map's grid, as torchvision's AnchorGenerator places them. */
#include <math.h>

#include "../core/internal.h"
#include "fovea/boxes.h"

#define MAX_ANCHORS ((int64_t)1 << 40)

int64_t fv_anchor_grid_count(int64_t grid_h, int64_t grid_w, int n_sizes, int n_ratios)
{
    if (grid_h < 1 || grid_w < 1 || n_sizes < 1 || n_ratios < 1) return 0;
    int64_t per_cell = (int64_t)n_sizes * n_ratios;
    if (grid_h > MAX_ANCHORS / grid_w || grid_h * grid_w > MAX_ANCHORS / per_cell) return 0;
    return grid_h * grid_w * per_cell;
}

static bool positive(float v) { return isfinite(v) && v > 0.0f; }

fv_status fv_anchor_grid(fv_ctx *ctx, float *out, int64_t grid_h, int64_t grid_w, int64_t stride_h, int64_t stride_w,
                         const float *sizes, int n_sizes, const float *ratios, int n_ratios)
{
    if (!fv_anchor_grid_count(grid_h, grid_w, n_sizes, n_ratios) || stride_h < 0 || stride_w < 0 ||
        stride_h > INT32_MAX / grid_h || stride_w > INT32_MAX / grid_w) /* torchvision's shifts are int32 */
        return fv_error(ctx, FV_ERR_ARG, "anchors: a %lldx%lld grid at strides %lldx%lld with %d sizes and %d ratios",
                        (long long)grid_h, (long long)grid_w, (long long)stride_h, (long long)stride_w, n_sizes,
                        n_ratios);
    for (int i = 0; i < n_sizes; i++)
        if (!positive(sizes[i])) return fv_error(ctx, FV_ERR_ARG, "anchors: size %d is %g", i, (double)sizes[i]);
    for (int i = 0; i < n_ratios; i++)
        if (!positive(ratios[i])) return fv_error(ctx, FV_ERR_ARG, "anchors: aspect ratio %d is %g", i, (double)ratios[i]);
    int per_cell = n_sizes * n_ratios;
    for (int r = 0; r < n_ratios; r++) { /* the cell anchors, centred on 0, in the first cell's slots */
        float h_ratio = sqrtf(ratios[r]), w_ratio = 1.0f / h_ratio;
        for (int s = 0; s < n_sizes; s++) {
            float ws = w_ratio * sizes[s], hs = h_ratio * sizes[s], *a = out + 4 * (r * n_sizes + s);
            a[0] = nearbyintf(-ws / 2), a[1] = nearbyintf(-hs / 2), a[2] = nearbyintf(ws / 2), a[3] = nearbyintf(hs / 2);
        }
    }
    for (int64_t cell = grid_h * grid_w - 1; cell >= 0; cell--) { /* last first: cell 0's slots hold the bases */
        float sx = (float)((cell % grid_w) * stride_w), sy = (float)((cell / grid_w) * stride_h);
        for (int k = 0; k < per_cell; k++) {
            const float *base = out + 4 * k;
            float *a = out + 4 * (cell * per_cell + k);
            a[0] = sx + base[0], a[1] = sy + base[1], a[2] = sx + base[2], a[3] = sy + base[3];
        }
    }
    return FV_OK;
}
