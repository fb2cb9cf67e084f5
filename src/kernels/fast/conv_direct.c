/* Direct 3x3 (and 1x1) stride-1 convolution for layers of up to 128 channels a side, vectorized along the
 * output row (see conv_direct.h).
 *
 * Every worker first copies its image into a zero-bordered buffer (padded images, below), so that no load
 * needs a mask and every loop over filter taps has constant bounds.
 *
 * Forward: a register tile holds O output channels x P vectors of 16 pixels of one output row (on a map one
 * vector wide, of P output rows). For each input channel and tap (c, kh, kw) it loads the P input vectors
 * under the tile and one broadcast weight per output channel: P + O loads for O x P multiply-adds, no
 * transform and no unrolled columns. Weights are repacked
 * once per call as (channel block, c, kh, kw, O), zero past the last channel so a partial block needs no
 * special case. Each output is computed by one thread in one order: results do not depend on the thread count.
 *
 * Input gradient: for stride 1 it is this convolution of dout by the weights turned by 180 degrees with the
 * channels swapped, padded by 2 - pad, added to dinp or stored over it (each element is summed whole in one
 * tile, so a fresh gradient needs neither a zeroing pass nor a read).
 *
 * Weight gradient: dW[oc][c][kh][kw] is the sum over images and pixels of dout[oc] times the input shifted by
 * (kh, kw). A tile of 3 output channels x the 9 taps of one input channel accumulates 16-pixel vectors over a
 * chunk of images; the vectors are summed across lanes in a fixed order per chunk, and the chunks' partial
 * gradients are added in chunk order (chunks fixed by the batch size, not the threads). */
#include "conv_direct.h"

#include <stdlib.h>
#include <string.h>

#include "../../core/cpu.h"
#include "../../core/pool.h"
#include "../../core/scratch.h"
#include "partials.h"
#include "conv_geom.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HAVE_X86 1
#endif

#define LANES 16
#define WGRAD_IMAGES 4    /* images per weight-gradient chunk */
/* Channel counts this path may take (channels_pay says where it does): below them the GEMM's and Winograd's
 * tiles are mostly overhead (a 16-row product of 1,024 tiles), above them their blocking wins. */
#define MAX_CHANNELS 128
/* Floats of one padded image at most (an upper bound of its rows times its padded width, per channel): each
 * worker holds one (4 for the weight gradient), so a 2048x2048 map of 16 channels (270 MB a copy) goes to the
 * paths that need no copy. */
#define MAX_PADDED (4 << 20)
/* Narrowest output row: a row under 16 takes a vector of its own (row tiles), its lanes past the row wasted;
 * even half wasted is faster than Winograd for up to 64 x 64 channels (channels_pay). */
#define MIN_WIDTH 8
#define LEFT 16 /* the padded image's columns before input column 0 (at least the left padding, 2 at most) */

/* Where the direct tiles beat Winograd's F(2x2, 3x3) and the GEMM (measured on a Xeon with AVX-512, 2 threads,
 * forward and input gradient): up to 2,048 channel pairs on any map (16 -> 16 at 224x224: 163 against 67
 * GFLOP/s); 64 -> 64 on maps up to 32 wide (at 28x28: 277 against 221), not at 56x56 (214 against 263), where
 * Winograd's saving outgrows its transforms; 128 x 64 pairs at 16x16 with a batch to share (296 against 206 at
 * batch 32; at batch 1 Winograd's 228 against 175). 1x1 layers keep to 2,048 pairs (only measured there).
 * Rows narrower than 16 waste lanes and still win: FMNIST-CNN's 32 -> 64 at 14x14, batch 64, 257 against 143
 * (forward), 169 against 118 (weight gradient); DenseNet's 128 -> 32 at 14x14, batch 1, 122 against 99. On
 * 8-wide rows (half the lanes idle) up to 64 x 64 (165 against 153), not 64 -> 128 (157 against 198). */
static bool channels_pay(const fv_conv_geom *g)
{
    int64_t pairs = g->C * g->OC;
    if (pairs <= 2048) return true;
    return g->KH == 3 &&
           ((pairs <= 4096 && g->OW <= 32) || (pairs <= 8192 && g->OW >= 12 && g->OW <= 16 && g->N >= 8));
}

