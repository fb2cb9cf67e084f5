/* Reference kernels of the elementwise activations (PyTorch's definitions, including which one-sided
 * derivative PyTorch picks at each kink). */
#ifndef FV_REF_ACTIVATION_H
#define FV_REF_ACTIVATION_H

#include <stdint.h>

/* kind is an fv_activation_kind; alpha is the leaky slope (leaky relu) or the ELU alpha, unused otherwise. */

/* out (n) = f(inp (n)). */
void fv_ref_activation_forward(float *out, const float *inp, int64_t n, int kind, float alpha);
/* dinp (n) += dout (n) * f'(inp (n)). */
void fv_ref_activation_backward(float *dinp, const float *dout, const float *inp, int64_t n, int kind, float alpha);

#endif
