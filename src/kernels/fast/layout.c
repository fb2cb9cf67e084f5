/* Fast gathers for the layout operators whose maps are strided (see layout.h): transposes, slices with steps,
 * depth/space rearrangements. The reference walks every output element through its per-axis maps; here the
 * maps become one stride per axis, axes that stay adjacent in the input are merged, and what is left is either
 * rows copied whole (the last axis reads consecutive elements) or, for a transpose proper, tiles: a block of
 * TILE x TILE elements read along the input's contiguous axis and written along the output's, so that both
 * sides touch whole cache lines (ConvNeXt's NCHW <-> NHWC permutes spent 15 ms of 127 in the reference at
 * batch 1). Pure copies: any thread count gives the same bytes. */
#include "layout.h"

#include <stdlib.h>
#include <string.h>

#include "../../core/pool.h"

#define TILE 16
#define MAX_D FV_MAX_DIMS

typedef struct {
    int nd;
    int64_t shape[MAX_D], step[MAX_D]; /* per merged output axis: its size and its input stride (elements) */
    int64_t base;
    int inner;                         /* the axis read contiguously (step 1) for tiles, or -1: rows */
    char *out;
    const char *inp;
    size_t elem;
    int64_t tasks_per_outer;           /* tiles: blocks along `inner` */
} plan;

/* map[d][i] = first + i * step for every i, with no padding: its stride, else false. */
static bool affine(const int64_t *map, int64_t n, int64_t *first, int64_t *step)
{
    *first = map[0], *step = n > 1 ? map[1] - map[0] : 0;
    if (map[0] < 0) return false;
    for (int64_t i = 1; i < n; i++)
        if (map[i] != map[0] + i * *step) return false;
    return true;
}

static bool make_plan(plan *p, int ndim, const int64_t *oshape, const int64_t *const *map)
{
    p->nd = 0, p->base = 0;
    for (int d = 0; d < ndim; d++) {
        int64_t first, step;
        if (!affine(map[d], oshape[d], &first, &step)) return false;
        p->base += first;
        if (oshape[d] == 1) continue;
        int k = p->nd - 1;
        if (k >= 0 && p->step[k] == step * oshape[d]) { /* adjacent in the input too: one axis */
            p->shape[k] *= oshape[d], p->step[k] = step;
        } else {
            p->shape[p->nd] = oshape[d], p->step[p->nd] = step, p->nd++;
        }
    }
    if (p->nd == 0) p->shape[0] = 1, p->step[0] = 1, p->nd = 1;
    p->inner = -1;
    if (p->step[p->nd - 1] != 1)
        for (int d = 0; d < p->nd - 1; d++)
            if (p->step[d] == 1) p->inner = d;
    return true;
}

/* Output offset and input offset of the start of outer index r over the axes before `upto` (skipping `skip`). */
static void offsets(const plan *p, int64_t r, int upto, int skip, int64_t *o, int64_t *x)
{
    int64_t ostride = 1;
    for (int d = p->nd - 1; d >= upto; d--) ostride *= p->shape[d];
    *o = 0, *x = p->base;
    for (int d = upto - 1; d >= 0; d--) {
        if (d == skip) {
            ostride *= p->shape[d];
            continue;
        }
        int64_t i = r % p->shape[d];
        r /= p->shape[d];
        *o += i * ostride, *x += i * p->step[d];
        ostride *= p->shape[d];
    }
}

static void copy_rows(void *arg, int64_t r0, int64_t r1, int worker)
{
    (void)worker;
    const plan *p = arg;
    int last = p->nd - 1;
    size_t row = (size_t)p->shape[last] * p->elem;
    for (int64_t r = r0; r < r1; r++) {
        int64_t o, x;
        offsets(p, r, last, -1, &o, &x);
        if (p->step[last] == 1) {
            memcpy(p->out + (size_t)o * p->elem, p->inp + (size_t)x * p->elem, row);
            continue;
        }
        for (int64_t i = 0; i < p->shape[last]; i++)
            memcpy(p->out + (size_t)(o + i) * p->elem, p->inp + (size_t)(x + i * p->step[last]) * p->elem, p->elem);
    }
}

/* One block of TILE entries along `inner` for one combination of the other axes but the last, all of the last
 * axis in TILE-wide pieces. E is the element size, a constant in each instance. */
#define TILE_BODY(E)                                                                                          \
    for (int64_t j0 = 0; j0 < W; j0 += TILE) {                                                                \
        int64_t j1 = j0 + TILE < W ? j0 + TILE : W;                                                           \
        for (int64_t i = i0; i < i1; i++)                                                                     \
            for (int64_t j = j0; j < j1; j++)                                                                 \
                memcpy(out + (size_t)(o + i * os_inner + j) * (E), inp + (size_t)(x + i + j * xs_last) * (E), (E)); \
    }