/* FOVEA_DIRECT=0 turns the path off (for comparisons). */
static bool enabled(void)
{
    static int state = -1;
    return fv_path_enabled("FOVEA_DIRECT", &state);
}

bool fv_direct_conv_applies(const fv_conv_geom *g)
{
#ifdef HAVE_X86
    if (!enabled()) return false;
    bool taps = (g->KH == 3 && g->KW == 3 && g->pt >= 0 && g->pt <= 2 && g->pl >= 0 && g->pl <= 2) ||
                (g->KH == 1 && g->KW == 1 && g->pt == 0 && g->pl == 0);
    return fv_simd_level_get() >= FV_SIMD_AVX512 && taps && g->sh == 1 && g->sw == 1 && g->dh == 1 && g->dw == 1 &&
           g->groups == 1 && g->OW >= MIN_WIDTH && g->C <= MAX_CHANNELS && g->OC <= MAX_CHANNELS && channels_pay(g) &&
           g->C * (g->OH + 8) * (g->OW + 48) <= MAX_PADDED;
#else
    (void)g;
    return false;
#endif
}

/* The weight gradient's tiles hold 27 accumulators against 12 loads, and Winograd's transforms shrink with
 * more channels: measured on a Xeon with 2 threads, batch 32, the tiles win up to 1,024 channel pairs (32 -> 16
 * at 64x64: 167 against 124 GFLOP/s), tie at 2,048 on 32-wide maps (64 -> 32: 176 against 175) and win up to
 * 8,192 on 16-wide maps (128 -> 64: 178 against 149). */
bool fv_direct_conv_backward_weight_applies(const fv_conv_geom *g)
{
    int64_t pairs = g->C * g->OC;
    if (g->KH == 1) return fv_direct_conv_applies(g) && pairs <= 1024; /* a U-Net's head: 16 -> 11 */
    if (g->OW < 12) return fv_direct_conv_applies(g) && pairs <= 1024; /* 8 wide: 32 x 32 93 against 60, 64 x 64
                                                                          * 97 against 103 */
    return fv_direct_conv_applies(g) &&
           (pairs <= 1024 || (pairs <= 2048 && g->OW <= 32) || (pairs <= 8192 && g->OW <= 16));
}

#ifdef HAVE_X86

/* ---- padded images -------------------------------------------------------------------------------------- */

/* Each worker copies the image it works on into a zero-bordered buffer (PH rows of PW floats a channel, PW a
 * multiple of 16 and wide enough for every vector of every tile), so that the tiles' loads need no masks and
 * their loops have constant bounds: with both, the compiler keeps the whole register tile in registers (masked
 * loads over a varying range of filter rows kept spilling it to the stack, at 37% of the FMA peak). */
typedef struct {
    const fv_conv_geom *g;
    const float *inp;
    int64_t PH, PW;     /* rows and floats a row of one channel (input row r - pt is row r) */
    int64_t shift;      /* padded column of output column 0's first tap: LEFT - pl (0 in place) */
    float *pads;        /* per worker: `slots` padded images */
    int64_t pad_floats; /* floats of one padded image */
    int slots;          /* images a worker holds at once: image n in slot n % slots */
    int64_t *padded;    /* per worker and slot: the image it holds (-1: none) */
    bool in_place;      /* 1x1 without padding on rows of whole vectors: read the input itself */
} pad_plan;

static fv_scratch_slot spare_pads, spare_marks;

/* A plan for tiles that read `reach` columns from output column 0's first tap and rows [0, rows + K - 1) (rows:
 * the output rows the tiles cover, OH or more); in place where the input needs no padding (in_place allowed).
 * False when memory cannot be had. */
static bool pad_plan_make(pad_plan *pp, const fv_conv_geom *g, const float *inp, int64_t reach, int64_t rows,
                          bool in_place, int slots, int threads)
{
    int64_t K = g->KH, copied = LEFT + (g->W + LANES - 1) / LANES * LANES;
    *pp = (pad_plan){.g = g, .inp = inp, .PH = rows + K - 1, .shift = LEFT - g->pl, .slots = slots,
                     .in_place = in_place};
    reach += pp->shift;
    pp->PW = ((reach > copied ? reach : copied) + LANES - 1) / LANES * LANES;
    if (in_place) pp->PW = g->W, pp->PH = g->H, pp->shift = 0;
    pp->pad_floats = (g->C * pp->PH * pp->PW + LANES - 1) / LANES * LANES;
    int64_t held = (int64_t)threads * slots;
    pp->pads = in_place ? NULL : fv_scratch_take(&spare_pads, (size_t)(held * pp->pad_floats) * sizeof(float));
    pp->padded = fv_scratch_take(&spare_marks, (size_t)held * sizeof(int64_t));
    for (int64_t i = 0; pp->padded && i < held; i++) pp->padded[i] = -1;
    return pp->padded && (pp->pads || in_place);
}

