/* Checking a direct convolution path (a kernel file's forward, input and weight gradients) against the
 * reference kernels on random data: the forward fused (bias, and a clamp of 0, +inf or 0.25 in turn) and
 * added, the input and weight gradients, each on 1, 2 and 3 threads, which must agree bit for bit. */
#ifndef FV_CONV_CHECK_H
#define FV_CONV_CHECK_H

#include <stdbool.h>

#include "../../src/kernels/ref/conv.h"

typedef struct {
    bool (*applies)(const fv_conv_geom *g); /* the path takes g (forward and input gradient) */
    bool (*forward)(int threads, float *out, const float *inp, const float *weight, const float *bias,
                    float clamp_hi, bool add, const fv_conv_geom *g);
    bool (*backward_input)(int threads, float *dinp, const float *dout, const float *weight, bool add,
                           const fv_conv_geom *g);
    bool (*backward_weight)(int threads, float *dweight, const float *dout, const float *inp, const fv_conv_geom *g);
} conv_path;

typedef struct {
    double worst[5]; /* relative errors: forward (fused), forward added, input gradient (added), weight gradient,
                      * input gradient stored over what the buffer held */
    int cases, taken, deterministic;
} conv_tally;

/* One geometry through the path, into the tally (start it as {{0}, 0, 0, 1}). */
void conv_check(const conv_path *path, const fv_conv_geom *g, conv_tally *t);

#endif
