/* Operators of the reduce family: reductions on any axes, arg-max/min, top-k, cumulative sum, batched matmul, gemm. One line each: X(ENUM_SUFFIX, file_stem). */
#define FV_OP_LIST_REDUCE(X)                    \
    X(REDUCE_SUM, reduce_sum)                   \
    X(REDUCE_MEAN, reduce_mean)                 \
    X(REDUCE_MAX, reduce_max)                   \
    X(REDUCE_MIN, reduce_min)                   \
    X(REDUCE_PROD, reduce_prod)                 \
    X(REDUCE_L1, reduce_l1)                     \
    X(REDUCE_L2, reduce_l2)                     \
    X(REDUCE_SUM_SQUARE, reduce_sum_square)     \
    X(REDUCE_LOG_SUM_EXP, reduce_log_sum_exp)   \
    X(REDUCE_LOG_SUM, reduce_log_sum)           \
    X(HARDMAX, hardmax)                         \
    X(ARGMAX, argmax)                           \
    X(ARGMIN, argmin)                           \
    X(TOPK, topk)                               \
    X(TOPK_INDICES, topk_indices)               \
    X(CUMSUM, cumsum)                           \
    X(MATMUL, matmul)                           \
    X(GEMM, gemm)                               \
    X(EINSUM, einsum)
