/* The table of operator definitions, generated from op_list.h. */
#include "../graph/graph_internal.h"

#define FV_OP_DECL(e, stem) extern const fv_op_def fv_op_##stem;
FV_OP_LIST(FV_OP_DECL)
#undef FV_OP_DECL

static const fv_op_def *const op_table[FV_OP_COUNT] = {
#define FV_OP_ENTRY(e, stem) [FV_OP_##e] = &fv_op_##stem,
    FV_OP_LIST(FV_OP_ENTRY)
#undef FV_OP_ENTRY
};

const fv_op_def *fv_op_get(fv_op_kind op) { return op_table[op]; }
