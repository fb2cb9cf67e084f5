/* Demo of the engine: builds FMNIST-CNN (../shared/BENCHMARKS.md) with the graph API, initialises it as PyTorch
 * does, trains it with Adam on a slice of Fashion-MNIST and reports test accuracy.
 * Usage: fmnist_demo [DATA_DIR [TRAIN_IMAGES [EPOCHS]]]  (default /usr/share/datasets/fashion-mnist, 6000, 1)
 * The engine runs its plain reference kernels here; the fast kernels come with the performance work. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "fovea.h"

#define BATCH 64

/* Read an IDX file (gzipped or not: zlib reads both) of `count` items of `item` bytes after `header` bytes. */
static unsigned char *read_idx(const char *dir, const char *name, int header, int item, int count)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    gzFile f = gzopen(path, "rb");
    if (!f) {
        fprintf(stderr, "fmnist_demo: cannot open %s\n", path);
        return NULL;
    }
    unsigned char head[16];
    unsigned char *data = malloc((size_t)item * count);
    int ok = data && gzread(f, head, (unsigned)header) == header &&
             gzread(f, data, (unsigned)(item * count)) == item * count;
    gzclose(f);
    if (!ok) {
        fprintf(stderr, "fmnist_demo: %s is shorter than %d items\n", path, count);
        free(data);
        return NULL;
    }
    return data;
}

typedef struct {
    fv_ctx *ctx;
    fv_graph *g;
    fv_node *x, *y, *logits, *loss;
    fv_param *p[16];
    int n_params;
} model;

static fv_param *weight(model *m, const char *name, int ndim, const int64_t *shape, fv_init_kind kind, int64_t fan_in)
{
    fv_param *p = fv_param_new(m->ctx, name, FV_PARAM_WEIGHT, ndim, shape);
    fv_init_spec spec = {kind, kind == FV_INIT_ONES ? 1.0f : 0.0f, fan_in, 0};
    if (p) fv_init_tensor(m->ctx, &p->value, &spec);
    m->p[m->n_params++] = p;
    return p;
}

static fv_param *buffer(model *m, const char *name, int64_t c, float value)
{
    fv_param *p = fv_param_new(m->ctx, name, FV_PARAM_BUFFER, 1, (int64_t[]){c});
    for (int64_t i = 0; p && i < c; i++) fv_f32(&p->value)[i] = value;
    m->p[m->n_params++] = p;
    return p;
}

static fv_node *block(model *m, fv_node *x, int cin, int cout, const char *tag)
{
    char name[64];
    fv_graph *g = m->g;
    snprintf(name, sizeof name, "%s.weight", tag);
    fv_param *w = weight(m, name, 4, (int64_t[]){cout, cin, 3, 3}, FV_INIT_TORCH_DEFAULT, 0);
    snprintf(name, sizeof name, "%s.bias", tag);
    fv_param *b = weight(m, name, 1, (int64_t[]){cout}, FV_INIT_TORCH_BIAS, (int64_t)cin * 9);
    fv_param *gamma = weight(m, "bn.gamma", 1, (int64_t[]){cout}, FV_INIT_ONES, 0);
    fv_param *beta = weight(m, "bn.beta", 1, (int64_t[]){cout}, FV_INIT_ZEROS, 0);
    fv_param *mean = buffer(m, "bn.running_mean", cout, 0.0f), *var = buffer(m, "bn.running_var", cout, 1.0f);
    fv_conv2d_args ca = fv_conv2d_defaults();
    ca.pad_mode = FV_PAD_SAME;
    fv_batch_norm_args ba = fv_batch_norm_defaults();
    fv_pool2d_args pa = fv_pool2d_defaults(2);
    fv_node *h = fv_conv2d(g, x, fv_use_param(g, w), fv_use_param(g, b), &ca);
    h = fv_batch_norm(g, h, fv_use_param(g, gamma), fv_use_param(g, beta), fv_use_param(g, mean), fv_use_param(g, var), &ba);
    return fv_max_pool2d(g, fv_relu(g, h), &pa);
}

static fv_node *dense(model *m, fv_node *x, int in, int out, const char *tag)
{
    char name[64];
    snprintf(name, sizeof name, "%s.weight", tag);
    fv_param *w = weight(m, name, 2, (int64_t[]){out, in}, FV_INIT_TORCH_DEFAULT, 0);
    snprintf(name, sizeof name, "%s.bias", tag);
    fv_param *b = weight(m, name, 1, (int64_t[]){out}, FV_INIT_TORCH_BIAS, in);
    return fv_dense(m->g, x, fv_use_param(m->g, w), fv_use_param(m->g, b));
}

static int build(model *m)
{
    m->ctx = fv_ctx_new(42);
    m->g = fv_graph_new(m->ctx);
    fv_graph *g = m->g;
    m->x = fv_input(g, "image", FV_F32, 4, (int64_t[]){BATCH, 1, 28, 28});
    m->y = fv_input(g, "label", FV_I32, 1, (int64_t[]){BATCH});
    fv_node *h = block(m, block(m, m->x, 1, 32, "conv1"), 32, 64, "conv2");
    h = fv_dropout(g, fv_relu(g, dense(m, fv_flatten(g, h), 3136, 128, "fc1")), 0.5f);
    m->logits = dense(m, h, 128, 10, "fc2");
    m->loss = fv_cross_entropy(g, m->logits, m->y, NULL, 0.0f);
    if (!m->loss) fprintf(stderr, "fmnist_demo: %s\n", fv_errmsg(m->ctx));
    return m->loss != NULL;
}

