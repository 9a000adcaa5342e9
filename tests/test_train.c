/* Tests of the train module: reverse-mode gradients against central finite
 * differences in double precision for every variant and every parameter
 * tensor, the single-precision pass against the double one, bit-identical
 * results for any thread count, the optimisers, the schedule, and the
 * error paths.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"
#include "tap.h"
#include "test_util.h"
#include "train_private.h"

#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *name;
  sp_norm norm;
  sp_attention attn;
  int causal, mlp;
  sp_activation act;
  long heads;
  double alpha, gamma, tau;
} variant;

static const variant variants[] = {
  {"post softmax relu", SP_NORM_POST, SP_ATTN_SOFTMAX, 0, 1, SP_ACT_RELU, 1, 1.0, 1.0, 0.0},
  {"pre softmax causal gelu 2 heads", SP_NORM_PRE, SP_ATTN_SOFTMAX, 1, 1, SP_ACT_GELU, 2, 1.0,
   0.7, 0.0},
  {"none softmax tanh gains", SP_NORM_NONE, SP_ATTN_SOFTMAX, 0, 1, SP_ACT_TANH, 2, 0.83, 0.61,
   0.0},
  {"post centred causal erf", SP_NORM_POST, SP_ATTN_CENTRED, 1, 1, SP_ACT_ERF, 1, 1.0, 1.0, 0.0},
  {"pre centred silu mean removal", SP_NORM_PRE, SP_ATTN_CENTRED, 0, 1, SP_ACT_SILU, 2, 1.13,
   0.9, 0.37},
  {"none uniform causal linear", SP_NORM_NONE, SP_ATTN_UNIFORM, 1, 1, SP_ACT_LINEAR, 1, 0.9,
   0.8, 0.0},
  {"post uniform relu mean removal", SP_NORM_POST, SP_ATTN_UNIFORM, 0, 1, SP_ACT_RELU, 2, 1.0,
   1.0, 1.3},
  {"pre softmax no mlp", SP_NORM_PRE, SP_ATTN_SOFTMAX, 1, 0, SP_ACT_RELU, 2, 1.0, 1.0, 0.0},
  {"post softmax causal silu mean removal", SP_NORM_POST, SP_ATTN_SOFTMAX, 1, 1, SP_ACT_SILU, 1,
   0.95, 1.2, 0.55},
};
#define NVAR (sizeof variants / sizeof variants[0])

enum { D = 8, V = 5, T = 6, B = 2, L = 2 };

static void model_of(const variant *v, sp_model *m)
{
  sp_model_default(m);
  m->norm = v->norm;
  m->attention = v->attn;
  m->causal = v->causal;
  m->mlp = v->mlp;
  m->activation = v->act;
  m->alpha_sa = v->alpha;
  m->alpha_mlp = v->alpha * 0.97;
  m->branch_sa = v->gamma;
  m->branch_mlp = v->gamma * 1.09;
  m->mean_removal = v->tau;
  m->beta = 1.37;
  m->var_v = 1.21;
  m->var_w_in = 1.7;
  m->var_w_out = 0.93;
  m->var_b = 0.013;
  m->tokens = T;
  m->depth = L;
}

static unsigned long lcg(unsigned long *s)
{
  *s = *s * 6364136223846793005UL + 1442695040888963407UL;
  return *s >> 33;
}

static void make_batch(int *tok, int *tgt, unsigned long seed)
{
  for (int i = 0; i < B * T; i++) {
    tok[i] = (int)(lcg(&seed) % V);
    tgt[i] = i % 3 == 1 ? -1 : (int)(lcg(&seed) % V);
  }
}

/* The parameter tensors of a layout: name, offset, count. */
typedef struct {
  char name[32];
  size_t off, n;
} tensor;

static int tensors(const sp_train_layout *y, tensor *t)
{
  int k = 0;
  size_t d = (size_t)y->d;
  snprintf(t[k].name, sizeof t[k].name, "E");
  t[k].off = y->emb, t[k++].n = (size_t)y->V * d;
  snprintf(t[k].name, sizeof t[k].name, "P");
  t[k].off = y->pos, t[k++].n = (size_t)y->T * d;
  snprintf(t[k].name, sizeof t[k].name, "U");
  t[k].off = y->unemb, t[k++].n = d * (size_t)y->V;
  for (long l = 0; l < y->L; l++) {
    size_t b = y->layer0 + (size_t)l * y->layer_stride;
    const char *nm[] = {"W_QKV", "b_V", "W_1", "b_1", "W_2", "b_2"};
    size_t off[] = {y->wqkv, y->bv, y->w1, y->b1, y->w2, y->b2};
    size_t cnt[] = {3 * d * d, d, d * d, d, d * d, d};
    for (int i = 0; i < (y->mlp ? 6 : 2); i++) {
      snprintf(t[k].name, sizeof t[k].name, "%s[%ld]", nm[i], l + 1);
      t[k].off = b + off[i];
      t[k++].n = cnt[i];
    }
  }
  return k;
}

