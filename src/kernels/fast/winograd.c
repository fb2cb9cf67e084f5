/* Winograd F(2x2, 3x3) (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2015). With
 *   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],  G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1],
 *   A^T = [1 1 1 0; 0 1 -1 -1],
 * a 2x2 output block is A^T [ sum over channels (G g G^T) .* (B^T d B) ] A, for the 4x4 input tile d whose
 * top-left corner is the block's, shifted by the padding. The sum over channels of the elementwise products is,
 * for each of the 16 tile points xi, a matrix product: M_xi (OC x tiles) = U_xi (OC x C) V_xi (C x tiles).
 * Images are grouped so that a product has enough tiles; transforms split over planes (image, channel) and
 * each product sums in one order, so the result never depends on the thread count. */
#include "winograd.h"

#include <stdlib.h>
#include <string.h>

#include "../../core/cpu.h"
#include "../../core/pool.h"
#include "../../core/scratch.h"
#include "../clamp.h"
#include "conv_geom.h"
#include "gemm.h"
#include "gemm_dot.h"

#define MIN_CHANNELS 16   /* fewer input or output channels: the transforms cost more than they save */
#define TILES_MIN 512     /* tiles per product, when images are small */
/* Fewer tiles in the whole call (a 7x7 map at batch 1 has 16): the weight transform, 16/9 the size of the
 * weights, costs more than the products save. */
#define TILES_PER_CALL 32
/* Floats of V and M together for one group: about what stays in the last-level cache between the input
 * transform that writes them, the products and the output transform that reads them. A big image is cut into
 * bands of tile rows to fit. */
#define SCRATCH_MAX (1 << 21)
/* Floats added between the 16 planes of U, V and M: a transform writes one value to each plane in turn, and
 * planes a power of two apart would all fall in the same few cache sets (a 20x slowdown seen on 256 x 256). */
#define SKEW 16

/* Products below this many flops are run a whole product per thread: the 16 products of a small map (a 14x14
 * map has 49 tiles) are too small for a team each, whose start and barriers then cost more than the arithmetic
 * (128 -> 32 channels at 14x14 on 2 threads: 214 us with a team per product, 98 us a product per thread). */
#define SMALL_PRODUCT 4e6

/* FOVEA_WINOGRAD=0 turns the path off (for comparisons). */
static bool enabled(void)
{
    static int state = -1;
    return fv_path_enabled("FOVEA_WINOGRAD", &state);
}

bool fv_winograd_applies(const fv_conv_geom *g)
{
    int64_t per_image = ((g->OH + 1) / 2) * ((g->OW + 1) / 2);
    /* a tile costs 16 products per channel pair against im2col's 9 per output: it needs well over 2 outputs of
     * its 4 (a 1x1 map has 1, and a 3x3 kernel there reads mostly padding: the cut kernel of conv.c is better) */
    bool filled = 10 * g->OH * g->OW >= 6 * 4 * per_image;
    return enabled() && g->KH == 3 && g->KW == 3 && g->sh == 1 && g->sw == 1 && g->dh == 1 && g->dw == 1 &&
           g->groups == 1 && g->C >= MIN_CHANNELS && g->OC >= MIN_CHANNELS && g->N * per_image >= TILES_PER_CALL &&
           filled;
}

typedef struct {
    const fv_conv_geom *g;
    const float *inp, *weight, *bias;
    const float *dout; /* weight gradient: the output's gradient */
    float *out, *U, *V, *M;
    float *scratch; /* per worker: 8 rows of 2 * TW + 2 floats */
    int64_t us, vs, ms; /* floats from one of the 16 planes of U, V, M to the next */
    float clamp_hi;
    bool add;
    int64_t TH, TW;                   /* tile rows and columns per image */
    int64_t n0, images, th0, rows, tiles; /* this group: images [n0, n0 + images), tile rows [th0, th0 + rows) */
    fv_gemm_packed *const *packed_u; /* forward: the 16 planes of U packed for the GEMM (a cache's), or NULL */
} wino_job;

