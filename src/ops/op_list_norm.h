/* Operators of the norm family: layer, instance and group normalization; resize to any size. One line each: X(ENUM_SUFFIX, file_stem). */
#define FV_OP_LIST_NORM(X)