static void copy_tiles(void *arg, int64_t t0, int64_t t1, int worker)
{
    (void)worker;
    const plan *p = arg;
    int last = p->nd - 1, in = p->inner;
    int64_t W = p->shape[last], xs_last = p->step[last], os_inner = 1;
    for (int d = p->nd - 1; d > in; d--) os_inner *= p->shape[d];
    char *out = p->out;
    const char *inp = p->inp;
    for (int64_t t = t0; t < t1; t++) {
        int64_t r = t / p->tasks_per_outer, b = t % p->tasks_per_outer, o, x;
        offsets(p, r, last, in, &o, &x);
        int64_t i0 = b * TILE, i1 = i0 + TILE < p->shape[in] ? i0 + TILE : p->shape[in];
        switch (p->elem) {
        case 4: TILE_BODY(4) break;
        case 8: TILE_BODY(8) break;
        case 1: TILE_BODY(1) break;
        default: TILE_BODY(p->elem) break;
        }
    }
}

bool fv_fast_map_gather(int threads, void *out, const void *inp, size_t elem, int ndim, const int64_t *oshape,
                        const int64_t *const *map)
{
    plan p;
    for (int d = 0; d < ndim; d++)
        if (oshape[d] == 0) return true; /* nothing to write */
    if (ndim == 0 || !make_plan(&p, ndim, oshape, map)) return false;
    p.out = out, p.inp = inp, p.elem = elem;
    int64_t total = 1;
    for (int d = 0; d < p.nd; d++) total *= p.shape[d];
    int t = total >= 32768 ? threads : 1;
    if (p.inner < 0) {
        int64_t rows = total / p.shape[p.nd - 1];
        fv_parallel_for(t, rows, rows / (4 * t) + 1, copy_rows, &p);
        return true;
    }
    p.tasks_per_outer = (p.shape[p.inner] + TILE - 1) / TILE;
    int64_t outer = total / (p.shape[p.nd - 1] * p.shape[p.inner]);
    fv_parallel_for(t, outer * p.tasks_per_outer, 1, copy_tiles, &p);
    return true;
}

/* ---- concatenation ---- */

#define CONCAT_PIECE 65536 /* bytes per claim */

typedef struct {
    char *out;
    const char **src; /* block k: bytes [start[k], start[k + 1]) of the output's copy order */
    int64_t *start, *dst;
    int64_t blocks, total;
} concat_job;

static void concat_pieces(void *p, int64_t q0, int64_t q1, int worker)
{
    const concat_job *j = p;
    int64_t lo = q0 * CONCAT_PIECE, hi = q1 * CONCAT_PIECE < j->total ? q1 * CONCAT_PIECE : j->total;
    int64_t a = 0, b = j->blocks; /* the block holding byte lo: start[a] <= lo < start[a + 1] */
    while (b - a > 1) {
        int64_t mid = (a + b) / 2;
        if (j->start[mid] <= lo) a = mid;
        else b = mid;
    }
    for (int64_t k = a; k < j->blocks && j->start[k] < hi; k++) {
        int64_t from = lo > j->start[k] ? lo : j->start[k], to = hi < j->start[k + 1] ? hi : j->start[k + 1];
        if (to > from) /* an empty input's buffer may be a placeholder */
            memcpy(j->out + j->dst[k] + (from - j->start[k]), j->src[k] + (from - j->start[k]), (size_t)(to - from));
    }
}

bool fv_fast_concat(int threads, void *out, const void *const *inputs, const int64_t *C, int n, size_t elem,
                    int64_t outer, int64_t inner, int64_t Ctot)
{
    int64_t blocks = outer * n;
    concat_job j = {out, malloc((size_t)blocks * sizeof *j.src), malloc((size_t)(blocks + 1) * sizeof *j.start),
                    malloc((size_t)blocks * sizeof *j.dst), blocks, 0};
    bool ok = j.src && j.start && j.dst;
    for (int64_t a = 0, k = 0; ok && a < outer; a++) {
        int64_t c0 = 0;
        for (int i = 0; i < n; c0 += C[i], i++, k++) {
            int64_t bytes = C[i] * inner * (int64_t)elem;
            j.src[k] = (const char *)inputs[i] + a * bytes;
            j.dst[k] = ((a * Ctot + c0) * inner) * (int64_t)elem;
            j.start[k] = j.total, j.total += bytes;
        }
    }
    if (ok) {
        j.start[blocks] = j.total;
        fv_parallel_for(j.total >= 4 * CONCAT_PIECE ? threads : 1, (j.total + CONCAT_PIECE - 1) / CONCAT_PIECE, 1,
                        concat_pieces, &j);
    }
    free(j.src), free(j.start), free(j.dst);
    return ok;
}