/* ---- transforms ------------------------------------------------------------------------------------------ */

/* U[xi][oc][c] = (G g G^T)[xi] for every filter g = weight[oc][c]: a loop over c per output channel, so that
 * each of the 16 rows of U is written contiguously (and the loop vectorizes across filters). */
static void weight_rows(void *p, int64_t o0, int64_t o1, int worker)
{
    const wino_job *j = p;
    int64_t C = j->g->C, plane = j->us;
    for (int64_t oc = o0; oc < o1; oc++) {
        const float *w = j->weight + oc * C * 9;
        float *u = j->U + oc * C;
#pragma omp simd
        for (int64_t c = 0; c < C; c++) {
            const float *f = w + c * 9;
            float t[4][3];
            for (int k = 0; k < 3; k++) {
                float g0 = f[k], g1 = f[3 + k], g2 = f[6 + k];
                t[0][k] = g0;
                t[1][k] = 0.5f * (g0 + g1 + g2);
                t[2][k] = 0.5f * (g0 - g1 + g2);
                t[3][k] = g2;
            }
            for (int i = 0; i < 4; i++) {
                float *ui = u + 4 * i * plane + c;
                ui[0] = t[i][0];
                ui[plane] = 0.5f * (t[i][0] + t[i][1] + t[i][2]);
                ui[2 * plane] = 0.5f * (t[i][0] - t[i][1] + t[i][2]);
                ui[3 * plane] = t[i][2];
            }
        }
    }
}

/* Input and output transforms go a row of tiles at a time, in two passes: the vertical half of the transform
 * on whole rows (contiguous), then the horizontal half along the row (stride 2), both plain loops over the
 * tiles that the compiler vectorizes. Rows of tiles need scratch rows of 2 * TW + 2 floats per worker. */

/* V's 16 rows (stride vs apart) for the tiles of tile row th of plane x, from the 4 input rows it covers. */
static void input_row(float *v, int64_t vs, const float *x, int64_t th, int64_t TW, const fv_conv_geom *g, float *buf)
{
    int64_t U = 2 * TW + 2, r0 = 2 * th - g->pt;
    float *d[4], *t[4];
    /* columns u of the padded row read input column u - pl where that lies in [0, W) */
    int64_t lo = g->pl < 0 ? 0 : g->pl < U ? g->pl : U, hi = g->W + g->pl < U ? g->W + g->pl : U;
    if (hi < lo) hi = lo;
    for (int i = 0; i < 4; i++) {
        d[i] = buf + i * U, t[i] = buf + (4 + i) * U;
        int64_t r = r0 + i;
        if (r < 0 || r >= g->H) {
            for (int64_t u = 0; u < U; u++) d[i][u] = 0.0f;
            continue;
        }
        const float *row = x + r * g->W - g->pl;
        for (int64_t u = 0; u < lo; u++) d[i][u] = 0.0f;
#pragma omp simd
        for (int64_t u = lo; u < hi; u++) d[i][u] = row[u];
        for (int64_t u = hi; u < U; u++) d[i][u] = 0.0f;
    }
#pragma omp simd
    for (int64_t u = 0; u < U; u++) {
        t[0][u] = d[0][u] - d[2][u];
        t[1][u] = d[1][u] + d[2][u];
        t[2][u] = d[2][u] - d[1][u];
        t[3][u] = d[1][u] - d[3][u];
    }
    for (int r = 0; r < 4; r++) {
        const float *a = t[r];
        float *v0 = v + (4 * r) * vs, *v1 = v0 + vs, *v2 = v1 + vs, *v3 = v2 + vs;
#pragma omp simd
        for (int64_t tw = 0; tw < TW; tw++) {
            float a0 = a[2 * tw], a1 = a[2 * tw + 1], a2 = a[2 * tw + 2], a3 = a[2 * tw + 3];
            v0[tw] = a0 - a2, v1[tw] = a1 + a2, v2[tw] = a2 - a1, v3[tw] = a1 - a3;
        }
    }
}

