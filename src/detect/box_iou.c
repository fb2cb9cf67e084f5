/* The IoU family and its losses, term for term as torchvision.ops writes them in float32, so that the results
 * agree to rounding: the matrices (box_iou and its generalized, distance and complete forms) clamp the
 * intersection's sides at 0; the losses count an intersection only where both sides are positive and guard
 * each division with eps (their _loss_inter_union), as the torchvision functions of those names do. */
#include <math.h>

#include "fovea/boxes.h"

#define PAPER_EPS 1e-7f /* torchvision's default eps, also the one its CIoU loss uses inside its DIoU part */
#define PI 3.14159265358979323846
#define V_SCALE ((float)(4.0 / (PI * PI))) /* CIoU's v = 4 / pi^2 (atan difference)^2 */

static float maxf(float a, float b) { return a > b ? a : b; }
static float minf(float a, float b) { return a < b ? a : b; }
static float clamp0(float v) { return v < 0.0f ? 0.0f : v; } /* NaN stays NaN, as clamp(min=0) */

/* The terms of one pair (matrix forms). */
static float pair_iou(const float *p, const float *g, fv_iou_kind kind)
{
    float area_p = (p[2] - p[0]) * (p[3] - p[1]), area_g = (g[2] - g[0]) * (g[3] - g[1]);
    float w = clamp0(minf(p[2], g[2]) - maxf(p[0], g[0])), h = clamp0(minf(p[3], g[3]) - maxf(p[1], g[1]));
    float inter = w * h, uni = area_p + area_g - inter, iou = inter / uni;
    if (kind == FV_IOU) return iou;
    /* the enclosing box: torch.min of the top-left corners, torch.max of the bottom-right ones */
    float ew = clamp0(maxf(p[2], g[2]) - minf(p[0], g[0])), eh = clamp0(maxf(p[3], g[3]) - minf(p[1], g[1]));
    if (kind == FV_GIOU) {
        float enclosing = ew * eh;
        return iou - (enclosing - uni) / enclosing;
    }
    float diag = ew * ew + eh * eh + PAPER_EPS;
    float dx = (p[0] + p[2]) / 2 - (g[0] + g[2]) / 2, dy = (p[1] + p[3]) / 2 - (g[1] + g[3]) / 2;
    float diou = iou - (dx * dx + dy * dy) / diag;
    if (kind == FV_DIOU) return diou;
    float d = atanf((p[2] - p[0]) / (p[3] - p[1])) - atanf((g[2] - g[0]) / (g[3] - g[1]));
    float v = V_SCALE * (d * d), alpha = v / (1.0f - iou + v + PAPER_EPS);
    return diou - alpha * v;
}

void fv_box_iou(float *out, const float *a, int64_t n, const float *b, int64_t m, fv_iou_kind kind)
{
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < m; j++) out[i * m + j] = pair_iou(a + 4 * i, b + 4 * j, kind);
}

/* 1 - DIoU as _diou_iou_loss computes it, with its IoU. */
static float diou_loss(const float *p, const float *g, float eps, float *iou_out)
{
    float xi1 = maxf(p[0], g[0]), yi1 = maxf(p[1], g[1]), xi2 = minf(p[2], g[2]), yi2 = minf(p[3], g[3]);
    float inter = yi2 > yi1 && xi2 > xi1 ? (xi2 - xi1) * (yi2 - yi1) : 0.0f;
    float uni = (p[2] - p[0]) * (p[3] - p[1]) + (g[2] - g[0]) * (g[3] - g[1]) - inter;
    float iou = inter / (uni + eps);
    float ew = maxf(p[2], g[2]) - minf(p[0], g[0]), eh = maxf(p[3], g[3]) - minf(p[1], g[1]);
    float diag = ew * ew + eh * eh + eps;
    float dx = (p[2] + p[0]) / 2 - (g[0] + g[2]) / 2, dy = (p[3] + p[1]) / 2 - (g[1] + g[3]) / 2;
    *iou_out = iou;
    return 1.0f - iou + (dx * dx + dy * dy) / diag;
}

static float pair_loss(const float *p, const float *g, fv_iou_kind kind, float eps)
{
    float xi1 = maxf(p[0], g[0]), yi1 = maxf(p[1], g[1]), xi2 = minf(p[2], g[2]), yi2 = minf(p[3], g[3]);
    float inter = yi2 > yi1 && xi2 > xi1 ? (xi2 - xi1) * (yi2 - yi1) : 0.0f;
    float uni = (p[2] - p[0]) * (p[3] - p[1]) + (g[2] - g[0]) * (g[3] - g[1]) - inter;
    float iou = inter / (uni + eps), iou_d;
    switch (kind) {
    case FV_GIOU: {
        float enclosing = (maxf(p[2], g[2]) - minf(p[0], g[0])) * (maxf(p[3], g[3]) - minf(p[1], g[1]));
        return 1.0f - (iou - (enclosing - uni) / (enclosing + eps));
    }
    case FV_DIOU: return diou_loss(p, g, eps, &iou_d);
    case FV_CIOU: {
        float loss = diou_loss(p, g, PAPER_EPS, &iou_d); /* torchvision calls it without the eps given */
        float d = atanf((g[2] - g[0]) / (g[3] - g[1])) - atanf((p[2] - p[0]) / (p[3] - p[1]));
        float v = V_SCALE * (d * d), alpha = v / (1.0f - iou_d + v + eps);
        return loss + alpha * v;
    }
    default: return 1.0f - iou;
    }
}

void fv_box_iou_loss(float *loss, const float *a, const float *b, int64_t n, fv_iou_kind kind, float eps)
{
    for (int64_t i = 0; i < n; i++) loss[i] = pair_loss(a + 4 * i, b + 4 * i, kind, eps);
}
