/* fovea graph: parameters, nodes and the computation graph with reverse-mode autodiff.
 *
 * A graph is built by calling builder functions (fv_conv2d, fv_relu, ...); each adds one node and returns
 * it. A node is a symbolic tensor: its value exists after fv_graph_forward, its gradient after
 * fv_graph_backward. Builders accept NULL inputs and then return NULL, so a whole network can be built and
 * checked once at the end: the first error stays in the context. */
#ifndef FOVEA_GRAPH_H
#define FOVEA_GRAPH_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fv_graph fv_graph;
typedef struct fv_node fv_node;

/* ---- parameters ---------------------------------------------------------------------------------- */

/* A parameter owns a value and its gradient. It may be used by several nodes and several graphs (Siamese
 * twins, a frozen backbone shared by two heads): gradients from every use accumulate into one grad.
 * Reference counted: fv_param_new returns one reference, each graph using it holds another, and
 * fv_param_free drops one. */
typedef enum {
    FV_PARAM_WEIGHT = 0, /* learned by gradient descent (trainable unless frozen) */
    FV_PARAM_BUFFER = 1  /* state updated by the forward pass, never by gradients (batch norm's running stats) */
} fv_param_kind;

typedef struct fv_param {
    char name[64];
    fv_param_kind kind;
    bool trainable;   /* false: frozen, no gradient and no update; always false for buffers */
    fv_tensor value;  /* float32 */
    fv_tensor grad;   /* same shape, accumulated by backward, cleared by fv_param_zero_grad */
    int refs;
} fv_param;

fv_param *fv_param_new(fv_ctx *ctx, const char *name, fv_param_kind kind, int ndim, const int64_t *shape);
/* A parameter of another element type: integer and bool ones (a model's constant indices or masks) must be
 * buffers, and their grad is a float scalar nobody reads. */
fv_param *fv_param_new_typed(fv_ctx *ctx, const char *name, fv_param_kind kind, fv_dtype dtype, int ndim,
                             const int64_t *shape);
void fv_param_free(fv_param *p);
void fv_param_zero_grad(fv_param *p);
void fv_param_set_trainable(fv_param *p, bool trainable);

/* ---- graph ----------------------------------------------------------------------------------------- */

fv_graph *fv_graph_new(fv_ctx *ctx);
void fv_graph_free(fv_graph *g);
fv_ctx *fv_graph_ctx(const fv_graph *g);

/* A graph input (placeholder). Its shape may change later through fv_graph_set_input, e.g. for a last,
 * smaller batch: all shapes are then inferred again. */
/* Make g a graph for shape inference alone (models check layers and learn their shapes this way): inputs
 * added afterwards get a shape but no buffer, so a large input costs nothing; forward is refused. */
void fv_graph_set_shapes_only(fv_graph *g);
fv_node *fv_input(fv_graph *g, const char *name, fv_dtype dtype, int ndim, const int64_t *shape);
/* The node of a parameter in this graph; asking twice for one parameter gives the same node. */
fv_node *fv_use_param(fv_graph *g, fv_param *p);
/* A constant (copied in), e.g. class weights. */
fv_node *fv_constant(fv_graph *g, const fv_tensor *value);

/* Copy data into an input node. A new shape is accepted if every op accepts it. */
fv_status fv_graph_set_input(fv_graph *g, fv_node *input, const fv_tensor *data);

/* Train mode (the default): batch norm uses batch statistics and updates its running ones, dropout drops.
 * Eval mode: running statistics, no dropout. Backward works in both modes. */
void fv_graph_set_training(fv_graph *g, bool training);
bool fv_graph_training(const fv_graph *g);

/* Runs every node in order of construction (which is a topological order). */
fv_status fv_graph_forward(fv_graph *g);

/* Reverse pass from a scalar node (gradient 1), or from any node with a given seed gradient of its shape.
 * Gradients of trainable parameters are accumulated (+=) into fv_param.grad; gradients of nodes asked for
 * with fv_node_keep_grad are overwritten. */
fv_status fv_graph_backward(fv_graph *g, fv_node *loss);
fv_status fv_graph_backward_seed(fv_graph *g, fv_node *out, const fv_tensor *seed);

/* Ask backward to compute the gradient of this node (an input or an inner feature map). */
fv_status fv_node_keep_grad(fv_graph *g, fv_node *n);

/* Clear the gradients of every parameter the graph uses. */
void fv_graph_zero_grad(fv_graph *g);

/* ---- nodes ------------------------------------------------------------------------------------------ */

/* Valid after forward. In a training pass a batch norm read only by a ReLU or ReLU6 computes that activation too
 * and holds its output (the two share one buffer); fv_node_keep_value on the batch norm keeps its own. */
const fv_tensor *fv_node_value(const fv_node *n);
/* After backward: the gradient of a node asked for with fv_node_keep_grad, or of a parameter's node; else NULL. */
const fv_tensor *fv_node_grad(const fv_node *n);
const char *fv_node_name(const fv_node *n);
const char *fv_node_op_name(const fv_node *n);
fv_param *fv_node_param(const fv_node *n);        /* NULL unless a parameter node */
void fv_node_set_name(fv_node *n, const char *name);
/* Inference mode (implies eval mode): each value is dropped after its last reader and its buffer reused, so
 * only the outputs (nodes no other node reads) stay readable after forward, and backward is refused. */
void fv_graph_set_inference(fv_graph *g, bool on);
/* Keep this node's value readable after an inference-mode forward. */
void fv_node_keep_value(fv_node *n);
/* The most activation memory (node values, in bytes) the graph has held at once. */
int64_t fv_graph_peak_bytes(const fv_graph *g);

/* Training-mode forward passes so far. Random operators (dropout) draw pass k's numbers from counters
 * derived from k, so setting the count (when resuming a run) reproduces the masks an uninterrupted run gets. */
uint64_t fv_graph_train_passes(const fv_graph *g);
void fv_graph_set_train_passes(fv_graph *g, uint64_t passes);
/* Name the next node added to g (so that an error in its shape inference already names it). */
void fv_graph_set_next_name(fv_graph *g, const char *name);

/* Nodes in construction order, for walking a graph (summary, export). */
int fv_graph_node_count(const fv_graph *g);
fv_node *fv_graph_node(const fv_graph *g, int i);
int fv_node_input_count(const fv_node *n);
fv_node *fv_node_input(const fv_node *n, int i);
fv_node *fv_graph_find(const fv_graph *g, const char *name);

#ifdef __cplusplus
}
#endif
#endif