/* The transform of one tile row (input_row, dout_row): 16 rows of dst, ds apart, from plane src. */
typedef void (*row_transform)(float *dst, int64_t ds, const float *src, int64_t th, int64_t TW,
                              const fv_conv_geom *g, float *buf);

/* A transform over planes (image n0 + q / channels, channel q % channels) of src, whose planes have `plane`
 * floats, into dst (16 planes ds apart, one row of `tiles` per channel): V from the input, Z from dout. */
typedef struct {
    const wino_job *j;
    row_transform row;
    const float *src;
    int64_t channels, plane;
    float *dst;
    int64_t ds;
} plane_walk;

static void walk_planes(void *p, int64_t q0, int64_t q1, int worker)
{
    const plane_walk *w = p;
    const wino_job *j = w->j;
    float *buf = j->scratch + (int64_t)worker * 8 * (2 * j->TW + 2);
    for (int64_t q = q0; q < q1; q++) {
        int64_t i = q / w->channels, ch = q % w->channels;
        const float *x = w->src + ((j->n0 + i) * w->channels + ch) * w->plane;
        for (int64_t r = 0; r < j->rows; r++)
            w->row(w->dst + ch * j->tiles + (i * j->rows + r) * j->TW, w->ds, x, j->th0 + r, j->TW, j->g, buf);
    }
}

static void transform_planes(int threads, const wino_job *j, row_transform row, const float *src, int64_t channels,
                             int64_t plane, float *dst, int64_t ds)
{
    plane_walk w = {j, row, src, channels, plane, dst, ds};
    fv_parallel_for(threads, j->images * channels, 1, walk_planes, &w);
}

/* Output rows 2 th and 2 th + 1 (as far as they exist) of plane y from M's 16 rows (stride ms apart) for tile
 * row th: A^T m A, then the bias and clamp, or added onto y. */
static void output_row(float *y, const float *m, int64_t ms, int64_t th, const wino_job *j, float b, float *buf)
{
    const fv_conv_geom *g = j->g;
    int64_t TW = j->TW, U = 2 * TW;
    float *s[2][4], *o[2] = {buf + 8 * TW, buf + 8 * TW + U};
    for (int k = 0; k < 4; k++) {
        s[0][k] = buf + k * TW, s[1][k] = buf + (4 + k) * TW;
        const float *m0 = m + k * ms, *m1 = m + (4 + k) * ms, *m2 = m + (8 + k) * ms, *m3 = m + (12 + k) * ms;
        float *s0 = s[0][k], *s1 = s[1][k];
#pragma omp simd
        for (int64_t tw = 0; tw < TW; tw++) s0[tw] = m0[tw] + m1[tw] + m2[tw], s1[tw] = m1[tw] - m2[tw] - m3[tw];
    }
    for (int r = 0; r < 2 && 2 * th + r < g->OH; r++) {
        const float *a0 = s[r][0], *a1 = s[r][1], *a2 = s[r][2], *a3 = s[r][3];
        float *out = o[r];
#pragma omp simd
        for (int64_t tw = 0; tw < TW; tw++) {
            out[2 * tw] = a0[tw] + a1[tw] + a2[tw];
            out[2 * tw + 1] = a1[tw] - a2[tw] - a3[tw];
        }
        float *row = y + (2 * th + r) * g->OW, hi = j->clamp_hi;
        if (j->add) {
#pragma omp simd
            for (int64_t w = 0; w < g->OW; w++) row[w] += out[w];
        } else if (hi > 0.0f) {
#pragma omp simd
            for (int64_t w = 0; w < g->OW; w++) {
                float v = b + out[w];
                row[w] = fv_clamp0(v, hi);
            }
        } else {
#pragma omp simd
            for (int64_t w = 0; w < g->OW; w++) row[w] = b + out[w];
        }
    }
}

