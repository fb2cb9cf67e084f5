/* Operators of the layout family: reshape of any rank, transpose, squeeze/unsqueeze, expand, tile, slice, split, gather, scatter, pad, depth/space. One line each: X(ENUM_SUFFIX, file_stem). */
#define FV_OP_LIST_LAYOUT(X)
