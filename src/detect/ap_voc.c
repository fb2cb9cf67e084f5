/* Pascal VOC's average precision (the devkit's VOCevaldet, as py-faster-rcnn's voc_eval ports it), on
 * continuous coordinates: per class, the detections by score (ties in the order added), each matched to the
 * true box of its image that it overlaps most; above the threshold it is a true positive if that box is
 * unmatched, a false positive if it was matched already, and neither if it is a crowd ("difficult") box;
 * below, a false positive. Precision and recall run down the list; AP is the area under the precision
 * envelope, or its mean at eleven recalls (VOC 2007). */
#include <math.h>
#include <stdlib.h>

#include "det_eval_internal.h"

typedef struct {
    float score;
    int64_t index; /* into e->det: the order added */
    int64_t image;
} ranked_det;

static int by_score(const void *pa, const void *pb)
{
    const ranked_det *a = pa, *b = pb;
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    return (a->index > b->index) - (a->index < b->index);
}

/* The area under the envelope of precision over recall (all-point), or its mean at recalls 0, 0.1, ..., 1. */
static double area_under(const double *rec, double *prec, int64_t n, bool eleven_point)
{
    if (eleven_point) {
        double ap = 0.0;
        for (int i = 0; i <= 10; i++) {
            double t = i * 0.1, p = 0.0; /* numpy's arange(0, 1.1, 0.1): i * 0.1 */
            for (int64_t j = 0; j < n; j++)
                if (rec[j] >= t && prec[j] > p) p = prec[j];
            ap += p / 11.0;
        }
        return ap;
    }
    for (int64_t j = n - 1; j > 0; j--) /* the envelope: precision made non-increasing from the right */
        if (prec[j] > prec[j - 1]) prec[j - 1] = prec[j];
    double ap = 0.0, last = 0.0; /* recall 0 before the first detection */
    for (int64_t j = 0; j < n; j++) {
        if (rec[j] != last) ap += (rec[j] - last) * prec[j];
        last = rec[j];
    }
    return ap;
}

/* AP of class c (NaN without true boxes); scratch of n_det rankings and 2 n_det doubles, matched of n_gt. */
static double class_ap(const fv_det_eval *e, int c, double threshold, bool eleven_point, ranked_det *order,
                       double *curve, unsigned char *matched)
{
    int64_t positives = 0, n = 0;
    for (int64_t g = 0; g < e->n_gt; g++) positives += e->gt[g].cls == c && !e->gt[g].crowd, matched[g] = 0;
    if (!positives) return NAN;
    for (int64_t img = 0; img < e->n_images; img++)
        for (int64_t d = e->det_start[img]; d < e->det_start[img + 1]; d++)
            if (e->det[d].cls == c) order[n++] = (ranked_det){e->det[d].score, d, img};
    qsort(order, (size_t)n, sizeof *order, by_score);
    double *rec = curve, *prec = curve + e->n_det, tp = 0.0, fp = 0.0;
    int64_t listed = 0;
    for (int64_t i = 0; i < n; i++) {
        const fv_det_found *d = &e->det[order[i].index];
        double best = -INFINITY;
        int64_t hit = -1;
        for (int64_t g = e->gt_start[order[i].image]; g < e->gt_start[order[i].image + 1]; g++) {
            if (e->gt[g].cls != c) continue;
            double iou = fv_det_iou(d->box, e->gt[g].box, false);
            if (iou > best) best = iou, hit = g; /* the first of equal overlaps, as np.argmax */
        }
        if (hit >= 0 && best > threshold) {
            if (e->gt[hit].crowd) continue; /* "difficult": neither */
            if (matched[hit]) fp += 1.0;
            else tp += 1.0, matched[hit] = 1;
        } else {
            fp += 1.0;
        }
        rec[listed] = tp / (double)positives, prec[listed] = tp / fmax(tp + fp, 2.220446049250313e-16);
        listed++;
    }
    return area_under(rec, prec, listed, eleven_point);
}

fv_status fv_det_eval_voc(fv_det_eval *e, double iou_threshold, bool eleven_point, double *ap, double *map)
{
    if (!e) return FV_ERR_ARG;
    if (!(iou_threshold >= 0.0 && iou_threshold < 1.0))
        return fv_error(e->ctx, FV_ERR_ARG, "VOC AP: IoU threshold %g is not in [0, 1)", iou_threshold);
    ranked_det *order = malloc((size_t)(e->n_det + 1) * sizeof *order);
    double *curve = malloc((size_t)(2 * e->n_det + 2) * sizeof *curve);
    unsigned char *matched = malloc((size_t)(e->n_gt + 1));
    if (!order || !curve || !matched) {
        free(order), free(curve), free(matched);
        return fv_error(e->ctx, FV_ERR_NOMEM, "VOC AP: out of memory for %lld detections", (long long)e->n_det);
    }
    double sum = 0.0;
    int counted = 0;
    for (int c = 0; c < e->k; c++) {
        double a = class_ap(e, c, iou_threshold, eleven_point, order, curve, matched);
        if (ap) ap[c] = a;
        if (!isnan(a)) sum += a, counted++;
    }
    if (map) *map = counted ? sum / counted : NAN;
    free(order), free(curve), free(matched);
    return FV_OK;
}