/* out's plane (image n0 + q / OC, channel q % OC) from M. */
static void output_planes(void *p, int64_t q0, int64_t q1, int worker)
{
    const wino_job *j = p;
    const fv_conv_geom *g = j->g;
    int64_t OC = g->OC, T = j->tiles;
    float *buf = j->scratch + (int64_t)worker * 8 * (2 * j->TW + 2);
    for (int64_t q = q0; q < q1; q++) {
        int64_t i = q / OC, oc = q % OC;
        float *y = j->out + ((j->n0 + i) * OC + oc) * g->OH * g->OW;
        float b = j->bias ? j->bias[oc] : 0.0f;
        for (int64_t r = 0; r < j->rows; r++)
            output_row(y, j->M + oc * T + (i * j->rows + r) * j->TW, j->ms, j->th0 + r, j, b, buf);
    }
}

/* ---- driver ---------------------------------------------------------------------------------------------- */

/* Images per group: enough for TILES_MIN tiles, within SCRATCH_MAX floats of V and M (at least one image). */
static int64_t images_per_group(const fv_conv_geom *g, int64_t tiles_per_image)
{
    int64_t per_image = 16 * (g->C + g->OC) * tiles_per_image, cn = 1;
    while (cn < g->N && cn * tiles_per_image < TILES_MIN && (cn + 1) * per_image <= SCRATCH_MAX) cn++;
    return cn;
}

/* Tile rows per band of one image: all of them, or as many as fit SCRATCH_MAX (at least one). */
static int64_t rows_per_band(const fv_conv_geom *g, int64_t TH, int64_t TW)
{
    int64_t per_row = 16 * (g->C + g->OC) * TW, rows = SCRATCH_MAX / per_row;
    return rows < 1 ? 1 : rows > TH ? TH : rows;
}

/* U (or dU), V, M (or Z) and the transforms' rows, kept from one call to the next (core/scratch.h). */
static fv_scratch_slot spare_u, spare_v, spare_m, spare_rows;

/* The tiling of g and how its images are grouped and banded. */
static void tile(wino_job *j, int64_t *cn, int64_t *band)
{
    const fv_conv_geom *g = j->g;
    j->TH = (g->OH + 1) / 2, j->TW = (g->OW + 1) / 2;
    *cn = images_per_group(g, j->TH * j->TW);
    *band = *cn > 1 ? j->TH : rows_per_band(g, j->TH, j->TW);
    int64_t most = *cn * *band * j->TW; /* tiles per group */
    j->us = g->OC * g->C + SKEW, j->vs = g->C * most + SKEW, j->ms = g->OC * most + SKEW;
}

/* The scratch: u_copies of U (or dU; 0: none), v_copies of V and of M (or Z), and the transforms' rows for
 * every worker. False on no memory (release frees what was had). */
static bool take(wino_job *j, int threads, int u_copies, int v_copies)
{
    j->U = u_copies ? fv_scratch_take(&spare_u, (size_t)(u_copies * 16 * j->us) * sizeof(float)) : NULL;
    j->V = fv_scratch_take(&spare_v, (size_t)(v_copies * 16 * j->vs) * sizeof(float));
    j->M = fv_scratch_take(&spare_m, (size_t)(v_copies * 16 * j->ms) * sizeof(float));
    j->scratch = fv_scratch_take(&spare_rows, (size_t)(threads * 8 * (2 * j->TW + 2)) * sizeof(float));
    return (j->U || !u_copies) && j->V && j->M && j->scratch;
}

static void release(wino_job *j)
{
    fv_scratch_give(&spare_u, j->U), fv_scratch_give(&spare_v, j->V);
    fv_scratch_give(&spare_m, j->M), fv_scratch_give(&spare_rows, j->scratch);
}

