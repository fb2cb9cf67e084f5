/* The fused ReLU / ReLU6 clamp to [0, hi] as PyTorch computes it: a NaN stays NaN (torch.clamp and relu
 * propagate it; a NaN mapped to 0 would turn a broken input into a confident prediction), -0 becomes +0.
 * Every kernel that clamps (reference, GEMM, Winograd, depthwise, activation loops) goes through this. */
#ifndef FV_KERNELS_CLAMP_H
#define FV_KERNELS_CLAMP_H

/* v clamped to [0, hi] (hi may be +inf). Both tests are false for a NaN, which therefore falls through to v;
 * the select form vectorizes to two compares and masks, as the old v > 0 ? v : 0 did. */
static inline float fv_clamp0(float v, float hi) { return v <= 0.0f ? 0.0f : v > hi ? hi : v; }
/* fv_clamp0(v, +inf), ReLU: one compare and one mask per vector, as the old v > 0 ? v : 0. */
static inline float fv_relu0(float v) { return v <= 0.0f ? 0.0f : v; }

/* The same in vector registers, written where AVX2 / AVX-512 are enabled as
 *     min(hi, max(0, v)) + 0
 * max_ps and min_ps return their second operand when either is a NaN, so putting v (then the max) second
 * lets a NaN through at no cost; max(0, -0) is -0, and -0 + 0 = +0 restores the scalar form's +0. On every
 * other value this equals min(max(v, 0), hi) bit for bit. */

#endif
