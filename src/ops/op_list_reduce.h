/* Operators of the reduce family: reductions on any axes, arg-max/min, top-k, cumulative sum, batched matmul, gemm. One line each: X(ENUM_SUFFIX, file_stem). */
#define FV_OP_LIST_REDUCE(X)
