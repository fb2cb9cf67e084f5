/* COCO's detection metrics, following pycocotools' COCOeval for bounding boxes step for step: evaluateImg
 * matches each image's detections (by score, at most 100) to its true boxes at ten IoU thresholds, for four
 * area ranges; accumulate pools the images' matches per class, area range and detection limit (1, 10, 100),
 * sorts them by score, and reads the precision envelope at 101 recall points; summarize averages what was
 * measured (entries left at -1, such as classes without true boxes, are skipped). Areas are the boxes' own
 * (w h), as COCO's loadRes gives detections. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "det_eval_internal.h"
#include "ranked.h"

#define T 10        /* IoU thresholds 0.50:0.05:0.95 */
#define R 101       /* recall points 0:0.01:1 */
#define A 4         /* area ranges: all, small, medium, large */
#define M 3         /* detection limits 1, 10, 100 */
#define MAX_DETS 100

static const double area_lo[A] = {0.0, 0.0, 32.0 * 32.0, 96.0 * 96.0};
static const double area_hi[A] = {1e5 * 1e5, 32.0 * 32.0, 96.0 * 96.0, 1e5 * 1e5};
static const int limits[M] = {1, 10, 100};

/* numpy's linspace(.5, .95, 10): i * step + start, the last exactly stop */
static double iou_threshold(int t) { return t == T - 1 ? 0.95 : t * ((0.95 - 0.5) / (T - 1)) + 0.5; }

static double area(const float *b) { return ((double)b[2] - b[0]) * ((double)b[3] - b[1]); }

/* One image's matches for one class and area range (evaluateImg): its detections in score order (at most
 * MAX_DETS), each matched (dtm) or ignored (dtig) at each threshold, and how many true boxes count. */
typedef struct {
    int64_t n;               /* detections kept */
    int64_t *det;            /* their indices in e->det, by score */
    unsigned char *dtm, *dtig; /* [t * n + d] */
    int64_t counted_gt;      /* true boxes not ignored */
} image_eval;

/* Scratch reused across calls: sized for the largest image. */
typedef struct {
    fv_ranked *order;
    int64_t *gt;           /* the class's true boxes of the image, not ignored first */
    unsigned char *gt_ig;  /* by that order */
    int64_t *gt_match;     /* [t * G + g]: the detection (+1) matched, 0 none */
} scratch;

static void evaluate_image(const fv_det_eval *e, int64_t img, int c, int a, scratch *s, image_eval *out)
{
    int64_t G = 0, D = 0;
    for (int ignored = 0; ignored < 2; ignored++) /* a stable sort of the ignore flags: counted boxes first */
        for (int64_t g = e->gt_start[img]; g < e->gt_start[img + 1]; g++) {
            const fv_det_truth *t = &e->gt[g];
            if (t->cls != c) continue;
            double ar = area(t->box);
            int ig = t->crowd || ar < area_lo[a] || ar > area_hi[a];
            if (ig == ignored) s->gt[G] = g, s->gt_ig[G] = (unsigned char)ig, G++;
        }
    for (int64_t d = e->det_start[img]; d < e->det_start[img + 1]; d++)
        if (e->det[d].cls == c) s->order[D++] = (fv_ranked){e->det[d].score, d};
    qsort(s->order, (size_t)D, sizeof *s->order, fv_by_score);
    if (D > MAX_DETS) D = MAX_DETS;
    out->n = D, out->counted_gt = 0;
    for (int64_t g = 0; g < G; g++) out->counted_gt += !s->gt_ig[g];
    for (int64_t d = 0; d < D; d++) out->det[d] = s->order[d].index;
    memset(s->gt_match, 0, (size_t)(T * G) * sizeof *s->gt_match);
    memset(out->dtm, 0, (size_t)(T * D)), memset(out->dtig, 0, (size_t)(T * D));
    for (int t = 0; t < T; t++)
        for (int64_t d = 0; d < D; d++) {
            const float *db = e->det[out->det[d]].box;
            double best = fmin(iou_threshold(t), 1 - 1e-10);
            int64_t m = -1;
            for (int64_t g = 0; g < G; g++) {
                const fv_det_truth *tr = &e->gt[s->gt[g]];
                if (s->gt_match[t * G + g] > 0 && !tr->crowd) continue; /* taken (a crowd takes many) */
                if (m > -1 && !s->gt_ig[m] && s->gt_ig[g]) break;  /* only ignored boxes are left */
                double iou = fv_det_iou(db, tr->box, tr->crowd);
                if (iou < best) continue;
                best = iou, m = g;
            }
            if (m == -1) continue;
            out->dtig[t * D + d] = s->gt_ig[m], out->dtm[t * D + d] = 1;
            s->gt_match[t * G + m] = d + 1;
        }
    for (int64_t d = 0; d < D; d++) { /* unmatched detections outside the area range are ignored */
        double ar = area(e->det[out->det[d]].box);
        if (ar < area_lo[a] || ar > area_hi[a])
            for (int t = 0; t < T; t++)
                if (!out->dtm[t * D + d]) out->dtig[t * D + d] = 1;
    }
}

