/* Operators of the loss family: negative log-likelihood of class indices, metric-learning losses (metric_loss.c),
 * binary-decision and Dice losses (binary_loss.c), YOLO's detection loss (yolo_loss.c).
 * One line each: X(ENUM_SUFFIX, file_stem). */
#define FV_OP_LIST_LOSS(X)                      \
    X(NLL_LOSS, nll_loss)                       \
    X(CONTRASTIVE_LOSS, contrastive_loss)       \
    X(TRIPLET_MARGIN_LOSS, triplet_margin_loss) \
    X(TRIPLET_MINED_LOSS, triplet_mined_loss)   \
    X(COSINE_EMBEDDING_LOSS, cosine_embedding_loss) \
    X(BCE_WITH_LOGITS, bce_with_logits)         \
    X(SIGMOID_FOCAL_LOSS, sigmoid_focal_loss)   \
    X(DICE_LOSS, dice_loss)                     \
    X(KL_DIV, kl_div)                           \
    X(YOLO_LOSS, yolo_loss)
