/* Packed, blocked SGEMM (the structure of Goto's algorithm): C is cut into NC-wide column panels and MC-high
 * row blocks; for each KC-deep slice, a panel of op(B) and a block of op(A) are copied into contiguous strips
 * (NR columns, MR rows) and a micro-kernel keeps an MR x NR tile of C in vector registers while it walks K.
 * The micro-kernel is the only code that differs between vector levels. One team of threads shares the
 * packing and claims tiles dynamically (a thread slowed by another process holds up little); K is never
 * split, so each element of C is summed in one fixed order whatever the thread count. */
#include <stdlib.h>
#include <string.h>

#include "../../core/cpu.h"
#include "../../core/pool.h"
#include "../../core/scratch.h"
#include "../clamp.h"
#include "gemm.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define FV_X86 1
#endif

#define KC 256
#define MC_TILES 16   /* MC = 16 micro-tiles of rows */
/* A narrow product (its packed panel of B at most NARROW_BYTES per slice, as for a convolution over a 7x7 or
 * 14x14 map) packs all of A's rows in one block, up to MC_NARROW micro-tiles, and walks the tiles row strip by
 * row strip: each strip of A is used across the whole (cache-resident) panel of B, and a slice needs two
 * barriers instead of two per block of rows, which on such products cost more than the arithmetic. */
#define NARROW_BYTES (256 * 1024)
/* A plain B (no pack_b, not transposed) is read in place when A has at most this many rows: packing a strip of
 * B then costs as much as the few tiles that reuse it. The 1x1 projections of MobileNetV2 (16 to 48 output
 * channels) ran 20-40% faster this way (32->16 at 112x112: 229 -> 162 us; 144->24 at 56x56: 230 -> 144 us);
 * at 96 rows the two measured the same. */
#define IN_PLACE_ROWS 48
#define MC_NARROW 512
#define NC 3072
#define MAX_MR 12
#define MAX_NR 32

/* How a micro-kernel writes its tile: C = alpha acc + beta C, or (row_init set, the first slice of a product
 * that adds a bias) row_init[i] + alpha acc without reading C; then, with hi > 0 (the last slice of a product
 * with a fused relu or relu6), clamped to [0, hi] with NaN becoming 0. Done as the tile is stored, so that a
 * fused bias and activation cost no extra pass over C. */
typedef struct {
    float alpha, beta;
    const float *row_init; /* the tile's first row's value, or NULL */
    float hi;
} tile_store;

typedef void (*micro_kernel)(int64_t kc, const float *a, const float *b, float *c, int64_t ldc, int mr, int nr,
                             const tile_store *s);

typedef struct {
    int mr, nr;
    micro_kernel kernel;
    /* the same reading strips of a plain B in place (rows ldb apart), a last partial one included, where this
     * level has one */
    void (*in_place)(int64_t kc, const float *a, const float *b, int64_t ldb, float *c, int64_t ldc, int mr, int nr,
                     const tile_store *s);
} gemm_arch;

/* c = alpha * acc + beta * c, in this order of roundings at every vector level; beta 0 never reads c (it may
 * hold NaN), and alpha 1 or beta 1 skip their products (which would not change the result anyway). */
static inline float combine(float acc, float c, float alpha, float beta)
{
    float v = alpha == 1.0f ? acc : alpha * acc;
    return beta == 0.0f ? v : beta == 1.0f ? c + v : beta * c + v;
}

/* The value stored for acc over c in row i of the tile (see tile_store). */
static inline float finish(float acc, const float *c, int i, const tile_store *s)
{
    float v = s->row_init ? combine(acc, s->row_init[i], s->alpha, 1.0f) : combine(acc, *c, s->alpha, s->beta);
    return s->hi > 0.0f ? fv_clamp0(v, s->hi) : v;
}

/* Write an MR x NR tile held in acc (row-major, nr_full wide) to C, only the mr x nr part that exists. */
static inline void store_tile(const float *acc, int nr_full, float *c, int64_t ldc, int mr, int nr,
                              const tile_store *s)
{
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++) c[i * ldc + j] = finish(acc[i * nr_full + j], c + i * ldc + j, i, s);
}

/* ---- portable: 4 x 8 tiles in plain C ------------------------------------------------------------- */

static void kernel_portable(int64_t kc, const float *a, const float *b, float *c, int64_t ldc, int mr, int nr,
                            const tile_store *s)
{
    float acc[4 * 8] = {0};
    for (int64_t k = 0; k < kc; k++)
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 8; j++) acc[i * 8 + j] += a[k * 4 + i] * b[k * 8 + j];
    store_tile(acc, 8, c, ldc, mr, nr, s);
}

#ifdef FV_X86
/* ---- AVX2 + FMA: 6 x 16 tiles, 12 accumulators ---------------------------------------------------------- */

/* finish() on 8 lanes of row i; max then min give the select's results, NaN included (max returns its second
 * operand, 0, when the first is NaN) */
__attribute__((target("avx2,fma"))) static inline __m256 finish8(__m256 acc, const float *c, int i, const tile_store *s)
{
    __m256 v = s->alpha == 1.0f ? acc : _mm256_mul_ps(_mm256_set1_ps(s->alpha), acc);
    if (s->row_init) {
        v = _mm256_add_ps(_mm256_set1_ps(s->row_init[i]), v);
    } else if (s->beta != 0.0f) {
        __m256 old = _mm256_loadu_ps(c);
        v = _mm256_add_ps(s->beta == 1.0f ? old : _mm256_mul_ps(_mm256_set1_ps(s->beta), old), v);
    }
    if (s->hi > 0.0f) /* clamp.h: a NaN passes as PyTorch's clamp lets it */
        v = _mm256_add_ps(_mm256_min_ps(_mm256_set1_ps(s->hi), _mm256_max_ps(_mm256_setzero_ps(), v)), _mm256_setzero_ps());
    return v;
}