static void pad_plan_free(pad_plan *pp)
{
    fv_scratch_give(&spare_pads, pp->pads), fv_scratch_give(&spare_marks, pp->padded);
}

/* The buffer of worker w holding image n, padded: input column x at padded column x + LEFT, so that rows copy
 * between aligned vectors. The zero borders are written when a call first gives the worker an image (they
 * never change after), the rows of each image then copied whole vectors at a time (the last one masked: its
 * lanes past W write zeros, which is what the border holds). */
__attribute__((target("avx512f"))) static const float *padded_image(const pad_plan *pp, int64_t n, int w)
{
    const fv_conv_geom *g = pp->g;
    if (pp->in_place) return pp->inp + n * g->C * g->H * g->W;
    int64_t slot = (int64_t)w * pp->slots + n % pp->slots;
    float *pad = pp->pads + slot * pp->pad_floats;
    if (pp->padded[slot] == n) return pad;
    if (pp->padded[slot] < 0) memset(pad, 0, (size_t)(g->C * pp->PH * pp->PW) * sizeof(float));
    int64_t vectors = (g->W + LANES - 1) / LANES, rows = g->H < pp->PH - g->pt ? g->H : pp->PH - g->pt;
    __mmask16 last = (__mmask16)((1u << (g->W - (vectors - 1) * LANES)) - 1);
    for (int64_t c = 0; c < g->C; c++)
        for (int64_t y = 0; y < rows; y++) {
            float *row = pad + (c * pp->PH + y + g->pt) * pp->PW + LEFT;
            const float *src = pp->inp + ((n * g->C + c) * g->H + y) * g->W;
            for (int64_t v = 0; v + 1 < vectors; v++) _mm512_store_ps(row + v * LANES, _mm512_loadu_ps(src + v * LANES));
            _mm512_store_ps(row + (vectors - 1) * LANES, _mm512_maskz_loadu_ps(last, src + (vectors - 1) * LANES));
        }
    pp->padded[slot] = n;
    return pad;
}

/* ---- forward ------------------------------------------------------------------------------------------- */

typedef struct {
    const fv_conv_geom *g;
    const float *bias;
    const float *wp; /* packed weights: the block from channel oc0 at wp + oc0 * C * K * K, (C, K, K, O) */
    float *out;
    float clamp_hi;
    bool add;
    int K, P, O; /* taps a side; vectors and channels of a full register tile */
    bool rows;   /* the P vectors are P output rows (maps one vector wide), not P vectors of one row */
    int64_t blocks, row_blocks;
    int64_t tile_rows; /* tiles down an image: OH, or OH / P rounded up for row tiles */
    pad_plan pp;
} fwd_job;

/* One tile: P vectors of output row oh from column ow0, channels [oc0, oc0 + O) of image n (channels past OC
 * are computed on zero weights and not stored; lanes past OW are not stored). The body is a macro so that each
 * instance declares exactly O x P accumulators, which stay in registers. */
