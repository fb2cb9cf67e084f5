/* Reference kernels of the reduce family (see reduce.h): plain loops, sums in double. A reduction walks, for
 * each output element, the reduced dimensions with an odometer over their strides, so any set of axes works
 * without copying the input into another order. */
#include <math.h>

#include "reduce.h"
#include "fovea/ops_reduce.h"

void fv_reduce_geom_init(fv_reduce_geom *g, int ndim, const int64_t *shape, unsigned mask)
{
    int64_t stride[FV_REDUCE_MAX_DIMS];
    int64_t s = 1;
    for (int d = ndim - 1; d >= 0; d--) {
        stride[d] = s;
        s *= shape[d];
    }
    g->nk = g->nr = 0;
    g->out_size = g->red_size = 1;
    int last = -1; /* kind of the previous dimension: 0 kept, 1 reduced */
    for (int d = 0; d < ndim; d++) {
        int red = (int)(mask >> d & 1u);
        int64_t *shp = red ? g->rshape : g->kshape, *str = red ? g->rstride : g->kstride;
        int *cnt = red ? &g->nr : &g->nk;
        if (red) g->red_size *= shape[d];
        else g->out_size *= shape[d];
        if (shape[d] == 1) continue; /* moves no offset; leaving it out lets its neighbours merge */
        if (red == last) { /* merge into the previous dimension of its kind: (a, b) -> (a*b) */
            shp[*cnt - 1] *= shape[d];
            str[*cnt - 1] = stride[d];
        } else {
            shp[*cnt] = shape[d];
            str[*cnt] = stride[d];
            ++*cnt;
            last = red;
        }
    }
}

/* The input offset of output element o. */
static int64_t base_offset(const fv_reduce_geom *g, int64_t o)
{
    int64_t off = 0;
    for (int d = g->nk - 1; d >= 0; d--) {
        off += (o % g->kshape[d]) * g->kstride[d];
        o /= g->kshape[d];
    }
    return off;
}

/* An odometer over the reduced dimensions: off is the offset of the current element from the base. */
typedef struct {
    int64_t idx[FV_REDUCE_MAX_DIMS];
    int64_t off;
} walker;

static void walk_start(walker *w)
{
    for (int d = 0; d < FV_REDUCE_MAX_DIMS; d++) w->idx[d] = 0;
    w->off = 0;
}

static void walk_step(const fv_reduce_geom *g, walker *w)
{
    for (int d = g->nr - 1; d >= 0; d--) {
        w->off += g->rstride[d];
        if (++w->idx[d] < g->rshape[d]) return;
        w->off -= g->rstride[d] * g->rshape[d];
        w->idx[d] = 0;
    }
}

/* Largest (or smallest) with NaN winning, as torch.amax/amin propagate it. */
static double pick(double a, double b, bool max)
{
    if (isnan(a) || isnan(b)) return NAN;
    return max ? (a > b ? a : b) : (a < b ? a : b);
}

static double reduce_one(const float *x, const fv_reduce_geom *g, int kind)
{
    walker w;
    walk_start(&w);
    int64_t R = g->red_size;
    double acc = kind == FV_REDUCE_PROD ? 1.0 : 0.0;
    if (kind == FV_REDUCE_MAX || kind == FV_REDUCE_MIN || kind == FV_REDUCE_LOG_SUM_EXP)
        acc = R ? x[0] : -INFINITY;
    for (int64_t r = 0; r < R; r++, walk_step(g, &w)) {
        double v = x[w.off];
        switch (kind) {
        case FV_REDUCE_SUM:
        case FV_REDUCE_LOG_SUM:
        case FV_REDUCE_MEAN: acc += v; break;
        case FV_REDUCE_MAX:
        case FV_REDUCE_LOG_SUM_EXP: acc = pick(acc, v, true); break;
        case FV_REDUCE_MIN: acc = pick(acc, v, false); break;
        case FV_REDUCE_PROD: acc *= v; break;
        case FV_REDUCE_L1: acc += fabs(v); break;
        default: acc += v * v; break; /* L2, sum of squares */
        }
    }
    if (kind == FV_REDUCE_MEAN) return acc / (double)R; /* 0 / 0 = NaN for an empty reduction, as torch.mean */
    if (kind == FV_REDUCE_L2) return sqrt(acc);
    if (kind == FV_REDUCE_LOG_SUM) return log(acc);
    if (kind != FV_REDUCE_LOG_SUM_EXP) return acc;
    double m = acc; /* the maximum: subtracted so that exp cannot overflow */
    if (isnan(m) || isinf(m)) return m; /* all -inf gives -inf; an inf gives inf, as torch.logsumexp */
    double sum = 0.0;
    walk_start(&w);
    for (int64_t r = 0; r < R; r++, walk_step(g, &w)) sum += exp(x[w.off] - m);
    return m + log(sum);
}

