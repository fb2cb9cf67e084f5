/* Matrix products: matmul with NumPy's batch broadcasting (attention's QK^T and AV), ONNX's Gemm, and einsum
 * for equations that are a batched product with transposes. All three run on one batched kernel
 * (kernels/ref/matmul.h, dispatched to the fast GEMM), whose transpose flags spare copies of the operands. */
#include <stdio.h>
#include <string.h>

#include "../graph/graph_internal.h"
#include "../kernels/dispatch.h"
#include "fovea/ops.h"

enum { IN_A, IN_B, IN_C };

/* Pad a batch shape of n <= FV_MATMUL_BATCH_DIMS dims on the left with 1s. */
static void pad_batch(int64_t *out, int n, const int64_t *shape)
{
    for (int d = 0; d < FV_MATMUL_BATCH_DIMS; d++) {
        int s = d - (FV_MATMUL_BATCH_DIMS - n);
        out[d] = s >= 0 ? shape[s] : 1;
    }
}

/* ---- matmul --------------------------------------------------------------------------------------- */

/* The geometry of a matmul node from its inputs' shapes (infer has checked them). */
static void matmul_geom(const fv_node *n, fv_matmul_geom *g)
{
    const fv_tensor *a = &n->in[IN_A]->value, *b = &n->in[IN_B]->value;
    memset(g, 0, sizeof *g);
    g->alpha = 1.0f;
    g->M = a->ndim == 1 ? 1 : a->shape[a->ndim - 2];
    g->K = a->shape[a->ndim - 1];
    g->N = b->ndim == 1 ? 1 : b->shape[b->ndim - 1];
    pad_batch(g->a, a->ndim > 2 ? a->ndim - 2 : 0, a->shape);
    pad_batch(g->b, b->ndim > 2 ? b->ndim - 2 : 0, b->shape);
    g->count = 1;
    for (int d = 0; d < FV_MATMUL_BATCH_DIMS; d++) {
        g->out[d] = g->a[d] == 1 ? g->b[d] : g->a[d];
        g->count *= g->out[d];
    }
}

static fv_status matmul_infer(fv_graph *g, fv_node *n)
{
    fv_status s;
    if ((s = fv_expect(g, n, IN_A, -1, "input a")) || (s = fv_expect(g, n, IN_B, -1, "input b"))) return s;
    const fv_tensor *a = &n->in[IN_A]->value, *b = &n->in[IN_B]->value;
    if (a->ndim == 0 || b->ndim == 0)
        return fv_node_error(g, n, FV_ERR_SHAPE, "inputs %s and %s: a scalar operand has no matrix (use mul)",
                             fv_dims(a), fv_dims(b));
    int64_t kb = b->shape[b->ndim == 1 ? 0 : b->ndim - 2];
    if (a->shape[a->ndim - 1] != kb)
        return fv_node_error(g, n, FV_ERR_SHAPE, "inputs %s and %s: a has %lld columns but b has %lld rows",
                             fv_dims(a), fv_dims(b), (long long)a->shape[a->ndim - 1], (long long)kb);
    fv_matmul_geom mg;
    matmul_geom(n, &mg);
    for (int d = 0; d < FV_MATMUL_BATCH_DIMS; d++)
        if (mg.a[d] != mg.b[d] && mg.a[d] != 1 && mg.b[d] != 1)
            return fv_node_error(g, n, FV_ERR_SHAPE,
                                 "batch dimensions of %s and %s do not broadcast (%lld vs %lld, batch dimension %d "
                                 "from the end)", fv_dims(a), fv_dims(b), (long long)mg.a[d], (long long)mg.b[d],
                                 FV_MATMUL_BATCH_DIMS - d);
    int nb = a->ndim > b->ndim ? a->ndim - 2 : b->ndim - 2;
    if (nb < 0) nb = 0;
    int64_t shape[FV_MAX_DIMS + 2];
    int nd = 0;
    for (int d = FV_MATMUL_BATCH_DIMS - nb; d < FV_MATMUL_BATCH_DIMS; d++) shape[nd++] = mg.out[d];
    if (a->ndim > 1) shape[nd++] = mg.M;
    if (b->ndim > 1) shape[nd++] = mg.N;
    fv_node_set_shape(n, FV_F32, nd, shape);
    return FV_OK;
}

static void free_cache(void *c) { fv_matmul_cache_free(c); }

