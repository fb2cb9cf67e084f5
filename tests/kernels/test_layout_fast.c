/* The fast strided gather against the reference one, byte for byte: transposes of ranks 2 to 6 (every
 * permutation of rank 3 and 4, NCHW <-> NHWC, sizes around the 16-element tiles), slices with positive and
 * negative steps and offsets, a broadcast (step 0), 1-, 2-, 4- and 8-byte elements, on 1 to 3 threads; maps
 * with padding or a modulo (pads, tiles) are declined and left to the reference. The threaded concatenation
 * against the reference's block copies: DenseNet's 17 inputs, several outer blocks, empty inputs, 1- to 8-byte
 * elements, copies small (one thread) and large (pieces cut inside blocks), on 1 to 3 threads. */
#include <stdlib.h>
#include <string.h>

#include "../../src/kernels/fast/layout.h"
#include "../../src/kernels/ref/concat.h"
#include "../../src/kernels/ref/layout.h"
#include "test.h"

/* Maps of a transpose of `in` by perm, sliced along each output axis by (start, step). */
static int64_t build_maps(int nd, const int64_t *in, const int *perm, const int64_t *start, const int64_t *step,
                          const int64_t *oshape, int64_t **map)
{
    int64_t st[FV_MAX_DIMS], s = 1, total = 1;
    for (int d = nd - 1; d >= 0; d--) st[d] = s, s *= in[d];
    for (int d = 0; d < nd; d++) {
        map[d] = malloc((size_t)(oshape[d] ? oshape[d] : 1) * sizeof **map);
        for (int64_t i = 0; i < oshape[d]; i++) map[d][i] = (start[d] + i * step[d]) * st[perm[d]];
        total *= oshape[d];
    }
    return total;
}

static bool same_as_reference(int nd, const int64_t *in, const int *perm, const int64_t *start, const int64_t *step,
                              const int64_t *oshape, size_t elem)
{
    int64_t *map[FV_MAX_DIMS], n_in = 1;
    for (int d = 0; d < nd; d++) n_in *= in[d];
    int64_t n = build_maps(nd, in, perm, start, step, oshape, map);
    unsigned char *x = malloc((size_t)n_in * elem + 1), *want = malloc((size_t)n * elem + 1), *got = malloc((size_t)n * elem + 1);
    for (int64_t i = 0; i < n_in * (int64_t)elem; i++) x[i] = (unsigned char)(i * 131 + 7);
    static const unsigned char fill[8] = {0};
    fv_ref_map_gather(want, x, elem, nd, oshape, (const int64_t *const *)map, fill);
    bool ok = true;
    for (int t = 1; t <= 3; t++) {
        memset(got, 0xAB, (size_t)n * elem);
        ok &= fv_fast_map_gather(t, got, x, elem, nd, oshape, (const int64_t *const *)map) &&
              memcmp(got, want, (size_t)n * elem) == 0;
    }
    for (int d = 0; d < nd; d++) free(map[d]);
    free(x), free(want), free(got);
    return ok;
}

static bool transpose_case(int nd, const int64_t *in, const int *perm, size_t elem)
{
    int64_t start[FV_MAX_DIMS] = {0}, step[FV_MAX_DIMS], oshape[FV_MAX_DIMS];
    for (int d = 0; d < nd; d++) step[d] = 1, oshape[d] = in[perm[d]];
    return same_as_reference(nd, in, perm, start, step, oshape, elem);
}

static bool next_perm(int *p, int n) /* lexicographic */
{
    int i = n - 2;
    while (i >= 0 && p[i] > p[i + 1]) i--;
    if (i < 0) return false;
    int j = n - 1;
    while (p[j] < p[i]) j--;
    int t = p[i]; p[i] = p[j]; p[j] = t;
    for (int a = i + 1, b = n - 1; a < b; a++, b--) t = p[a], p[a] = p[b], p[b] = t;
    return true;
}

