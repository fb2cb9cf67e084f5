/* NaN goes through every kernel as PyTorch lets it through (relu, relu6, clamp, hardtanh, hard sigmoid and
 * hard swish, max pooling all return NaN for a NaN): the reference and fast kernels, the activation loops, and
 * convolution with a fused ReLU / ReLU6 on each of its paths (GEMM 1x1 and 5x5, Winograd 3x3, depthwise,
 * reference). A NaN mapped to 0 would turn a broken input into a confident prediction. Finite values keep
 * their exact results, -0 included (ReLU of -0 is +0). Run with FOVEA_SIMD=portable for the scalar paths. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/kernels/dispatch.h"
#include "fovea/core.h"
#include "fovea/ops.h"
#include "test.h"

static bool same_bits(float a, float b) { return memcmp(&a, &b, sizeof a) == 0; }

/* What PyTorch returns for the piecewise-linear kinds (alpha 0.1 for leaky relu). */
static float expected(int kind, float x)
{
    if (isnan(x)) return x;
    switch (kind) {
    case FV_ACT_RELU: return x > 0 ? x : 0.0f;
    case FV_ACT_LEAKY_RELU: return x > 0 ? x : 0.1f * x;
    case FV_ACT_RELU6: return x > 0 ? (x < 6 ? x : 6.0f) : 0.0f;
    default: return x;
    }
}

static void test_activations(fv_ctx *ref, fv_ctx *fast)
{
    static const int kinds[] = {FV_ACT_RELU, FV_ACT_LEAKY_RELU, FV_ACT_RELU6, FV_ACT_ELU, FV_ACT_SIGMOID, FV_ACT_TANH,
                                FV_ACT_SILU, FV_ACT_HARD_SIGMOID, FV_ACT_HARD_SWISH};
    static const char *names[] = {"relu", "leaky_relu", "relu6", "elu", "sigmoid", "tanh", "silu", "hard_sigmoid",
                                  "hard_swish"};
    enum { N = 37 }; /* ragged: vector blocks and a tail */
    float x[N], a[N], b[N];
    for (int i = 0; i < N; i++) x[i] = (float)(i % 9) - 4.5f;
    x[0] = NAN, x[9] = -NAN, x[17] = -0.0f, x[20] = 7.0f, x[35] = NAN, x[36] = INFINITY;
    for (int k = 0; k < (int)(sizeof kinds / sizeof kinds[0]); k++) {
        fv_activation_forward(ref, a, x, N, kinds[k], 0.1f);
        fv_activation_forward(fast, b, x, N, kinds[k], 0.1f);
        int bad_ref = 0, bad_fast = 0;
        for (int i = 0; i < N; i++) {
            bad_ref += isnan(x[i]) != (bool)isnan(a[i]);
            bad_fast += isnan(x[i]) != (bool)isnan(b[i]);
            if (kinds[k] <= FV_ACT_RELU6 && !isnan(x[i])) {
                bad_ref += !same_bits(a[i], expected(kinds[k], x[i]));
                bad_fast += !same_bits(b[i], expected(kinds[k], x[i]));
            }
        }
        CHECK(bad_ref == 0, "%s (reference): NaN in, NaN out; the rest exact (%d wrong)", names[k], bad_ref);
        CHECK(bad_fast == 0, "%s (fast): NaN in, NaN out; the rest exact (%d wrong)", names[k], bad_fast);
    }
}

/* Convolution of a 2-image batch of S x S maps whose first image holds one NaN, clamped to [0, hi]: the outputs
 * whose window covers the NaN are NaN, those of the second image all finite; the fast kernels give the
 * reference's values. */
