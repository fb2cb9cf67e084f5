/* Box formats, areas, clipping and the small-box filter, each as torchvision.ops computes it in float32
 * (conversions between two formats that are not corners go through corners, as box_convert does). */
#include "fovea/boxes.h"

/* One box to corners. */
static void to_xyxy(float *o, const float *b, fv_box_format from)
{
    switch (from) {
    case FV_BOX_XYWH: o[0] = b[0], o[1] = b[1], o[2] = b[0] + b[2], o[3] = b[1] + b[3]; return;
    case FV_BOX_CXCYWH:
        o[0] = b[0] - 0.5f * b[2], o[1] = b[1] - 0.5f * b[3], o[2] = b[0] + 0.5f * b[2], o[3] = b[1] + 0.5f * b[3];
        return;
    default: o[0] = b[0], o[1] = b[1], o[2] = b[2], o[3] = b[3]; return;
    }
}

/* One box from corners. */
static void from_xyxy(float *o, const float *b, fv_box_format to)
{
    switch (to) {
    case FV_BOX_XYWH: o[0] = b[0], o[1] = b[1], o[2] = b[2] - b[0], o[3] = b[3] - b[1]; return;
    case FV_BOX_CXCYWH: o[0] = (b[0] + b[2]) / 2, o[1] = (b[1] + b[3]) / 2, o[2] = b[2] - b[0], o[3] = b[3] - b[1]; return;
    default: o[0] = b[0], o[1] = b[1], o[2] = b[2], o[3] = b[3]; return;
    }
}

void fv_box_convert(float *out, const float *in, int64_t n, fv_box_format from, fv_box_format to)
{
    for (int64_t i = 0; i < n; i++) {
        float corners[4], box[4];
        to_xyxy(corners, in + 4 * i, from);
        from_xyxy(box, corners, to);
        for (int k = 0; k < 4; k++) out[4 * i + k] = box[k]; /* after reading: out may be in */
    }
}

void fv_box_area(float *area, const float *boxes, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        const float *b = boxes + 4 * i;
        area[i] = (b[2] - b[0]) * (b[3] - b[1]);
    }
}

/* v clamped to [0, hi], a NaN left NaN (torch.clamp). */
static float clamp(float v, float hi) { return v < 0.0f ? 0.0f : v > hi ? hi : v; }

void fv_box_clip(float *boxes, int64_t n, float height, float width)
{
    for (int64_t i = 0; i < n; i++) {
        float *b = boxes + 4 * i;
        b[0] = clamp(b[0], width), b[2] = clamp(b[2], width);
        b[1] = clamp(b[1], height), b[3] = clamp(b[3], height);
    }
}

int64_t fv_box_remove_small(int64_t *keep, const float *boxes, int64_t n, float min_size)
{
    int64_t kept = 0;
    for (int64_t i = 0; i < n; i++) {
        const float *b = boxes + 4 * i;
        if (b[2] - b[0] >= min_size && b[3] - b[1] >= min_size) keep[kept++] = i;
    }
    return kept;
}
