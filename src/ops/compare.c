/* Comparisons (equal, less, less_or_equal, greater, greater_or_equal, and the float tests isnan/isinf) and
 * logical not/and/or/xor: broadcasting ops with bool outputs, and so without gradients. Two node kinds,
 * compare and logical, each with an attribute picking the operation. */
#include "../kernels/dispatch.h"
#include "../kernels/ref/math.h"
#include "fovea/ops.h"
#include "math_common.h"

_Static_assert((int)FV_CMP_EQ == (int)FV_MK_EQ && (int)FV_CMP_GE == (int)FV_MK_GE && (int)FV_CMP_COUNT == (int)FV_MK_CMP_COUNT,
               "public and kernel comparison kinds agree");
_Static_assert((int)FV_LOGIC_NOT == (int)FV_MK_NOT && (int)FV_LOGIC_XOR == (int)FV_MK_XOR && (int)FV_LOGIC_COUNT == (int)FV_MK_LOGICAL_COUNT,
               "public and kernel logical kinds agree");

/* Compare kinds past the public ones: the one-input float tests. */
enum { CMP_ISNAN = FV_CMP_COUNT, CMP_ISINF, CMP_KINDS };

typedef struct {
    int kind;  /* an int so that an out-of-range value can be reported */
    int signs; /* isinf: 0 for both signs, else 8 | 2 (detect +inf) | 4 (detect -inf) (fv_math_float_test) */
} kind_attr;

static const char *const compare_names[CMP_KINDS] = {"equal", "less", "less_or_equal", "greater", "greater_or_equal",
                                                     "isnan", "isinf"};
static const char *const logical_names[FV_LOGIC_COUNT] = {"not", "and", "or", "xor"};

static int kind_of(const fv_node *n) { return ((const kind_attr *)n->attr)->kind; }

static fv_status set_broadcast_shape(fv_graph *g, fv_node *n, const char *what, int k)
{
    const fv_tensor *t[2] = {&n->in[0]->value, k > 1 ? &n->in[1]->value : NULL};
    fv_bshapes s;
    fv_status st = fv_bshapes_make(g, n, what, k, t, &s);
    if (st) return st;
    fv_node_set_shape(n, FV_BOOL, s.ndim, s.out + FV_BCAST_DIMS - s.ndim);
    return FV_OK;
}

static void padded(const fv_node *n, int i, int64_t *out)
{
    fv_bcast_pad(out, n->in[i]->value.ndim, n->in[i]->value.shape);
}

static void output_padded(const fv_node *n, int64_t *out) { fv_bcast_pad(out, n->value.ndim, n->value.shape); }

/* ---- compare ------------------------------------------------------------------------------------------ */

static fv_status compare_infer(fv_graph *g, fv_node *n)
{
    int kind = kind_of(n);
    if (kind < 0 || kind >= CMP_KINDS)
        return fv_node_error(g, n, FV_ERR_ARG, "unknown comparison kind %d (valid kinds are 0 to %d)", kind,
                             FV_CMP_COUNT - 1);
    const char *k = compare_names[kind];
    if (kind >= FV_CMP_COUNT) {
        fv_status st = fv_expect(g, n, 0, -1, kind == CMP_ISNAN ? "isnan's input x" : "isinf's input x");
        return st ? st : set_broadcast_shape(g, n, k, 1);
    }
    const fv_tensor *a = &n->in[0]->value, *b = &n->in[1]->value;
    if (a->dtype != b->dtype)
        return fv_node_error(g, n, FV_ERR_ARG, "%s: inputs of different types, %s %s and %s %s", k,
                             fv_dtype_name(a->dtype), fv_dims(a), fv_dtype_name(b->dtype), fv_dims(b));
    return set_broadcast_shape(g, n, k, 2);
}

static fv_status compare_forward(fv_graph *g, fv_node *n)
{
    int kind = kind_of(n);
    const fv_tensor *a = &n->in[0]->value;
    if (kind >= FV_CMP_COUNT) {
        int signs = ((const kind_attr *)n->attr)->signs;
        fv_math_float_test(g->ctx, fv_bool(&n->value), fv_f32(a), a->size, kind == CMP_ISINF ? (signs ? signs : 1) : 0);
        return FV_OK;
    }
    int64_t sa[FV_BCAST_DIMS], sb[FV_BCAST_DIMS], so[FV_BCAST_DIMS];
    padded(n, 0, sa), padded(n, 1, sb), output_padded(n, so);
    fv_math_compare(g->ctx, fv_bool(&n->value), so, a->data, sa, n->in[1]->value.data, sb, kind, a->dtype);
    return FV_OK;
}

static void no_backward(fv_graph *g, fv_node *n)
{
    (void)g, (void)n; /* bool outputs carry no gradient */
}

const fv_op_def fv_op_compare = {"compare", compare_infer, compare_forward, no_backward, false};

