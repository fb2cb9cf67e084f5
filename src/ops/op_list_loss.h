/* Operators of the loss family: negative log-likelihood of class indices. One line each: X(ENUM_SUFFIX, file_stem). */
#define FV_OP_LIST_LOSS(X)                      \
    X(NLL_LOSS, nll_loss)