/* Normwise relative error of the reverse-mode gradient of each tensor
 * against central differences, all in double; the worst over tensors. */
static double check_fd(const variant *v, sp_pool *pool, double *worst_f32)
{
  sp_model m;
  model_of(v, &m);
  sp_train_layout y;
  int st;
  sp_train_layout_make(&m, D, v->heads, V, B, &y);
  sp_traind_net *nd = sp_traind_alloc(&y, &m, pool, &st);
  sp_trainf_net *nf = sp_trainf_alloc(&y, &m, pool, &st);
  float *wf = sp_trainf_params(nf);
  double *wd = sp_traind_params(nd);
  sp_train_draw(&y, &m, 20261207UL, wf);
  for (size_t i = 0; i < y.n; i++)
    wd[i] = wf[i];
  int tok[B * T], tgt[B * T];
  make_batch(tok, tgt, 977UL + (unsigned long)v->heads);
  double loss, lf, lp, lm;
  sp_traind_forward(nd, tok, tgt, &loss);
  sp_traind_backward(nd);
  sp_trainf_forward(nf, tok, tgt, &lf);
  sp_trainf_backward(nf);
  const double *gd = sp_traind_grads(nd);
  const float *gf = sp_trainf_grads(nf);
  tensor ts[64];
  int nt = tensors(&y, ts);
  double worst = 0.0, h = 1e-5, gall = 0.0;
  *worst_f32 = 0.0;
  for (size_t i = 0; i < y.n; i++)
    gall = fmax(gall, fabs(gd[i]));
  for (int k = 0; k < nt; k++) {
    double emax = 0.0, gmax = 0.0, fmax_ = 0.0;
    for (size_t i = ts[k].off; i < ts[k].off + ts[k].n; i++) {
      double w0 = wd[i];
      wd[i] = w0 + h;
      sp_traind_forward(nd, tok, tgt, &lp);
      wd[i] = w0 - h;
      sp_traind_forward(nd, tok, tgt, &lm);
      wd[i] = w0;
      double fd = (lp - lm) / (2.0 * h);
      emax = fmax(emax, fabs(fd - gd[i]));
      gmax = fmax(gmax, fabs(gd[i]));
      fmax_ = fmax(fmax_, fabs((double)gf[i] - gd[i]));
    }
    /* A tensor whose gradient vanishes identically (b_V under centred
     * attention, W_Q and W_K under uniform attention) has no scale of its
     * own: its errors are measured against the largest gradient entry of
     * the network instead. */
    double scale = gmax > 1e-9 * gall ? gmax : gall;
    double rel = emax / scale, relf = fmax_ / scale;
    if (rel > worst)
      worst = rel;
    if (relf > *worst_f32)
      *worst_f32 = relf;
    if (rel > 1e-6 || relf > 1e-4)
      tap_diag("%s: %s: double %.3g, float %.3g (|g|max %.3g)", v->name, ts[k].name, rel, relf,
               gmax);
  }
  tap_ok(fabs(lf - loss) < 1e-5 * fabs(loss), "%s: float loss %.9g = double loss %.9g", v->name,
         lf, loss);
  sp_traind_free(nd);
  sp_trainf_free(nf);
  return worst;
}

static void test_gradients(void)
{
  sp_pool *pool = sp_pool_new(2);
  double all = 0.0, allf = 0.0;
  for (size_t i = 0; i < NVAR; i++) {
    double wf;
    double w = check_fd(&variants[i], pool, &wf);
    tap_ok(w < 1e-6, "%s: reverse mode = central differences (double), worst normwise "
           "relative error %.3g", variants[i].name, w);
    tap_ok(wf < 1e-4, "%s: single-precision gradient = double, worst %.3g", variants[i].name,
           wf);
    all = fmax(all, w);
    allf = fmax(allf, wf);
  }
  tap_diag("worst relative error over every variant and tensor: %.3g (double vs central "
           "differences), %.3g (float vs double)", all, allf);
  sp_pool_free(pool);
}