/* B's rows are ldb floats apart: 16 in a packed strip, a matrix's row length when B is read in place. With
 * `partial` (a constant at each call), only B's first nr < 16 columns exist and are read with masked loads,
 * which never touch the columns past them: the last strip of a B read in place, which would otherwise be packed
 * again for every tile that reads it. */
__attribute__((target("avx2,fma"), always_inline)) static inline void kernel_avx2_body(int64_t kc, const float *a, const float *b,
        int64_t ldb, float *c, int64_t ldc, int mr, int nr, const tile_store *s, bool partial)
{
    __m256i m0 = _mm256_setzero_si256(), m1 = _mm256_setzero_si256();
    if (partial) {
        __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), n = _mm256_set1_epi32(nr);
        m0 = _mm256_cmpgt_epi32(n, lane), m1 = _mm256_cmpgt_epi32(n, _mm256_add_epi32(lane, _mm256_set1_epi32(8)));
    }
    /* named accumulators: an array would be kept in memory by the compiler */
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps(), c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(), c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps(), c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
    for (int i = 0; i < mr; i++) /* C's rows: fetched while the products run, not after */
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0), _mm_prefetch((const char *)(c + i * ldc + nr - 1), _MM_HINT_T0);
    for (int64_t k = 0; k < kc; k++) {
        __m256 b0, b1, ai;
        if (partial)
            b0 = _mm256_maskload_ps(b + k * ldb, m0), b1 = _mm256_maskload_ps(b + k * ldb + 8, m1);
        else
            b0 = _mm256_loadu_ps(b + k * ldb), b1 = _mm256_loadu_ps(b + k * ldb + 8);
        ai = _mm256_broadcast_ss(a + k * 6 + 0), c00 = _mm256_fmadd_ps(ai, b0, c00), c01 = _mm256_fmadd_ps(ai, b1, c01);
        ai = _mm256_broadcast_ss(a + k * 6 + 1), c10 = _mm256_fmadd_ps(ai, b0, c10), c11 = _mm256_fmadd_ps(ai, b1, c11);
        ai = _mm256_broadcast_ss(a + k * 6 + 2), c20 = _mm256_fmadd_ps(ai, b0, c20), c21 = _mm256_fmadd_ps(ai, b1, c21);
        ai = _mm256_broadcast_ss(a + k * 6 + 3), c30 = _mm256_fmadd_ps(ai, b0, c30), c31 = _mm256_fmadd_ps(ai, b1, c31);
        ai = _mm256_broadcast_ss(a + k * 6 + 4), c40 = _mm256_fmadd_ps(ai, b0, c40), c41 = _mm256_fmadd_ps(ai, b1, c41);
        ai = _mm256_broadcast_ss(a + k * 6 + 5), c50 = _mm256_fmadd_ps(ai, b0, c50), c51 = _mm256_fmadd_ps(ai, b1, c51);
    }
    if (mr == 6 && nr == 16) { /* straight from the registers: a round trip through memory costs as much as a
                                  * short product (kc 16, a pointwise convolution over 16 channels) */
#define FV_ROW(i, a, b)                                                                                          \
    _mm256_storeu_ps(c + (i) * ldc, finish8(a, c + (i) * ldc, i, s)),                                            \
        _mm256_storeu_ps(c + (i) * ldc + 8, finish8(b, c + (i) * ldc + 8, i, s))
        FV_ROW(0, c00, c01), FV_ROW(1, c10, c11), FV_ROW(2, c20, c21);
        FV_ROW(3, c30, c31), FV_ROW(4, c40, c41), FV_ROW(5, c50, c51);
#undef FV_ROW
        return;
    }
    float tile[6 * 16];
    _mm256_storeu_ps(tile + 0, c00), _mm256_storeu_ps(tile + 8, c01);
    _mm256_storeu_ps(tile + 16, c10), _mm256_storeu_ps(tile + 24, c11);
    _mm256_storeu_ps(tile + 32, c20), _mm256_storeu_ps(tile + 40, c21);
    _mm256_storeu_ps(tile + 48, c30), _mm256_storeu_ps(tile + 56, c31);
    _mm256_storeu_ps(tile + 64, c40), _mm256_storeu_ps(tile + 72, c41);
    _mm256_storeu_ps(tile + 80, c50), _mm256_storeu_ps(tile + 88, c51);
    store_tile(tile, 16, c, ldc, mr, nr, s);
}

__attribute__((target("avx2,fma"))) static void kernel_avx2(int64_t kc, const float *a, const float *b, float *c,
        int64_t ldc, int mr, int nr, const tile_store *s)
{
    kernel_avx2_body(kc, a, b, 16, c, ldc, mr, nr, s, false);
}

__attribute__((target("avx2,fma"))) static void kernel_avx2_in_place(int64_t kc, const float *a, const float *b,
        int64_t ldb, float *c, int64_t ldc, int mr, int nr, const tile_store *s)
{
    if (nr == 16) kernel_avx2_body(kc, a, b, ldb, c, ldc, mr, nr, s, false);
    else kernel_avx2_body(kc, a, b, ldb, c, ldc, mr, nr, s, true);
}

/* ---- AVX-512: 12 x 32 tiles, 24 accumulators ----------------------------------------------------------- */

