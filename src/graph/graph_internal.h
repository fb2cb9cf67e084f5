/* The graph's and nodes' fields and the interface every operator implements. Ops (src/ops/) include this;
 * users do not. */
#ifndef FV_GRAPH_INTERNAL_H
#define FV_GRAPH_INTERNAL_H

#include "../core/internal.h"
#include "../ops/op_list.h"
#include "fovea/graph.h"

typedef enum {
#define FV_OP_ENUM(e, stem) FV_OP_##e,
    FV_OP_LIST(FV_OP_ENUM)
#undef FV_OP_ENUM
    FV_OP_COUNT
} fv_op_kind;

#define FV_NODE_AUX 3

struct fv_node {
    int id;              /* index in the graph: construction order, a topological order */
    fv_op_kind op;
    char name[64];
    fv_graph *graph;
    fv_node **in;        /* n_in inputs at fixed positions; optional ones may be NULL */
    int n_in;
    void *attr;          /* op-specific attributes, a copy owned by the node */
    fv_tensor value;     /* output; param nodes view the parameter's value */
    int64_t value_cap;   /* bytes allocated in value.data (infer may change the shape before forward) */
    fv_tensor grad;      /* d(loss)/d(value); param nodes view the parameter's grad */
    fv_tensor aux[FV_NODE_AUX]; /* what forward saves for backward (argmax, mask, batch statistics) */
    fv_param *param;     /* FV_OP_PARAM only */
    bool keep_grad;      /* the user asked for this node's gradient */
    bool keep_value;     /* inference mode must not drop this value (fv_node_keep_value) */
    bool needs_grad;     /* set before each backward: a gradient must flow into this node */
    bool on_path;        /* set before each backward: the node feeds the differentiated output */
    bool grad_fresh;     /* during backward: grad holds no values yet, the first writer assigns (fv_grad_fresh) */
    /* Training-pass fusion (fuse.c), decided before each training forward: fused_clamp > 0 on a batch norm that
     * applies the ReLU (+inf) or ReLU6 (6) after it itself; fused_view on that activation, whose value is then
     * the batch norm's buffer and whose forward does nothing. */
    float fused_clamp;
    bool fused_view;
    /* And set before each backward through such a pair (autodiff.c), unless either gradient was asked for:
     * grad_shared on the activation, whose gradient buffer is then the batch norm's and whose backward does
     * nothing; grad_unclamped on the batch norm, whose gradient then still has to go through the clamp (its
     * backward does that per channel, while the planes are in the cache: one pass over memory fewer). */
    bool grad_shared, grad_unclamped;
    void *kernel_cache;  /* what an op keeps from one forward pass to the next (a convolution's packed weights) */
    void (*kernel_cache_free)(void *cache);
};

/* A buffer waiting in the inference-mode pool (memory.c). */
typedef struct {
    void *data;
    int64_t bytes;
} fv_pooled;

struct fv_graph {
    fv_ctx *ctx;
    fv_node **nodes;
    int n_nodes, cap_nodes;
    bool training;
    bool shapes_dirty;   /* an input changed shape: infer every shape again before the next forward */
    bool forward_done;   /* values are current, so backward may run */
    uint64_t train_passes; /* training-mode forward passes so far: random ops (dropout) key on it */
    char next_name[64];  /* fv_graph_set_next_name: the name of the next node added */
    bool inference;      /* values are dropped after their last reader (memory.c); no backward */
    bool shapes_only;    /* for shape inference alone: inputs get no buffers, forward is refused */
    int *last_use;       /* per node, the last node reading it (-1: an output) */
    fv_pooled *pool;     /* buffers free for reuse */
    int n_pool, cap_pool;
    int64_t live_bytes, peak_bytes; /* activation bytes held now and at most */
    int *param_slots;    /* hash of parameter -> its node's id + 1 (0: empty), so fv_use_param is O(1) */
    size_t param_cap, n_param_nodes;
};

/* What each operator provides. infer validates inputs and attributes and sets n->value's dtype, ndim and
 * shape (not its data); forward fills n->value; backward adds (+=) the gradient of every input that has
 * needs_grad set, from n->grad. */
typedef struct fv_op_def {
    const char *name;
    fv_status (*infer)(fv_graph *g, fv_node *n);
    fv_status (*forward)(fv_graph *g, fv_node *n);
    void (*backward)(fv_graph *g, fv_node *n);
    /* The output is input 0's data under another shape (a reshape, squeeze, unsqueeze or flatten of a
     * contiguous tensor): the graph points the value at the input's buffer instead of running forward, and
     * keeps that buffer alive as long as the view has readers (memory.c). Gradients are not shared. */
    bool view;
} fv_op_def;

/* The node whose buffer n's value lives in: n itself, or the end of a chain of views. */
fv_node *fv_view_root(fv_node *n);

const fv_op_def *fv_op_get(fv_op_kind op);

/* Add a node: check inputs (NULL required inputs propagate an earlier failure), copy the attributes,
 * infer the shape. Returns NULL with the error in the context. n_required: inputs [0, n_required) must be
 * non-NULL, the rest are optional. */
fv_node *fv_graph_add(fv_graph *g, fv_op_kind op, fv_node *const *in, int n_in, int n_required,
                      const void *attr, size_t attr_size);

/* An error about node n: the message starts with "<op> '<name>': ". */
fv_status fv_node_error(fv_graph *g, const fv_node *n, fv_status code, const char *fmt, ...) FV_PRINTF(4, 5);

/* Shape of a tensor as text, in a static buffer rotation (up to 4 at once, for messages only). */
const char *fv_dims(const fv_tensor *t);

/* Make sure aux slot k has this shape (allocated, zeroed when the size changes). */
fv_status fv_node_aux(fv_graph *g, fv_node *n, int k, fv_dtype dtype, int ndim, const int64_t *shape);

/* Whether backward should produce the gradient of input i. */
static inline bool fv_wants_grad(const fv_node *n, int i)
{
    return n->in[i] && n->in[i]->needs_grad;
}

/* Whether backward must assign (=) rather than add (+=) input i's gradient: its buffer holds no values yet.
 * Only ever true for an op listed in autodiff.c's assigned_inputs, which then must write every element
 * of that gradient; for every other op the graph zeroes a fresh buffer before its backward runs. Saves a
 * pass of zeroing and a read per element on the big activation gradients. */
static inline bool fv_grad_fresh(const fv_node *n, int i)
{
    return n->in[i] && n->in[i]->grad_fresh;
}

/* Activation memory (memory.c): the readers' plan, a buffer for a node's value, returning dead inputs. */
fv_status fv_memory_plan(fv_graph *g);
fv_status fv_memory_acquire(fv_graph *g, fv_node *n);
void fv_memory_release_inputs(fv_graph *g, int i);
void fv_memory_free(fv_graph *g);
/* Before a training forward: fuse each ReLU or ReLU6 into the batch norm it alone reads (fuse.c). */
void fv_graph_fuse_training(fv_graph *g);

/* The clamp an activation node applies: +inf for ReLU, 6 for ReLU6, 0 for the other kinds (activation.c). */
float fv_activation_clamp(const fv_node *n);

/* Point a view node's value at its input's buffer (before the view's readers run). */
void fv_view_attach(fv_node *n);

/* Set n->value's shape in infer. */
void fv_node_set_shape(fv_node *n, fv_dtype dtype, int ndim, const int64_t *shape);

/* Expect input i to be float32 with ndim dims (ndim < 0: any), else an error naming the op. */
fv_status fv_expect(fv_graph *g, const fv_node *n, int i, int ndim, const char *what);

#endif
