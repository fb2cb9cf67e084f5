/* YOLOv3's loss on one detection head (include/fovea/ops_loss.h gives the formula). Forward assigns the true
 * boxes to anchors and cells, decodes every prediction to find the ones the ignore threshold spares, and sums
 * the terms in double; it keeps the gradient of the loss with respect to pred (an aux buffer of pred's shape),
 * which backward scales by the upstream gradient. The assignment and the ignore mask are constants of the pass,
 * as in every YOLO implementation: no gradient flows through them. */
#include <math.h>
#include <string.h>

#include "../graph/graph_internal.h"
#include "fovea/ops.h"

enum { IN_PRED, IN_BOXES };
enum { AUX_GRAD, AUX_CELL };

fv_yolo_loss_args fv_yolo_loss_defaults(void)
{
    return (fv_yolo_loss_args){.classes = 1, .stride = {32.0f, 32.0f}, .ignore_thresh = 0.5f, .lambda_coord = 1.0f,
                               .lambda_noobj = 1.0f};
}

static bool positive(float v) { return isfinite(v) && v > 0.0f; }

static fv_status check_args(fv_graph *g, fv_node *n, const fv_yolo_loss_args *a)
{
    if (a->classes < 1 || a->n_anchors < 1 || a->n_anchors > FV_YOLO_MAX_ANCHORS || a->n_mask < 1 ||
        a->n_mask > a->n_anchors)
        return fv_node_error(g, n, FV_ERR_ARG, "%d classes, %d anchors, %d of them this head's", a->classes,
                             a->n_anchors, a->n_mask);
    for (int k = 0; k < a->n_anchors; k++)
        if (!positive(a->anchors[2 * k]) || !positive(a->anchors[2 * k + 1]))
            return fv_node_error(g, n, FV_ERR_ARG, "anchor %d is %g x %g", k, (double)a->anchors[2 * k],
                                 (double)a->anchors[2 * k + 1]);
    for (int k = 0; k < a->n_mask; k++)
        if (a->mask[k] < 0 || a->mask[k] >= a->n_anchors)
            return fv_node_error(g, n, FV_ERR_ARG, "mask entry %d is anchor %d of %d", k, a->mask[k], a->n_anchors);
    if (!positive(a->stride[0]) || !positive(a->stride[1]) || !(a->ignore_thresh >= 0.0f && a->ignore_thresh <= 1.0f) ||
        !(a->lambda_coord >= 0.0f) || !isfinite(a->lambda_coord) || !(a->lambda_noobj >= 0.0f) || !isfinite(a->lambda_noobj))
        return fv_node_error(g, n, FV_ERR_ARG, "stride %g x %g, ignore_thresh %g, lambdas %g, %g", (double)a->stride[0],
                             (double)a->stride[1], (double)a->ignore_thresh, (double)a->lambda_coord,
                             (double)a->lambda_noobj);
    return FV_OK;
}

static fv_status yolo_infer(fv_graph *g, fv_node *n)
{
    const fv_yolo_loss_args *a = n->attr;
    fv_status s = check_args(g, n, a);
    if (s || (s = fv_expect(g, n, IN_PRED, 4, "pred (N, A (5 + classes), H, W)")) ||
        (s = fv_expect(g, n, IN_BOXES, 3, "boxes (N, B, 5)")))
        return s;
    const fv_tensor *p = &n->in[IN_PRED]->value, *b = &n->in[IN_BOXES]->value;
    if (p->shape[1] != (int64_t)a->n_mask * (5 + a->classes))
        return fv_node_error(g, n, FV_ERR_SHAPE, "pred %s: %d anchors x (5 + %d classes) = %d channels expected",
                             fv_dims(p), a->n_mask, a->classes, a->n_mask * (5 + a->classes));
    if (b->shape[0] != p->shape[0] || b->shape[2] != 5)
        return fv_node_error(g, n, FV_ERR_SHAPE, "boxes %s must be (N, B, 5) for pred %s", fv_dims(b), fv_dims(p));
    fv_node_set_shape(n, FV_F32, 0, NULL);
    return FV_OK;
}

/* BCE of sigmoid(z) against y, computed from the logit (stable for large |z|). */
static double bce(double z, double y) { return fmax(z, 0.0) - z * y + log1p(exp(-fabs(z))); }
static double sigm(double z) { return 1.0 / (1.0 + exp(-z)); }

