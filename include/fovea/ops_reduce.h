/* fovea operators of the reduce family: reductions over any set of axes, arg-max/min, top-k, cumulative sum,
 * batched matrix products (matmul, ONNX Gemm) and a small einsum. Tensors of rank 0 to FV_MAX_DIMS; axes
 * count from the end when negative, as in PyTorch and ONNX. Included by fovea/ops.h. */
#ifndef FOVEA_OPS_REDUCE_H
#define FOVEA_OPS_REDUCE_H

#include "graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- reductions ----------------------------------------------------------------------------------- */

typedef enum {
    FV_REDUCE_SUM = 0,     /* ONNX ReduceSum, torch.sum */
    FV_REDUCE_MEAN,        /* ReduceMean, torch.mean: an empty reduction gives NaN (0 / 0) */
    FV_REDUCE_MAX,         /* ReduceMax, torch.amax: refuses an empty reduction */
    FV_REDUCE_MIN,         /* ReduceMin, torch.amin: refuses an empty reduction */
    FV_REDUCE_PROD,        /* ReduceProd, torch.prod: an empty reduction gives 1 */
    FV_REDUCE_L1,          /* ReduceL1, torch.norm(p=1): sum |x| */
    FV_REDUCE_L2,          /* ReduceL2, torch.norm(p=2): sqrt(sum x^2) */
    FV_REDUCE_SUM_SQUARE,  /* ReduceSumSquare: sum x^2 */
    FV_REDUCE_LOG_SUM_EXP, /* ReduceLogSumExp, torch.logsumexp: max + log(sum exp(x - max)); empty gives -inf */
    FV_REDUCE_LOG_SUM,     /* ReduceLogSum: log(sum x) (negative sums give NaN, an empty one -inf) */
    FV_REDUCE_COUNT
} fv_reduce_kind;

/* Reduce x (any rank 0..6) over the n_axes axes listed (each in [-r, r) for rank r; a scalar accepts 0 and -1
 * as PyTorch does, which reduce nothing). n_axes 0 reduces every axis (ONNX's noop_with_empty_axes = 0).
 * keepdims keeps each reduced axis with size 1; otherwise they are removed (all of them: a scalar).
 * Sums are taken in double. Refuses: a repeated axis (also -1 and r-1 together), an axis out of range, axes
 * NULL with n_axes > 0, more than FV_MAX_DIMS axes, a kind out of range, a non-float input, and max/min over
 * an empty reduction (a reduced axis of size 0), as PyTorch does.
 * Gradients, as PyTorch: max/min share the gradient evenly among the elements equal to the result (a NaN
 * result makes the slice's gradients NaN); prod gives g * (product of the others), correct with zeros (one
 * zero: only it gets a gradient; two or more: none); L1 gives g * sign(x) (0 at 0); L2 gives g * x / norm
 * (0 where the norm is 0); log-sum-exp gives g * exp(x - result); log-sum g / sum. NaN propagates through max and min. */
fv_node *fv_reduce(fv_graph *g, fv_node *x, fv_reduce_kind kind, const int *axes, int n_axes, bool keepdims);
/* "sum", "mean", "max", "min", "prod", "l1", "l2", "sum_square", "log_sum_exp", "log_sum"; NULL out of range. */
const char *fv_reduce_name(fv_reduce_kind kind);

/* ---- arg-max / arg-min and top-k ------------------------------------------------------------------ */

/* The index (int64) of the largest (argmax) or smallest (argmin) element along axis, as ONNX ArgMax/ArgMin:
 * keepdims keeps the axis with size 1; ties go to the first index, or the last when select_last_index
 * (ONNX's default 0 is torch.argmax's rule). NaN counts as larger (argmax) or smaller (argmin) than any
 * number, so a NaN is picked as in PyTorch. Refuses an empty axis (as PyTorch), an axis out of range,
 * a non-float input. A scalar takes axis 0 or -1 and gives 0. No gradient (integer output). */
fv_node *fv_argmax(fv_graph *g, fv_node *x, int axis, bool keepdims, bool select_last_index);
fv_node *fv_argmin(fv_graph *g, fv_node *x, int axis, bool keepdims, bool select_last_index);

