/* The list of operators: one line each. X(ENUM_SUFFIX, file_stem): the op's definition is `fv_op_<file_stem>`
 * in src/ops/<family>.c. The general tensor operators have one list per family (op_list_<family>.h), appended
 * after the image operators. Enum values are not stored anywhere (model files name layer types): a family's
 * list may grow in its middle. */
#include "op_list_layout.h"
#include "op_list_math.h"
#include "op_list_reduce.h"
#include "op_list_norm.h"
#include "op_list_loss.h"
#include "op_list_classical.h"

#define FV_OP_LIST(X)                           \
    FV_OP_LIST_IMAGE(X)                         \
    FV_OP_LIST_LAYOUT(X)                        \
    FV_OP_LIST_MATH(X)                          \
    FV_OP_LIST_REDUCE(X)                        \
    FV_OP_LIST_NORM(X)                          \
    FV_OP_LIST_LOSS(X)                          \
    FV_OP_LIST_CLASSICAL(X)

/* The operators of image networks, losses and leaves. */
#define FV_OP_LIST_IMAGE(X)                     \
    X(INPUT, input)                             \
    X(PARAM, param)                             \
    X(CONSTANT, constant)                       \
    X(DENSE, dense)                             \
    X(CONV2D, conv2d)                           \
    X(CONV_TRANSPOSE2D, conv_transpose2d)       \
    X(MAX_POOL2D, max_pool2d)                   \
    X(AVG_POOL2D, avg_pool2d)                   \
    X(GLOBAL_AVG_POOL2D, global_avg_pool2d)     \
    X(GLOBAL_MAX_POOL2D, global_max_pool2d)     \
    X(BATCH_NORM, batch_norm)                   \
    X(DROPOUT, dropout)                         \
    X(LRN, lrn)                                 \
    X(ACTIVATION, activation)                   \
    X(SOFTMAX, softmax)                         \
    X(LOG_SOFTMAX, log_softmax)                 \
    X(ADD, add)                                 \
    X(MUL, mul)                                 \
    X(CONCAT, concat)                           \
    X(RESHAPE, reshape)                         \
    X(PAD2D, pad2d)                             \
    X(RESIZE2D, resize2d)                       \
    X(CROSS_ENTROPY, cross_entropy)             \
    X(MSE_LOSS, mse_loss)                       \
    X(L1_LOSS, l1_loss)                         \
    X(SMOOTH_L1_LOSS, smooth_l1_loss)           \
    X(ADAPTIVE_AVG_POOL2D, adaptive_avg_pool2d)
