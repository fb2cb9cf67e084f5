/* Reference layout kernels: each output element is found by an offset computed from its coordinates, and
 * copied whole (memcpy of elem bytes), so one kernel serves every dtype. */
#include <string.h>

#include "layout.h"

/* Copy one element of elem bytes; the constant sizes let the compiler emit a single move. */
static inline void copy_elem(char *dst, const char *src, size_t elem)
{
    switch (elem) {
    case 1: memcpy(dst, src, 1); break;
    case 4: memcpy(dst, src, 4); break;
    case 8: memcpy(dst, src, 8); break;
    default: memcpy(dst, src, elem);
    }
}

/* Advance a row-major coordinate over the first k dims of shape; returns 0 once it wraps around. */
static int next_coord(int64_t *c, int k, const int64_t *shape)
{
    for (int d = k - 1; d >= 0; d--) {
        if (++c[d] < shape[d]) return 1;
        c[d] = 0;
    }
    return 0;
}

static int64_t total(int ndim, const int64_t *shape)
{
    int64_t n = 1;
    for (int d = 0; d < ndim; d++) n *= shape[d];
    return n;
}

/* The input offset of the row starting at coordinate c (all dims but the last), or -1 when it reads padding. */
static int64_t row_base(const int64_t *c, int k, const int64_t *const *map)
{
    int64_t base = 0;
    for (int d = 0; d < k; d++) {
        if (map[d][c[d]] < 0) return -1;
        base += map[d][c[d]];
    }
    return base;
}

/* Whether a map reads W consecutive elements (last[i] = last[0] + i, none padding): then a whole row is one
 * memcpy, which is what slices, pads and most transposes of the last axis amount to. */
static int contiguous(const int64_t *last, int64_t W)
{
    if (last[0] < 0) return 0;
    for (int64_t i = 1; i < W; i++)
        if (last[i] != last[0] + i) return 0;
    return 1;
}

void fv_ref_map_gather(void *out, const void *inp, size_t elem, int ndim, const int64_t *oshape,
                       const int64_t *const *map, const void *fill)
{
    char *o = out;
    const char *x = inp;
    if (total(ndim, oshape) == 0) return;
    if (ndim == 0) { /* a scalar: one element, no maps */
        copy_elem(o, x, elem);
        return;
    }
    int k = ndim - 1;
    int64_t c[FV_MAX_DIMS] = {0}, W = oshape[k];
    const int64_t *last = map[k];
    int rows_copy = contiguous(last, W);
    do {
        int64_t base = row_base(c, k, map);
        if (base >= 0 && rows_copy) {
            memcpy(o, x + (size_t)(base + last[0]) * elem, (size_t)W * elem);
            o += (size_t)W * elem;
            continue;
        }
        for (int64_t i = 0; i < W; i++, o += elem) {
            if (base < 0 || last[i] < 0) copy_elem(o, fill, elem);
            else copy_elem(o, x + (size_t)(base + last[i]) * elem, elem);
        }
    } while (next_coord(c, k, oshape));
}

void fv_ref_map_scatter_add(float *dinp, const float *dout, int ndim, const int64_t *oshape,
                            const int64_t *const *map)
{
    if (total(ndim, oshape) == 0) return;
    if (ndim == 0) {
        dinp[0] += dout[0];
        return;
    }
    int k = ndim - 1;
    int64_t c[FV_MAX_DIMS] = {0}, W = oshape[k];
    const int64_t *last = map[k];
    do {
        int64_t base = row_base(c, k, map);
        for (int64_t i = 0; i < W; i++, dout++)
            if (base >= 0 && last[i] >= 0) dinp[base + last[i]] += *dout;
    } while (next_coord(c, k, oshape));
}

void fv_ref_gather(void *out, const void *data, size_t elem, const int64_t *idx, int64_t outer, int64_t K,
                   int64_t n_idx, int64_t inner)
{
    char *o = out;
    const char *x = data;
    size_t row = (size_t)inner * elem;
    if (row == 0) return;
    for (int64_t a = 0; a < outer; a++)
        for (int64_t j = 0; j < n_idx; j++, o += row) memcpy(o, x + (size_t)((a * K + idx[j]) * inner) * elem, row);
}