/* n inputs of C[i] channels, outer blocks, inner elements of elem bytes: fast (1-3 threads) against the reference. */
static bool concat_case(int n, const int64_t *C, int64_t outer, int64_t inner, size_t elem)
{
    int64_t Ctot = 0;
    for (int i = 0; i < n; i++) Ctot += C[i];
    size_t bytes = (size_t)(outer * Ctot * inner) * elem;
    unsigned char *want = malloc(bytes + 1), *got = malloc(bytes + 1);
    const void *in[32];
    bool ok = want && got;
    for (int i = 0; i < n; i++) {
        size_t b = (size_t)(outer * C[i] * inner) * elem;
        unsigned char *x = malloc(b ? b : 1);
        for (size_t k = 0; x && k < b; k++) x[k] = (unsigned char)(k * 7 + (size_t)i * 13 + 1);
        in[i] = x, ok = ok && x;
    }
    int64_t c0 = 0;
    for (int i = 0; ok && i < n; c0 += C[i], i++) fv_ref_concat_forward(want, in[i], elem, outer, C[i], inner, Ctot, c0);
    for (int t = 1; ok && t <= 3; t++) {
        memset(got, 0xAB, bytes + 1);
        ok = fv_fast_concat(t, got, in, C, n, elem, outer, inner, Ctot) && memcmp(got, want, bytes) == 0 &&
             got[bytes] == 0xAB; /* nothing past the end */
    }
    for (int i = 0; i < n; i++) free((void *)in[i]);
    free(want), free(got);
    return ok;
}

int main(void)
{
    int64_t dense[17] = {64};
    for (int i = 1; i < 17; i++) dense[i] = 32;
    CHECK(concat_case(17, dense, 1, 56 * 56, 4), "DenseNet's concatenation of 17 maps at 56x56: the reference's bytes");
    CHECK(concat_case(4, (int64_t[]){3, 0, 5, 1}, 7, 9, 8), "7 outer blocks, an empty input, 8-byte elements");
    CHECK(concat_case(3, (int64_t[]){130, 0, 70}, 3, 1000, 1), "pieces cut inside blocks of 1-byte elements");
    CHECK(concat_case(2, (int64_t[]){1000, 3000}, 2, 100, 2), "large copies of 2-byte elements, pieces across blocks");
    const int64_t shapes[][4] = {{5, 17, 33, 1}, {2, 40, 3, 35}, {1, 96, 56, 56}, {3, 1, 16, 32}};
    for (int rank = 3; rank <= 4; rank++)
        for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
            int perm[4] = {0, 1, 2, 3};
            bool ok = true;
            do ok &= transpose_case(rank, shapes[s], perm, 4);
            while (next_perm(perm, rank));
            CHECK(ok, "every permutation of rank %d over %lldx%lldx%lldx%lld: the reference's bytes on 1-3 threads",
                  rank, (long long)shapes[s][0], (long long)shapes[s][1], (long long)shapes[s][2], (long long)shapes[s][3]);
        }
    const size_t elems[] = {1, 2, 4, 8};
    for (size_t e = 0; e < 4; e++) {
        CHECK(transpose_case(2, (int64_t[]){37, 45}, (int[]){1, 0}, elems[e]), "a 37x45 transpose of %zu-byte elements", elems[e]);
        int p6[] = {5, 0, 3, 1, 4, 2};
        CHECK(transpose_case(6, (int64_t[]){2, 3, 4, 5, 6, 7}, p6, elems[e]), "a rank-6 permutation of %zu-byte elements", elems[e]);
    }
    int id[] = {0, 1, 2};
    CHECK(same_as_reference(3, (int64_t[]){4, 30, 50}, id, (int64_t[]){1, 29, 3}, (int64_t[]){2, -3, 4},
                            (int64_t[]){2, 9, 12}, 4), "slices with steps 2, -3 and 4");
    CHECK(same_as_reference(3, (int64_t[]){4, 30, 50}, (int[]){2, 0, 1}, (int64_t[]){0, 0, 5}, (int64_t[]){0, 1, 1},
                            (int64_t[]){7, 4, 20}, 4), "a broadcast axis (step 0) beside a transpose");
    int64_t m0[] = {0, 1, -1}, m1[] = {0, 1, 2, 0};
    const int64_t *pad[] = {m0, m1}, *mod[] = {m1, m1};
    float buf[16] = {0};
    CHECK(!fv_fast_map_gather(1, buf, buf, 4, 2, (int64_t[]){3, 4}, pad) &&
          !fv_fast_map_gather(1, buf, buf, 4, 2, (int64_t[]){4, 4}, mod), "padding and modulo maps are declined");
    return test_finish();
}