/* The slot where the kernels may keep b arranged for them: in inference graphs, when b is a parameter that the
 * graph alone owns (nn/inference.c copies the constants that products read), which nothing else can change. */
static fv_matmul_cache **b_cache(const fv_graph *g, fv_node *n)
{
    const fv_node *b = n->in[IN_B];
    if (!g->inference || b->op != FV_OP_PARAM || !b->param || b->param->refs != 1) return NULL;
    n->kernel_cache_free = free_cache;
    return (fv_matmul_cache **)&n->kernel_cache;
}

static fv_status matmul_forward(fv_graph *g, fv_node *n)
{
    fv_matmul_geom mg;
    matmul_geom(n, &mg);
    fv_matmul_forward(g->ctx, fv_f32(&n->value), fv_f32(&n->in[IN_A]->value), fv_f32(&n->in[IN_B]->value), 0.0f, &mg,
                      b_cache(g, n));
    return FV_OK;
}

static void matmul_backward(fv_graph *g, fv_node *n)
{
    fv_matmul_geom mg;
    matmul_geom(n, &mg);
    fv_matmul_backward(g->ctx, fv_wants_grad(n, IN_A) ? fv_f32(&n->in[IN_A]->grad) : NULL,
                       fv_wants_grad(n, IN_B) ? fv_f32(&n->in[IN_B]->grad) : NULL, fv_f32(&n->grad),
                       fv_f32(&n->in[IN_A]->value), fv_f32(&n->in[IN_B]->value), &mg);
}

const fv_op_def fv_op_matmul = {"matmul", matmul_infer, matmul_forward, matmul_backward, false};

fv_node *fv_matmul(fv_graph *g, fv_node *a, fv_node *b)
{
    return fv_graph_add(g, FV_OP_MATMUL, (fv_node *[]){a, b}, 2, 2, NULL, 0);
}

/* ---- ONNX Gemm ------------------------------------------------------------------------------------ */

typedef struct {
    float alpha, beta;
    bool ta, tb;
} gemm_attr;

static void gemm_geom(const fv_node *n, fv_matmul_geom *g)
{
    const gemm_attr *at = n->attr;
    const fv_tensor *a = &n->in[IN_A]->value, *b = &n->in[IN_B]->value;
    memset(g, 0, sizeof *g);
    for (int d = 0; d < FV_MATMUL_BATCH_DIMS; d++) g->out[d] = g->a[d] = g->b[d] = 1;
    g->count = 1;
    g->ta = at->ta;
    g->tb = at->tb;
    g->alpha = at->alpha;
    g->M = a->shape[at->ta ? 1 : 0];
    g->K = a->shape[at->ta ? 0 : 1];
    g->N = b->shape[at->tb ? 0 : 1];
}

/* c's shape padded to 2 dims on the left. */
static void c_shape(const fv_tensor *c, int64_t cs[2])
{
    cs[0] = c->ndim == 2 ? c->shape[0] : 1;
    cs[1] = c->ndim >= 1 ? c->shape[c->ndim - 1] : 1;
}

static fv_status gemm_infer(fv_graph *g, fv_node *n)
{
    const gemm_attr *at = n->attr;
    fv_status s;
    if ((s = fv_expect(g, n, IN_A, 2, "input a")) || (s = fv_expect(g, n, IN_B, 2, "input b"))) return s;
    const fv_tensor *a = &n->in[IN_A]->value, *b = &n->in[IN_B]->value;
    int64_t M = a->shape[at->ta], K = a->shape[!at->ta], Kb = b->shape[at->tb], N = b->shape[!at->tb];
    if (K != Kb)
        return fv_node_error(g, n, FV_ERR_SHAPE, "a %s%s has K = %lld but b %s%s has K = %lld", fv_dims(a),
                             at->ta ? " (transposed)" : "", (long long)K, fv_dims(b), at->tb ? " (transposed)" : "",
                             (long long)Kb);
    if (n->in[IN_C]) {
        if ((s = fv_expect(g, n, IN_C, -1, "input c"))) return s;
        const fv_tensor *c = &n->in[IN_C]->value;
        int64_t cs[2];
        c_shape(c, cs);
        if (c->ndim > 2 || (cs[0] != 1 && cs[0] != M) || (cs[1] != 1 && cs[1] != N))
            return fv_node_error(g, n, FV_ERR_SHAPE, "c %s does not broadcast to the product's (%lld,%lld)",
                                 fv_dims(c), (long long)M, (long long)N);
    }
    fv_node_set_shape(n, FV_F32, 2, (int64_t[]){M, N});
    return FV_OK;
}