static fv_node *compare_node_signs(fv_graph *g, fv_node *a, fv_node *b, int kind, int signs)
{
    kind_attr at = {kind, signs};
    int n_in = kind >= FV_CMP_COUNT ? 1 : 2;
    const char *name = kind >= 0 && kind < CMP_KINDS ? compare_names[kind] : "compare";
    return fv_math_node(g, FV_OP_COMPARE, name, (fv_node *[]){a, b}, n_in, n_in, &at, sizeof at);
}

static fv_node *compare_node(fv_graph *g, fv_node *a, fv_node *b, int kind) { return compare_node_signs(g, a, b, kind, 0); }

fv_node *fv_compare(fv_graph *g, fv_node *a, fv_node *b, fv_compare_kind kind)
{
    /* the float tests are reached through their own builders only */
    return compare_node(g, a, b, (int)kind >= FV_CMP_COUNT ? CMP_KINDS : (int)kind);
}

fv_node *fv_equal(fv_graph *g, fv_node *a, fv_node *b) { return compare_node(g, a, b, FV_CMP_EQ); }
fv_node *fv_less(fv_graph *g, fv_node *a, fv_node *b) { return compare_node(g, a, b, FV_CMP_LT); }
fv_node *fv_less_equal(fv_graph *g, fv_node *a, fv_node *b) { return compare_node(g, a, b, FV_CMP_LE); }
fv_node *fv_greater(fv_graph *g, fv_node *a, fv_node *b) { return compare_node(g, a, b, FV_CMP_GT); }
fv_node *fv_greater_equal(fv_graph *g, fv_node *a, fv_node *b) { return compare_node(g, a, b, FV_CMP_GE); }
fv_node *fv_isnan(fv_graph *g, fv_node *x) { return compare_node(g, x, NULL, CMP_ISNAN); }
fv_node *fv_isinf(fv_graph *g, fv_node *x) { return compare_node(g, x, NULL, CMP_ISINF); }
fv_node *fv_isinf_signs(fv_graph *g, fv_node *x, bool detect_positive, bool detect_negative)
{
    int signs = detect_positive && detect_negative ? 0 : 8 | (detect_positive ? 2 : 0) | (detect_negative ? 4 : 0);
    return compare_node_signs(g, x, NULL, CMP_ISINF, signs);
}

/* ---- logical ------------------------------------------------------------------------------------------ */

static fv_status logical_infer(fv_graph *g, fv_node *n)
{
    int kind = kind_of(n);
    if (kind < 0 || kind >= FV_LOGIC_COUNT)
        return fv_node_error(g, n, FV_ERR_ARG, "unknown logical kind %d (valid kinds are 0 to %d)", kind,
                             FV_LOGIC_COUNT - 1);
    int k = kind == FV_LOGIC_NOT ? 1 : 2;
    for (int i = 0; i < k; i++) {
        const fv_tensor *t = &n->in[i]->value;
        if (t->dtype != FV_BOOL)
            return fv_node_error(g, n, FV_ERR_ARG, "%s: input %d must be bool, got %s %s", logical_names[kind], i,
                                 fv_dtype_name(t->dtype), fv_dims(t));
    }
    return set_broadcast_shape(g, n, logical_names[kind], k);
}

static fv_status logical_forward(fv_graph *g, fv_node *n)
{
    int kind = kind_of(n);
    int64_t sa[FV_BCAST_DIMS], sb[FV_BCAST_DIMS], so[FV_BCAST_DIMS];
    padded(n, 0, sa), output_padded(n, so);
    const uint8_t *b = NULL;
    if (kind != FV_LOGIC_NOT) padded(n, 1, sb), b = fv_bool(&n->in[1]->value);
    fv_math_logical(g->ctx, fv_bool(&n->value), so, fv_bool(&n->in[0]->value), sa, b, kind == FV_LOGIC_NOT ? sa : sb,
                    kind);
    return FV_OK;
}

const fv_op_def fv_op_logical = {"logical", logical_infer, logical_forward, no_backward, false};

fv_node *fv_logical(fv_graph *g, fv_node *a, fv_node *b, fv_logical_kind kind)
{
    kind_attr at = {(int)kind, 0};
    int n_in = kind == FV_LOGIC_NOT ? 1 : 2;
    const char *name = (int)kind >= 0 && kind < FV_LOGIC_COUNT ? logical_names[kind] : "logical";
    return fv_math_node(g, FV_OP_LOGICAL, name, (fv_node *[]){a, b}, n_in, n_in, &at, sizeof at);
}

fv_node *fv_logical_not(fv_graph *g, fv_node *x) { return fv_logical(g, x, NULL, FV_LOGIC_NOT); }
fv_node *fv_logical_and(fv_graph *g, fv_node *a, fv_node *b) { return fv_logical(g, a, b, FV_LOGIC_AND); }
fv_node *fv_logical_or(fv_graph *g, fv_node *a, fv_node *b) { return fv_logical(g, a, b, FV_LOGIC_OR); }
fv_node *fv_logical_xor(fv_graph *g, fv_node *a, fv_node *b) { return fv_logical(g, a, b, FV_LOGIC_XOR); }
