/* Reading ONNX files: the protobuf (its nesting checked before protobuf-c, which recurses without a limit,
 * unpacks it), tensors checked against their dimensions, and the graph's names, readers and node order. */
#include <stdlib.h>
#include <string.h>

#include "onnx_internal.h"

/* Deeper nesting than any real model (graphs inside If/Loop attributes, nested sequence types) is refused
 * before protobuf-c's recursive unpacking could exhaust the stack. */
#define OX_MAX_DEPTH 40

static bool read_varint(const uint8_t *p, size_t n, size_t *i, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*i >= n) return false;
        uint8_t b = p[(*i)++];
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return true;
    }
    return false;
}

static const ProtobufCMessageDescriptor *sub_message(const ProtobufCMessageDescriptor *d, uint32_t id)
{
    for (unsigned k = 0; k < d->n_fields; k++)
        if (d->fields[k].id == id)
            return d->fields[k].type == PROTOBUF_C_TYPE_MESSAGE ? d->fields[k].descriptor : NULL;
    return NULL;
}

/* Walks the wire format of a message of type d: every length within its parent, every sub-message of a known
 * field walked in turn, at most OX_MAX_DEPTH deep. Returns false with *why set otherwise. */
static bool wire_check(const uint8_t *p, size_t n, const ProtobufCMessageDescriptor *d, int depth, const char **why)
{
    if (depth > OX_MAX_DEPTH) {
        *why = "messages nested deeper than 40 levels";
        return false;
    }
    size_t i = 0;
    while (i < n) {
        uint64_t key, len;
        if (!read_varint(p, n, &i, &key)) return *why = "a field's tag runs past its message", false;
        switch (key & 7) {
        case 0:
            if (!read_varint(p, n, &i, &len)) return *why = "a number runs past its message", false;
            break;
        case 1:
        case 5: {
            size_t w = (key & 7) == 1 ? 8 : 4;
            if (n - i < w) return *why = "a fixed-size field runs past its message", false;
            i += w;
            break;
        }
        case 2: {
            if (!read_varint(p, n, &i, &len)) return *why = "a length runs past its message", false;
            if (len > n - i) return *why = "a field's length goes beyond the end of the file or its message", false;
            const ProtobufCMessageDescriptor *sub = sub_message(d, (uint32_t)(key >> 3));
            if (sub && !wire_check(p + i, (size_t)len, sub, depth + 1, why)) return false;
            i += (size_t)len;
            break;
        }
        default: return *why = "a field of an unknown wire type", false;
        }
    }
    return true;
}

Onnx__ModelProto *ox_unpack(fv_ctx *ctx, const void *data, size_t size, const char *path)
{
    const char *why = NULL;
    if (size == 0) why = "the file is empty";
    else if (size > OX_MAX_FILE) why = "the file is over 2 GiB (ONNX's protobuf limit)";
    else wire_check(data, size, &onnx__model_proto__descriptor, 0, &why);
    Onnx__ModelProto *mp = why ? NULL : onnx__model_proto__unpack(NULL, size, data);
    if (!mp && !why) why = "protobuf-c could not unpack it";
    if (!mp) fv_error(ctx, FV_ERR_FORMAT, "%s: not a valid ONNX model (truncated or malformed protobuf: %s)", path, why);
    return mp;
}

/* ---- names ------------------------------------------------------------------------------------------ */

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

ox_entry *ox_find(ox_table *t, const char *name)
{
    if (!t->n_slots || !name) return NULL;
    for (uint32_t i = hash(name) & (uint32_t)(t->n_slots - 1);; i = (i + 1) & (uint32_t)(t->n_slots - 1)) {
        int k = t->slots[i];
        if (!k) return NULL;
        if (strcmp(t->e[k - 1].name, name) == 0) return &t->e[k - 1];
    }
}

static bool rehash(ox_table *t, int n_slots)
{
    int *s = calloc((size_t)n_slots, sizeof *s);
    if (!s) return false;
    for (int k = 0; k < t->n; k++) {
        uint32_t i = hash(t->e[k].name) & (uint32_t)(n_slots - 1);
        while (s[i]) i = (i + 1) & (uint32_t)(n_slots - 1);
        s[i] = k + 1;
    }
    free(t->slots);
    t->slots = s, t->n_slots = n_slots;
    return true;
}