/* The same step on 1 and 3 threads gives the same bits. */
static void test_threads(void)
{
  sp_model m;
  model_of(&variants[1], &m);
  m.tokens = 70; /* several row tasks per product */
  int *tok = malloc(sizeof(int) * 3 * 70), *tgt = malloc(sizeof(int) * 3 * 70);
  unsigned long s = 5;
  for (int i = 0; i < 3 * 70; i++) {
    tok[i] = (int)(lcg(&s) % 11);
    tgt[i] = (int)(lcg(&s) % 11);
  }
  double loss[2];
  sp_optim_options o;
  sp_optim_options_default(&o);
  for (int k = 0; k < 2; k++) {
    sp_train *t = NULL;
    sp_train_alloc(&m, 66, 3, 11, 3, k ? 3 : 1, &t); /* NULL t: every call below is SP_EINVAL */
    sp_train_init(t, 99);
    for (long step = 1; step <= 2; step++)
      sp_train_step(t, &o, step, tok, tgt, &loss[k]);
    sp_train_loss(t, tok, tgt, &loss[k]);
    sp_train_free(t);
  }
  tap_ok(memcmp(&loss[0], &loss[1], sizeof loss[0]) == 0,
         "loss after two Adam steps identical on 1 and 3 threads (%.17g)", loss[0]);
  free(tok);
  free(tgt);
}


/* The weights are the simulator's: block l's W_Q, W_K, W_V, b_V, W_1, b_1,
 * W_2, b_2 are sp_sim_draw()'s matrices of block l with the same seed, at
 * the theory's standard deviations. */
static void test_draw(void)
{
  sp_model m;
  model_of(&variants[2], &m);
  sp_train_layout y;
  sp_train_layout_make(&m, 12, 3, 7, 1, &y);
  float *w = malloc(y.n * sizeof *w), *ref = malloc(12 * 12 * sizeof *ref);
  sp_train_draw(&y, &m, 4711UL, w);
  double sa = m.beta * sqrt(log((double)m.tokens));
  const struct {
    const char *name;
    int kind;
    size_t off;
    long rows, cols, ld;
    double sd;
  } c[] = {{"W_Q", SP_SIM_STREAM_WQ, y.wqkv, 12, 12, 36, sqrt(sa / 12.0)},
           {"W_K", SP_SIM_STREAM_WK, y.wqkv + 12, 12, 12, 36, sqrt(sa / 12.0)},
           {"W_V", SP_SIM_STREAM_WV, y.wqkv + 24, 12, 12, 36, sqrt(m.var_v / 12.0)},
           {"b_V", SP_SIM_STREAM_BV, y.bv, 1, 12, 12, sqrt(sp_model_var_vb(&m))},
           {"W_1", SP_SIM_STREAM_W1, y.w1, 12, 12, 12, sqrt(m.var_w_in / 12.0)},
           {"b_1", SP_SIM_STREAM_B1, y.b1, 1, 12, 12, sqrt(m.var_b)},
           {"W_2", SP_SIM_STREAM_W2, y.w2, 12, 12, 12, sqrt(m.var_w_out / 12.0)},
           {"b_2", SP_SIM_STREAM_B2, y.b2, 1, 12, 12, sqrt(m.var_b)}};
  for (long l = 0; l < y.L; l++)
    for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
      sp_sim_draw(4711UL, l + 1, c[k].kind, c[k].rows, c[k].cols, c[k].sd, ref);
      const float *b = w + y.layer0 + (size_t)l * y.layer_stride + c[k].off;
      int same = 1;
      for (long i = 0; i < c[k].rows; i++)
        same &= memcmp(b + i * c[k].ld, ref + i * c[k].cols, (size_t)c[k].cols * sizeof *ref) == 0;
      tap_ok(same, "block %ld: %s is the simulator's draw", l + 1, c[k].name);
    }
  /* embeddings: entries N(0, q0/2), so x_t = E[a] + P_t has q = q0 per unit width */
  double se = 0.0, sp = 0.0;
  for (size_t i = 0; i < (size_t)(7 * 12); i++)
    se += (double)w[y.emb + i] * (double)w[y.emb + i];
  for (size_t i = 0; i < (size_t)(T * 12); i++)
    sp += (double)w[y.pos + i] * (double)w[y.pos + i];
  tap_close(se / 84.0 + sp / (double)(T * 12), m.q0, 0.35 * m.q0,
            "E and P entries: variances add up to q0 (sampling error of 156 draws)");
  free(w);
  free(ref);
}

