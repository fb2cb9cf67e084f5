/* Direct 3x3 (and 1x1) stride-1 convolution for few channels, vectorized along the output row (see
 * conv_direct.h).
 *
 * Forward: a register tile holds O output channels x P vectors of 16 pixels of one output row. For each input
 * channel and tap (c, kh, kw) it loads the P input vectors under the tile (masked where the row is padding)
 * and one broadcast weight per output channel: P + O loads for O x P multiply-adds, no transform and no
 * unrolled columns, the input read from the cache straight in PyTorch's NCHW layout. Weights are repacked
 * once per call as (channel block, c, kh, kw, O), zero past the last channel so a partial block needs no
 * special case. Each output is computed by one thread in one order: results do not depend on the thread count.
 *
 * Input gradient: for stride 1 it is this convolution of dout by the weights turned by 180 degrees with the
 * channels swapped, padded by 2 - pad, added to dinp.
 *
 * Weight gradient: dW[oc][c][kh][kw] is the sum over images and pixels of dout[oc] times the input shifted by
 * (kh, kw). A tile of 8 output channels x 3 taps of one (c, kh) accumulates 16-pixel vectors over an image's
 * rows; the vectors are summed across lanes in a fixed order per chunk of images, and the chunks' partial
 * gradients are added in chunk order (chunks fixed by the batch size, not the threads). */
#include "conv_direct.h"

#include <stdlib.h>
#include <string.h>

#include "../../core/cpu.h"
#include "../../core/pool.h"
#include "../../core/scratch.h"
#include "conv_geom.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HAVE_X86 1
#endif

#define LANES 16
#define WGRAD_OC 8        /* output channels per weight-gradient tile (8 x 3 taps: 24 accumulators) */
#define WGRAD_IMAGES 4    /* images per weight-gradient chunk */
/* Channel counts this path takes: below them the GEMM's and Winograd's tiles are mostly overhead (a 16-row
 * product of 1,024 tiles), above them their blocking wins. */
#define MAX_CHANNELS 64

bool fv_direct_conv_applies(const fv_conv_geom *g)
{
#ifdef HAVE_X86
    bool taps = (g->KH == 3 && g->KW == 3 && g->pt >= 0 && g->pt <= 2 && g->pl >= 0 && g->pl <= 2) ||
                (g->KH == 1 && g->KW == 1 && g->pt == 0 && g->pl == 0);
    return fv_simd_level_get() >= FV_SIMD_AVX512 && taps && g->sh == 1 && g->sw == 1 && g->dh == 1 && g->dw == 1 &&
           g->groups == 1 && g->OW >= LANES && g->C <= MAX_CHANNELS && g->OC <= MAX_CHANNELS &&
           g->C * g->OC <= 32 * 32 * 2;
#else
    (void)g;
    return false;
#endif
}

/* The weight gradient's tiles read dout again for every (input channel, filter row): it wins over Winograd's
 * only on the narrowest layers (16 channels each side at 64x64: ~15 against ~25 ms on one Xeon core). */
bool fv_direct_conv_backward_weight_applies(const fv_conv_geom *g)
{
    return fv_direct_conv_applies(g) && g->KH == 3 && g->C * g->OC <= 16 * 16;
}

#ifdef HAVE_X86

/* ---- forward ------------------------------------------------------------------------------------------- */

typedef struct {
    const fv_conv_geom *g;
    const float *inp, *bias;
    const float *wp; /* packed weights (blocks, C, 3, 3, O) */
    float *out;
    float clamp_hi;
    bool add;
    int P, O;               /* the tile: P vectors x O channels */
    int64_t blocks, row_blocks; /* channel blocks; tiles per output row */
    const __mmask16 *masks; /* [row block][p][kw]: lanes that read the input row; [.][p][3]: lanes < OW */
} fwd_job;

/* One tile: output row oh, columns from ow0, channels [ob O, ob O + O) of image n. The body is a macro so
 * that each instance declares its accumulators as an array of exactly O x P vectors, which the compiler then
 * keeps in registers (a larger array shared by all instances was kept on the stack). */