#define FWD_TILE(NAME, P, O, K, R)                                                                              \
    __attribute__((target("avx512f"))) static void NAME(const fwd_job *j, const float *pad, int64_t n,          \
                                                        int64_t oc0, int64_t oh, int64_t ow0)                   \
    {                                                                                                          \
        const fv_conv_geom *g = j->g;                                                                          \
        __m512 acc[O][P];                                                                                      \
        _Pragma("GCC unroll 16") for (int o = 0; o < O; o++)                                                   \
        {                                                                                                      \
            __m512 b = _mm512_set1_ps(j->bias && oc0 + o < g->OC ? j->bias[oc0 + o] : 0.0f);                  \
            _Pragma("GCC unroll 4") for (int p = 0; p < P; p++) acc[o][p] = b;                                 \
        }                                                                                                      \
        const float *src = pad + oh * j->pp.PW + ow0 + j->pp.shift, *w = j->wp + oc0 * g->C * K * K;          \
        int64_t plane = j->pp.PH * j->pp.PW, pw = j->pp.PW;                                                    \
        for (int64_t c = 0; c < g->C; c++, src += plane, w += K * K * O) {                                     \
            _Pragma("GCC unroll 3") for (int kh = 0; kh < K; kh++)                                             \
            {                                                                                                  \
                _Pragma("GCC unroll 3") for (int kw = 0; kw < K; kw++)                                         \
                {                                                                                              \
                    __m512 x[P];                                                                               \
                    _Pragma("GCC unroll 4") for (int p = 0; p < P; p++) x[p] =                                 \
                        _mm512_loadu_ps(src + (kh + p * R) * pw + kw + p * (1 - R) * LANES);                   \
                    _Pragma("GCC unroll 16") for (int o = 0; o < O; o++)                                       \
                    {                                                                                          \
                        __m512 wv = _mm512_set1_ps(w[(kh * K + kw) * O + o]);                                  \
                        _Pragma("GCC unroll 4") for (int p = 0; p < P; p++) acc[o][p] =                        \
                            _mm512_fmadd_ps(wv, x[p], acc[o][p]);                                              \
                    }                                                                                          \
                }                                                                                              \
            }                                                                                                  \
        }                                                                                                      \
        fwd_store(j, &acc[0][0], P, O, R, n, oc0, oh, ow0);                                                    \
    }

/* The tile's accumulators (O x P, row-major) to the output: clamped, or added to it. Vector p lies at row oh,
 * column ow0 + 16 p, or (rows) at row oh + p, column ow0. */
__attribute__((target("avx512f"))) static inline void fwd_store(const fwd_job *j, const __m512 *acc, int P, int O,
                                                               bool rows, int64_t n, int64_t oc0, int64_t oh,
                                                               int64_t ow0)
{
    const fv_conv_geom *g = j->g;
    __m512 zero = _mm512_setzero_ps(), hi = _mm512_set1_ps(j->clamp_hi);
    for (int o = 0; o < O && oc0 + o < g->OC; o++)
        for (int p = 0; p < P; p++) {
            int64_t row = oh + (rows ? p : 0), col = ow0 + (rows ? 0 : p * LANES), left = g->OW - col;
            if (left <= 0 || row >= g->OH) break;
            float *y = j->out + ((n * g->OC + oc0 + o) * g->OH + row) * g->OW + col;
            __mmask16 live = left >= LANES ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1);
            __m512 v = acc[o * P + p];
            if (j->add) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(live, y));
            else if (j->clamp_hi > 0.0f) v = _mm512_add_ps(_mm512_min_ps(hi, _mm512_max_ps(zero, v)), zero); /* clamp.h */
            _mm512_mask_storeu_ps(y, live, v);
        }
}

/* Register tiles: P vectors x O channels (P x O accumulators, P inputs and a weight within 32 registers), two
 * channel counts for each P so that common channel counts (multiples of 4 and 8) fill their blocks. */
FWD_TILE(t3_4x6, 4, 6, 3, 0)
FWD_TILE(t3_4x4, 4, 4, 3, 0)
FWD_TILE(t3_3x8, 3, 8, 3, 0)
FWD_TILE(t3_3x4, 3, 4, 3, 0)
FWD_TILE(t3_2x12, 2, 12, 3, 0)
FWD_TILE(t3_2x8, 2, 8, 3, 0)
FWD_TILE(t3_1x16, 1, 16, 3, 0)
FWD_TILE(t3_1x8, 1, 8, 3, 0)
FWD_TILE(t1_4x6, 4, 6, 1, 0)
FWD_TILE(t1_4x4, 4, 4, 1, 0)
FWD_TILE(t1_3x8, 3, 8, 1, 0)
FWD_TILE(t1_3x4, 3, 4, 1, 0)
FWD_TILE(t1_2x12, 2, 12, 1, 0)
FWD_TILE(t1_2x8, 2, 8, 1, 0)
FWD_TILE(t1_1x16, 1, 16, 1, 0)
FWD_TILE(t1_1x8, 1, 8, 1, 0)
/* Maps one vector wide (16 columns or fewer): the P vectors are P output rows, so that each broadcast weight
 * serves P vectors rather than one (a 16x16 map's tile of 1 x 16 took 17 loads for 16 multiply-adds). */