/* precision[((t * R + r) * A + a) * M + m] and recall[(t * A + a) * M + m] of one class (accumulate), from
 * its images' evaluations. */
static void accumulate(const fv_det_eval *e, image_eval *const *ev, int a, double *precision, double *recall,
                       fv_ranked *pool, double *tp, double *fp)
{
    int64_t counted = 0;
    for (int64_t i = 0; i < e->n_images; i++) counted += ev[i]->counted_gt;
    if (!counted) return; /* left at -1 */
    for (int m = 0; m < M; m++) {
        int64_t n = 0;
        for (int64_t i = 0; i < e->n_images; i++) /* images in order, each its first `limit` detections */
            for (int64_t d = 0; d < ev[i]->n && d < limits[m]; d++) pool[n++] = (fv_ranked){e->det[ev[i]->det[d]].score, i * MAX_DETS + d};
        qsort(pool, (size_t)n, sizeof *pool, fv_by_score);
        for (int t = 0; t < T; t++) {
            double tps = 0.0, fps = 0.0;
            int64_t nd = 0;
            for (int64_t j = 0; j < n; j++) {
                const image_eval *ie = ev[pool[j].index / MAX_DETS];
                int64_t d = pool[j].index % MAX_DETS;
                bool matched = ie->dtm[t * ie->n + d], ignored = ie->dtig[t * ie->n + d];
                tps += matched && !ignored, fps += !matched && !ignored;
                tp[nd] = tps, fp[nd] = fps, nd++; /* cumulative over every detection, ignored ones included */
            }
            double *rc = tp, *pr = fp; /* in place: recall, then precision */
            for (int64_t j = 0; j < nd; j++) {
                double p = tp[j] / (fp[j] + tp[j] + 2.220446049250313e-16);
                rc[j] = tp[j] / (double)counted, pr[j] = p;
            }
            recall[(t * A + a) * M + m] = nd ? rc[nd - 1] : 0.0;
            for (int64_t j = nd - 1; j > 0; j--)
                if (pr[j] > pr[j - 1]) pr[j - 1] = pr[j];
            int64_t at = 0;
            for (int r = 0; r < R; r++) {
                double want = r * 0.01; /* numpy's linspace(0, 1, 101) */
                while (at < nd && rc[at] < want) at++; /* searchsorted, side left */
                precision[((t * R + r) * A + a) * M + m] = at < nd ? pr[at] : 0.0; /* recall never reached: 0 */
            }
        }
    }
}

/* The mean over classes, thresholds (t_lo..t_hi) and recall points of precision at area a, limit m. */
static double ap_of(const double *precision, int k, int t_lo, int t_hi, int a, int m)
{
    double sum = 0.0;
    int64_t count = 0;
    for (int c = 0; c < k; c++)
        for (int t = t_lo; t <= t_hi; t++)
            for (int r = 0; r < R; r++) {
                double v = precision[(int64_t)c * T * R * A * M + ((t * R + r) * A + a) * M + m];
                if (v > -1.0) sum += v, count++;
            }
    return count ? sum / (double)count : -1.0;
}

static double ar_of(const double *recall, int k, int a, int m)
{
    double sum = 0.0;
    int64_t count = 0;
    for (int c = 0; c < k; c++)
        for (int t = 0; t < T; t++) {
            double v = recall[(int64_t)c * T * A * M + (t * A + a) * M + m];
            if (v > -1.0) sum += v, count++;
        }
    return count ? sum / (double)count : -1.0;
}