#define FWD_TILE(P, O, K)                                                                                       \
    {                                                                                                          \
        const fv_conv_geom *g = j->g;                                                                          \
        int64_t ow0 = rb * P * LANES, oc0 = ob * O;                                                            \
        const __mmask16 *mk = j->masks + rb * P * 4;                                                           \
        __m512 acc[O][P];                                                                                      \
        _Pragma("GCC unroll 16") for (int o = 0; o < O; o++)                                                   \
        {                                                                                                      \
            __m512 b = _mm512_set1_ps(j->bias && oc0 + o < g->OC ? j->bias[oc0 + o] : 0.0f);                  \
            _Pragma("GCC unroll 4") for (int p = 0; p < P; p++) acc[o][p] = b;                                 \
        }                                                                                                      \
        const float *img = j->inp + n * g->C * g->H * g->W;                                                    \
        const float *wb = j->wp + ob * g->C * K * K * O;                                                       \
        int64_t kh0 = g->pt - oh > 0 ? g->pt - oh : 0, kh1 = g->H + g->pt - oh < K ? g->H + g->pt - oh : K;    \
        for (int64_t c = 0; c < g->C; c++)                                                                     \
            for (int64_t kh = kh0; kh < kh1; kh++) {                                                           \
                const float *row = img + (c * g->H + oh + kh - g->pt) * g->W + ow0 - g->pl;                    \
                const float *w = wb + (c * K * K + kh * K) * O;                                                \
                _Pragma("GCC unroll 3") for (int kw = 0; kw < K; kw++)                                         \
                {                                                                                              \
                    __m512 x[P];                                                                               \
                    _Pragma("GCC unroll 4") for (int p = 0; p < P; p++) x[p] =                                 \
                        _mm512_maskz_loadu_ps(mk[p * 4 + kw], row + p * LANES + kw);                           \
                    _Pragma("GCC unroll 16") for (int o = 0; o < O; o++)                                       \
                    {                                                                                          \
                        __m512 wv = _mm512_set1_ps(w[kw * O + o]);                                             \
                        _Pragma("GCC unroll 4") for (int p = 0; p < P; p++) acc[o][p] =                        \
                            _mm512_fmadd_ps(wv, x[p], acc[o][p]);                                              \
                    }                                                                                          \
                }                                                                                              \
            }                                                                                                  \
        __m512 zero = _mm512_setzero_ps(), hi = _mm512_set1_ps(j->clamp_hi);                                   \
        for (int o = 0; o < O && oc0 + o < g->OC; o++) {                                                       \
            float *y = j->out + ((n * g->OC + oc0 + o) * g->OH + oh) * g->OW + ow0;                            \
            for (int p = 0; p < P; p++) {                                                                      \
                __mmask16 live = mk[p * 4 + 3];                                                                \
                __m512 v = acc[o][p];                                                                          \
                if (j->add) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(live, y + p * LANES));                  \
                else if (j->clamp_hi > 0.0f) v = _mm512_min_ps(_mm512_max_ps(v, zero), hi);                    \
                _mm512_mask_storeu_ps(y + p * LANES, live, v);                                                 \
            }                                                                                                  \
        }                                                                                                      \
    }

/* Tiles [t0, t1) in (image, channel block, row, row block) order. */
#define FWD_RANGE(name, P, O, K)                                                                                \
    __attribute__((target("avx512f"))) static void name(void *arg, int64_t t0, int64_t t1, int worker)       \
    {                                                                                                          \
        const fwd_job *j = arg;                                                                                \
        (void)worker;                                                                                          \
        int64_t rows = j->g->OH * j->row_blocks;                                                               \
        for (int64_t t = t0; t < t1; t++) {                                                                    \
            int64_t nb = t / rows, r = t % rows, n = nb / j->blocks, ob = nb % j->blocks;                      \
            int64_t oh = r / j->row_blocks, rb = r % j->row_blocks;                                            \
            FWD_TILE(P, O, K)                                                                                  \
        }                                                                                                      \
    }
FWD_RANGE(fwd_p4, 4, 4, 3)
FWD_RANGE(fwd_p3, 3, 5, 3)
FWD_RANGE(fwd_p2, 2, 8, 3)
FWD_RANGE(fwd_p1, 1, 12, 3)
FWD_RANGE(pointwise_p4, 4, 4, 1)
FWD_RANGE(pointwise_p3, 3, 5, 1)
FWD_RANGE(pointwise_p2, 2, 8, 1)
FWD_RANGE(pointwise_p1, 1, 12, 1)