/* The entry of a name, made if new; names point into the protobuf, which outlives the table. */
ox_entry *ox_add_name(ox_import *im, const char *name)
{
    ox_table *t = &im->t;
    ox_entry *e = ox_find(t, name);
    if (e) return e;
    if (t->n == t->cap) {
        int cap = t->cap ? 2 * t->cap : 64;
        ox_entry *ne = realloc(t->e, (size_t)cap * sizeof *ne);
        if (!ne) goto nomem;
        t->e = ne, t->cap = cap;
    }
    if (2 * (t->n + 1) > t->n_slots && !rehash(t, t->n_slots ? 2 * t->n_slots : 128)) goto nomem;
    e = &t->e[t->n++];
    memset(e, 0, sizeof *e);
    e->name = name;
    e->producer = -1;
    uint32_t i = hash(name) & (uint32_t)(t->n_slots - 1);
    while (t->slots[i]) i = (i + 1) & (uint32_t)(t->n_slots - 1);
    t->slots[i] = t->n;
    return e;
nomem:
    fv_error(im->ctx, FV_ERR_NOMEM, "%s: out of memory indexing the graph", im->path);
    return NULL;
}

void ox_table_free(ox_table *t)
{
    for (int k = 0; k < t->n; k++)
        if (t->e[k].v.kind == OX_CONST || t->e[k].v.kind == OX_MATMUL) ox_tensor_free(&t->e[k].v.c);
    free(t->e);
    free(t->slots);
    memset(t, 0, sizeof *t);
}

/* ---- tensors ---------------------------------------------------------------------------------------- */

void ox_tensor_free(ox_tensor *t)
{
    if (t->owned) free(t->data);
    t->data = NULL, t->owned = false;
}

fv_status ox_tensor_alloc(ox_import *im, ox_tensor *t, ox_type type, int ndim, const int64_t *dims)
{
    memset(t, 0, sizeof *t);
    t->type = type, t->ndim = ndim;
    for (int d = 0; d < ndim; d++) t->dims[d] = dims[d];
    t->n = fv_size_product(ndim, dims, OX_MAX_ELEMENTS);
    if (t->n < 0) return ox_fail(im, FV_ERR_FORMAT, "a tensor with a negative dimension or more than 2^31 elements");
    /* folding may not build more than this in all: shape arithmetic is tiny, a hostile file need not be */
    if (t->n > OX_FOLD_BUDGET - im->folded)
        return ox_fail(im, FV_ERR_UNSUPPORTED, "constants computed while importing would exceed 2^25 elements");
    im->folded += t->n;
    t->data = malloc((size_t)(t->n ? t->n : 1) * 8);
    if (!t->data) return ox_fail(im, FV_ERR_NOMEM, "out of memory for a tensor of %lld elements", (long long)t->n);
    t->owned = true;
    return FV_OK;
}

static size_t type_size(int32_t type)
{
    switch (type) {
    case OX_T_FLOAT: case OX_T_INT32: case OX_T_UINT32: return 4;
    case OX_T_INT64: case OX_T_DOUBLE: case OX_T_UINT64: return 8;
    case OX_T_UINT8: case OX_T_INT8: case OX_T_BOOL: return 1;
    case OX_T_UINT16: case OX_T_INT16: case OX_T_FLOAT16: return 2;
    default: return 0;
    }
}

static const char *type_name(int32_t type)
{
    static const char *const names[] = {"undefined", "float", "uint8", "int8", "uint16", "int16", "int32", "int64",
                                        "string", "bool", "float16", "double", "uint32", "uint64", "complex64",
                                        "complex128", "bfloat16"};
    return type >= 0 && type < (int32_t)(sizeof names / sizeof names[0]) ? names[type] : "unknown";
}