/* How many groups (images [n0, n0 + images), tile rows [th0, th0 + rows)) the call has, and group k's place. */
static int64_t group_count(const wino_job *j, int64_t cn, int64_t band)
{
    return (j->g->N + cn - 1) / cn * ((j->TH + band - 1) / band);
}

static void set_group(wino_job *j, int64_t cn, int64_t band, int64_t k)
{
    int64_t bands = (j->TH + band - 1) / band;
    j->n0 = k / bands * cn, j->th0 = k % bands * band;
    j->images = j->g->N - j->n0 < cn ? j->g->N - j->n0 : cn;
    j->rows = j->TH - j->th0 < band ? j->TH - j->th0 : band;
    j->tiles = j->images * j->rows * j->TW;
}

/* Every group in order, each handed to step; first is true for the first group only. */
static void each_group(int threads, wino_job *j, int64_t cn, int64_t band,
                       void (*step)(int threads, wino_job *j, bool first))
{
    int64_t groups = group_count(j, cn, band);
    for (int64_t k = 0; k < groups; k++) {
        set_group(j, cn, band, k);
        step(threads, j, k == 0);
    }
}

/* Small groups go a whole group per thread: a group's transforms and 16 products are then too little work
 * to share (64x64 maps of 16 channels: 1,024 tiles, products of 0.5 MFLOP), and a team per step paid a
 * start and a barrier 3 times (forward) or 18 times (weight gradient) per image, more than the arithmetic on
 * a virtual machine where waking a thread costs tens of microseconds. A worker's copy of the job points at its
 * own V, M and row scratch. */
typedef struct {
    const wino_job *j;
    int64_t cn, band, groups;
    int slices; /* weight gradient: dU summed per slice of groups (fixed, not per thread) */
} alone_job;

static wino_job worker_copy(const wino_job *j, int worker)
{
    wino_job w = *j;
    w.V = j->V + (int64_t)worker * 16 * j->vs, w.M = j->M + (int64_t)worker * 16 * j->ms;
    w.scratch = j->scratch + (int64_t)worker * 8 * (2 * j->TW + 2);
    return w;
}

static void forward_group(int threads, wino_job *j, bool first);

/* Forward groups [k0, k1), each whole on this worker. */
static void forward_groups_alone(void *p, int64_t k0, int64_t k1, int worker)
{
    const alone_job *a = p;
    wino_job w = worker_copy(a->j, worker);
    for (int64_t k = k0; k < k1; k++) {
        set_group(&w, a->cn, a->band, k);
        forward_group(1, &w, false);
    }
}

/* Threads that can each have a V and an M within 4 SCRATCH_MAX (at least 1). */
static int threads_with_copies(const wino_job *j, int threads)
{
    int64_t fit = 4 * SCRATCH_MAX / (16 * (j->vs + j->ms));
    return fit < 1 ? 1 : fit < threads ? (int)fit : threads;
}

/* Whether the groups' products are small enough to go one group per thread. */
static bool small_groups(const wino_job *j, int64_t cn, int64_t band)
{
    return 2.0 * (double)(j->g->OC * j->g->C) * (double)(cn * band * j->TW) < SMALL_PRODUCT;
}

/* Product xi of one group with the given threads: M_xi = U_xi V_xi. */
static void product(int threads, const wino_job *j, int64_t xi)
{
    int64_t C = j->g->C, OC = j->g->OC;
    fv_gemm_op op = {.M = OC, .N = j->tiles, .K = C, .alpha = 1.0f, .A = j->U + xi * j->us, .lda = C,
                     .B = j->V + xi * j->vs, .ldb = j->tiles, .C = j->M + xi * j->ms, .ldc = j->tiles,
                     .a_packed = j->packed_u ? j->packed_u[xi] : NULL};
    fv_gemm_run(threads, &op); /* no pack_b, and U packed here for this shape: it cannot fail */
}