/* Lanes of vector p of row block rb that read input column ow - pl + kw inside [0, W) (kw < 3), and the lanes
 * with ow < OW (index 3). */
static void make_masks(__mmask16 *m, const fv_conv_geom *g, int P, int64_t row_blocks)
{
    for (int64_t rb = 0; rb < row_blocks; rb++)
        for (int p = 0; p < P; p++)
            for (int k = 0; k < 4; k++) {
                unsigned bits = 0;
                for (int l = 0; l < LANES; l++) {
                    int64_t ow = (rb * P + p) * LANES + l, col = ow - g->pl + k;
                    bool live = ow < g->OW && (k == 3 || (col >= 0 && col < g->W));
                    bits |= (unsigned)live << l;
                }
                m[(rb * P + p) * 4 + k] = (__mmask16)bits;
            }
}

/* wp (blocks, C, K, K, O) from weight (OC, C, K, K) (kk = K * K taps), or from its gradient's form when flip:
 * the filter of (output c, input oc) is weight[oc][c] turned by 180 degrees. Zero past the last output channel. */
static void pack_weights(float *wp, const float *weight, int64_t OC, int64_t C, int kk, int O, int64_t blocks,
                         bool flip)
{
    for (int64_t ob = 0; ob < blocks; ob++)
        for (int64_t c = 0; c < C; c++)
            for (int k = 0; k < kk; k++)
                for (int o = 0; o < O; o++) {
                    int64_t oc = ob * O + o;
                    float v = 0.0f;
                    if (oc < OC) v = flip ? weight[(c * OC + oc) * kk + kk - 1 - k] : weight[(oc * C + c) * kk + k];
                    wp[((ob * C + c) * kk + k) * O + o] = v;
                }
}

static fv_scratch_slot spare_weights, spare_masks;

/* out = clamp(bias + conv) or out += conv, for geometry g whose weights are packed from weight (flip: the
 * input gradient's form, weight then being (C, OC, 3, 3) of the forward convolution). */
static bool forward_run(int threads, float *out, const float *inp, const float *weight, bool flip,
                        const float *bias, float clamp_hi, bool add, const fv_conv_geom *g)
{
    int64_t vectors = (g->OW + LANES - 1) / LANES;
    int P = vectors >= 4 ? 4 : (int)vectors, O = P == 4 ? 4 : P == 3 ? 5 : P == 2 ? 8 : 12;
    int64_t blocks = (g->OC + O - 1) / O, row_blocks = (vectors + P - 1) / P;
    int kk = (int)(g->KH * g->KW);
    float *wp = fv_scratch_take(&spare_weights, (size_t)(blocks * g->C * kk * O) * sizeof(float));
    __mmask16 *masks = fv_scratch_take(&spare_masks, (size_t)(row_blocks * P * 4) * sizeof(__mmask16));
    bool ok = wp && masks;
    if (ok) {
        pack_weights(wp, weight, g->OC, g->C, kk, O, blocks, flip);
        make_masks(masks, g, P, row_blocks);
        fwd_job j = {g, inp, bias, wp, out, clamp_hi, add, P, O, blocks, row_blocks, masks};
        fv_range_fn body = P == 4 ? fwd_p4 : P == 3 ? fwd_p3 : P == 2 ? fwd_p2 : fwd_p1;
        if (kk == 1) body = P == 4 ? pointwise_p4 : P == 3 ? pointwise_p3 : P == 2 ? pointwise_p2 : pointwise_p1;
        int64_t tiles = g->N * blocks * g->OH * row_blocks;
        fv_parallel_for(threads, tiles, g->OH * row_blocks, body, &j);
    }
    fv_scratch_give(&spare_weights, wp), fv_scratch_give(&spare_masks, masks);
    return ok;
}

bool fv_direct_conv_forward(int threads, float *out, const float *inp, const float *weight, const float *bias,
                            float clamp_hi, bool add, const fv_conv_geom *g)
{
    return forward_run(threads, out, inp, weight, false, bias, clamp_hi, add, g);
}

