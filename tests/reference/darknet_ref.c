/* Reference outputs of Debian's own Darknet (libdarknet, the darknet package) for fovea's Darknet import: the
 * network of a .cfg with random weights that fovea draws and writes (the same seed gives the same file, so the
 * test writes it again rather than committing megabytes), run by Darknet on a fixed input. Written as an FVFX
 * fixture (tests/common/fixture.h): every `stride`th value of each [yolo] layer's output (Darknet applies the
 * logistic to x, y, objectness and classes in place) and the detections after Darknet's own thresholding
 * (get_network_boxes at THRESH) and per-class NMS (do_nms_sort, IoU 0.45): class, probability, box (centre and
 * size as fractions of the input).
 *
 * Built and run by tests/reference/gen_darknet.sh (needs the darknet package); not part of the suite. */
#include <darknet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fovea.h"
#include "darknet_seed.h"

/* ---- a minimal FVFX writer (tests/reference/fvfx.py's format) ---- */
static FILE *fx;
static uint32_t entries;

static void entry(const char *name, int code, int ndim, const int64_t *dims, const void *data, size_t bytes)
{
    uint16_t len = (uint16_t)strlen(name);
    uint8_t c = (uint8_t)code, nd = (uint8_t)ndim;
    fwrite(&len, 2, 1, fx), fwrite(name, 1, len, fx), fwrite(&c, 1, 1, fx), fwrite(&nd, 1, 1, fx);
    fwrite(dims, 8, (size_t)ndim, fx), fwrite(data, 1, bytes, fx);
    entries++;
}

static void floats(const char *name, const float *v, int64_t n) { entry(name, 0, 1, &n, v, (size_t)n * 4); }
static void ints(const char *name, const int32_t *v, int64_t n) { entry(name, 1, 1, &n, v, (size_t)n * 4); }

int main(int argc, char **argv)
{
    if (argc != 6) return fprintf(stderr, "usage: darknet_ref CFG WEIGHTS OUT.fvx STRIDE THRESH\n"), 2;
    int stride = atoi(argv[4]);
    float thresh = (float)atof(argv[5]);
    fv_ctx *ctx = fv_ctx_new(1);
    fv_model *m = fv_darknet_load_cfg(ctx, argv[1]);
    if (!m || dn_random_weights(m, argv[2]) != FV_OK) return fprintf(stderr, "%s\n", fv_errmsg(ctx)), 1;
    network *net = load_network(argv[1], argv[2], 0);
    set_batch_network(net, 1);
    int n = net->w * net->h * net->c;
    float *x = malloc((size_t)n * sizeof *x);
    dn_test_input(x, net->c, net->h, net->w);
    network_predict(net, x);
    fx = fopen(argv[3], "wb");
    fwrite("FVFX", 1, 4, fx);
    uint32_t version = 1, count = 0;
    fwrite(&version, 4, 1, fx), fwrite(&count, 4, 1, fx);
    int32_t dims[3] = {net->c, net->h, net->w};
    ints("input", dims, 3);
    int32_t s = stride;
    ints("stride", &s, 1);
    int heads = 0;
    for (int i = 0; i < net->n; i++) {
        layer *l = &net->layers[i];
        if (l->type != YOLO) continue;
        int64_t k = (l->outputs + stride - 1) / stride;
        float *v = malloc((size_t)k * sizeof *v);
        for (int64_t j = 0; j < k; j++) v[j] = l->output[j * stride];
        char name[32];
        snprintf(name, sizeof name, "yolo_%d", heads++);
        floats(name, v, k);
        free(v);
    }
    int nboxes = 0, classes = net->layers[net->n - 1].classes;
    detection *dets = get_network_boxes(net, net->w, net->h, thresh, 0.5f, 0, 1, &nboxes);
    do_nms_sort(dets, nboxes, classes, 0.45f);
    int kept = 0;
    float *rows = malloc((size_t)nboxes * classes * 6 * sizeof *rows);
    for (int i = 0; i < nboxes; i++)
        for (int c = 0; c < classes; c++)
            if (dets[i].prob[c] > thresh) {
                float *r = rows + 6 * kept++;
                r[0] = (float)c, r[1] = dets[i].prob[c], r[2] = dets[i].bbox.x, r[3] = dets[i].bbox.y;
                r[4] = dets[i].bbox.w, r[5] = dets[i].bbox.h;
            }
    floats("detections", rows, (int64_t)kept * 6);
    floats("thresh", &thresh, 1);
    fseek(fx, 8, SEEK_SET);
    fwrite(&entries, 4, 1, fx);
    fclose(fx);
    printf("%s: %d yolo heads, %d detections above %g of %d boxes\n", argv[1], heads, kept, (double)thresh, nboxes);
    free(rows), free(x);
    free_detections(dets, nboxes);
    fv_model_free(m);
    fv_ctx_free(ctx);
    return 0;
}