void fv_ref_gather_backward(float *ddata, const float *dout, const int64_t *idx, int64_t outer, int64_t K,
                            int64_t n_idx, int64_t inner)
{
    for (int64_t a = 0; a < outer; a++)
        for (int64_t j = 0; j < n_idx; j++) {
            float *dst = ddata + (a * K + idx[j]) * inner;
            for (int64_t i = 0; i < inner; i++) dst[i] += *dout++;
        }
}

/* Row-major strides of shape. */
static void strides_of(int64_t *st, int ndim, const int64_t *shape)
{
    int64_t s = 1;
    for (int d = ndim - 1; d >= 0; d--) {
        st[d] = s;
        s *= shape[d];
    }
}

/* Calls visit(p, offset of p's data element) for every position p of the indices, in row-major order. */
#define FOR_EACH_ELEMENT(ndim, ishape, dshape, axis, idx, p, off, BODY)                                          \
    do {                                                                                                       \
        int64_t st_[FV_MAX_DIMS], c_[FV_MAX_DIMS] = {0}, n_ = total(ndim, ishape);                             \
        strides_of(st_, ndim, dshape);                                                                         \
        for (int64_t p = 0; p < n_; p++) {                                                                     \
            int64_t off = 0;                                                                                   \
            for (int d_ = 0; d_ < (ndim); d_++) off += (d_ == (axis) ? (idx)[p] : c_[d_]) * st_[d_];           \
            BODY;                                                                                              \
            next_coord(c_, ndim, ishape);                                                                      \
        }                                                                                                      \
    } while (0)

void fv_ref_gather_elements(void *out, const void *data, size_t elem, const int64_t *idx, int ndim,
                            const int64_t *ishape, const int64_t *dshape, int axis)
{
    char *o = out;
    const char *x = data;
    FOR_EACH_ELEMENT(ndim, ishape, dshape, axis, idx, p, off, copy_elem(o + (size_t)p * elem, x + (size_t)off * elem, elem));
}

void fv_ref_gather_elements_backward(float *ddata, const float *dout, const int64_t *idx, int ndim,
                                     const int64_t *ishape, const int64_t *dshape, int axis)
{
    FOR_EACH_ELEMENT(ndim, ishape, dshape, axis, idx, p, off, ddata[off] += dout[p]);
}

void fv_ref_gather_elements_add(float *out, const float *data, const int64_t *idx, int ndim, const int64_t *ishape,
                                const int64_t *dshape, int axis)
{
    FOR_EACH_ELEMENT(ndim, ishape, dshape, axis, idx, p, off, out[p] += data[off]);
}

/* out[off] (op)= upd[p] in the element type's arithmetic. */
static void combine(void *out, int64_t off, const void *upd, int64_t p, fv_dtype dtype, bool add)
{
    switch (dtype) {
    case FV_F32: ((float *)out)[off] = (add ? ((float *)out)[off] : 0) + ((const float *)upd)[p]; break;
    case FV_I32: ((int32_t *)out)[off] = (int32_t)((uint32_t)(add ? ((int32_t *)out)[off] : 0) + (uint32_t)((const int32_t *)upd)[p]); break;
    case FV_I64: ((int64_t *)out)[off] = (int64_t)((uint64_t)(add ? ((int64_t *)out)[off] : 0) + (uint64_t)((const int64_t *)upd)[p]); break;
    default: ((uint8_t *)out)[off] = (uint8_t)((add && ((uint8_t *)out)[off]) || ((const uint8_t *)upd)[p]); break;
    }
}

void fv_ref_scatter_elements(void *out, uint8_t *hit, const void *upd, fv_dtype dtype, bool add,
                             const int64_t *idx, int ndim, const int64_t *ishape, const int64_t *dshape, int axis)
{
    FOR_EACH_ELEMENT(ndim, ishape, dshape, axis, idx, p, off, {
        combine(out, off, upd, p, dtype, add);
        if (hit) hit[off] = 1;
    });
}