static void products_alone(void *p, int64_t x0, int64_t x1, int worker)
{
    for (int64_t xi = x0; xi < x1; xi++) product(1, p, xi);
}


/* Forward, one group: transform, 16 products, transform back. The products go a team each, or one per thread
 * when they are small or the threads share the 16 evenly; either way each product's sums are the same. */
static void forward_group(int threads, wino_job *j, bool first)
{
    int64_t C = j->g->C, OC = j->g->OC;
    transform_planes(threads, j, input_row, j->inp, C, j->g->H * j->g->W, j->V, j->vs);
    if (16 % threads == 0 || 2.0 * (double)(OC * C) * (double)j->tiles < SMALL_PRODUCT)
        fv_parallel_for(threads, 16, 1, products_alone, j);
    else
        for (int xi = 0; xi < 16; xi++) product(threads, j, xi);
    fv_parallel_for(threads, j->images * OC, 1, output_planes, j);
}

/* U's 16 planes packed for the GEMM, handed to the cache (false when it could not have them). */
static bool cache_u(int threads, const wino_job *j, fv_conv_cache **cache)
{
    fv_gemm_packed *u[16] = {NULL};
    bool ok = true;
    for (int xi = 0; xi < 16; xi++) ok = ok && (u[xi] = fv_gemm_pack_a(threads, false, j->g->OC, j->g->C, j->U + xi * j->us, j->g->C));
    if (ok) return fv_conv_cache_store_winograd(cache, u);
    for (int xi = 0; xi < 16; xi++) fv_gemm_packed_free(u[xi]);
    return false;
}

bool fv_winograd_forward(int threads, float *out, const float *inp, const float *weight, const float *bias,
                         float clamp_hi, bool add, const fv_conv_geom *g, fv_conv_cache **cache)
{
    wino_job j = {.g = g, .inp = inp, .weight = weight, .bias = bias, .out = out, .clamp_hi = clamp_hi, .add = add};
    j.packed_u = cache ? fv_conv_cache_winograd(*cache) : NULL;
    int64_t cn, band;
    tile(&j, &cn, &band);
    int copies = threads_with_copies(&j, threads);
    bool alone = copies > 1 && small_groups(&j, cn, band) && group_count(&j, cn, band) >= 2 * copies;
    bool ok = take(&j, threads, !j.packed_u, alone ? copies : 1);
    if (ok) {
        if (!j.packed_u) fv_parallel_for(g->OC * g->C >= 4096 ? threads : 1, g->OC, 4, weight_rows, &j);
        if (!j.packed_u && cache && cache_u(threads, &j, cache)) j.packed_u = fv_conv_cache_winograd(*cache);
        if (alone) {
            alone_job a = {&j, cn, band, group_count(&j, cn, band), 0};
            fv_parallel_for(copies, a.groups, 1, forward_groups_alone, &a);
        } else {
            each_group(threads, &j, cn, band, forward_group);
        }
    }
    release(&j);
    return ok;
}

/* Filter (c, oc) of the input gradient's convolution: weight (oc, c) turned by 180 degrees. */
static void flip_rows(void *p, int64_t c0, int64_t c1, int worker)
{
    const wino_job *j = p;
    int64_t C = j->g->C, OC = j->g->OC;
    for (int64_t c = c0; c < c1; c++)
        for (int64_t oc = 0; oc < OC; oc++)
            for (int k = 0; k < 9; k++) j->U[(c * OC + oc) * 9 + k] = j->weight[(oc * C + c) * 9 + 8 - k];
}

bool fv_winograd_backward_input_applies(const fv_conv_geom *g)
{
    fv_conv_geom t = fv_conv3x3_input_gradient_geometry(g);
    return fv_winograd_applies(g) && fv_winograd_applies(&t);
}