void fv_ref_reduce_forward(float *out, const float *x, const fv_reduce_geom *g, int kind)
{
    for (int64_t o = 0; o < g->out_size; o++) out[o] = (float)reduce_one(x + base_offset(g, o), g, kind);
}

/* max/min: the gradient is shared among the elements equal to the result (torch.amax's rule); a NaN result
 * matches nothing, and as in PyTorch (g / 0 * 0) the slice's gradients are NaN. */
static void backward_extreme(float *dx, double dy, const float *x, float y, const fv_reduce_geom *g)
{
    walker w;
    walk_start(&w);
    int64_t count = 0;
    for (int64_t r = 0; r < g->red_size; r++, walk_step(g, &w)) count += x[w.off] == y;
    double share = count ? dy / (double)count : NAN;
    walk_start(&w);
    for (int64_t r = 0; r < g->red_size; r++, walk_step(g, &w))
        dx[w.off] += (float)(count ? (x[w.off] == y ? share : 0.0) : share);
}

/* prod: d/dx_i = product of the others. Without zeros that is y / x_i; with one zero only the zero's own
 * gradient is non-zero (the product of the rest); with two or more every gradient is zero. */
static void backward_prod(float *dx, double dy, const float *x, const fv_reduce_geom *g)
{
    walker w;
    walk_start(&w);
    int64_t zeros = 0;
    double rest = 1.0; /* product of the non-zero elements */
    for (int64_t r = 0; r < g->red_size; r++, walk_step(g, &w)) {
        if (x[w.off] == 0.0f) zeros++;
        else rest *= x[w.off];
    }
    if (zeros > 1) return;
    walk_start(&w);
    for (int64_t r = 0; r < g->red_size; r++, walk_step(g, &w)) {
        double v = x[w.off];
        if (zeros == 0) dx[w.off] += (float)(dy * rest / v);
        else if (v == 0.0) dx[w.off] += (float)(dy * rest);
    }
}

static double slope(int kind, double v, double y, double R)
{
    switch (kind) {
    case FV_REDUCE_SUM: return 1.0;
    case FV_REDUCE_MEAN: return 1.0 / R;
    case FV_REDUCE_L1: return (v > 0) - (v < 0);
    case FV_REDUCE_L2: return y == 0.0 ? 0.0 : v / y; /* PyTorch masks the norm's zeros */
    case FV_REDUCE_SUM_SQUARE: return 2.0 * v;
    case FV_REDUCE_LOG_SUM: return exp(-y); /* 1 / sum */
    default: return exp(v - y); /* log-sum-exp: the softmax */
    }
}

void fv_ref_reduce_backward(float *dx, const float *dout, const float *x, const float *out, const fv_reduce_geom *g,
                            int kind)
{
    for (int64_t o = 0; o < g->out_size; o++) {
        int64_t base = base_offset(g, o);
        double dy = dout[o];
        if (kind == FV_REDUCE_MAX || kind == FV_REDUCE_MIN) {
            backward_extreme(dx + base, dy, x + base, out[o], g);
            continue;
        }
        if (kind == FV_REDUCE_PROD) {
            backward_prod(dx + base, dy, x + base, g);
            continue;
        }
        /* log-sum-exp's softmax needs the result unrounded: a float result of 1000 is off by up to 3e-5 */
        double y = kind == FV_REDUCE_LOG_SUM_EXP || kind == FV_REDUCE_LOG_SUM ? reduce_one(x + base, g, kind) : out[o];
        walker w;
        walk_start(&w);
        for (int64_t r = 0; r < g->red_size; r++, walk_step(g, &w))
            dx[base + w.off] += (float)(dy * slope(kind, x[base + w.off], y, (double)g->red_size));
    }
}