FWD_TILE(r3_4x6, 4, 6, 3, 1)
FWD_TILE(r3_4x4, 4, 4, 3, 1)
FWD_TILE(r3_2x12, 2, 12, 3, 1)
FWD_TILE(r3_2x8, 2, 8, 3, 1)
FWD_TILE(r1_4x6, 4, 6, 1, 1)
FWD_TILE(r1_4x4, 4, 4, 1, 1)
FWD_TILE(r1_2x12, 2, 12, 1, 1)
FWD_TILE(r1_2x8, 2, 8, 1, 1)

typedef void (*fwd_tile_fn)(const fwd_job *, const float *, int64_t, int64_t, int64_t, int64_t);

/* [K == 3][P - 1][0: the wide block, 1: the narrow one] and the blocks' channel counts */
static const fwd_tile_fn tile_fns[2][4][2] = {
    {{t1_1x16, t1_1x8}, {t1_2x12, t1_2x8}, {t1_3x8, t1_3x4}, {t1_4x6, t1_4x4}},
    {{t3_1x16, t3_1x8}, {t3_2x12, t3_2x8}, {t3_3x8, t3_3x4}, {t3_4x6, t3_4x4}},
};
static const int tile_channels[4][2] = {{16, 8}, {12, 8}, {8, 4}, {6, 4}};
/* [K == 3][P == 4][wide or narrow]: the row tiles, for P of 2 or 4 */
static const fwd_tile_fn row_tile_fns[2][2][2] = {
    {{r1_2x12, r1_2x8}, {r1_4x6, r1_4x4}},
    {{r3_2x12, r3_2x8}, {r3_4x6, r3_4x4}},
};

/* Tiles [t0, t1) in (image, row, row block, channel block) order (rows: groups of P rows), so that the input
 * rows under an output row are read from L1 by all of its tiles; the last row block may have fewer vectors. */
static void fwd_range(void *arg, int64_t t0, int64_t t1, int worker)
{
    const fwd_job *j = arg;
    int64_t per_row = j->row_blocks * j->blocks, per_image = j->tile_rows * per_row;
    int wide = j->O == tile_channels[j->P - 1][0] ? 0 : 1;
    /* a short last row block (or row group) runs the full tile too: its extra vectors read the zero padding
     * and are not stored */
    fwd_tile_fn f = j->rows ? row_tile_fns[j->K == 3][j->P == 4][wide] : tile_fns[j->K == 3][j->P - 1][wide];
    int64_t row_step = j->rows ? j->P : 1;
    for (int64_t t = t0; t < t1; t++) {
        int64_t n = t / per_image, r = t % per_image, oh = r / per_row * row_step, rb = r % per_row / j->blocks,
                ob = r % j->blocks;
        f(j, padded_image(&j->pp, n, worker), n, ob * j->O, oh, rb * j->P * LANES);
    }
}

static fv_scratch_slot spare_weights;

/* O for P vectors: of the tile's two channel counts, the one that pads OC least (the wider on a tie). */
static int block_channels(int P, int64_t OC)
{
    int a = tile_channels[P - 1][0], b = tile_channels[P - 1][1];
    int64_t pa = (OC + a - 1) / a * a, pb = (OC + b - 1) / b * b;
    return pb < pa ? b : a;
}

/* wp, block by block, from weight (OC, C, K, K), or from its gradient's form when flip: the filter of
 * (output c, input oc) is weight[oc][c] turned by 180 degrees. Zero past the last output channel. */
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

/* out = clamp(bias + conv) or out += conv, for geometry g whose weights are packed from weight (flip: the
 * input gradient's form, weight then being (C, OC, 3, 3) of the forward convolution). */
