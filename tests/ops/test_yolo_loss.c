/* fv_yolo_loss against tests/reference/gen_yolo_loss.py (the formula of ops_loss.h in PyTorch, its gradient by
 * autograd): two heads of one detector with their own strides, ignore thresholds and weights, boxes for either
 * head, padding, a box without area, two boxes on one cell and anchor, an image without objects; then bad
 * arguments and a class beyond the head's, each refused naming what is wrong. */
#include <stdlib.h>

#include "fixture.h"
#include "test.h"

static const fv_tensor *get(const fx_file *fx, const char *fmt, int h)
{
    char name[32];
    snprintf(name, sizeof name, fmt, h);
    return fx_get(fx, name);
}

/* The loss of one head on the fixture's boxes; its gradient into grad (may be NULL). */
static fv_status run(fv_ctx *ctx, const fv_tensor *pred, const fv_tensor *boxes, const fv_yolo_loss_args *a,
                     float *loss, fv_tensor *grad)
{
    fv_graph *g = fv_graph_new(ctx);
    fv_node *p = fv_input(g, "pred", FV_F32, pred->ndim, pred->shape), *b = fv_input(g, "boxes", FV_F32, 3, boxes->shape);
    fv_node_keep_grad(g, p);
    fv_node *l = fv_yolo_loss(g, p, b, a);
    fv_status s = l ? FV_OK : fv_errcode(ctx);
    if (!s) s = fv_graph_set_input(g, p, pred);
    if (!s) s = fv_graph_set_input(g, b, boxes);
    if (!s) s = fv_graph_forward(g);
    if (!s) *loss = fv_f32((fv_tensor *)fv_node_value(l))[0];
    if (!s && grad) s = fv_graph_backward(g, l);
    if (!s && grad) memcpy(grad->data, fv_node_grad(p)->data, (size_t)grad->size * sizeof(float));
    fv_graph_free(g);
    return s;
}

static fv_yolo_loss_args args_of(const fx_file *fx, int h)
{
    fv_yolo_loss_args a = fv_yolo_loss_defaults();
    const fv_tensor *anchors = fx_get(fx, "anchors"), *mask = get(fx, "mask_%d", h);
    const float *v = fv_f32((fv_tensor *)get(fx, "args_%d", h));
    a.classes = fv_i32((fv_tensor *)fx_get(fx, "classes"))[0];
    a.n_anchors = (int)anchors->size / 2;
    memcpy(a.anchors, anchors->data, (size_t)anchors->size * sizeof(float));
    a.n_mask = (int)mask->size;
    for (int k = 0; k < a.n_mask; k++) a.mask[k] = fv_i32((fv_tensor *)mask)[k];
    a.stride[0] = v[0], a.stride[1] = v[1], a.ignore_thresh = v[2], a.lambda_coord = v[3], a.lambda_noobj = v[4];
    return a;
}

int main(void)
{
    fv_ctx *ctx = fv_ctx_new(1);
    fx_file *fx = fx_load(FIXTURE_DIR "/yolo_loss.fvx");
    if (!CHECK(fx != NULL, "yolo_loss.fvx loads")) return test_finish();
    const fv_tensor *boxes = fx_get(fx, "boxes");
    for (int h = 0; h < 2; h++) {
        const fv_tensor *pred = get(fx, "pred_%d", h), *want = get(fx, "grad_%d", h);
        fv_yolo_loss_args a = args_of(fx, h);
        fv_tensor *grad = fv_tensor_new(ctx, FV_F32, pred->ndim, pred->shape);
        float loss = NAN, ref = fv_f32((fv_tensor *)get(fx, "loss_%d", h))[0];
        fv_status s = run(ctx, pred, boxes, &a, &loss, grad);
        double e = s ? INFINITY : rel_error(fv_f32(grad), fv_f32((fv_tensor *)want), grad->size);
        CHECK(s == FV_OK && fabs(loss - ref) <= 1e-5 * fabs(ref) && e < 1e-5,
              "head %d (stride %g, %lldx%lld cells): loss %.6f as PyTorch's %.6f, gradient worst %.2e", h,
              (double)a.stride[0], (long long)pred->shape[2], (long long)pred->shape[3], (double)loss, (double)ref, e);
        fv_tensor_free(grad);
    }
    /* bad input */
    const fv_tensor *pred = get(fx, "pred_0", 0);
    fv_yolo_loss_args a = args_of(fx, 0);
    float loss;
    a.classes = 4;
    CHECK(run(ctx, pred, boxes, &a, &loss, NULL) == FV_ERR_SHAPE && strstr(fv_errmsg(ctx), "5 + 4 classes"),
          "channels that do not fit anchors x (5 + classes): %s", fv_errmsg(ctx));
    a = args_of(fx, 0);
    a.anchors[3] = -2.0f;
    CHECK(run(ctx, pred, boxes, &a, &loss, NULL) == FV_ERR_ARG && strstr(fv_errmsg(ctx), "anchor 1"),
          "a negative anchor: %s", fv_errmsg(ctx));
    a = args_of(fx, 0);
    a.mask[2] = 9;
    CHECK(run(ctx, pred, boxes, &a, &loss, NULL) == FV_ERR_ARG && strstr(fv_errmsg(ctx), "mask entry 2"),
          "a mask naming no anchor: %s", fv_errmsg(ctx));
    fv_tensor *bad = fv_tensor_from(ctx, FV_F32, 3, boxes->shape, boxes->data);
    fv_f32(bad)[5 * 6 + 0] = 3.0f; /* image 1, box 0: class 3 of 3 */
    a = args_of(fx, 0);
    CHECK(run(ctx, pred, bad, &a, &loss, NULL) == FV_ERR_ARG && strstr(fv_errmsg(ctx), "image 1, box 0: class 3"),
          "a class beyond the head's, named by image and box: %s", fv_errmsg(ctx));
    fv_f32(bad)[5 * 6 + 0] = NAN;
    CHECK(run(ctx, pred, bad, &a, &loss, NULL) == FV_ERR_ARG, "a NaN class: %s", fv_errmsg(ctx));
    fv_tensor_free(bad);
    fx_free(fx);
    fv_ctx_free(ctx);
    return test_finish();
}