/* Whether a should be picked over b (the current pick) for arg-max (or arg-min): NaN beats any number. */
static bool beats(float a, float b, bool min)
{
    if (isnan(b)) return false;
    if (isnan(a)) return true;
    return min ? a < b : a > b;
}

void fv_ref_argmax(int64_t *out, const float *x, int64_t outer, int64_t C, int64_t inner, bool min, bool last)
{
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            const float *line = x + o * C * inner + i;
            int64_t best = 0;
            for (int64_t c = 1; c < C; c++) {
                float v = line[c * inner], b = line[best * inner];
                bool tie = v == b || (isnan(v) && isnan(b));
                if (beats(v, b, min) || (last && tie)) best = c;
            }
            out[o * inner + i] = best;
        }
}

/* Top-k order: (value, index) comes before (value', index') when the value is larger (smaller), NaN being the
 * largest of all, or when equal with a lower index. A strict total order, so the j-th pick is the first element
 * after the (j-1)-th in that order. */
static bool before(float a, int64_t ia, float b, int64_t ib, bool largest)
{
    bool na = isnan(a), nb = isnan(b);
    if (na || nb) {
        if (na && nb) return ia < ib;
        return largest ? na : nb;
    }
    if (a != b) return largest ? a > b : a < b;
    return ia < ib;
}

void fv_ref_topk(float *values, int64_t *indices, const float *x, int64_t outer, int64_t C, int64_t inner, int64_t k,
                 bool largest)
{
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            const float *line = x + o * C * inner + i;
            int64_t prev = -1;
            for (int64_t j = 0; j < k; j++) {
                int64_t best = -1;
                for (int64_t c = 0; c < C; c++) {
                    if (prev >= 0 && !before(line[prev * inner], prev, line[c * inner], c, largest)) continue;
                    if (best < 0 || before(line[c * inner], c, line[best * inner], best, largest)) best = c;
                }
                int64_t at = (o * k + j) * inner + i;
                values[at] = line[best * inner];
                indices[at] = best;
                prev = best;
            }
        }
}

void fv_ref_topk_backward(float *dx, const float *dvalues, const int64_t *indices, int64_t outer, int64_t C,
                          int64_t inner, int64_t k)
{
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < k; j++)
            for (int64_t i = 0; i < inner; i++) {
                int64_t at = (o * k + j) * inner + i;
                dx[(o * C + indices[at]) * inner + i] += dvalues[at];
            }
}

void fv_ref_cumsum(float *out, const float *x, int64_t outer, int64_t C, int64_t inner, bool exclusive, bool reverse,
                   bool accumulate)
{
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            double sum = 0.0;
            for (int64_t s = 0; s < C; s++) {
                int64_t c = reverse ? C - 1 - s : s;
                int64_t at = (o * C + c) * inner + i;
                double v = x[at];
                if (!exclusive) sum += v;
                out[at] = (float)(accumulate ? out[at] + sum : sum);
                if (exclusive) sum += v;
            }
        }
}

void fv_ref_hardmax(float *out, const float *x, int64_t outer, int64_t C, int64_t inner)
{
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            const float *line = x + o * C * inner + i;
            float *dst = out + o * C * inner + i;
            int64_t best = 0;
            for (int64_t c = 1; c < C; c++)
                if (beats(line[c * inner], line[best * inner], false)) best = c;
            for (int64_t c = 0; c < C; c++) dst[c * inner] = c == best ? 1.0f : 0.0f;
        }
}