bool fv_winograd_backward_input(int threads, float *dinp, const float *dout, const float *weight,
                                const fv_conv_geom *g)
{
    fv_conv_geom t = fv_conv3x3_input_gradient_geometry(g);
    wino_job j = {.g = g, .weight = weight};
    j.U = malloc((size_t)(g->OC * g->C * 9) * sizeof(float));
    if (!j.U) return false;
    fv_parallel_for(g->OC * g->C >= 4096 ? threads : 1, g->C, 4, flip_rows, &j);
    bool ok = fv_winograd_forward(threads, dinp, dout, j.U, NULL, 0.0f, true, &t, NULL);
    free(j.U);
    return ok;
}

/* ---- weight gradient ------------------------------------------------------------------------------------ */

/* With X = U .* V per tile and Y = A^T X A, the gradient of U = G g G^T is the sum over tiles of (A dY A^T) .* V,
 * and that of g is G^T dU G. So: Z = A dY A^T per tile (a 2x2 block of dout, zero past the output's edge, to
 * 4x4), 16 products dU_xi (OC x C) += Z_xi (OC x tiles) V_xi^T, summed over the groups in order, then G^T dU G. */

/* Z's 16 rows (stride zs apart) for tile row th of the dout plane y. */
static void dout_row(float *z, int64_t zs, const float *y, int64_t th, int64_t TW, const fv_conv_geom *g, float *buf)
{
    int64_t U = 2 * TW;
    float *r0 = buf, *r1 = buf + U, *t[4] = {buf + 2 * U, buf + 3 * U, buf + 4 * U, buf + 5 * U};
    for (int i = 0; i < 2; i++) {
        float *d = i ? r1 : r0;
        int64_t r = 2 * th + i;
        for (int64_t u = 0; u < U; u++) d[u] = r < g->OH && u < g->OW ? y[r * g->OW + u] : 0.0f;
    }
#pragma omp simd
    for (int64_t u = 0; u < U; u++) t[0][u] = r0[u], t[1][u] = r0[u] + r1[u], t[2][u] = r0[u] - r1[u], t[3][u] = -r1[u];
    for (int r = 0; r < 4; r++) {
        const float *a = t[r];
        float *z0 = z + (4 * r) * zs, *z1 = z0 + zs, *z2 = z1 + zs, *z3 = z2 + zs;
#pragma omp simd
        for (int64_t tw = 0; tw < TW; tw++) {
            float a0 = a[2 * tw], a1 = a[2 * tw + 1];
            z0[tw] = a0, z1[tw] = a0 + a1, z2[tw] = a0 - a1, z3[tw] = -a1;
        }
    }
}

/* dweight[oc][c] += G^T dU G, with G^T = [1 .5 .5 0; 0 .5 -.5 0; 0 .5 .5 1]. */
static void weight_grad_rows(void *p, int64_t o0, int64_t o1, int worker)
{
    const wino_job *j = p;
    int64_t C = j->g->C;
    for (int64_t oc = o0; oc < o1; oc++)
        for (int64_t c = 0; c < C; c++) {
            float d[4][4], t[3][4];
            for (int xi = 0; xi < 16; xi++) d[xi / 4][xi % 4] = j->U[xi * j->us + oc * C + c];
            for (int k = 0; k < 4; k++) {
                t[0][k] = d[0][k] + 0.5f * (d[1][k] + d[2][k]);
                t[1][k] = 0.5f * (d[1][k] - d[2][k]);
                t[2][k] = 0.5f * (d[1][k] + d[2][k]) + d[3][k];
            }
            float *w = j->out + (oc * C + c) * 9;
            for (int r = 0; r < 3; r++) {
                w[r * 3 + 0] += t[r][0] + 0.5f * (t[r][1] + t[r][2]);
                w[r * 3 + 1] += 0.5f * (t[r][1] - t[r][2]);
                w[r * 3 + 2] += 0.5f * (t[r][1] + t[r][2]) + t[r][3];
            }
        }
}

