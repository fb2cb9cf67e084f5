/* Checked size arithmetic: every reader of untrusted input (ONNX, model files, descriptions, NPY, IDX, images)
 * multiplies dimensions and element sizes through these two functions, so that no header can wrap a product
 * into a small number that is then trusted. */
#include "internal.h"

bool fv_size_mul(int64_t a, int64_t b, int64_t limit, int64_t *out)
{
    if (a < 0 || b < 0 || limit < 0) return false;
    /* a zero factor gives zero, but the other factor alone must still fit: callers derive strides from it */
    if ((a > limit || b > limit) || (a && b && a > limit / b)) return false;
    *out = a * b;
    return true;
}

int64_t fv_size_product(int n, const int64_t *dims, int64_t limit)
{
    /* the product of the non-zero dimensions must fit, so that any partial product (a stride) fits too */
    int64_t nonzero = 1;
    bool zero = false;
    for (int i = 0; i < n; i++) {
        if (dims[i] < 0) return -1;
        if (dims[i] == 0) zero = true;
        else if (!fv_size_mul(nonzero, dims[i], limit, &nonzero)) return -1;
    }
    return zero ? 0 : nonzero;
}