/* The k largest (largest true) or smallest elements of x along axis (ONNX TopK, torch.topk): the values,
 * shaped as x with the axis of size k. They are always sorted (largest first, or smallest first); `sorted`
 * false is accepted (ONNX leaves the order unspecified then). Ties keep the lower index first (ONNX's rule;
 * torch.topk's order of ties is unspecified). NaN counts as larger than any number (PyTorch's rule).
 * The gradient goes to the picked positions. Refuses k < 0, k greater than the axis' size, an axis out of
 * range, a non-float input. O(k * size of the axis) per line. */
fv_node *fv_topk(fv_graph *g, fv_node *x, int64_t k, int axis, bool largest, bool sorted);
/* The indices (int64, the same shape) of a fv_topk node's values: ONNX TopK's second output. Refuses a
 * node that is not a top-k. */
fv_node *fv_topk_indices(fv_graph *g, fv_node *topk);

/* ONNX Hardmax: 1 at the first largest element of each line along axis, 0 elsewhere (float32, x's shape).
 * flat false: along one axis (opset 13; axis in [-r, r)); flat true: x seen as 2-D, (product of dims [0, axis),
 * product of [axis, r)), one line per row (before opset 13; axis in [-r, r]). NaN counts as larger than any
 * number (as arg-max). A scalar gives 1. Empty tensors give empty outputs. The gradient is zero (piecewise
 * constant). Refuses an axis out of range, a non-float input. */
fv_node *fv_hardmax(fv_graph *g, fv_node *x, int axis, bool flat);

/* ---- cumulative sum ------------------------------------------------------------------------------- */

/* ONNX CumSum along axis: y[i] = sum of x[j] for j <= i (j < i when exclusive; j >= i, or j > i, when
 * reverse). Same shape as x; sums in double. Gradient: the cumulative sum of the output gradient in the
 * other direction. Refuses an axis out of range (a scalar takes 0 or -1), a non-float input. */
fv_node *fv_cumsum(fv_graph *g, fv_node *x, int axis, bool exclusive, bool reverse);

/* ---- matrix products ------------------------------------------------------------------------------ */

/* numpy.matmul / torch.matmul / ONNX MatMul: a (..., M, K) x b (..., K, N) -> (..., M, N), the batch
 * dimensions (all but the last two) broadcast as NumPy does. A 1-D a (K) is taken as (1, K) and a 1-D b (K)
 * as (K, 1), and that dimension is removed from the result (1-D x 1-D gives a scalar). Runs on the fast GEMM
 * (src/kernels/fast/gemm.c), one product per batch element. Refuses a scalar operand, mismatched K, batch
 * dimensions that do not broadcast, a result of more than FV_MAX_DIMS dimensions, non-float inputs.
 * Gradients of both operands, summed over the batch dimensions they were broadcast along. */
fv_node *fv_matmul(fv_graph *g, fv_node *a, fv_node *b);

/* ONNX Gemm: y = alpha * op(a) op(b) + beta * c, a (M, K) or (K, M) when trans_a, b (K, N) or (N, K) when
 * trans_b, c NULL or of rank <= 2 unidirectionally broadcastable to (M, N) (a scalar, (N), (1, N), (M, 1),
 * (M, N)) -> (M, N). Named for the GEMM kernels it runs on (fv_gemm is the kernel). Gradients of a, b and c. Refuses operands that are not 2-D, mismatched K, a c that does
 * not broadcast to (M, N), non-float inputs. */
fv_node *fv_gemm_node(fv_graph *g, fv_node *a, fv_node *b, fv_node *c, float alpha, float beta, bool trans_a,
                      bool trans_b);

/* torch.einsum / ONNX Einsum, for the products attention uses: two operands, explicit output ("->"),
 * letters a-z, no ellipsis, no repeated letter within one term. Each letter is a batch index (in both
 * operands and the output), a free index of one operand (and the output) or a contracted index (in both
 * operands, not the output). Letters that are in one operand only and not in the output (a sum over them)
 * are refused. Built as transposes and a batched matmul ("bhqd,bhkd->bhqk", "bhqk,bhkd->bhqd",
 * "bij,bjk->bik", "ij,jk->ik", "bid,bjd->bij" ...): a single node whose forward permutes into
 * (batch, M, K) x (batch, K, N) and back. Refuses anything else with a message naming the equation;
 * operand sizes of one letter must agree (no broadcasting). */
fv_node *fv_einsum(fv_graph *g, const char *equation, fv_node *a, fv_node *b);

#ifdef __cplusplus
}
#endif
#endif