static double iou_xyxy(const double *a, const float *b)
{
    double w = fmin(a[2], b[3]) - fmax(a[0], b[1]), h = fmin(a[3], b[4]) - fmax(a[1], b[2]);
    if (!(w > 0.0 && h > 0.0)) return 0.0;
    double inter = w * h, ua = (a[2] - a[0]) * (a[3] - a[1]) + ((double)b[3] - b[1]) * ((double)b[4] - b[2]) - inter;
    return inter / ua;
}

/* The detector's anchor whose size overlaps (w, h) best on one centre; the first on ties. */
static int best_anchor(const fv_yolo_loss_args *a, double w, double h)
{
    int best = 0;
    double top = -1.0;
    for (int k = 0; k < a->n_anchors; k++) {
        double aw = a->anchors[2 * k], ah = a->anchors[2 * k + 1], inter = fmin(w, aw) * fmin(h, ah);
        double iou = inter / (w * h + aw * ah - inter);
        if (iou > top) top = iou, best = k;
    }
    return best;
}

/* Image n's true boxes into the cells: cell[(a * H + j) * W + i] = the box index there, -1 none. */
static fv_status assign(fv_graph *g, fv_node *n, int64_t img, int32_t *cell, int64_t H, int64_t W)
{
    const fv_yolo_loss_args *a = n->attr;
    const fv_tensor *bt = &n->in[IN_BOXES]->value;
    int64_t B = bt->shape[1];
    const float *boxes = fv_f32((fv_tensor *)bt) + img * B * 5;
    for (int64_t k = 0; k < (int64_t)a->n_mask * H * W; k++) cell[k] = -1;
    for (int64_t b = 0; b < B; b++) {
        const float *r = boxes + 5 * b;
        if (r[0] < 0.0f) continue; /* padding */
        if (!(r[0] < a->classes) || r[0] != floorf(r[0]))
            return fv_node_error(g, n, FV_ERR_ARG, "image %lld, box %lld: class %g is not in [0, %d)", (long long)img,
                                 (long long)b, (double)r[0], a->classes);
        double w = (double)r[3] - r[1], h = (double)r[4] - r[2];
        if (!(w > 0.0 && h > 0.0)) continue; /* no area: nothing to find */
        int best = best_anchor(a, w, h), local = -1;
        for (int k = 0; k < a->n_mask; k++)
            if (a->mask[k] == best) local = k;
        if (local < 0) continue; /* another head's */
        double cx = ((double)r[1] + r[3]) / 2, cy = ((double)r[2] + r[4]) / 2;
        int64_t i = (int64_t)floor(cx / a->stride[1]), j = (int64_t)floor(cy / a->stride[0]);
        i = i < 0 ? 0 : i >= W ? W - 1 : i, j = j < 0 ? 0 : j >= H ? H - 1 : j;
        cell[((int64_t)local * H + j) * W + i] = (int32_t)b;
    }
    return FV_OK;
}