/* Weight gradient, one group: V and Z, then dU_xi += Z_xi V_xi^T (the first group writes dU afresh). */
static void weight_grad_group(int threads, wino_job *j, bool first)
{
    int64_t C = j->g->C, OC = j->g->OC;
    transform_planes(threads, j, input_row, j->inp, C, j->g->H * j->g->W, j->V, j->vs);
    transform_planes(threads, j, dout_row, j->dout, OC, j->g->OH * j->g->OW, j->M, j->ms);
    for (int xi = 0; xi < 16; xi++) {
        const float *z = j->M + xi * j->ms, *v = j->V + xi * j->vs;
        float *du = j->U + xi * j->us, beta = first ? 0.0f : 1.0f;
        /* sums over tiles into a small dU: lane sums beat packing V's transpose (gemm_dot.h) */
        if (!fv_gemm_dot(threads, OC, C, j->tiles, 1.0f, z, j->tiles, v, j->tiles, beta, du, C))
            fv_gemm(threads, false, true, OC, C, j->tiles, 1.0f, z, j->tiles, v, j->tiles, beta, du, C);
    }
}

/* Weight gradient with the groups one per thread: slice k of the groups (a fixed split, whatever the thread
 * count) sums its groups in order into its own dU, then the slices are added in order into the first. */
static void weight_grad_slices(void *p, int64_t s0, int64_t s1, int worker)
{
    const alone_job *a = p;
    wino_job w = worker_copy(a->j, worker);
    for (int64_t sl = s0; sl < s1; sl++) {
        w.U = a->j->U + sl * 16 * a->j->us;
        for (int64_t k = a->groups * sl / a->slices, end = a->groups * (sl + 1) / a->slices; k < end; k++) {
            set_group(&w, a->cn, a->band, k);
            weight_grad_group(1, &w, k == a->groups * sl / a->slices);
        }
    }
}

static void add_slices(void *p, int64_t i0, int64_t i1, int worker)
{
    const alone_job *a = p;
    float *u = a->j->U;
    int64_t plane = 16 * a->j->us;
    for (int sl = 1; sl < a->slices; sl++)
        for (int64_t i = i0; i < i1; i++) u[i] += u[sl * plane + i];
}

/* Slices of the weight gradient's groups when their products are small: 8 (enough to share among a few
 * threads), each of 2 groups at least; 0 (the groups in turn, each shared by the team) for big products, few
 * groups, or slices' dU that would be large. Never from the thread count: the sums' order is the result's. */
static int weight_grad_slice_count(const wino_job *j, int64_t cn, int64_t band)
{
    int64_t groups = group_count(j, cn, band);
    if (!small_groups(j, cn, band) || groups < 4 || 8 * 16 * j->us > SCRATCH_MAX) return 0;
    return groups / 2 < 8 ? (int)(groups / 2) : 8;
}

bool fv_winograd_backward_weight(int threads, float *dweight, const float *dout, const float *inp,
                                 const fv_conv_geom *g)
{
    wino_job j = {.g = g, .inp = inp, .dout = dout, .out = dweight}; /* U holds dU, M holds Z */
    int64_t cn, band;
    tile(&j, &cn, &band);
    int slices = weight_grad_slice_count(&j, cn, band), copies = threads_with_copies(&j, threads);
    bool ok = take(&j, threads, slices ? slices : 1, slices ? copies : 1);
    if (ok && slices) {
        alone_job a = {&j, cn, band, group_count(&j, cn, band), slices};
        fv_parallel_for(copies, slices, 1, weight_grad_slices, &a);
        fv_parallel_for(threads, 16 * j.us, 4096, add_slices, &a);
    } else if (ok) {
        each_group(threads, &j, cn, band, weight_grad_group);
    }
    if (ok) fv_parallel_for(g->OC * g->C >= 4096 ? threads : 1, g->OC, 4, weight_grad_rows, &j);
    release(&j);
    return ok;
}