/* Element i of raw little-endian data of an ONNX type, as double (floats) or int64 (integers). */
static double raw_f(const uint8_t *p, int32_t type, int64_t i)
{
    if (type == OX_T_DOUBLE) {
        double v;
        memcpy(&v, p + 8 * i, 8);
        return v;
    }
    float v;
    memcpy(&v, p + 4 * i, 4);
    return v;
}

static int64_t raw_i(const uint8_t *p, int32_t type, int64_t i)
{
    switch (type) {
    case OX_T_INT64: case OX_T_UINT64: { int64_t v; memcpy(&v, p + 8 * i, 8); return v; }
    case OX_T_INT32: { int32_t v; memcpy(&v, p + 4 * i, 4); return v; }
    case OX_T_UINT32: { uint32_t v; memcpy(&v, p + 4 * i, 4); return v; }
    case OX_T_INT16: { int16_t v; memcpy(&v, p + 2 * i, 2); return v; }
    case OX_T_UINT16: { uint16_t v; memcpy(&v, p + 2 * i, 2); return v; }
    case OX_T_INT8: return (int8_t)p[i];
    default: return p[i]; /* uint8, bool */
    }
}

static bool is_float_type(int32_t t) { return t == OX_T_FLOAT || t == OX_T_DOUBLE; }

/* The typed field that holds a type's values when raw_data is not used, and its length. */
static size_t typed_count(const Onnx__TensorProto *p)
{
    switch (p->data_type) {
    case OX_T_FLOAT: return p->n_float_data;
    case OX_T_DOUBLE: return p->n_double_data;
    case OX_T_INT64: return p->n_int64_data;
    case OX_T_UINT32: case OX_T_UINT64: return p->n_uint64_data;
    default: return p->n_int32_data; /* int32, int16, int8, uint16, uint8, bool, float16 */
    }
}