/* finish() on 16 lanes of row i, as finish8 */
__attribute__((target("avx512f"))) static inline __m512 finish16(__m512 acc, const float *c, int i,
                                                                 const tile_store *s)
{
    __m512 v = s->alpha == 1.0f ? acc : _mm512_mul_ps(_mm512_set1_ps(s->alpha), acc);
    if (s->row_init) {
        v = _mm512_add_ps(_mm512_set1_ps(s->row_init[i]), v);
    } else if (s->beta != 0.0f) {
        __m512 old = _mm512_loadu_ps(c);
        v = _mm512_add_ps(s->beta == 1.0f ? old : _mm512_mul_ps(_mm512_set1_ps(s->beta), old), v);
    }
    if (s->hi > 0.0f)
        v = _mm512_add_ps(_mm512_min_ps(_mm512_set1_ps(s->hi), _mm512_max_ps(_mm512_setzero_ps(), v)), _mm512_setzero_ps());
    return v;
}

__attribute__((target("avx512f"))) static void kernel_avx512(int64_t kc, const float *a, const float *b, float *c,
        int64_t ldc, int mr, int nr, const tile_store *s)
{
    /* named accumulators: an array would be kept in memory by the compiler */
    __m512 c00 = _mm512_setzero_ps(), c01 = _mm512_setzero_ps(), c10 = _mm512_setzero_ps(), c11 = _mm512_setzero_ps(), c20 = _mm512_setzero_ps(), c21 = _mm512_setzero_ps(), c30 = _mm512_setzero_ps(), c31 = _mm512_setzero_ps(), c40 = _mm512_setzero_ps(), c41 = _mm512_setzero_ps(), c50 = _mm512_setzero_ps(), c51 = _mm512_setzero_ps(), c60 = _mm512_setzero_ps(), c61 = _mm512_setzero_ps(), c70 = _mm512_setzero_ps(), c71 = _mm512_setzero_ps(), c80 = _mm512_setzero_ps(), c81 = _mm512_setzero_ps(), c90 = _mm512_setzero_ps(), c91 = _mm512_setzero_ps(), c100 = _mm512_setzero_ps(), c101 = _mm512_setzero_ps(), c110 = _mm512_setzero_ps(), c111 = _mm512_setzero_ps();
    for (int64_t k = 0; k < kc; k++) {
        __m512 b0 = _mm512_loadu_ps(b + k * 32), b1 = _mm512_loadu_ps(b + k * 32 + 16), ai;
        ai = _mm512_set1_ps(a[k * 12 + 0]), c00 = _mm512_fmadd_ps(ai, b0, c00), c01 = _mm512_fmadd_ps(ai, b1, c01);
        ai = _mm512_set1_ps(a[k * 12 + 1]), c10 = _mm512_fmadd_ps(ai, b0, c10), c11 = _mm512_fmadd_ps(ai, b1, c11);
        ai = _mm512_set1_ps(a[k * 12 + 2]), c20 = _mm512_fmadd_ps(ai, b0, c20), c21 = _mm512_fmadd_ps(ai, b1, c21);
        ai = _mm512_set1_ps(a[k * 12 + 3]), c30 = _mm512_fmadd_ps(ai, b0, c30), c31 = _mm512_fmadd_ps(ai, b1, c31);
        ai = _mm512_set1_ps(a[k * 12 + 4]), c40 = _mm512_fmadd_ps(ai, b0, c40), c41 = _mm512_fmadd_ps(ai, b1, c41);
        ai = _mm512_set1_ps(a[k * 12 + 5]), c50 = _mm512_fmadd_ps(ai, b0, c50), c51 = _mm512_fmadd_ps(ai, b1, c51);
        ai = _mm512_set1_ps(a[k * 12 + 6]), c60 = _mm512_fmadd_ps(ai, b0, c60), c61 = _mm512_fmadd_ps(ai, b1, c61);
        ai = _mm512_set1_ps(a[k * 12 + 7]), c70 = _mm512_fmadd_ps(ai, b0, c70), c71 = _mm512_fmadd_ps(ai, b1, c71);
        ai = _mm512_set1_ps(a[k * 12 + 8]), c80 = _mm512_fmadd_ps(ai, b0, c80), c81 = _mm512_fmadd_ps(ai, b1, c81);
        ai = _mm512_set1_ps(a[k * 12 + 9]), c90 = _mm512_fmadd_ps(ai, b0, c90), c91 = _mm512_fmadd_ps(ai, b1, c91);
        ai = _mm512_set1_ps(a[k * 12 + 10]), c100 = _mm512_fmadd_ps(ai, b0, c100), c101 = _mm512_fmadd_ps(ai, b1, c101);
        ai = _mm512_set1_ps(a[k * 12 + 11]), c110 = _mm512_fmadd_ps(ai, b0, c110), c111 = _mm512_fmadd_ps(ai, b1, c111);
    }
    float tile[12 * 32];
    _mm512_storeu_ps(tile + 0, c00), _mm512_storeu_ps(tile + 16, c01);
    _mm512_storeu_ps(tile + 32, c10), _mm512_storeu_ps(tile + 48, c11);
    _mm512_storeu_ps(tile + 64, c20), _mm512_storeu_ps(tile + 80, c21);
    _mm512_storeu_ps(tile + 96, c30), _mm512_storeu_ps(tile + 112, c31);
    _mm512_storeu_ps(tile + 128, c40), _mm512_storeu_ps(tile + 144, c41);
    _mm512_storeu_ps(tile + 160, c50), _mm512_storeu_ps(tile + 176, c51);
    _mm512_storeu_ps(tile + 192, c60), _mm512_storeu_ps(tile + 208, c61);
    _mm512_storeu_ps(tile + 224, c70), _mm512_storeu_ps(tile + 240, c71);
    _mm512_storeu_ps(tile + 256, c80), _mm512_storeu_ps(tile + 272, c81);
    _mm512_storeu_ps(tile + 288, c90), _mm512_storeu_ps(tile + 304, c91);
    _mm512_storeu_ps(tile + 320, c100), _mm512_storeu_ps(tile + 336, c101);
    _mm512_storeu_ps(tile + 352, c110), _mm512_storeu_ps(tile + 368, c111);
    if (mr == 12 && nr == 32) {
        for (int i = 0; i < 12; i++)
            for (int h = 0; h < 32; h += 16)
                _mm512_storeu_ps(c + i * ldc + h, finish16(_mm512_loadu_ps(tile + i * 32 + h), c + i * ldc + h, i, s));
        return;
    }
    store_tile(tile, 32, c, ldc, mr, nr, s);
}
#endif