/* ---- input gradient ------------------------------------------------------------------------------------ */

/* The input gradient's convolution: 3x3 as Winograd's (conv_geom.h); 1x1 the channels swapped. */
static fv_conv_geom input_gradient_geometry(const fv_conv_geom *g)
{
    if (g->KH == 3) return fv_conv3x3_input_gradient_geometry(g);
    return (fv_conv_geom){.N = g->N, .C = g->OC, .H = g->OH, .W = g->OW, .OC = g->C, .OH = g->H, .OW = g->W,
                          .KH = 1, .KW = 1, .sh = 1, .sw = 1, .dh = 1, .dw = 1, .groups = 1};
}

bool fv_direct_conv_backward_input_applies(const fv_conv_geom *g)
{
    fv_conv_geom t = input_gradient_geometry(g);
    return fv_direct_conv_applies(g) && fv_direct_conv_applies(&t);
}

bool fv_direct_conv_backward_input(int threads, float *dinp, const float *dout, const float *weight,
                                   const fv_conv_geom *g)
{
    fv_conv_geom t = input_gradient_geometry(g);
    return forward_run(threads, dinp, dout, weight, true, NULL, 0.0f, true, &t);
}

/* ---- weight gradient ----------------------------------------------------------------------------------- */

typedef struct {
    const fv_conv_geom *g;
    const float *dout, *inp;
    float *parts;  /* per chunk: (OC, C, 3, 3) */
    int64_t chunks, oc_blocks;
    const __mmask16 *masks; /* [vector][kw]: lanes that read the input row; [.][3]: lanes < OW */
} wgrad_job;

/* Lane sums of the tile's accumulators into part[oc][c][kh][kw]. */
__attribute__((target("avx512f"))) static void wgrad_store(float *part, __m512 acc[WGRAD_OC][3], int64_t oc0,
                                                          int64_t c, int kh, const fv_conv_geom *g)
{
    for (int o = 0; o < WGRAD_OC && oc0 + o < g->OC; o++)
        for (int kw = 0; kw < 3; kw++) part[((oc0 + o) * g->C + c) * 9 + kh * 3 + kw] += _mm512_reduce_add_ps(acc[o][kw]);
}

/* dW tile (8 output channels from oc0, input channel c, row kh of the filter) over image n, added to part.
 * Channels past OC load nothing (mask 0), so the loops keep constant bounds and the 24 accumulators stay in
 * registers. */
__attribute__((target("avx512f"))) static void wgrad_tile(const wgrad_job *j, float *part, int64_t n, int64_t oc0,
                                                         int64_t c, int kh)
{
    const fv_conv_geom *g = j->g;
    int64_t vectors = (g->OW + LANES - 1) / LANES, plane = g->OH * g->OW;
    __m512 acc[WGRAD_OC][3];
#pragma GCC unroll 8
    for (int o = 0; o < WGRAD_OC; o++) acc[o][0] = acc[o][1] = acc[o][2] = _mm512_setzero_ps();
    /* rows of channels past OC are never read: point them at channel oc0 */
    const float *dy[WGRAD_OC];
    __mmask16 live[WGRAD_OC];
    for (int o = 0; o < WGRAD_OC; o++) {
        bool in = oc0 + o < g->OC;
        dy[o] = j->dout + (n * g->OC + oc0 + (in ? o : 0)) * plane;
        live[o] = in ? (__mmask16)0xffff : 0;
    }
    const float *x = j->inp + (n * g->C + c) * g->H * g->W;
    int64_t oh0 = g->pt - kh > 0 ? g->pt - kh : 0, oh1 = g->H + g->pt - kh < g->OH ? g->H + g->pt - kh : g->OH;
    for (int64_t oh = oh0; oh < oh1; oh++) {
        const float *row = x + (oh + kh - g->pt) * g->W - g->pl;
        for (int64_t v = 0; v < vectors; v++) {
            const __mmask16 *mk = j->masks + v * 4;
            int64_t at = oh * g->OW + v * LANES;
            __m512 xs[3];
#pragma GCC unroll 3
            for (int kw = 0; kw < 3; kw++) xs[kw] = _mm512_maskz_loadu_ps(mk[kw], row + v * LANES + kw);
#pragma GCC unroll 8
            for (int o = 0; o < WGRAD_OC; o++) {
                __m512 d = _mm512_maskz_loadu_ps(mk[3] & live[o], dy[o] + at);
#pragma GCC unroll 3
                for (int kw = 0; kw < 3; kw++) acc[o][kw] = _mm512_fmadd_ps(d, xs[kw], acc[o][kw]);
            }
        }
    }
    wgrad_store(part, acc, oc0, c, kh, g);
}

