/* Operators of the layout family: reshape of any rank, transpose, squeeze/unsqueeze, expand, tile, slice, split, gather, scatter, pad, depth/space. One line each: X(ENUM_SUFFIX, file_stem). */
#define FV_OP_LIST_LAYOUT(X)                    \
    X(TRANSPOSE, transpose)                     \
    X(SQUEEZE, squeeze)                         \
    X(UNSQUEEZE, unsqueeze)                     \
    X(FLATTEN, flatten)                         \
    X(EXPAND, expand)                           \
    X(TILE, tile)                               \
    X(SLICE, slice)                             \
    X(GATHER, gather)                           \
    X(GATHER_ELEMENTS, gather_elements)         \
    X(SCATTER_ELEMENTS, scatter_elements)       \
    X(PAD, pad)                                 \
    X(DEPTH_TO_SPACE, depth_to_space)           \
    X(SPACE_TO_DEPTH, space_to_depth)