/* Copy items [start, start+n) (in `order`) into the graph's inputs. */
static int feed(model *m, const unsigned char *images, const unsigned char *labels, const int *order, int start, int n)
{
    fv_tensor *x = fv_tensor_new(m->ctx, FV_F32, 4, (int64_t[]){n, 1, 28, 28});
    fv_tensor *y = fv_tensor_new(m->ctx, FV_I32, 1, (int64_t[]){n});
    if (!x || !y) return 0;
    for (int i = 0; i < n; i++) {
        int k = order ? order[start + i] : start + i;
        for (int j = 0; j < 784; j++) fv_f32(x)[i * 784 + j] = images[(size_t)k * 784 + j] / 255.0f;
        fv_i32(y)[i] = labels[k];
    }
    int ok = fv_graph_set_input(m->g, m->x, x) == FV_OK && fv_graph_set_input(m->g, m->y, y) == FV_OK;
    fv_tensor_free(x);
    fv_tensor_free(y);
    return ok;
}

static double evaluate(model *m, const unsigned char *images, const unsigned char *labels, int count)
{
    int correct = 0;
    fv_graph_set_training(m->g, false);
    for (int start = 0; start < count; start += BATCH) {
        int n = count - start < BATCH ? count - start : BATCH;
        if (!feed(m, images, labels, NULL, start, n) || fv_graph_forward(m->g) != FV_OK) return -1;
        const float *z = fv_f32(fv_node_value(m->logits));
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int c = 1; c < 10; c++)
                if (z[i * 10 + c] > z[i * 10 + best]) best = c;
            correct += best == labels[start + i];
        }
    }
    fv_graph_set_training(m->g, true);
    return (double)correct / count;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/usr/share/datasets/fashion-mnist";
    int n_train = argc > 2 ? atoi(argv[2]) : 6000, epochs = argc > 3 ? atoi(argv[3]) : 1, n_test = 2000;
    if (n_train < BATCH || n_train > 60000 || epochs < 1) {
        fprintf(stderr, "fmnist_demo: train images must be in [%d, 60000] and epochs >= 1\n", BATCH);
        return 2;
    }
    unsigned char *train_x = read_idx(dir, "train-images-idx3-ubyte.gz", 16, 784, n_train);
    unsigned char *train_y = read_idx(dir, "train-labels-idx1-ubyte.gz", 8, 1, n_train);
    unsigned char *test_x = read_idx(dir, "t10k-images-idx3-ubyte.gz", 16, 784, n_test);
    unsigned char *test_y = read_idx(dir, "t10k-labels-idx1-ubyte.gz", 8, 1, n_test);
    model m = {0};
    int status = 1;
    if (!train_x || !train_y || !test_x || !test_y || !build(&m)) goto done;
    fv_optim_config cfg = fv_optim_defaults(FV_OPT_ADAM);
    fv_optimizer *opt = fv_optim_new(m.ctx, &cfg);
    fv_param *trainable[16];
    int n_trainable = 0;
    for (int i = 0; i < m.n_params; i++)
        if (m.p[i]->kind == FV_PARAM_WEIGHT) trainable[n_trainable++] = m.p[i];
    fv_optim_add_group(opt, trainable, n_trainable, -1.0f);
    printf("FMNIST-CNN on %d Fashion-MNIST training images, %d epoch(s), batch %d, Adam lr %g\n", n_train, epochs,
           BATCH, cfg.lr);
    int *order = malloc(sizeof(int) * (size_t)n_train);
    clock_t t0 = clock();
    for (int epoch = 0; epoch < epochs; epoch++) {
        for (int i = 0; i < n_train; i++) order[i] = i;
        for (int i = n_train - 1; i > 0; i--) { /* shuffle from the seed */
            int j = (int)(fv_rng_bits(42, 1000 + (uint64_t)epoch, (uint64_t)i) % (uint64_t)(i + 1));
            int t = order[i];
            order[i] = order[j], order[j] = t;
        }
        double running = 0;
        int steps = n_train / BATCH;
        for (int s = 0; s < steps; s++) {
            fv_optim_zero_grad(opt);
            if (!feed(&m, train_x, train_y, order, s * BATCH, BATCH) || fv_graph_forward(m.g) != FV_OK ||
                fv_graph_backward(m.g, m.loss) != FV_OK || fv_optim_step(opt) != FV_OK) {
                fprintf(stderr, "fmnist_demo: %s\n", fv_errmsg(m.ctx));
                goto done_opt;
            }
            running += fv_f32(fv_node_value(m.loss))[0];
            if ((s + 1) % 20 == 0 || s + 1 == steps) {
                printf("epoch %d step %3d/%d  loss %.4f  (%.1f s)\n", epoch + 1, s + 1, steps, running / 20,
                       (double)(clock() - t0) / CLOCKS_PER_SEC);
                fflush(stdout);
                running = 0;
            }
        }
    }
    double acc = evaluate(&m, test_x, test_y, n_test);
    printf("test accuracy on %d Fashion-MNIST test images: %.2f%%\n", n_test, 100 * acc);
    status = acc >= 0 ? 0 : 1;
done_opt:
    free(order);
    fv_optim_free(opt);
done:
    fv_graph_free(m.g);
    for (int i = 0; i < m.n_params; i++) fv_param_free(m.p[i]);
    fv_ctx_free(m.ctx);
    free(train_x), free(train_y), free(test_x), free(test_y);
    return status;
}