/* Chunks [k0, k1): each its images in order into its own part. */
static void wgrad_chunks(void *arg, int64_t k0, int64_t k1, int worker)
{
    const wgrad_job *j = arg;
    const fv_conv_geom *g = j->g;
    (void)worker;
    int64_t wsize = g->OC * g->C * 9;
    for (int64_t k = k0; k < k1; k++) {
        float *part = j->parts + k * wsize;
        memset(part, 0, (size_t)wsize * sizeof(float));
        for (int64_t n = k * WGRAD_IMAGES; n < g->N && n < (k + 1) * WGRAD_IMAGES; n++)
            for (int64_t c = 0; c < g->C; c++)
                for (int kh = 0; kh < 3; kh++)
                    for (int64_t ob = 0; ob < j->oc_blocks; ob++) wgrad_tile(j, part, n, ob * WGRAD_OC, c, kh);
    }
}

typedef struct {
    float *dweight;
    const float *parts;
    int64_t chunks, wsize;
} wgrad_sum;

static void wgrad_add(void *arg, int64_t i0, int64_t i1, int worker)
{
    const wgrad_sum *s = arg;
    (void)worker;
    for (int64_t i = i0; i < i1; i++) {
        float v = s->dweight[i];
        for (int64_t k = 0; k < s->chunks; k++) v += s->parts[k * s->wsize + i];
        s->dweight[i] = v;
    }
}

static fv_scratch_slot spare_parts;

bool fv_direct_conv_backward_weight(int threads, float *dweight, const float *dout, const float *inp,
                                    const fv_conv_geom *g)
{
    if (g->KH != 3 || g->KW != 3) return false; /* its tiles are 3 taps wide */
    int64_t vectors = (g->OW + LANES - 1) / LANES, wsize = g->OC * g->C * 9;
    int64_t chunks = (g->N + WGRAD_IMAGES - 1) / WGRAD_IMAGES;
    float *parts = fv_scratch_take(&spare_parts, (size_t)(chunks * wsize) * sizeof(float));
    __mmask16 *masks = fv_scratch_take(&spare_masks, (size_t)(vectors * 4) * sizeof(__mmask16));
    bool ok = parts && masks;
    if (ok) {
        make_masks(masks, g, 1, vectors);
        wgrad_job j = {g, dout, inp, parts, chunks, (g->OC + WGRAD_OC - 1) / WGRAD_OC, masks};
        fv_parallel_for(threads, chunks, 1, wgrad_chunks, &j);
        wgrad_sum s = {dweight, parts, chunks, wsize};
        fv_parallel_for(wsize >= 4096 ? threads : 1, wsize, 1024, wgrad_add, &s);
    }
    fv_scratch_give(&spare_parts, parts), fv_scratch_give(&spare_masks, masks);
    return ok;
}

#else /* no x86: never applies */

bool fv_direct_conv_forward(int threads, float *out, const float *inp, const float *weight, const float *bias,
                            float clamp_hi, bool add, const fv_conv_geom *g)
{
    (void)threads, (void)out, (void)inp, (void)weight, (void)bias, (void)clamp_hi, (void)add, (void)g;
    return false;
}
bool fv_direct_conv_backward_input_applies(const fv_conv_geom *g)
{
    (void)g;
    return false;
}
bool fv_direct_conv_backward_input(int threads, float *dinp, const float *dout, const float *weight,
                                   const fv_conv_geom *g)
{
    (void)threads, (void)dinp, (void)dout, (void)weight, (void)g;
    return false;
}
bool fv_direct_conv_backward_weight(int threads, float *dweight, const float *dout, const float *inp,
                                    const fv_conv_geom *g)
{
    (void)threads, (void)dweight, (void)dout, (void)inp, (void)g;
    return false;
}

#endif