static void conv_case(fv_ctx *ref, fv_ctx *fast, const char *what, int64_t C, int64_t OC, int64_t K, int64_t groups,
                      float hi, int64_t S)
{
    fv_conv_geom g = {.N = 2, .C = C, .H = S, .W = S, .OC = OC, .KH = K, .KW = K, .sh = 1, .sw = 1,
                      .pt = K / 2, .pl = K / 2, .dh = 1, .dw = 1, .groups = groups};
    g.OH = g.H, g.OW = g.W;
    int64_t P = S * S, mid = S / 2;
    int64_t nx = g.N * C * P, nw = OC * (C / groups) * K * K, ny = g.N * OC * P;
    float *x = malloc((size_t)nx * 4), *w = malloc((size_t)nw * 4), *bias = malloc((size_t)OC * 4);
    float *a = malloc((size_t)ny * 4), *b = malloc((size_t)ny * 4);
    for (int64_t i = 0; i < nx; i++) x[i] = 2.0f * fv_rng_uniform(5, 1, (uint64_t)i) - 1.0f;
    for (int64_t i = 0; i < nw; i++) w[i] = 2.0f * fv_rng_uniform(5, 2, (uint64_t)i) - 1.0f;
    for (int64_t i = 0; i < OC; i++) bias[i] = 0.1f * (float)(i % 3) - 0.1f;
    x[mid * S + mid] = NAN; /* image 0, channel 0, the centre */
    fv_conv2d_forward(ref, a, x, w, bias, hi, &g, NULL);
    fv_conv2d_forward(fast, b, x, w, bias, hi, &g, NULL);
    int64_t nan_ref = 0, mismatch = 0, outside = 0;
    for (int64_t i = 0; i < ny; i++) {
        nan_ref += isnan(a[i]);
        int64_t n = i / (OC * P), oc = (i / P) % OC, p = i % P, oh = p / S, ow = p % S;
        bool touches = n == 0 && oc < OC / groups && labs(oh - mid) <= K / 2 && labs(ow - mid) <= K / 2;
        outside += isnan(a[i]) != touches;
        mismatch += isnan(a[i]) ? !isnan(b[i]) : !(fabsf(a[i] - b[i]) <= 1e-5f * (1.0f + fabsf(a[i])));
    }
    int64_t want = (OC / groups) * K * K;
    CHECK(nan_ref == want && outside == 0, "%s: the reference gives NaN exactly where a window covers the NaN "
          "(%lld of %lld)", what, (long long)nan_ref, (long long)want);
    CHECK(mismatch == 0, "%s: the fast kernels agree, NaN for NaN (%lld differ)", what, (long long)mismatch);
    free(x), free(w), free(bias), free(a), free(b);
}

/* 7x7 maps stay on the GEMM and Winograd (the direct path takes rows of 8 or more with AVX-512); 9x9 and 20x20
 * ones go direct where the CPU has AVX-512 (tile rows and whole vectors), the GEMM and Winograd elsewhere. */
static void test_conv(fv_ctx *ref, fv_ctx *fast)
{
    conv_case(ref, fast, "1x1 conv + relu (GEMM)", 8, 16, 1, 1, INFINITY, 7);
    conv_case(ref, fast, "3x3 conv + relu (Winograd)", 8, 16, 3, 1, INFINITY, 7);
    conv_case(ref, fast, "3x3 conv + relu6", 4, 8, 3, 1, 6.0f, 7);
    conv_case(ref, fast, "5x5 conv + relu6 (GEMM)", 3, 12, 5, 1, 6.0f, 9);
    conv_case(ref, fast, "depthwise 3x3 + relu6", 8, 8, 3, 8, 6.0f, 9);
    conv_case(ref, fast, "depthwise 3x3 + relu", 16, 16, 3, 16, INFINITY, 9);
    conv_case(ref, fast, "1x1 conv + relu (direct)", 8, 16, 1, 1, INFINITY, 9);
    conv_case(ref, fast, "3x3 conv + relu (direct, row tiles)", 8, 16, 3, 1, INFINITY, 9);
    conv_case(ref, fast, "3x3 conv + relu6 (direct, whole rows)", 4, 8, 3, 1, 6.0f, 20);
}

/* Max pooling: a NaN in the window wins (PyTorch's max_pool2d), on the vector paths and the scalar one. */
static void test_max_pool(fv_ctx *ref, fv_ctx *fast)
{
    enum { H = 8, W = 16 };
    float x[H * W], a[(H / 2) * (W / 2)], b[(H / 2) * (W / 2)];
    int32_t ia[(H / 2) * (W / 2)], ib[(H / 2) * (W / 2)];
    for (int i = 0; i < H * W; i++) x[i] = (float)((i * 7) % 11) - 5.0f;
    x[0] = NAN, x[3 * W + 9] = NAN;
    fv_ref_pool2d_geom g = {.N = 1, .C = 1, .H = H, .W = W, .OH = H / 2, .OW = W / 2, .kh = 2, .kw = 2, .sh = 2, .sw = 2};
    fv_max_pool2d_forward(ref, a, ia, x, &g);
    fv_max_pool2d_forward(fast, b, ib, x, &g);
    int nan_a = 0, nan_b = 0;
    for (int i = 0; i < (H / 2) * (W / 2); i++) nan_a += isnan(a[i]), nan_b += isnan(b[i]);
    CHECK(nan_a == 2 && nan_b == 2 && isnan(a[0]) && isnan(b[1 * (W / 2) + 4]), "max pool: NaN windows give NaN (%d, %d)",
          nan_a, nan_b);
}

int main(void)
{
    fv_ctx *ref = fv_ctx_new(1), *fast = fv_ctx_new(1);
    fv_ctx_use_reference_kernels(ref, true);
    fv_ctx_set_threads(fast, 2);
    test_activations(ref, fast);
    test_conv(ref, fast);
    test_max_pool(ref, fast);
    fv_ctx_free(ref), fv_ctx_free(fast);
    return test_finish();
}