static gemm_arch arch(fv_simd_level level)
{
#ifdef FV_X86
    switch (level) {
    case FV_SIMD_AVX512: return (gemm_arch){12, 32, kernel_avx512, NULL};
    case FV_SIMD_AVX2: return (gemm_arch){6, 16, kernel_avx2, kernel_avx2_in_place};
    default: break;
    }
#endif
    return (gemm_arch){4, 8, kernel_portable, NULL};
}

/* ---- packing ---------------------------------------------------------------------------------------- */

/* dst[k * ld + r] = src[r * lds + k] for r < rows, k < kc: a transposing copy, the packing of a strip whose
 * rows are contiguous in memory. On x86 four rows at a time go through SSE 4x4 transposes (and a last pair
 * through unpacks): a scalar copy would store to a new cache line at every element. */
static void transpose_rows(float *dst, int ld, const float *src, int64_t lds, int rows, int64_t kc)
{
    int r = 0;
#ifdef FV_X86
    for (; r + 4 <= rows; r += 4) {
        const float *s0 = src + r * lds, *s1 = s0 + lds, *s2 = s1 + lds, *s3 = s2 + lds;
        int64_t k = 0;
        for (; k + 4 <= kc; k += 4) {
            __m128 a = _mm_loadu_ps(s0 + k), b = _mm_loadu_ps(s1 + k), c = _mm_loadu_ps(s2 + k),
                   d = _mm_loadu_ps(s3 + k);
            _MM_TRANSPOSE4_PS(a, b, c, d);
            _mm_storeu_ps(dst + k * ld + r, a), _mm_storeu_ps(dst + (k + 1) * ld + r, b);
            _mm_storeu_ps(dst + (k + 2) * ld + r, c), _mm_storeu_ps(dst + (k + 3) * ld + r, d);
        }
        for (; k < kc; k++)
            for (int j = 0; j < 4; j++) dst[k * ld + r + j] = src[(r + j) * lds + k];
    }
    if (r + 2 <= rows) {
        const float *s0 = src + r * lds, *s1 = s0 + lds;
        int64_t k = 0;
        for (; k + 4 <= kc; k += 4) {
            __m128 a = _mm_loadu_ps(s0 + k), b = _mm_loadu_ps(s1 + k);
            __m128 lo = _mm_unpacklo_ps(a, b), hi = _mm_unpackhi_ps(a, b); /* a0 b0 a1 b1, a2 b2 a3 b3 */
            _mm_storel_pi((__m64 *)(dst + k * ld + r), lo), _mm_storeh_pi((__m64 *)(dst + (k + 1) * ld + r), lo);
            _mm_storel_pi((__m64 *)(dst + (k + 2) * ld + r), hi), _mm_storeh_pi((__m64 *)(dst + (k + 3) * ld + r), hi);
        }
        for (; k < kc; k++) dst[k * ld + r] = s0[k], dst[k * ld + r + 1] = s1[k];
        r += 2;
    }
#endif
    for (; r < rows; r++)
        for (int64_t k = 0; k < kc; k++) dst[k * ld + r] = src[r * lds + k];
}

/* Strip of op(A)'s rows [i0, i0 + rows), columns [p0, p0 + kc) as ap[k * mr + r], zero in rows past `rows`. */
static void pack_a(float *ap, int mr, bool ta, const float *A, int64_t lda, int64_t i0, int rows, int64_t p0,
                   int64_t kc)
{
    if (ta) { /* op(A)'s column p0 + k is A's row p0 + k: contiguous */
        if (rows == mr) { /* whole strips: fixed-size copies, which compile to a few vector moves */
            for (int64_t k = 0; k < kc; k++) {
                const float *src = A + (p0 + k) * lda + i0;
                float *dst = ap + k * mr;
                if (mr == 6) memcpy(dst, src, 6 * sizeof(float));
                else if (mr == 12) memcpy(dst, src, 12 * sizeof(float));
                else memcpy(dst, src, (size_t)mr * sizeof(float));
            }
            return;
        }
        for (int64_t k = 0; k < kc; k++) {
            const float *src = A + (p0 + k) * lda + i0;
            float *dst = ap + k * mr;
            for (int r = 0; r < rows; r++) dst[r] = src[r];
            for (int r = rows; r < mr; r++) dst[r] = 0.0f;
        }
        return;
    }
    transpose_rows(ap, mr, A + i0 * lda + p0, lda, rows, kc);
    for (int64_t k = 0; rows < mr && k < kc; k++)
        for (int r = rows; r < mr; r++) ap[k * mr + r] = 0.0f;
}