static bool forward_run(int threads, float *out, const float *inp, const float *weight, bool flip,
                        const float *bias, float clamp_hi, bool add, const fv_conv_geom *g)
{
    int64_t vectors = (g->OW + LANES - 1) / LANES;
    bool rows = vectors == 1 && g->OH >= 2;
    int P = rows || vectors >= 4 ? 4 : (int)vectors, K = (int)g->KH, O = block_channels(P, g->OC);
    int64_t blocks = (g->OC + O - 1) / O, row_blocks = rows ? 1 : (vectors + P - 1) / P;
    int64_t tile_rows = rows ? (g->OH + P - 1) / P : g->OH;
    if (threads < 1) threads = 1;
    fwd_job j = {.g = g, .bias = bias, .out = out, .clamp_hi = clamp_hi, .add = add, .K = K, .P = P, .O = O,
                 .rows = rows, .blocks = blocks, .row_blocks = row_blocks, .tile_rows = tile_rows};
    /* every tile reads P whole vectors plus K - 1 columns from its row block's start */
    bool in_place = K == 1 && g->pt == 0 && g->pl == 0 && g->W % LANES == 0 && g->OW == g->W && g->OH == g->H &&
                    vectors % P == 0;
    bool ok = pad_plan_make(&j.pp, g, inp, (rows ? 1 : row_blocks * P) * LANES + K - 1, tile_rows * (rows ? P : 1),
                            in_place, 1, threads);
    float *wp = fv_scratch_take(&spare_weights, (size_t)(blocks * g->C * K * K * O) * sizeof(float));
    if (ok && wp) {
        pack_weights(wp, weight, g->OC, g->C, K * K, O, blocks, flip);
        j.wp = wp;
        int64_t tiles = g->N * blocks * tile_rows * row_blocks;
        /* whole images a chunk, unless there are too few to share (each worker then pads the image too) */
        int64_t grain = g->N >= 2 * threads ? tile_rows * row_blocks * blocks : row_blocks * blocks;
        fv_parallel_for(threads, tiles, grain, fwd_range, &j);
    }
    fv_scratch_give(&spare_weights, wp), pad_plan_free(&j.pp);
    return ok && wp;
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

bool fv_direct_conv_backward_input(int threads, float *dinp, const float *dout, const float *weight, bool add,
                                   const fv_conv_geom *g)
{
    fv_conv_geom t = input_gradient_geometry(g);
    return forward_run(threads, dinp, dout, weight, true, NULL, 0.0f, add, &t);
}

/* ---- weight gradient ----------------------------------------------------------------------------------- */

typedef struct {
    const fv_conv_geom *g;
    const float *dout;
    float *parts; /* per chunk: (OC, C, 3, 3) */
    int64_t chunks;
    pad_plan pp;
} wgrad_job;

/* dW tile: WO output channels from oc0 x the 9 taps of input channel c, over `images` images from n0 (padded
 * in pads[]), added to part. For each 16-pixel vector of dout it loads WO vectors of dout and the 9 vectors of
 * the padded input under the taps: 9 + WO loads for 9 WO multiply-adds, no masks but on a row's last, partial
 * vector of dout. The lanes are summed once per tile: over a chunk of images, not each one (a 16x16 map has
 * only 16 vectors). */
#define WGRAD_TILE(NAME, WO)                                                                                    \
    __attribute__((target("avx512f"))) static void NAME(const wgrad_job *j, const float *const *pads,           \
                                                        float *part, int64_t n0, int images, int64_t oc0,       \
                                                        int64_t c)                                              \
    {                                                                                                          \
        const fv_conv_geom *g = j->g;                                                                          \
        int64_t vectors = (g->OW + LANES - 1) / LANES, pw = j->pp.PW;                                          \
        __mmask16 tail = (__mmask16)((1u << (g->OW - (vectors - 1) * LANES)) - 1);                             \
        __m512 acc[WO][9];                                                                                     \
        _Pragma("GCC unroll 4") for (int o = 0; o < WO; o++)                                                   \
        {                                                                                                      \
            _Pragma("GCC unroll 9") for (int k = 0; k < 9; k++) acc[o][k] = _mm512_setzero_ps();               \
        }                                                                                                      \
        for (int i = 0; i < images; i++) {                                                                     \
            const float *dy = j->dout + ((n0 + i) * g->OC + oc0) * g->OH * g->OW;                              \
            const float *x = pads[i] + c * j->pp.PH * pw + j->pp.shift;                                        \
            for (int64_t oh = 0; oh < g->OH; oh++, x += pw, dy += g->OW)                                       \
                for (int64_t v = 0; v < vectors; v++) {                                                        \
                    __mmask16 live = v + 1 < vectors ? (__mmask16)0xffff : tail;                               \
                    __m512 d[WO];                                                                              \
                    _Pragma("GCC unroll 4") for (int o = 0; o < WO; o++) d[o] =                                \
                        _mm512_maskz_loadu_ps(live, dy + o * g->OH * g->OW + v * LANES);                       \
                    _Pragma("GCC unroll 3") for (int kh = 0; kh < 3; kh++)                                     \
                    {                                                                                          \
                        _Pragma("GCC unroll 3") for (int kw = 0; kw < 3; kw++)                                 \
                        {                                                                                      \
                            __m512 xv = _mm512_loadu_ps(x + kh * pw + kw + v * LANES);                         \
                            __asm__("" : "+v"(xv)); /* one load for WO products, not one folded into each */   \
                            _Pragma("GCC unroll 4") for (int o = 0; o < WO; o++) acc[o][kh * 3 + kw] =         \
                                _mm512_fmadd_ps(d[o], xv, acc[o][kh * 3 + kw]);                                \
                        }                                                                                      \
                    }                                                                                          \
                }                                                                                              \
        }                                                                                                      \
        _Pragma("GCC unroll 4") for (int o = 0; o < WO; o++)                                                   \
        {                                                                                                      \
            float *dst = part + ((oc0 + o) * g->C + c) * 9;                                                    \
            _Pragma("GCC unroll 9") for (int k = 0; k < 9; k++) dst[k] += _mm512_reduce_add_ps(acc[o][k]);     \
        }                                                                                                      \
    }
WGRAD_TILE(wgrad_3, 3)
WGRAD_TILE(wgrad_2, 2)
WGRAD_TILE(wgrad_1, 1)

/* Chunks [k0, k1): each its images in order into its own part; output channels in tiles of 3, the last ones
 * in tiles of 2 or 1. */
static void wgrad_chunks(void *arg, int64_t k0, int64_t k1, int worker)
{
    const wgrad_job *j = arg;
    const fv_conv_geom *g = j->g;
    int64_t wsize = g->OC * g->C * 9;
    for (int64_t k = k0; k < k1; k++) {
        float *part = j->parts + k * wsize;
        memset(part, 0, (size_t)wsize * sizeof(float));
        int64_t n0 = k * WGRAD_IMAGES;
        int images = g->N - n0 < WGRAD_IMAGES ? (int)(g->N - n0) : WGRAD_IMAGES;
        const float *pads[WGRAD_IMAGES];
        for (int i = 0; i < images; i++) pads[i] = padded_image(&j->pp, n0 + i, worker);
        /* input channel outer: its padded planes stay in L1/L2 while every output channel's tiles read them,
         * and the chunk's dout (OC planes an image) stays in L2 across input channels; output channels outer
         * streamed all the padded planes from L3 once per tile column */
        for (int64_t c = 0; c < g->C; c++)
            for (int64_t oc = 0; oc < g->OC;) {
                int64_t left = g->OC - oc;
                int wo = left == 4 ? 2 : left >= 3 ? 3 : (int)left; /* 4 left: two tiles of 2, not 3 and a thin 1 */
                if (wo == 3) wgrad_3(j, pads, part, n0, images, oc, c);
                else if (wo == 2) wgrad_2(j, pads, part, n0, images, oc, c);
                else wgrad_1(j, pads, part, n0, images, oc, c);
                oc += wo;
            }
    }
}

/* 1x1 (no padding, so an image's plane is one run of OH * OW pixels): a tile of PO output channels x PC input
 * channels from (oc0, c0) accumulates dout times the input over the chunk's images, 24 accumulators against
 * 10 loads a vector; the channels past OC or C of a partial tile read channel oc0 or c0 again and are not
 * stored. */
#define PW_O 4
#define PW_C 6
__attribute__((target("avx512f"))) static void pointwise_wgrad_tile(const wgrad_job *j, const float *inp,
                                                                   float *part, int64_t n0, int images, int64_t oc0,
                                                                   int64_t c0)
{
    const fv_conv_geom *g = j->g;
    int64_t P = g->OH * g->OW, vectors = (P + LANES - 1) / LANES;
    __mmask16 tail = (__mmask16)((1u << (P - (vectors - 1) * LANES)) - 1);
    int64_t on = g->OC - oc0 < PW_O ? g->OC - oc0 : PW_O, cn = g->C - c0 < PW_C ? g->C - c0 : PW_C;
    __m512 acc[PW_O][PW_C];
#pragma GCC unroll 4
    for (int o = 0; o < PW_O; o++)
#pragma GCC unroll 6
        for (int k = 0; k < PW_C; k++) acc[o][k] = _mm512_setzero_ps();
    for (int i = 0; i < images; i++) {
        const float *dy[PW_O], *x[PW_C];
        for (int o = 0; o < PW_O; o++) dy[o] = j->dout + ((n0 + i) * g->OC + oc0 + (o < on ? o : 0)) * P;
        for (int k = 0; k < PW_C; k++) x[k] = inp + ((n0 + i) * g->C + c0 + (k < cn ? k : 0)) * P;
        for (int64_t v = 0; v < vectors; v++) {
            __mmask16 live = v + 1 < vectors ? (__mmask16)0xffff : tail;
            __m512 d[PW_O];
#pragma GCC unroll 4
            for (int o = 0; o < PW_O; o++) d[o] = _mm512_maskz_loadu_ps(live, dy[o] + v * LANES);
#pragma GCC unroll 6
            for (int k = 0; k < PW_C; k++) {
                __m512 xv = _mm512_maskz_loadu_ps(live, x[k] + v * LANES);
                __asm__("" : "+v"(xv)); /* one load for PW_O products, not one folded into each */
#pragma GCC unroll 4
                for (int o = 0; o < PW_O; o++) acc[o][k] = _mm512_fmadd_ps(d[o], xv, acc[o][k]);
            }
        }
    }
    for (int o = 0; o < on; o++)
        for (int k = 0; k < cn; k++) part[(oc0 + o) * g->C + c0 + k] += _mm512_reduce_add_ps(acc[o][k]);
}

static void pointwise_wgrad_chunks(void *arg, int64_t k0, int64_t k1, int worker)
{
    const wgrad_job *j = arg;
    const fv_conv_geom *g = j->g;
    int64_t wsize = g->OC * g->C;
    (void)worker;
    for (int64_t k = k0; k < k1; k++) {
        float *part = j->parts + k * wsize;
        memset(part, 0, (size_t)wsize * sizeof(float));
        int64_t n0 = k * WGRAD_IMAGES;
        int images = g->N - n0 < WGRAD_IMAGES ? (int)(g->N - n0) : WGRAD_IMAGES;
        for (int64_t oc = 0; oc < g->OC; oc += PW_O)
            for (int64_t c = 0; c < g->C; c += PW_C) pointwise_wgrad_tile(j, j->pp.inp, part, n0, images, oc, c);
    }
}

static fv_scratch_slot spare_parts;

bool fv_direct_conv_backward_weight(int threads, float *dweight, const float *dout, const float *inp,
                                    const fv_conv_geom *g)
{
    if (threads < 1) threads = 1;
    bool pointwise = g->KH == 1;
    int64_t vectors = (g->OW + LANES - 1) / LANES, wsize = g->OC * g->C * g->KH * g->KW;
    int64_t chunks = (g->N + WGRAD_IMAGES - 1) / WGRAD_IMAGES;
    wgrad_job j = {.g = g, .dout = dout, .chunks = chunks};
    /* 1x1 reads the input in place (it has no padding) */
    bool ok = pointwise ? (j.pp.inp = inp, true)
                        : pad_plan_make(&j.pp, g, inp, vectors * LANES + 2, g->OH, false, WGRAD_IMAGES, threads);
    float *parts = fv_scratch_take(&spare_parts, (size_t)(chunks * wsize) * sizeof(float));
    if (ok && parts) {
        j.parts = parts;
        fv_parallel_for(threads, chunks, 1, pointwise ? pointwise_wgrad_chunks : wgrad_chunks, &j);
        fv_add_partials(threads, dweight, parts, chunks, wsize);
    }
    fv_scratch_give(&spare_parts, parts);
    if (!pointwise) pad_plan_free(&j.pp);
    return ok && parts;
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
bool fv_direct_conv_backward_input(int threads, float *dinp, const float *dout, const float *weight, bool add,
                                   const fv_conv_geom *g)
{
    (void)threads, (void)dinp, (void)dout, (void)weight, (void)add, (void)g;
    return false;
}
bool fv_direct_conv_backward_weight(int threads, float *dweight, const float *dout, const float *inp,
                                    const fv_conv_geom *g)
{
    (void)threads, (void)dweight, (void)dout, (void)inp, (void)g;
    return false;
}

#endif