static fv_status gemm_forward(fv_graph *g, fv_node *n)
{
    const gemm_attr *at = n->attr;
    fv_matmul_geom mg;
    gemm_geom(n, &mg);
    float *y = fv_f32(&n->value);
    float beta = 0.0f;
    if (n->in[IN_C]) { /* y starts as beta * c, broadcast; the product adds onto it */
        const fv_tensor *c = &n->in[IN_C]->value;
        int64_t cs[2];
        c_shape(c, cs);
        for (int64_t i = 0; i < mg.M; i++)
            for (int64_t j = 0; j < mg.N; j++)
                y[i * mg.N + j] = at->beta * fv_f32(c)[(cs[0] == 1 ? 0 : i) * cs[1] + (cs[1] == 1 ? 0 : j)];
        beta = 1.0f;
    }
    fv_matmul_forward(g->ctx, y, fv_f32(&n->in[IN_A]->value), fv_f32(&n->in[IN_B]->value), beta, &mg, b_cache(g, n));
    return FV_OK;
}

static void gemm_backward(fv_graph *g, fv_node *n)
{
    const gemm_attr *at = n->attr;
    fv_matmul_geom mg;
    gemm_geom(n, &mg);
    const float *dy = fv_f32(&n->grad);
    fv_matmul_backward(g->ctx, fv_wants_grad(n, IN_A) ? fv_f32(&n->in[IN_A]->grad) : NULL,
                       fv_wants_grad(n, IN_B) ? fv_f32(&n->in[IN_B]->grad) : NULL, dy, fv_f32(&n->in[IN_A]->value),
                       fv_f32(&n->in[IN_B]->value), &mg);
    if (!fv_wants_grad(n, IN_C)) return;
    const fv_tensor *c = &n->in[IN_C]->value;
    int64_t cs[2];
    c_shape(c, cs);
    float *dc = fv_f32(&n->in[IN_C]->grad);
    for (int64_t ci = 0; ci < cs[0]; ci++) /* each element of c sums the outputs it was broadcast to */
        for (int64_t cj = 0; cj < cs[1]; cj++) {
            double s = 0.0;
            for (int64_t i = cs[0] == 1 ? 0 : ci; i < (cs[0] == 1 ? mg.M : ci + 1); i++)
                for (int64_t j = cs[1] == 1 ? 0 : cj; j < (cs[1] == 1 ? mg.N : cj + 1); j++) s += dy[i * mg.N + j];
            dc[ci * cs[1] + cj] += (float)(at->beta * s);
        }
}

const fv_op_def fv_op_gemm = {"gemm", gemm_infer, gemm_forward, gemm_backward, false};

fv_node *fv_gemm_node(fv_graph *g, fv_node *a, fv_node *b, fv_node *c, float alpha, float beta, bool trans_a,
                      bool trans_b)
{
    gemm_attr at = {alpha, beta, trans_a, trans_b};
    return fv_graph_add(g, FV_OP_GEMM, (fv_node *[]){a, b, c}, 3, 2, &at, sizeof at);
}

/* ---- einsum --------------------------------------------------------------------------------------- */

/* An equation reduced to a batched product: the batch letters lead every term, and each term's other letters
 * form two groups, in an order that says whether the operand (or the result) is stored transposed. */
typedef struct {
    char eq[64];
    bool bad_eq;           /* NULL, too long */
    char why[160];         /* set by the builder when the equation is refused */
    int nbatch, nm, nk, nn;
    char terms[3][FV_MAX_DIMS + 1]; /* a, b, out */
    bool ta, tb, tout;     /* a is (K, M), b is (N, K), the result is (N, M): the product is then out^T */
} einsum_attr;

/* Letters of a term before the arrow or comma; false if not 1..FV_MAX_DIMS lowercase letters, none twice. */
static bool take_term(const char **p, char stop, char *term)
{
    int n = 0;
    while (**p && **p != stop && **p != ',' && **p != '-') {
        char c = **p;
        if (c == ' ') {
            ++*p;
            continue;
        }
        if (c < 'a' || c > 'z' || n == FV_MAX_DIMS || (n && memchr(term, c, (size_t)n))) return false;
        term[n++] = c;
        ++*p;
    }
    term[n] = '\0';
    return true;
}

