/* The two box encodings detectors regress: R-CNN's deltas against a reference box (torchvision's BoxCoder,
 * term for term in float32) and YOLO's offsets within a grid cell (Redmon and Farhadi, YOLO9000 and YOLOv3). */
#include <math.h>

#include "fovea/boxes.h"

fv_box_coder fv_box_coder_defaults(void)
{
    return (fv_box_coder){1.0f, 1.0f, 1.0f, 1.0f, (float)log(1000.0 / 16.0)};
}

void fv_box_encode(float *deltas, const float *boxes, const float *refs, int64_t n, const fv_box_coder *c)
{
    for (int64_t i = 0; i < n; i++) {
        const float *g = boxes + 4 * i, *r = refs + 4 * i;
        float rw = r[2] - r[0], rh = r[3] - r[1], rx = r[0] + 0.5f * rw, ry = r[1] + 0.5f * rh;
        float gw = g[2] - g[0], gh = g[3] - g[1], gx = g[0] + 0.5f * gw, gy = g[1] + 0.5f * gh;
        float *d = deltas + 4 * i;
        d[0] = c->wx * (gx - rx) / rw, d[1] = c->wy * (gy - ry) / rh;
        d[2] = c->ww * logf(gw / rw), d[3] = c->wh * logf(gh / rh);
    }
}

/* torch.clamp(max=): a NaN stays NaN */
static float cap(float v, float hi) { return v > hi ? hi : v; }

void fv_box_decode(float *boxes, const float *deltas, const float *refs, int64_t n, const fv_box_coder *c)
{
    for (int64_t i = 0; i < n; i++) {
        const float *d = deltas + 4 * i, *r = refs + 4 * i;
        float w = r[2] - r[0], h = r[3] - r[1], cx = r[0] + 0.5f * w, cy = r[1] + 0.5f * h;
        float dx = d[0] / c->wx, dy = d[1] / c->wy, dw = cap(d[2] / c->ww, c->clip), dh = cap(d[3] / c->wh, c->clip);
        float px = dx * w + cx, py = dy * h + cy, pw = expf(dw) * w, ph = expf(dh) * h;
        float hw = 0.5f * pw, hh = 0.5f * ph, *b = boxes + 4 * i;
        b[0] = px - hw, b[1] = py - hh, b[2] = px + hw, b[3] = py + hh;
    }
}

static float sigmoid(float v) { return 1.0f / (1.0f + expf(-v)); }

void fv_yolo_decode(float *boxes, const float *t, const float *cells, const float *anchors, int64_t n,
                    float stride_h, float stride_w)
{
    for (int64_t i = 0; i < n; i++) {
        const float *ti = t + 4 * i;
        float cx = (sigmoid(ti[0]) + cells[2 * i]) * stride_w, cy = (sigmoid(ti[1]) + cells[2 * i + 1]) * stride_h;
        float w = anchors[2 * i] * expf(ti[2]), h = anchors[2 * i + 1] * expf(ti[3]), *b = boxes + 4 * i;
        b[0] = cx - 0.5f * w, b[1] = cy - 0.5f * h, b[2] = cx + 0.5f * w, b[3] = cy + 0.5f * h;
    }
}

void fv_yolo_encode(float *targets, const float *boxes, const float *cells, const float *anchors, int64_t n,
                    float stride_h, float stride_w)
{
    for (int64_t i = 0; i < n; i++) {
        const float *b = boxes + 4 * i;
        float *o = targets + 4 * i;
        o[0] = (b[0] + b[2]) / 2 / stride_w - cells[2 * i], o[1] = (b[1] + b[3]) / 2 / stride_h - cells[2 * i + 1];
        o[2] = logf((b[2] - b[0]) / anchors[2 * i]), o[3] = logf((b[3] - b[1]) / anchors[2 * i + 1]);
    }
}