static fv_status tensor_checks(ox_import *im, const Onnx__TensorProto *p, const char *what, int64_t *count)
{
    fv_ctx *ctx = im->ctx;
    if (p->has_data_location && p->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
        return fv_error(ctx, FV_ERR_UNSUPPORTED, "%s: %s keeps its data in an external file, which fovea does not read",
                        im->path, what);
    if (p->segment) return fv_error(ctx, FV_ERR_UNSUPPORTED, "%s: %s is a segment of a tensor", im->path, what);
    int32_t type = p->has_data_type ? p->data_type : 0;
    if (!type_size(type) || type == OX_T_FLOAT16)
        return fv_error(ctx, FV_ERR_UNSUPPORTED, "%s: %s has data type %s (%d); fovea reads float, double and integer "
                        "tensors", im->path, what, type_name(type), (int)type);
    if (p->n_dims > OX_MAX_DIMS)
        return fv_error(ctx, FV_ERR_FORMAT, "%s: %s has %zu dimensions (at most %d)", im->path, what, p->n_dims,
                        OX_MAX_DIMS);
    int64_t n = fv_size_product((int)p->n_dims, p->dims, OX_MAX_ELEMENTS);
    for (size_t d = 0; n < 0 && d < p->n_dims; d++)
        if (p->dims[d] < 0)
            return fv_error(ctx, FV_ERR_FORMAT, "%s: %s has dimension %zu of %lld", im->path, what, d,
                            (long long)p->dims[d]);
    if (n < 0) {
        char shape[200];
        size_t used = 0;
        shape[0] = '\0';
        for (size_t d = 0; d < p->n_dims && used < sizeof shape; d++)
            used += (size_t)snprintf(shape + used, sizeof shape - used, d ? ", %lld" : "%lld", (long long)p->dims[d]);
        return fv_error(ctx, FV_ERR_FORMAT, "%s: %s has dimensions (%s): over 2^31 elements in all",
                        im->path, what, shape);
    }
    size_t typed = typed_count(p);
    if (p->has_raw_data && typed)
        return fv_error(ctx, FV_ERR_FORMAT, "%s: %s has both raw_data and typed values", im->path, what);
    size_t have = p->has_raw_data ? p->raw_data.len : typed;
    int64_t bytes = n; /* n <= 2^31 and a type is at most 8 bytes: cannot fail, but said through the helper */
    if (p->has_raw_data && !fv_size_mul(n, (int64_t)type_size(type), INT64_MAX, &bytes))
        return fv_error(ctx, FV_ERR_FORMAT, "%s: %s is too large", im->path, what);
    size_t want = (size_t)bytes;
    if (have != want)
        return fv_error(ctx, FV_ERR_FORMAT, "%s: %s has %zu %s for its %lld elements of %s (dimensions say %zu)",
                        im->path, what, have, p->has_raw_data ? "bytes of raw_data" : "values", (long long)n,
                        type_name(type), want);
    *count = n;
    return FV_OK;
}

fv_status ox_tensor_from_proto(ox_import *im, const Onnx__TensorProto *p, const char *what, ox_tensor *out)
{
    int64_t n = 0;
    fv_status s = tensor_checks(im, p, what, &n);
    if (s) return s;
    int32_t type = p->data_type;
    bool fl = is_float_type(type);
    /* float and int64 data are used where protobuf-c put them (its buffers are malloc'd, so aligned);
     * this assumes a little-endian machine, as raw_data is little-endian */
    if ((type == OX_T_FLOAT || type == OX_T_INT64) && n > 0) {
        memset(out, 0, sizeof *out);
        out->type = fl ? OX_F32 : OX_I64;
        out->ndim = (int)p->n_dims;
        for (int d = 0; d < out->ndim; d++) out->dims[d] = p->dims[d];
        out->n = n;
        out->data = p->has_raw_data ? (void *)p->raw_data.data : fl ? (void *)p->float_data : (void *)p->int64_data;
        out->onnx_type = type;
        return FV_OK;
    }
    if ((s = ox_tensor_alloc(im, out, fl ? OX_F32 : OX_I64, (int)p->n_dims, p->dims))) return s;
    out->is_bool = type == OX_T_BOOL;
    out->onnx_type = type;
    for (int64_t i = 0; i < n; i++) {
        if (fl) {
            double v = p->has_raw_data ? raw_f(p->raw_data.data, type, i)
                                       : type == OX_T_DOUBLE ? p->double_data[i] : p->float_data[i];
            ((float *)out->data)[i] = (float)v;
        } else if (p->has_raw_data) {
            ((int64_t *)out->data)[i] = raw_i(p->raw_data.data, type, i);
        } else {
            int64_t v = type == OX_T_INT64 ? p->int64_data[i]
                        : (type == OX_T_UINT32 || type == OX_T_UINT64) ? (int64_t)p->uint64_data[i] : p->int32_data[i];
            ((int64_t *)out->data)[i] = v;
        }
    }
    return FV_OK;
}

/* ---- the graph ---------------------------------------------------------------------------------------- */

static fv_status add_producer(ox_import *im, const char *name, int node, const char *what)
{
    if (!name || !*name)
        return node < 0 ? fv_error(im->ctx, FV_ERR_FORMAT, "%s: %s without a name", im->path, what) : FV_OK;
    ox_entry *e = ox_add_name(im, name);
    if (!e) return FV_ERR_NOMEM;
    if (e->defined)
        return fv_error(im->ctx, FV_ERR_FORMAT, "%s: tensor '%s' is defined twice (%s)", im->path, name, what);
    e->producer = node;
    e->defined = true;
    return FV_OK;
}

static const char *node_label(const Onnx__NodeProto *nd, char *buf, size_t size)
{
    snprintf(buf, size, "node '%s' (%s)", ox_node_name(nd), nd->op_type ? nd->op_type : "?");
    return buf;
}

/* Every name: initializers and graph inputs defined outside, each node output defined once, each node input
 * defined somewhere. */
static fv_status index_names(ox_import *im)
{
    const Onnx__GraphProto *g = im->g;
    char label[200];
    /* layers are added and named in linear time; the bound keeps a hostile file's memory in check */
    if (g->n_node > OX_MAX_NODES)
        return fv_error(im->ctx, FV_ERR_UNSUPPORTED, "%s: the graph has %zu nodes (fovea reads at most %d)", im->path,
                        g->n_node, OX_MAX_NODES);
    for (size_t i = 0; i < g->n_initializer; i++) {
        fv_status s = add_producer(im, g->initializer[i]->name, -1, "an initializer");
        if (s) return s;
    }
    for (size_t i = 0; i < g->n_input; i++) {
        const char *name = g->input[i]->name;
        ox_entry *e = name ? ox_find(&im->t, name) : NULL;
        if (e) continue; /* older files list initializers among the inputs too */
        fv_status s = add_producer(im, name, -1, "a graph input");
        if (s) return s;
    }
    for (size_t i = 0; i < g->n_node; i++) {
        const Onnx__NodeProto *nd = g->node[i];
        if (!nd->op_type || !*nd->op_type)
            return fv_error(im->ctx, FV_ERR_FORMAT, "%s: node %zu ('%s') has no operator", im->path, i, ox_node_name(nd));
        for (size_t k = 0; k < nd->n_output; k++) {
            fv_status s = add_producer(im, nd->output[k], (int)i, node_label(nd, label, sizeof label));
            if (s) return s;
        }
    }
    size_t n_in = 0;
    for (size_t i = 0; i < g->n_node; i++) n_in += g->node[i]->n_input;
    im->in_start = malloc((g->n_node + 1) * sizeof *im->in_start);
    im->in_entry = malloc((n_in + 1) * sizeof *im->in_entry);
    if (!im->in_start || !im->in_entry) return fv_error(im->ctx, FV_ERR_NOMEM, "%s: out of memory indexing the graph", im->path);
    n_in = 0;
    for (size_t i = 0; i < g->n_node; i++) {
        const Onnx__NodeProto *nd = g->node[i];
        im->in_start[i] = n_in;
        for (size_t k = 0; k < nd->n_input; k++) {
            im->in_entry[n_in++] = -1;
            if (!nd->input[k] || !*nd->input[k]) continue; /* an optional input left out */
            ox_entry *e = ox_find(&im->t, nd->input[k]);
            if (!e)
                return fv_error(im->ctx, FV_ERR_FORMAT, "%s: %s reads '%s', which is neither a graph input, an "
                                "initializer nor the output of a node (a missing initializer?)", im->path,
                                node_label(nd, label, sizeof label), nd->input[k]);
            e->n_users++;
            e->user = (int)i;
            im->in_entry[n_in - 1] = (int)(e - im->t.e);
        }
    }
    return FV_OK;
}

static ox_entry *input_entry(ox_import *im, int node, size_t k)
{
    int e = im->in_entry[im->in_start[node] + k];
    return e >= 0 ? &im->t.e[e] : NULL;
}

/* Marks the nodes the output needs (walking producers back from it, with an explicit stack). */
static fv_status mark_needed(ox_import *im, ox_entry *out, char *needed)
{
    const Onnx__GraphProto *g = im->g;
    int *stack = malloc((g->n_node + 1) * sizeof *stack), top = 0;
    if (!stack) return fv_error(im->ctx, FV_ERR_NOMEM, "%s: out of memory ordering the graph", im->path);
    if (out->producer >= 0) needed[out->producer] = 1, stack[top++] = out->producer;
    while (top) {
        int cur = stack[--top];
        const Onnx__NodeProto *nd = g->node[cur];
        for (size_t k = 0; k < nd->n_input; k++) {
            ox_entry *e = input_entry(im, cur, k);
            if (e && e->producer >= 0 && !needed[e->producer]) needed[e->producer] = 1, stack[top++] = e->producer;
        }
    }
    free(stack);
    return FV_OK;
}

/* A min-heap of node indices, so that ready nodes are taken in file order. */
static void heap_push(int *h, int *n, int v)
{
    int i = (*n)++;
    for (; i > 0 && h[(i - 1) / 2] > v; i = (i - 1) / 2) h[i] = h[(i - 1) / 2];
    h[i] = v;
}

static int heap_pop(int *h, int *n)
{
    int top = h[0], v = h[--*n], i = 0;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= *n) break;
        if (c + 1 < *n && h[c + 1] < h[c]) c++;
        if (h[c] >= v) break;
        h[i] = h[c], i = c;
    }
    h[i] = v;
    return top;
}