static bool has(const char *term, char c) { return strchr(term, c) != NULL; }

/* Append one letter to a group (at most FV_MAX_DIMS letters: terms are checked before). */
static void append(char *group, char c)
{
    size_t n = strlen(group);
    group[n] = c;
    group[n + 1] = '\0';
}

/* Whether term is the letters of `lead` followed by groups x then y (letters in the given orders), or y then
 * x; *swapped tells which. */
static bool groups(const char *term, const char *lead, const char *x, const char *y, bool *swapped)
{
    char xy[2 * FV_MAX_DIMS + 2], yx[2 * FV_MAX_DIMS + 2];
    snprintf(xy, sizeof xy, "%s%s%s", lead, x, y);
    snprintf(yx, sizeof yx, "%s%s%s", lead, y, x);
    *swapped = strcmp(term, xy) != 0;
    return !*swapped || strcmp(term, yx) == 0;
}

/* Parse and classify, filling the attribute or why it is refused. */
static void einsum_parse(einsum_attr *e)
{
    const char *p = e->eq;
    char *a = e->terms[0], *b = e->terms[1], *o = e->terms[2];
    if (!take_term(&p, ',', a) || *p != ',' || (++p, !take_term(&p, '-', b)) || strncmp(p, "->", 2) != 0 ||
        (p += 2, !take_term(&p, '\0', o)) || *p) {
        snprintf(e->why, sizeof e->why, "needs two operands and an explicit output, lowercase letters, none repeated");
        return;
    }
    char bt[8] = "", m[8] = "", k[8] = "", nn[8] = "";
    for (const char *c = o; *c; c++) {
        char *dst = has(a, *c) && has(b, *c) ? bt : has(a, *c) ? m : has(b, *c) ? nn : NULL;
        if (!dst) {
            snprintf(e->why, sizeof e->why, "output letter '%c' is in neither operand", *c);
            return;
        }
        append(dst, *c);
    }
    for (const char *c = a; *c; c++)
        if (has(b, *c) && !has(o, *c)) append(k, *c);
    for (int t = 0; t < 2; t++)
        for (const char *c = e->terms[t]; *c; c++)
            if (!has(o, *c) && !has(e->terms[1 - t], *c)) {
                snprintf(e->why, sizeof e->why, "letter '%c' is summed within one operand (not supported)", *c);
                return;
            }
    if (!groups(a, bt, m, k, &e->ta) || !groups(b, bt, k, nn, &e->tb) || !groups(o, bt, m, nn, &e->tout)) {
        snprintf(e->why, sizeof e->why,
                 "is not a batched matrix product without transposes of its batch letters (%s first in every term)",
                 bt[0] ? bt : "none");
        return;
    }
    e->nbatch = (int)strlen(bt);
    e->nm = (int)strlen(m);
    e->nk = (int)strlen(k);
    e->nn = (int)strlen(nn);
}

/* The size of each letter, from the operands; false on a disagreement (named in msg). */
static bool letter_sizes(const einsum_attr *e, const fv_tensor *a, const fv_tensor *b, int64_t size[26])
{
    for (int i = 0; i < 26; i++) size[i] = -1;
    const fv_tensor *ops[2] = {a, b};
    for (int t = 0; t < 2; t++)
        for (int d = 0; e->terms[t][d]; d++) {
            int64_t *s = &size[e->terms[t][d] - 'a'];
            if (*s >= 0 && *s != ops[t]->shape[d]) return false;
            *s = ops[t]->shape[d];
        }
    return true;
}

static int64_t product_of(const char *letters, int n, const int64_t size[26])
{
    int64_t p = 1;
    for (int i = 0; i < n; i++) p *= size[letters[i] - 'a'];
    return p;
}

/* The batched product behind the equation: (batch, M, K) x (batch, K, N) with the stored orders; a result
 * stored (N, M) is computed as out^T = op(b)^T op(a)^T, i.e. with the operands' roles exchanged. */