#ifdef FV_X86
/* A whole strip of 16 columns of a plain B: two loads and two stores a row in a tight loop (a per-row loop of
 * unknown length costs more than the copy on the short rows of a convolution's products). */
__attribute__((target("avx2"))) static void copy_rows16_avx2(float *bp, const float *src, int64_t ldb, int64_t kc)
{
    for (int64_t k = 0; k < kc; k++) {
        __m256 a = _mm256_loadu_ps(src + k * ldb), b = _mm256_loadu_ps(src + k * ldb + 8);
        _mm256_storeu_ps(bp + k * 16, a), _mm256_storeu_ps(bp + k * 16 + 8, b);
    }
}
#endif

/* Strip of op(B)'s columns [j0, j0 + cols), rows [p0, p0 + kc) as bp[k * nr + c], zero in columns past `cols`. */
static void pack_b(float *bp, int nr, bool tb, const float *B, int64_t ldb, int64_t j0, int cols, int64_t p0,
                   int64_t kc)
{
#ifdef FV_X86
    if (!tb && nr == 16 && cols == 16 && fv_simd_level_get() >= FV_SIMD_AVX2) {
        copy_rows16_avx2(bp, B + p0 * ldb + j0, ldb, kc);
        return;
    }
#endif
    if (tb) { /* op(B)'s column j0 + c is B's row j0 + c */
        transpose_rows(bp, nr, B + j0 * ldb + p0, ldb, cols, kc);
        for (int64_t k = 0; cols < nr && k < kc; k++)
            for (int c = cols; c < nr; c++) bp[k * nr + c] = 0.0f;
        return;
    }
    for (int64_t k = 0; k < kc; k++) { /* nr floats a row, copied inline: a call to memcpy costs more */
        const float *src = B + (p0 + k) * ldb + j0;
        float *dst = bp + k * nr;
        if (cols == nr) {
#pragma omp simd
            for (int c = 0; c < nr; c++) dst[c] = src[c];
            continue;
        }
        for (int c = 0; c < cols; c++) dst[c] = src[c];
        for (int c = cols; c < nr; c++) dst[c] = 0.0f;
    }
}

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