/* Kahn's algorithm over the needed nodes, taking the earliest ready node first, so that a file already in
 * topological order keeps its order; a node left over is on a cycle. */
static fv_status order_nodes(ox_import *im, const char *needed)
{
    const Onnx__GraphProto *g = im->g;
    int n = (int)g->n_node;
    size_t n_edges = 0;
    for (int i = 0; i < n; i++) n_edges += needed[i] ? g->node[i]->n_input : 0;
    int *waiting = calloc((size_t)n + 1, sizeof(int)), *start = calloc((size_t)n + 2, sizeof(int));
    int *edges = malloc((n_edges + 1) * sizeof(int)), *heap = malloc(((size_t)n + 1) * sizeof(int));
    im->order = malloc(((size_t)n + 1) * sizeof *im->order);
    fv_status s = FV_OK;
    if (!waiting || !start || !edges || !heap || !im->order) {
        s = fv_error(im->ctx, FV_ERR_NOMEM, "%s: out of memory ordering the graph", im->path);
        goto done;
    }
    /* edges producer -> reader, grouped by producer (start[p] .. start[p + 1]) */
    for (int i = 0; i < n; i++)
        for (size_t k = 0; needed[i] && k < g->node[i]->n_input; k++) {
            ox_entry *e = input_entry(im, i, k);
            if (e && e->producer >= 0) start[e->producer + 1]++, waiting[i]++;
        }
    for (int i = 0; i < n; i++) start[i + 1] += start[i];
    for (int i = 0; i < n; i++)
        for (size_t k = 0; needed[i] && k < g->node[i]->n_input; k++) {
            ox_entry *e = input_entry(im, i, k);
            if (e && e->producer >= 0) edges[start[e->producer]++] = i;
        }
    for (int i = n; i > 0; i--) start[i] = start[i - 1]; /* filling advanced each start to the next one's */
    start[0] = 0;
    int n_heap = 0, total = 0;
    for (int i = 0; i < n; i++) {
        total += needed[i];
        if (needed[i] && !waiting[i]) heap_push(heap, &n_heap, i);
    }
    im->n_order = 0;
    while (n_heap) {
        int i = heap_pop(heap, &n_heap);
        im->order[im->n_order++] = i;
        for (int k = start[i]; k < start[i + 1]; k++)
            if (--waiting[edges[k]] == 0) heap_push(heap, &n_heap, edges[k]);
    }
    for (int i = 0; im->n_order < total && i < n; i++)
        if (needed[i] && waiting[i]) {
            char label[200];
            s = fv_error(im->ctx, FV_ERR_FORMAT, "%s: the graph has a cycle through %s", im->path,
                         node_label(g->node[i], label, sizeof label));
            break;
        }
done:
    free(waiting), free(start), free(edges), free(heap);
    return s;
}

fv_status ox_index_graph(ox_import *im)
{
    fv_status s = index_names(im);
    if (s) return s;
    const Onnx__GraphProto *g = im->g;
    if (g->n_output < 1 || g->n_output > FV_MODEL_MAX_IO)
        return fv_error(im->ctx, FV_ERR_UNSUPPORTED, "%s: the graph has %zu outputs; fovea models have 1 to %d",
                        im->path, g->n_output, FV_MODEL_MAX_IO);
    char *needed = calloc(g->n_node + 1, 1);
    if (!needed) return fv_error(im->ctx, FV_ERR_NOMEM, "%s: out of memory ordering the graph", im->path);
    for (size_t k = 0; !s && k < g->n_output; k++) {
        ox_entry *out = g->output[k]->name ? ox_find(&im->t, g->output[k]->name) : NULL;
        if (!out) {
            s = fv_error(im->ctx, FV_ERR_FORMAT, "%s: the graph's output '%s' is made by no node", im->path,
                         g->output[k]->name ? g->output[k]->name : "");
            break;
        }
        out->is_output = true;
        out->n_users++;
        s = mark_needed(im, out, needed);
    }
    if (!s) s = order_nodes(im, needed);
    free(needed);
    return s;
}