fv_status fv_det_eval_coco(fv_det_eval *e, fv_coco_summary *summary, double *ap)
{
    if (!e) return FV_ERR_ARG;
    int64_t most_gt = 1, n_img = e->n_images > 0 ? e->n_images : 1;
    for (int64_t i = 0; i < e->n_images; i++) {
        int64_t g = e->gt_start[i + 1] - e->gt_start[i], d = e->det_start[i + 1] - e->det_start[i];
        most_gt = g > most_gt ? g : most_gt, most_gt = d > most_gt ? d : most_gt;
    }
    size_t per_class = (size_t)T * R * A * M;
    double *precision = malloc((size_t)e->k * per_class * sizeof *precision);
    double *recall = malloc((size_t)e->k * T * A * M * sizeof *recall);
    image_eval *evals = calloc((size_t)n_img, sizeof *evals);
    image_eval **ev = malloc((size_t)n_img * sizeof *ev);
    unsigned char *flags = malloc((size_t)n_img * 2 * T * MAX_DETS);
    int64_t *dets = malloc((size_t)n_img * MAX_DETS * sizeof *dets);
    fv_ranked *pool = malloc((size_t)n_img * MAX_DETS * sizeof *pool);
    double *curve = malloc((size_t)n_img * MAX_DETS * 2 * sizeof *curve);
    scratch s = {malloc((size_t)most_gt * sizeof(fv_ranked)), malloc((size_t)most_gt * sizeof(int64_t)), malloc((size_t)most_gt),
                 malloc((size_t)most_gt * T * sizeof(int64_t))};
    fv_status st = FV_OK;
    if (!precision || !recall || !evals || !ev || !flags || !dets || !pool || !curve || !s.order || !s.gt ||
        !s.gt_ig || !s.gt_match) {
        st = fv_error(e->ctx, FV_ERR_NOMEM, "COCO evaluation: out of memory for %lld images", (long long)e->n_images);
        goto done;
    }
    for (int64_t i = 0; i < (int64_t)e->k * (int64_t)per_class; i++) precision[i] = -1.0;
    for (int64_t i = 0; i < (int64_t)e->k * T * A * M; i++) recall[i] = -1.0;
    for (int64_t i = 0; i < e->n_images; i++) {
        evals[i].det = dets + i * MAX_DETS;
        evals[i].dtm = flags + i * 2 * T * MAX_DETS, evals[i].dtig = evals[i].dtm + T * MAX_DETS;
        ev[i] = &evals[i];
    }
    for (int c = 0; c < e->k; c++)
        for (int a = 0; a < A; a++) {
            for (int64_t i = 0; i < e->n_images; i++) evaluate_image(e, i, c, a, &s, &evals[i]);
            accumulate(e, ev, a, precision + (size_t)c * per_class, recall + (size_t)c * T * A * M, pool, curve,
                       curve + n_img * MAX_DETS);
        }
    if (summary) {
        fv_coco_summary *o = summary;
        o->map = ap_of(precision, e->k, 0, T - 1, 0, M - 1);
        o->map50 = ap_of(precision, e->k, 0, 0, 0, M - 1), o->map75 = ap_of(precision, e->k, 5, 5, 0, M - 1);
        o->map_small = ap_of(precision, e->k, 0, T - 1, 1, M - 1);
        o->map_medium = ap_of(precision, e->k, 0, T - 1, 2, M - 1);
        o->map_large = ap_of(precision, e->k, 0, T - 1, 3, M - 1);
        o->ar1 = ar_of(recall, e->k, 0, 0), o->ar10 = ar_of(recall, e->k, 0, 1), o->ar100 = ar_of(recall, e->k, 0, 2);
        o->ar_small = ar_of(recall, e->k, 1, 2), o->ar_medium = ar_of(recall, e->k, 2, 2);
        o->ar_large = ar_of(recall, e->k, 3, 2);
    }
    for (int c = 0; ap && c < e->k; c++) ap[c] = ap_of(precision + (size_t)c * per_class, 1, 0, T - 1, 0, M - 1);
done:
    free(precision), free(recall), free(evals), free(ev), free(flags), free(dets), free(pool), free(curve);
    free(s.order), free(s.gt), free(s.gt_ig), free(s.gt_match);
    return st;
}