static void test_optim(void)
{
  sp_optim_options o;
  const char *bad;
  sp_optim_options_default(&o);
  tap_ok(sp_optim_options_validate(&o, &bad) == SP_OK, "default optimiser options valid");
  o.warmup = 10;
  o.steps = 110;
  o.schedule = SP_SCHED_COSINE;
  o.lr = 0.003;
  tap_close(sp_optim_lr(&o, 5), 0.0015, 1e-15, "warm-up: half the rate at step 5 of 10");
  tap_close(sp_optim_lr(&o, 10), 0.003, 1e-15, "end of warm-up: the peak rate");
  tap_close(sp_optim_lr(&o, 60), 0.0015, 1e-15, "cosine: half the rate half-way");
  tap_close(sp_optim_lr(&o, 110), 0.0, 1e-15, "cosine: 0 at the last step");
  o.schedule = SP_SCHED_CONSTANT;
  tap_close(sp_optim_lr(&o, 77), 0.003, 0.0, "constant after warm-up");
  const struct {
    const char *name;
    double *field;
    double value;
  } cases[] = {{"lr", &o.lr, 0.0}, {"lr", &o.lr, -1.0}, {"beta1", &o.beta1, 1.0},
               {"beta2", &o.beta2, -0.1}, {"eps", &o.eps, 0.0}, {"momentum", &o.momentum, 1.0},
               {"weight-decay", &o.weight_decay, -1e-3}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    sp_optim_options_default(&o);
    *cases[i].field = cases[i].value;
    int st = sp_optim_options_validate(&o, &bad);
    tap_ok(st == SP_EDOM && bad && strcmp(bad, cases[i].name) == 0, "%s = %g: SP_EDOM (%s)",
           cases[i].name, cases[i].value, bad ? bad : "none");
  }
  sp_optim_options_default(&o);
  o.steps = 0;
  tap_ok(sp_optim_options_validate(&o, &bad) == SP_EDOM, "steps 0: SP_EDOM");
  o.steps = 1;
  o.warmup = -1;
  tap_ok(sp_optim_options_validate(&o, &bad) == SP_EDOM, "negative warm-up: SP_EDOM");
}

/* A small post-LN network learns the copy task: the held-out loss falls
 * well below log V with Adam, and SGD with momentum lowers it too. */
static void test_training(void)
{
  sp_model m = tu_model("--tokens 12 --depth 2 --causal");
  sp_task_options to = tu_task_options(SP_TASK_COPY, 6, 12, 8);
  int st;
  sp_task *k = NULL;
  st = sp_task_alloc(&to, &k);
  int tok[16 * 12], tgt[16 * 12], etok[16 * 12], etgt[16 * 12];
  sp_task_batch(k, 1, 0, 16, etok, etgt);
  for (int opt = 0; opt < 2; opt++) {
    sp_train *t = NULL;
    st = sp_train_alloc(&m, 32, 2, 6, 16, 2, &t);
    sp_train_init(t, 3);
    sp_optim_options o;
    sp_optim_options_default(&o);
    o.optim = opt ? SP_OPTIM_SGD : SP_OPTIM_ADAM;
    o.lr = opt ? 0.1 : 0.01;
    o.weight_decay = 1e-4;
    double first, last, loss;
    sp_train_loss(t, etok, etgt, &first);
    for (long s = 1; s <= 300; s++) {
      sp_task_batch(k, 0, s, 16, tok, tgt);
      sp_train_step(t, &o, s, tok, tgt, &loss);
    }
    sp_train_loss(t, etok, etgt, &last);
    if (!opt)
      tap_ok(last < 0.25 * log(6.0), "copy, Adam: held-out loss %.4f -> %.4f after 300 steps "
             "(log V = %.4f)", first, last, log(6.0));
    else
      tap_ok(last < first - 0.1, "copy, SGD with momentum: held-out loss %.4f -> %.4f", first,
             last);
    sp_train_grad_norm gn[2];
    double rho[3], ent[3];
    sp_train_loss(t, etok, etgt, &last);
    st = sp_train_grad_norms(t, gn);
    tap_ok(st == SP_OK && gn[0].wq > 0.0 && gn[1].wv > 0.0 && gn[0].w1 > 0.0,
           "gradient norms per block and kind (block 1: Q %.3g K %.3g V %.3g)", gn[0].wq,
           gn[0].wk, gn[0].wv);
    st = sp_train_layer_stats(t, rho, ent);
    tap_ok(st == SP_OK && isnan(ent[0]) && ent[1] >= 0.0 && ent[1] <= log(12.0) &&
           fabs(rho[2]) <= 1.0, "rho and entropy per layer of the held-out batch (layer 1: "
           "rho %.3f, entropy %.3f)", rho[1], ent[1]);
    sp_train_free(t);
  }
  sp_task_free(k);
}

