/* Operators of the norm family: layer, instance and group normalization; resize to any size. One line each: X(ENUM_SUFFIX, file_stem). */
#define FV_OP_LIST_NORM(X)                      \
    X(LAYER_NORM, layer_norm)                   \
    X(INSTANCE_NORM, instance_norm)             \
    X(GROUP_NORM, group_norm)                   \
    X(RESIZE, resize)