static void einsum_geom(const fv_node *n, fv_matmul_geom *g, bool *swap)
{
    const einsum_attr *e = n->attr;
    int64_t size[26];
    letter_sizes(e, &n->in[IN_A]->value, &n->in[IN_B]->value, size);
    const char *o = e->terms[2];
    memset(g, 0, sizeof *g);
    for (int d = 0; d < FV_MATMUL_BATCH_DIMS; d++) g->out[d] = g->a[d] = g->b[d] = 1;
    g->count = product_of(o, e->nbatch, size);
    g->out[FV_MATMUL_BATCH_DIMS - 1] = g->a[FV_MATMUL_BATCH_DIMS - 1] = g->b[FV_MATMUL_BATCH_DIMS - 1] = g->count;
    int64_t M = product_of(e->terms[0] + e->nbatch + (e->ta ? e->nk : 0), e->nm, size);
    int64_t K = product_of(e->terms[0] + e->nbatch + (e->ta ? 0 : e->nm), e->nk, size);
    int64_t N = product_of(e->terms[1] + e->nbatch + (e->tb ? 0 : e->nk), e->nn, size);
    g->alpha = 1.0f;
    *swap = e->tout;
    if (!e->tout) {
        g->M = M, g->K = K, g->N = N, g->ta = e->ta, g->tb = e->tb;
    } else { /* out^T (N, M) = op(b)^T (N, K) op(a)^T (K, M) */
        g->M = N, g->K = K, g->N = M, g->ta = !e->tb, g->tb = !e->ta;
    }
}

static fv_status einsum_infer(fv_graph *g, fv_node *n)
{
    const einsum_attr *e = n->attr;
    if (e->bad_eq) return fv_node_error(g, n, FV_ERR_ARG, "the equation is NULL or longer than 63 characters");
    if (e->why[0]) return fv_node_error(g, n, FV_ERR_ARG, "equation \"%s\" %s", e->eq, e->why);
    fv_status s;
    if ((s = fv_expect(g, n, IN_A, -1, "input a")) || (s = fv_expect(g, n, IN_B, -1, "input b"))) return s;
    const fv_tensor *a = &n->in[IN_A]->value, *b = &n->in[IN_B]->value;
    int64_t size[26];
    if (a->ndim != (int)strlen(e->terms[0]) || b->ndim != (int)strlen(e->terms[1]) || !letter_sizes(e, a, b, size))
        return fv_node_error(g, n, FV_ERR_SHAPE, "equation \"%s\" does not fit inputs %s and %s (ranks, or sizes of "
                             "one letter that differ)", e->eq, fv_dims(a), fv_dims(b));
    int64_t shape[FV_MAX_DIMS];
    int nd = 0;
    for (const char *c = e->terms[2]; *c; c++) shape[nd++] = size[*c - 'a'];
    fv_node_set_shape(n, FV_F32, nd, shape);
    return FV_OK;
}

static fv_status einsum_forward(fv_graph *g, fv_node *n)
{
    fv_matmul_geom mg;
    bool swap;
    einsum_geom(n, &mg, &swap);
    const float *a = fv_f32(&n->in[IN_A]->value), *b = fv_f32(&n->in[IN_B]->value);
    fv_matmul_forward(g->ctx, fv_f32(&n->value), swap ? b : a, swap ? a : b, 0.0f, &mg, NULL);
    return FV_OK;
}

static void einsum_backward(fv_graph *g, fv_node *n)
{
    fv_matmul_geom mg;
    bool swap;
    einsum_geom(n, &mg, &swap);
    int first = swap ? IN_B : IN_A, second = swap ? IN_A : IN_B;
    fv_matmul_backward(g->ctx, fv_wants_grad(n, first) ? fv_f32(&n->in[first]->grad) : NULL,
                       fv_wants_grad(n, second) ? fv_f32(&n->in[second]->grad) : NULL, fv_f32(&n->grad),
                       fv_f32(&n->in[first]->value), fv_f32(&n->in[second]->value), &mg);
}

const fv_op_def fv_op_einsum = {"einsum", einsum_infer, einsum_forward, einsum_backward, false};

fv_node *fv_einsum(fv_graph *g, const char *equation, fv_node *a, fv_node *b)
{
    einsum_attr e = {0};
    if (!equation || strlen(equation) >= sizeof e.eq) e.bad_eq = true;
    else snprintf(e.eq, sizeof e.eq, "%s", equation);
    if (!e.bad_eq) einsum_parse(&e);
    return fv_graph_add(g, FV_OP_EINSUM, (fv_node *[]){a, b}, 2, 2, &e, sizeof e);
}
