/* Operators of the math family: elementwise arithmetic with broadcasting, unary functions, comparisons, where, cast, activations, softmax on any axis. One line each: X(ENUM_SUFFIX, file_stem). */
#define FV_OP_LIST_MATH(X)                      \
    X(BINARY, binary)                           \
    X(UNARY, unary)                             \
    X(COMPARE, compare)                         \
    X(LOGICAL, logical)                         \
    X(WHERE, where)                             \
    X(CAST, cast)