/* The loss terms of image img, its gradient into grad (pred's layout); the image's loss. */
static double image_loss(const fv_node *n, int64_t img, const int32_t *cell, float *grad)
{
    const fv_yolo_loss_args *a = n->attr;
    const fv_tensor *pt = &n->in[IN_PRED]->value, *bt = &n->in[IN_BOXES]->value;
    int64_t H = pt->shape[2], W = pt->shape[3], HW = H * W, C = a->classes, D = 5 + C, B = bt->shape[1];
    const float *pred = fv_f32((fv_tensor *)pt) + img * pt->shape[1] * HW;
    const float *boxes = fv_f32((fv_tensor *)bt) + img * B * 5;
    float *gr = grad + img * pt->shape[1] * HW;
    double img_area = (double)H * a->stride[0] * (double)W * a->stride[1], loss = 0.0;
    for (int k = 0; k < a->n_mask; k++) {
        double aw = a->anchors[2 * a->mask[k]], ah = a->anchors[2 * a->mask[k] + 1];
        const float *p = pred + k * D * HW;
        float *gp = gr + k * D * HW;
        for (int64_t j = 0; j < H; j++)
            for (int64_t i = 0; i < W; i++) {
                int64_t at = j * W + i;
                double tx = p[at], ty = p[HW + at], tw = p[2 * HW + at], th = p[3 * HW + at], to = p[4 * HW + at];
                double sx = sigm(tx), sy = sigm(ty), so = sigm(to);
                int32_t b = cell[(k * H + j) * W + i];
                if (b >= 0) {
                    const float *r = boxes + 5 * b;
                    double w = (double)r[3] - r[1], h = (double)r[4] - r[2];
                    double gx = ((double)r[1] + r[3]) / 2 / a->stride[1] - i, gy = ((double)r[2] + r[4]) / 2 / a->stride[0] - j;
                    double gw = log(w / aw), gh = log(h / ah), scale = a->lambda_coord * (2.0 - w * h / img_area);
                    loss += scale * ((sx - gx) * (sx - gx) + (sy - gy) * (sy - gy) + (tw - gw) * (tw - gw) +
                                     (th - gh) * (th - gh));
                    gp[at] = (float)(scale * 2.0 * (sx - gx) * sx * (1.0 - sx));
                    gp[HW + at] = (float)(scale * 2.0 * (sy - gy) * sy * (1.0 - sy));
                    gp[2 * HW + at] = (float)(scale * 2.0 * (tw - gw)), gp[3 * HW + at] = (float)(scale * 2.0 * (th - gh));
                    loss += bce(to, 1.0), gp[4 * HW + at] = (float)(so - 1.0);
                    for (int64_t c = 0; c < C; c++) {
                        double tc = p[(5 + c) * HW + at], y = c == (int64_t)r[0] ? 1.0 : 0.0;
                        loss += bce(tc, y), gp[(5 + c) * HW + at] = (float)(sigm(tc) - y);
                    }
                    continue;
                }
                double cx = (sx + i) * a->stride[1], cy = (sy + j) * a->stride[0], bw = aw * exp(tw), bh = ah * exp(th);
                double box[4] = {cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2}, top = 0.0;
                for (int64_t t = 0; t < B; t++)
                    if (boxes[5 * t] >= 0.0f) top = fmax(top, iou_xyxy(box, boxes + 5 * t));
                if (top > a->ignore_thresh) continue; /* spared: it found an object, if not its own */
                loss += a->lambda_noobj * bce(to, 0.0), gp[4 * HW + at] = (float)(a->lambda_noobj * so);
            }
    }
    return loss;
}

static fv_status yolo_forward(fv_graph *g, fv_node *n)
{
    const fv_yolo_loss_args *a = n->attr;
    const fv_tensor *p = &n->in[IN_PRED]->value;
    int64_t N = p->shape[0], H = p->shape[2], W = p->shape[3], cells = (int64_t)a->n_mask * H * W;
    fv_status s = fv_node_aux(g, n, AUX_GRAD, FV_F32, p->ndim, p->shape);
    if (!s) s = fv_node_aux(g, n, AUX_CELL, FV_I32, 1, &cells);
    if (s) return s;
    float *grad = fv_f32(&n->aux[AUX_GRAD]);
    memset(grad, 0, (size_t)p->size * sizeof *grad);
    double total = 0.0;
    for (int64_t img = 0; img < N; img++) {
        if ((s = assign(g, n, img, fv_i32(&n->aux[AUX_CELL]), H, W))) return s;
        total += image_loss(n, img, fv_i32(&n->aux[AUX_CELL]), grad);
    }
    fv_f32(&n->value)[0] = (float)(total / (double)N);
    for (int64_t k = 0; k < p->size; k++) grad[k] /= (float)N;
    return FV_OK;
}

static void yolo_backward(fv_graph *g, fv_node *n)
{
    (void)g;
    if (!fv_wants_grad(n, IN_PRED)) return;
    float dy = fv_f32(&n->grad)[0], *dx = fv_f32(&n->in[IN_PRED]->grad);
    const float *grad = fv_f32(&n->aux[AUX_GRAD]);
    for (int64_t k = 0; k < n->aux[AUX_GRAD].size; k++) dx[k] += dy * grad[k];
}

const fv_op_def fv_op_yolo_loss = {"yolo_loss", yolo_infer, yolo_forward, yolo_backward, false};

fv_node *fv_yolo_loss(fv_graph *g, fv_node *pred, fv_node *boxes, const fv_yolo_loss_args *a)
{
    fv_yolo_loss_args at = a ? *a : fv_yolo_loss_defaults();
    return fv_graph_add(g, FV_OP_YOLO_LOSS, (fv_node *[]){pred, boxes}, 2, 2, &at, sizeof at);
}