static void test_errors(void)
{
  sp_model m = tu_model("--tokens 8 --depth 2");
  int st;
  double bytes;
  sp_train *tbad = NULL;
  tap_ok(sp_train_alloc(&m, 16, 3, 5, 2, 1, &tbad) == SP_EDOM, "heads not dividing width: SP_EDOM");
  tap_ok(sp_train_alloc(&m, 16, 2, 1, 2, 1, &tbad) == SP_EDOM, "vocab 1: SP_EDOM");
  tap_ok(sp_train_alloc(&m, 16, 2, 5, 0, 1, &tbad) == SP_EDOM, "batch 0: SP_EDOM");
  tap_ok(sp_train_alloc(&m, 1, 1, 5, 2, 1, &tbad) == SP_EDOM, "width 1: SP_EDOM");
  tap_ok(sp_train_alloc(&m, 1L << 20, 1, 5, 1L << 12, 1, &tbad) == SP_ENOMEM,
         "a network beyond physical memory: SP_ENOMEM");
  st = sp_train_memory(&m, 1L << 20, 1, 5, 1L << 12, 1, &bytes);
  tap_ok(st == SP_OK && bytes > 1e14, "its estimate: %.3g bytes", bytes);
  m.beta = -1.0;
  tap_ok(sp_train_alloc(&m, 16, 2, 5, 2, 1, &tbad) == SP_EDOM && !tbad, "invalid model: SP_EDOM");
  tap_ok(sp_train_alloc(&m, 16, 2, 5, 2, 1, NULL) == SP_EINVAL, "NULL out: SP_EINVAL");
  m.beta = 0.5;
  sp_train *t = NULL;
  st = sp_train_alloc(&m, 16, 2, 5, 2, 1, &t);
  sp_train_init(t, 1);
  int tok[16] = {0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0}, tgt[16];
  double loss;
  for (int i = 0; i < 16; i++)
    tgt[i] = -1;
  tap_ok(sp_train_loss(t, tok, tgt, &loss) == SP_EINVAL, "no target: SP_EINVAL");
  tgt[3] = 5;
  tap_ok(sp_train_loss(t, tok, tgt, &loss) == SP_EINVAL, "target id >= vocab: SP_EINVAL");
  tgt[3] = 2;
  tok[5] = 7;
  tap_ok(sp_train_loss(t, tok, tgt, &loss) == SP_EINVAL, "token id >= vocab: SP_EINVAL");
  tok[5] = 0;
  st = sp_train_loss(t, tok, tgt, &loss);
  tap_ok(st == SP_OK && fabs(loss - log(5.0)) < 1.5, "one target: loss %.4f", loss);
  sp_train_grad_norm gn[2];
  tap_ok(sp_train_grad_norms(t, gn) == SP_EINVAL, "gradient norms before any step: SP_EINVAL");
  sp_optim_options o;
  sp_optim_options_default(&o);
  o.lr = 0.0;
  tap_ok(sp_train_step(t, &o, 1, tok, tgt, &loss) == SP_EDOM, "step with lr 0: SP_EDOM");
  o.lr = 1e-3;
  tap_ok(sp_train_step(t, &o, 0, tok, tgt, &loss) == SP_EINVAL, "step number 0: SP_EINVAL");
  sp_train_free(t);
  sp_train_free(NULL);
  tap_ok(sp_train_init(NULL, 1) == SP_EINVAL, "NULL workspace: SP_EINVAL");
}

int main(void)
{
  gsl_set_error_handler_off();
  test_gradients();
  test_threads();
  test_draw();
  test_optim();
  test_training();
  test_errors();
  return tap_done();
}
