/* Protobuf bytes for the ONNX tests, written and read by hand (independently of the library's protobuf-c code),
 * so that tests can build any model, well-formed or hostile, and read ONNX's TensorProto test data.
 * Field numbers are those of third_party/onnx/onnx.proto. */
#ifndef FV_TEST_PB_H
#define FV_TEST_PB_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint8_t *b;
    size_t n, cap;
} pb;

static inline void pb_raw(pb *p, const void *data, size_t n)
{
    if (p->n + n > p->cap) {
        size_t cap = p->cap ? p->cap : 256;
        while (cap < p->n + n) cap *= 2;
        uint8_t *b = realloc(p->b, cap);
        if (!b) abort();
        p->b = b, p->cap = cap;
    }
    if (n) memcpy(p->b + p->n, data, n);
    p->n += n;
}

static inline void pb_varint(pb *p, uint64_t v)
{
    uint8_t buf[10];
    int n = 0;
    do {
        buf[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    pb_raw(p, buf, (size_t)n);
}

static inline void pb_tag(pb *p, int field, int wire) { pb_varint(p, ((uint64_t)field << 3) | (uint64_t)wire); }
static inline void pb_int(pb *p, int field, int64_t v) { pb_tag(p, field, 0), pb_varint(p, (uint64_t)v); }
static inline void pb_float(pb *p, int field, float v) { pb_tag(p, field, 5), pb_raw(p, &v, 4); }
static inline void pb_bytes(pb *p, int field, const void *data, size_t n) { pb_tag(p, field, 2), pb_varint(p, n), pb_raw(p, data, n); }
static inline void pb_str(pb *p, int field, const char *s) { pb_bytes(p, field, s, strlen(s)); }
/* Appends sub as field `field` and frees it. */
static inline void pb_msg(pb *p, int field, pb *sub) { pb_bytes(p, field, sub->b, sub->n), free(sub->b), memset(sub, 0, sizeof *sub); }

/* ---- ONNX messages ------------------------------------------------------------------------------------------ */

enum { PB_FLOAT = 1, PB_INT64 = 7 };
enum { PB_A_FLOAT = 1, PB_A_INT = 2, PB_A_STRING = 3, PB_A_TENSOR = 4, PB_A_FLOATS = 6, PB_A_INTS = 7 };

/* TensorProto: dims, type, raw little-endian data. */
static inline pb pb_tensor(const char *name, int type, int ndim, const int64_t *dims, const void *data, size_t bytes)
{
    pb t = {0};
    for (int d = 0; d < ndim; d++) pb_int(&t, 1, dims[d]);
    pb_int(&t, 2, type);
    if (name) pb_str(&t, 8, name);
    pb_bytes(&t, 9, data, bytes);
    return t;
}

/* A float tensor filled with a deterministic pattern. */
static inline pb pb_ftensor(const char *name, int ndim, const int64_t *dims)
{
    int64_t n = 1;
    for (int d = 0; d < ndim; d++) n *= dims[d];
    float *v = malloc((size_t)(n ? n : 1) * sizeof *v);
    for (int64_t i = 0; i < n; i++) v[i] = (float)((i * 7919) % 97) / 97.0f - 0.5f;
    pb t = pb_tensor(name, PB_FLOAT, ndim, dims, v, (size_t)n * 4);
    free(v);
    return t;
}

static inline pb pb_itensor(const char *name, int n, const int64_t *v)
{
    int64_t dims[1] = {n};
    return pb_tensor(name, PB_INT64, 1, dims, v, (size_t)n * 8);
}

/* ValueInfoProto of a float tensor; a negative dimension is written as the symbol "N". */
static inline pb pb_value_info(const char *name, int ndim, const int64_t *dims)
{
    pb shape = {0}, tt = {0}, tp = {0}, vi = {0};
    for (int d = 0; d < ndim; d++) {
        pb dim = {0};
        if (dims[d] < 0) pb_str(&dim, 2, "N");
        else pb_int(&dim, 1, dims[d]);
        pb_msg(&shape, 1, &dim);
    }
    pb_int(&tt, 1, PB_FLOAT);
    pb_msg(&tt, 2, &shape);
    pb_msg(&tp, 1, &tt);
    pb_str(&vi, 1, name);
    pb_msg(&vi, 2, &tp);
    return vi;
}

/* NodeProto: inputs and outputs as comma-separated names ("" entries allowed: "x,,s"), attributes added with
 * the pb_attr_* functions below. */
static inline void pb_names(pb *p, int field, const char *list)
{
    if (!list || !*list) return;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", list);
    char *s = buf;
    for (;;) {
        char *comma = strchr(s, ',');
        if (comma) *comma = '\0';
        pb_str(p, field, s);
        if (!comma) break;
        s = comma + 1;
    }
}

static inline pb pb_node(const char *op, const char *name, const char *inputs, const char *outputs)
{
    pb nd = {0};
    pb_names(&nd, 1, inputs);
    pb_names(&nd, 2, outputs);
    if (name) pb_str(&nd, 3, name);
    pb_str(&nd, 4, op);
    return nd;
}

static inline void pb_attr_int(pb *nd, const char *name, int64_t v)
{
    pb a = {0};
    pb_str(&a, 1, name), pb_int(&a, 3, v), pb_int(&a, 20, PB_A_INT);
    pb_msg(nd, 5, &a);
}

static inline void pb_attr_float(pb *nd, const char *name, float v)
{
    pb a = {0};
    pb_str(&a, 1, name), pb_float(&a, 2, v), pb_int(&a, 20, PB_A_FLOAT);
    pb_msg(nd, 5, &a);
}

static inline void pb_attr_ints(pb *nd, const char *name, int n, const int64_t *v)
{
    pb a = {0};
    pb_str(&a, 1, name);
    for (int i = 0; i < n; i++) pb_int(&a, 8, v[i]);
    pb_int(&a, 20, PB_A_INTS);
    pb_msg(nd, 5, &a);
}

static inline void pb_attr_string(pb *nd, const char *name, const char *v)
{
    pb a = {0};
    pb_str(&a, 1, name), pb_str(&a, 4, v), pb_int(&a, 20, PB_A_STRING);
    pb_msg(nd, 5, &a);
}

/* GraphProto fields: node 1, name 2, initializer 5, input 11, output 12. ModelProto: ir_version 1, graph 7,
 * opset_import 8. */
static inline pb pb_model(int opset, pb *graph)
{
    pb m = {0}, os = {0};
    pb_int(&m, 1, 7);
    pb_str(&os, 1, "");
    pb_int(&os, 2, opset);
    pb_msg(&m, 8, &os);
    pb_msg(&m, 7, graph);
    return m;
}

/* ---- reading ------------------------------------------------------------------------------------------------ */

typedef struct {
    const uint8_t *p;
    size_t n, i;
} pb_reader;

static inline int pb_read_varint(pb_reader *r, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64 && r->i < r->n; shift += 7) {
        uint8_t b = r->p[r->i++];
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return 1;
    }
    return 0;
}

/* The next field: its number, wire type, and for length-delimited fields the bytes (for varints *v). Returns 0 at
 * the end or on malformed input. */
static inline int pb_next(pb_reader *r, int *field, int *wire, const uint8_t **data, size_t *len, uint64_t *v)
{
    uint64_t key;
    if (r->i >= r->n || !pb_read_varint(r, &key)) return 0;
    *field = (int)(key >> 3), *wire = (int)(key & 7);
    *data = NULL, *len = 0, *v = 0;
    switch (*wire) {
    case 0: return pb_read_varint(r, v);
    case 1: if (r->n - r->i < 8) return 0; *data = r->p + r->i, *len = 8, r->i += 8; return 1;
    case 5: if (r->n - r->i < 4) return 0; *data = r->p + r->i, *len = 4, r->i += 4; return 1;
    case 2:
        if (!pb_read_varint(r, v) || *v > r->n - r->i) return 0;
        *data = r->p + r->i, *len = (size_t)*v, r->i += (size_t)*v;
        return 1;
    default: return 0;
    }
}

/* A float or int64 TensorProto (raw_data, float_data or int64_data) as float values. */
typedef struct {
    char name[128];
    int ndim;
    int64_t dims[8];
    int64_t n;
    int type;
    float *v;
} pb_tensor_data;

static inline int pb_read_tensor(const uint8_t *b, size_t n, pb_tensor_data *t)
{
    memset(t, 0, sizeof *t);
    pb_reader r = {b, n, 0};
    const uint8_t *raw = NULL, *data;
    size_t raw_len = 0, len;
    int field, wire;
    uint64_t v;
    float *typed = NULL;
    size_t n_typed = 0;
    while (pb_next(&r, &field, &wire, &data, &len, &v)) {
        if (field == 1 && wire == 0 && t->ndim < 8) t->dims[t->ndim++] = (int64_t)v;
        else if (field == 1 && wire == 2) { /* packed dims */
            pb_reader q = {data, len, 0};
            while (q.i < q.n && t->ndim < 8 && pb_read_varint(&q, &v)) t->dims[t->ndim++] = (int64_t)v;
        } else if (field == 2 && wire == 0) t->type = (int)v;
        else if (field == 8 && wire == 2) snprintf(t->name, sizeof t->name, "%.*s", (int)len, (const char *)data);
        else if (field == 9 && wire == 2) raw = data, raw_len = len;
        else if (field == 4 && wire == 2) { /* packed float_data */
            typed = realloc(typed, (n_typed + len / 4) * sizeof *typed);
            memcpy(typed + n_typed, data, len / 4 * 4), n_typed += len / 4;
        } else if (field == 4 && wire == 5) {
            typed = realloc(typed, (n_typed + 1) * sizeof *typed);
            memcpy(typed + n_typed++, data, 4);
        } else if ((field == 7 || field == 5) && wire == 2) { /* packed int64_data, int32_data (bool too) */
            pb_reader q = {data, len, 0};
            while (q.i < q.n && pb_read_varint(&q, &v)) {
                typed = realloc(typed, (n_typed + 1) * sizeof *typed);
                typed[n_typed++] = (float)(int64_t)v;
            }
        }
    }
    t->n = 1;
    for (int d = 0; d < t->ndim; d++) t->n *= t->dims[d];
    t->v = malloc((size_t)(t->n ? t->n : 1) * sizeof *t->v);
    if (raw && t->type == PB_FLOAT && raw_len == (size_t)t->n * 4) memcpy(t->v, raw, raw_len);
    else if (raw && t->type == PB_INT64 && raw_len == (size_t)t->n * 8)
        for (int64_t i = 0; i < t->n; i++) {
            int64_t x;
            memcpy(&x, raw + 8 * i, 8);
            t->v[i] = (float)x;
        }
    else if (raw && t->type == 6 && raw_len == (size_t)t->n * 4) /* int32 */
        for (int64_t i = 0; i < t->n; i++) {
            int32_t x;
            memcpy(&x, raw + 4 * i, 4);
            t->v[i] = (float)x;
        }
    else if (raw && (t->type == 9 || t->type == 2) && raw_len == (size_t)t->n) /* bool, uint8 */
        for (int64_t i = 0; i < t->n; i++) t->v[i] = raw[i];
    else if (!raw && n_typed == (size_t)t->n) memcpy(t->v, typed, n_typed * sizeof *typed);
    else {
        free(typed), free(t->v);
        t->v = NULL;
        return 0;
    }
    free(typed);
    return 1;
}

static inline unsigned char *pb_read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(size > 0 ? (size_t)size : 1);
    *n = b ? fread(b, 1, (size_t)size, f) : 0;
    fclose(f);
    return b;
}

#endif