void fv_gemm(int threads, bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float *A,
             int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc)
{
    fv_gemm_at(fv_simd_level_get(), threads, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

/* op(A) packed for every KC-deep slice: slice pc holds the MR-row strips of all of A's rows, each kc x mr, so
 * a product's block [ic, ic + mc) of slice pc starts at packed_offset and is laid out as pack_a_strips would
 * have packed it. Rows past M are zero. op(B) packed the same way (b set), with NR-column strips of its N
 * columns in place of A's rows: a panel [jc, jc + nc) of slice pc starts at packed_offset(p, jc, pc, kc). */
struct fv_gemm_packed {
    int64_t M, K, strips; /* M: A's rows, or B's columns */
    int mr;               /* or nr */
    bool b;
    float *data;
};

static int64_t packed_offset(const fv_gemm_packed *p, int64_t ic, int64_t pc, int64_t kc)
{
    return pc * p->strips * p->mr + ic / p->mr * kc * p->mr;
}

typedef struct {
    fv_gemm_packed *p;
    bool ta;
    const float *A;
    int64_t lda;
} pack_all_job;

static void pack_all_strips(void *q, int64_t s0, int64_t s1, int worker)
{
    const pack_all_job *j = q;
    const fv_gemm_packed *p = j->p;
    for (int64_t s = s0; s < s1; s++)
        for (int64_t pc = 0; pc < p->K; pc += KC) {
            int64_t kc = min64(KC, p->K - pc);
            float *dst = p->data + packed_offset(p, s * p->mr, pc, kc);
            int n = (int)min64(p->mr, p->M - s * p->mr);
            if (p->b) pack_b(dst, p->mr, j->ta, j->A, j->lda, s * p->mr, n, pc, kc);
            else pack_a(dst, p->mr, j->ta, j->A, j->lda, s * p->mr, n, pc, kc);
        }
}

static fv_gemm_packed *pack_all(int threads, bool b, bool t, int64_t M, int64_t K, const float *A, int64_t lda)
{
    fv_gemm_packed *p = calloc(1, sizeof *p);
    if (!p || M <= 0 || K <= 0) return free(p), NULL;
    gemm_arch g = arch(fv_simd_level_get());
    int w = b ? g.nr : g.mr;
    *p = (fv_gemm_packed){M, K, (M + w - 1) / w, w, b, NULL};
    p->data = calloc((size_t)(p->strips * w * K), sizeof(float));
    if (!p->data) return free(p), NULL;
    pack_all_job j = {p, t, A, lda};
    fv_parallel_for(threads, p->strips, 8, pack_all_strips, &j);
    return p;
}

fv_gemm_packed *fv_gemm_pack_a(int threads, bool ta, int64_t M, int64_t K, const float *A, int64_t lda)
{
    return pack_all(threads, false, ta, M, K, A, lda);
}

fv_gemm_packed *fv_gemm_pack_b(int threads, bool tb, int64_t K, int64_t N, const float *B, int64_t ldb)
{
    return pack_all(threads, true, tb, N, K, B, ldb);
}

/* Element (i, k) of op(A) in a packed A, or (k, i) of op(B) in a packed B. */
static float packed_at(const fv_gemm_packed *p, int64_t i, int64_t k)
{
    int64_t pc = k / KC * KC, kc = min64(KC, p->K - pc);
    return p->data[packed_offset(p, i - i % p->mr, pc, kc) + (k - pc) * p->mr + i % p->mr];
}

void fv_gemm_packed_free(fv_gemm_packed *p)
{
    if (p) free(p->data);
    free(p);
}

/* Tiles per dynamic claim: enough work per claim to hide the shared counter, few enough that a thread slowed by
 * another process leaves little for the others to wait on. Which thread computes a tile never changes its sum. */
#define TILES_PER_CLAIM 4

/* One product, as every thread of the team sees it. */
typedef struct {
    gemm_arch g;
    fv_gemm_op op;
    int64_t mc_max;
    bool narrow;    /* see NARROW_BYTES */
    float *ap, *bp;   /* the shared packing buffers (bp unused when in_place) */
    bool in_place;    /* B is read where it is (see IN_PLACE_ROWS) */
} gemm_job;

/* The three worksharing loops of a slice, as chunk bodies. */
typedef struct {
    const gemm_job *j;
    int64_t jc, nc, pc, kc, ic, mc, m_strips, n_strips;
    bool narrow; /* tiles row strip by row strip (t = is * n_strips + js) */
    float beta;
    const float *ap; /* the packed strips of A's block [ic, ic + mc): the shared buffer, or a part of a_packed */
    const float *bp; /* the packed strips of B's panel: the shared buffer, or a part of b_packed */
} slice_ctx;

static void pack_b_strips(void *p, int64_t s0, int64_t s1, int worker)
{
    const slice_ctx *c = p;
    const gemm_arch *g = &c->j->g;
    const fv_gemm_op *o = &c->j->op;
    for (int64_t s = s0; s < s1; s++) {
        float *bp = c->j->bp + s * c->kc * g->nr;
        int cols = (int)min64(g->nr, c->nc - s * g->nr);
        if (o->pack_b)
            o->pack_b(o->b_src, bp, g->nr, c->jc + s * g->nr, cols, c->pc, c->kc);
        else
            pack_b(bp, g->nr, o->tb, o->B, o->ldb, c->jc + s * g->nr, cols, c->pc, c->kc);
    }
}

static void pack_a_strips(void *p, int64_t s0, int64_t s1, int worker)
{
    const slice_ctx *c = p;
    const gemm_arch *g = &c->j->g;
    const fv_gemm_op *o = &c->j->op;
    for (int64_t s = s0; s < s1; s++)
        pack_a(c->j->ap + s * c->kc * g->mr, g->mr, o->ta, o->A, o->lda, c->ic + s * g->mr,
               (int)min64(g->mr, c->mc - s * g->mr), c->pc, c->kc);
}

/* Tiles t = js * m_strips + is: a claim walks down a column of tiles, reusing one packed strip of B (or, when
 * narrow, t = is * n_strips + js: along a row of tiles, reusing one strip of A). */
static void tiles(void *p, int64_t t0, int64_t t1, int worker)
{
    const slice_ctx *c = p;
    const gemm_job *j = c->j;
    const fv_gemm_op *o = &j->op;
    const gemm_arch *g = &j->g;
    bool first = c->pc == 0, last = c->pc + c->kc == o->K;
    for (int64_t t = t0; t < t1; t++) {
        int64_t js = c->narrow ? t % c->n_strips : t / c->m_strips, is = c->narrow ? t / c->n_strips : t % c->m_strips;
        int64_t i0 = c->ic + is * g->mr;
        int mr = (int)min64(g->mr, c->mc - is * g->mr), nr = (int)min64(g->nr, c->nc - js * g->nr);
        float *ct = o->C + i0 * o->ldc + c->jc + js * g->nr;
        tile_store s = {o->alpha, c->beta, first && o->row_init ? o->row_init + i0 : NULL, last ? o->clamp_hi : 0.0f};
        const float *ap = c->ap + is * c->kc * g->mr;
        if (j->in_place) {
            g->in_place(c->kc, ap, o->B + c->pc * o->ldb + c->jc + js * g->nr, o->ldb, ct, o->ldc, mr, nr, &s);
        } else {
            g->kernel(c->kc, ap, c->bp + js * c->kc * g->nr, ct, o->ldc, mr, nr, &s);
        }
    }
}

/* The KC-deep slice [pc, pc + kc) of the NC-wide panel [jc, jc + nc), run by every member of the team: B's
 * strips are packed together, then for each MC-high block A's strips, then the tiles are shared out. Only
 * worksharing loops, whose closing barriers keep the shared buffers consistent (a buffer is refilled only
 * after every tile that reads it is done). */
/* B's strips [0, n_strips) and then A's strips of the first block of rows, as one loop: one barrier for both. */
static void pack_both_strips(void *p, int64_t s0, int64_t s1, int worker)
{
    const slice_ctx *c = p;
    int64_t mid = s0 > c->n_strips ? s0 : s1 < c->n_strips ? s1 : c->n_strips;
    if (s0 < mid) pack_b_strips(p, s0, mid, worker);
    if (mid < s1) pack_a_strips(p, mid - c->n_strips, s1 - c->n_strips, worker);
}

static void gemm_slice(fv_team *team, int worker, const gemm_job *j, int64_t jc, int64_t nc, int64_t pc, int64_t kc)
{
    const gemm_arch *g = &j->g;
    const fv_gemm_packed *pa = j->op.a_packed, *pb = j->op.b_packed;
    /* later slices add onto the first; so does the first onto row_init */
    slice_ctx c = {j, jc, nc, pc, kc, 0, 0, 0, 0, false, pc == 0 && !j->op.row_init ? j->op.beta : 1.0f, j->ap,
                   pb ? pb->data + packed_offset(pb, jc, pc, kc) : j->bp};
    c.n_strips = (nc + g->nr - 1) / g->nr;
    c.narrow = j->narrow;
    for (c.ic = 0; c.ic < j->op.M; c.ic += j->mc_max) {
        c.mc = min64(j->mc_max, j->op.M - c.ic), c.m_strips = (c.mc + g->mr - 1) / g->mr;
        bool pack_b = c.ic == 0 && !j->in_place && !pb; /* B's panel, once per slice, unless read in place or packed */
        if (pa) {
            c.ap = pa->data + packed_offset(pa, c.ic, pc, kc);
            if (pack_b) fv_team_for(team, worker, c.n_strips, 1, pack_b_strips, &c);
        } else {
            fv_team_for(team, worker, (pack_b ? c.n_strips : 0) + c.m_strips, 1,
                        pack_b ? pack_both_strips : pack_a_strips, &c);
        }
        fv_team_for(team, worker, c.n_strips * c.m_strips, TILES_PER_CLAIM, tiles, &c);
    }
}

/* One member's walk over the whole product: one team for all of it, since a fork per slice would cost more
 * than the slice on small products. */
static void gemm_member(void *p, fv_team *team, int worker)
{
    const gemm_job *j = p;
    for (int64_t jc = 0; jc < j->op.N; jc += NC)
        for (int64_t pc = 0; pc < j->op.K; pc += KC)
            gemm_slice(team, worker, j, jc, min64(NC, j->op.N - jc), pc, min64(KC, j->op.K - pc));
}

/* ---- strip by strip, for a packed A ---------------------------------------------------------------------- */

/* With A packed whole beforehand (a_packed: a convolution's or a transformer's weights), nothing is shared but
 * A, which is only read: each claim is a strip of B's columns and a block of A's rows, and its thread packs that
 * strip of B for itself, slice after slice, into its own buffer (a strip of B stays in the first-level cache)
 * and runs the block's tiles over it, finishing those tiles of C through every slice before the next claim. No
 * barrier at all, where the shared panels need two per slice, and no strip of B packed by one core and read by
 * another (which, on two cores that share no cache, costs a transfer per strip). Each tile of C is summed over
 * the slices in order by one thread: the same sums as the shared path. */
typedef struct {
    const gemm_job *j;
    int64_t m_strips, per_block, blocks; /* A's row strips, in blocks of per_block strips */
} strip_job;

static void strip_claims(void *p, int64_t u0, int64_t u1, int worker)
{
    const strip_job *sj = p;
    const gemm_job *j = sj->j;
    const fv_gemm_op *o = &j->op;
    const gemm_arch *g = &j->g;
    const fv_gemm_packed *pa = o->a_packed, *pb = o->b_packed;
    float *bp = j->bp ? j->bp + (int64_t)worker * KC * g->nr : NULL;
    for (int64_t u = u0; u < u1; u++) {
        int64_t js = u / sj->blocks, is0 = u % sj->blocks * sj->per_block, j0 = js * g->nr;
        int64_t is1 = min64(is0 + sj->per_block, sj->m_strips);
        int nr = (int)min64(g->nr, o->N - j0);
        for (int64_t pc = 0; pc < o->K; pc += KC) {
            int64_t kc = min64(KC, o->K - pc);
            const float *b = NULL;
            if (pb) b = pb->data + packed_offset(pb, j0, pc, kc);
            else if (!j->in_place && o->pack_b) o->pack_b(o->b_src, bp, g->nr, j0, nr, pc, kc), b = bp;
            else if (!j->in_place) pack_b(bp, g->nr, o->tb, o->B, o->ldb, j0, nr, pc, kc), b = bp;
            float beta = pc == 0 && !o->row_init ? o->beta : 1.0f;
            for (int64_t is = is0; is < is1; is++) {
                int64_t i0 = is * g->mr;
                int mr = (int)min64(g->mr, o->M - i0);
                float *ct = o->C + i0 * o->ldc + j0;
                tile_store s = {o->alpha, beta, pc == 0 && o->row_init ? o->row_init + i0 : NULL,
                                pc + kc == o->K ? o->clamp_hi : 0.0f};
                const float *ap = pa->data + packed_offset(pa, i0, pc, kc);
                if (j->in_place) g->in_place(kc, ap, o->B + pc * o->ldb + j0, o->ldb, ct, o->ldc, mr, nr, &s);
                else g->kernel(kc, ap, b, ct, o->ldc, mr, nr, &s);
            }
        }
    }
}

/* The largest A (floats) run strip by strip: every claim reads all of A, which must stay near (256 KiB). */
#define STRIP_A_MAX 65536

/* Row blocks of up to STRIP_ROWS strips of A: a block's slice (192 KiB at KC 256 on AVX2) stays in the
 * second-level cache while the strips of B pass. */
#define STRIP_ROWS 32

static void strip_major(int threads, const gemm_job *j)
{
    strip_job sj = {j, (j->op.M + j->g.mr - 1) / j->g.mr, 0, 0};
    int64_t n_strips = (j->op.N + j->g.nr - 1) / j->g.nr, blocks = (sj.m_strips + STRIP_ROWS - 1) / STRIP_ROWS;
    sj.per_block = (sj.m_strips + blocks - 1) / blocks;
    sj.blocks = (sj.m_strips + sj.per_block - 1) / sj.per_block;
    fv_parallel_for(threads, n_strips * sj.blocks, 1, strip_claims, &sj);
}

/* The product without packing or threads, for when packing buffers cannot be had, with the same extensions. */
static bool plain_run(const fv_gemm_op *o)
{
    float *strip = NULL;
    if (o->pack_b && !(strip = malloc((size_t)o->K * sizeof(float)))) return false;
    for (int64_t jj = 0; jj < o->N; jj++) {
        if (o->pack_b) o->pack_b(o->b_src, strip, 1, jj, 1, 0, o->K);
        for (int64_t i = 0; i < o->M; i++) {
            float s = 0.0f;
            for (int64_t k = 0; k < o->K; k++) {
                float a = o->a_packed ? packed_at(o->a_packed, i, k) : o->ta ? o->A[k * o->lda + i] : o->A[i * o->lda + k];
                float b = strip ? strip[k] : o->b_packed ? packed_at(o->b_packed, jj, k)
                                           : o->tb ? o->B[jj * o->ldb + k] : o->B[k * o->ldb + jj];
                s += a * b;
            }
            float *c = o->C + i * o->ldc + jj;
            *c = o->row_init ? o->row_init[i] + (o->alpha == 1.0f ? s : o->alpha * s) : combine(s, *c, o->alpha, o->beta);
            if (o->clamp_hi > 0.0f) *c = fv_clamp0(*c, o->clamp_hi);
        }
    }
    free(strip);
    return true;
}

/* The packing buffers, kept from one product to the next (core/scratch.h). */
static fv_scratch_slot spare_a, spare_b;

static bool run_at(int level, int threads, const fv_gemm_op *o)
{
    if (o->M <= 0 || o->N <= 0) return true;
    if (o->K <= 0 || o->alpha == 0.0f) { /* nothing to add: C = beta C (or row_init), then the clamp */
        for (int64_t i = 0; i < o->M; i++)
            for (int64_t jj = 0; jj < o->N; jj++) {
                float *c = o->C + i * o->ldc + jj;
                *c = o->row_init ? o->row_init[i] : o->beta == 0.0f ? 0.0f : o->beta == 1.0f ? *c : o->beta * *c;
                if (o->clamp_hi > 0.0f) *c = fv_clamp0(*c, o->clamp_hi);
            }
        return true;
    }
    gemm_job j = {arch((fv_simd_level)level), *o, 0, false, NULL, NULL, false};
    const fv_gemm_packed *pa = o->a_packed, *pb = o->b_packed;
    if ((pa && (pa->b || pa->mr != j.g.mr || pa->M != o->M || pa->K != o->K)) ||
        (pb && (!pb->b || pb->mr != j.g.nr || pb->M != o->N || pb->K != o->K || o->pack_b)))
        return false; /* packed for another vector level or shape: a caller's mistake, refused before C changes */
    int64_t nc_max = min64(NC, (o->N + j.g.nr - 1) / j.g.nr * j.g.nr), kc_max = min64(KC, o->K);
    bool narrow = nc_max * kc_max * (int64_t)sizeof(float) <= NARROW_BYTES;
    j.mc_max = (int64_t)j.g.mr * (narrow ? MC_NARROW : MC_TILES);
    if (narrow && j.mc_max > o->M) j.mc_max = (o->M + j.g.mr - 1) / j.g.mr * j.g.mr; /* only what is needed */
    j.narrow = narrow;
    double flops = 2.0 * (double)o->M * (double)o->N * (double)o->K;
    int t = flops < 2e5 ? 1 : threads > FV_POOL_MAX_THREADS ? FV_POOL_MAX_THREADS : threads; /* tiny: one thread */
    j.in_place = j.g.in_place && !o->pack_b && !pb && !o->tb && o->M <= IN_PLACE_ROWS && o->N >= j.g.nr;
    /* strip by strip, each thread with a buffer for one strip of B, where B has strips enough to go round (each
     * is packed once: a claim of a strip and part of A's rows would pack it again, and an implicit im2col costs) */
    if (pa && (o->N + j.g.nr - 1) / j.g.nr >= 4 * t && o->M * o->K <= STRIP_A_MAX) {
        j.bp = pb || j.in_place ? NULL : fv_scratch_take(&spare_b, (size_t)(t * KC * j.g.nr) * sizeof(float));
        if (!pb && !j.in_place && !j.bp) return plain_run(o);
        strip_major(t, &j);
        fv_scratch_give(&spare_b, j.bp);
        return true;
    }
    j.ap = pa ? NULL : fv_scratch_take(&spare_a, (size_t)(j.mc_max * kc_max) * sizeof(float));
    j.bp = pb || j.in_place ? NULL : fv_scratch_take(&spare_b, (size_t)(nc_max * kc_max) * sizeof(float));
    if ((!j.ap && !pa) || (!j.bp && !pb && !j.in_place)) { /* no scratch: the plain product, slow but never failing */
        fv_scratch_give(&spare_a, j.ap), fv_scratch_give(&spare_b, j.bp);
        return plain_run(o);
    }
    fv_parallel_run(t, gemm_member, &j);
    fv_scratch_give(&spare_a, j.ap), fv_scratch_give(&spare_b, j.bp);
    return true;
}

bool fv_gemm_run(int threads, const fv_gemm_op *op) { return run_at(fv_simd_level_get(), threads, op); }

void fv_gemm_at(int level, int threads, bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha,
                const float *A, int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc)
{
    fv_gemm_op o = {.M = M, .N = N, .K = K, .alpha = alpha, .beta = beta, .ta = ta, .tb = tb, .A = A, .B = B,
                    .lda = lda, .ldb = ldb, .C = C, .ldc = ldc};
    run_at(level, threads, &o);
}
