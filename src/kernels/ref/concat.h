/* Reference kernels of concatenation along one axis. Every tensor is viewed as (outer, C, inner) around the
 * axis: outer and inner are common to all, C is each input's size along the axis. The copy moves elements of
 * elem bytes, so it serves every dtype; the gradient is float32. */
#ifndef FV_REF_CONCAT_H
#define FV_REF_CONCAT_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

/* Copy inp (outer, C, inner) into out (outer, Ctot, inner) at axis position c0. */
void fv_ref_concat_forward(void *out, const void *inp, size_t elem, int64_t outer, int64_t C, int64_t inner,
                           int64_t Ctot, int64_t c0);
/* dinp (outer, C, inner) += the slice of dout (outer, Ctot, inner) at axis position c0, or = it when assign (a
 * fresh gradient: no zeroing pass first). Outer indices [o0, o1) only. */
void fv_ref_concat_backward(float *dinp, const float *dout, int64_t o0, int64_t o1, int64_t C, int64_t inner, int64_t Ctot,
                            int64_t c0, bool assign);

#endif
