/* Training the simulator's network: the parameter layout, the draw of the
 * parameters (the simulator's random streams), the workspace, one step and
 * the measurements (gradient norms, rho and attention entropy per layer).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/train.h"
#include "sigprop/sim.h"
#include "sigprop/status.h"
#include "train_private.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sp_train {
  sp_model m;
  sp_train_layout lay;
  sp_pool *pool;
  sp_trainf_net *net;
  float *mom, *var; /* optimiser state (n each) */
  int have_grad;
};

int sp_train_layout_make(const sp_model *m, long width, long heads, long vocab, long batch,
                         sp_train_layout *y)
{
  if (width < 2 || heads < 1 || heads > width || width % heads != 0 || vocab < 2 || batch < 1)
    return SP_EDOM;
  memset(y, 0, sizeof *y);
  y->d = width;
  y->dff = width;
  y->T = m->tokens;
  y->V = vocab;
  y->L = m->depth;
  y->H = heads;
  y->dh = width / heads;
  y->B = batch;
  y->mlp = m->mlp != 0;
  size_t d = (size_t)width, dff = d, V = (size_t)vocab;
  y->emb = 0;
  y->pos = V * d;
  y->unemb = y->pos + (size_t)y->T * d;
  y->layer0 = y->unemb + d * V;
  y->wqkv = 0;
  y->bv = 3 * d * d;
  y->w1 = y->bv + d;
  y->b1 = y->w1 + (y->mlp ? d * dff : 0);
  y->w2 = y->b1 + (y->mlp ? dff : 0);
  y->b2 = y->w2 + (y->mlp ? dff * d : 0);
  y->layer_stride = y->b2 + (y->mlp ? d : 0);
  y->n = y->layer0 + (size_t)y->L * y->layer_stride;
  return SP_OK;
}

double sp_train_activation_count(const sp_train_layout *y, const sp_model *m)
{
  double L = (double)y->L, BT = (double)y->B * (double)y->T, BTd = BT * (double)y->d;
  double BTf = BT * (double)y->dff;
  int pre = m->norm == SP_NORM_PRE;
  double c = (L + 1.0) * (BTd + BT) + L * (BTd + BT) + (pre ? 2.0 * L * (BTd + BT) : 0.0);
  c += 3.0 * L * BTd + L * (double)y->B * (double)y->H * (double)y->T * (double)y->T;
  c += y->mlp ? 2.0 * L * BTf : 0.0;
  c += BTd + BT + BT * (double)y->V + 4.0 * BTd + 3.0 * BTd + BTf;
  return c;
}

/* One matrix of network `seed` from the simulator's stream (layer, kind),
 * rows x cols with leading dimension ld in w. */
static int draw_into(unsigned long seed, long layer, int kind, long rows, long cols, double sd,
                     float *w, long ld)
{
  float *tmp = malloc((size_t)rows * (size_t)cols * sizeof *tmp);
  if (!tmp)
    return SP_ENOMEM;
  int st = sp_sim_draw(seed, layer, kind, rows, cols, sd, tmp);
  for (long i = 0; !st && i < rows; i++)
    memcpy(w + (size_t)i * (size_t)ld, tmp + (size_t)i * (size_t)cols,
           (size_t)cols * sizeof *tmp);
  free(tmp);
  return st;
}

int sp_train_draw(const sp_train_layout *y, const sp_model *m, unsigned long seed, float *w)
{
  long d = y->d, dff = y->dff;
  double se = sqrt(m->q0 / 2.0), sa = m->beta * sqrt(log((double)m->tokens));
  double sqk = sqrt(sa / (double)d), sv = sqrt(m->var_v / (double)d);
  double svb = sqrt(sp_model_var_vb(m)), sb = sqrt(m->var_b);
  int st = draw_into(seed, 0, SP_SIM_STREAM_INPUT_Z, y->V, d, se, w + y->emb, d);
  st = st ? st : draw_into(seed, 0, SP_SIM_STREAM_INPUT_U, y->T, d, se, w + y->pos, d);
  st = st ? st
          : draw_into(seed, y->L + 1, SP_SIM_STREAM_R, d, y->V, 1.0 / sqrt((double)d),
                      w + y->unemb, y->V);
  for (long l = 0; !st && l < y->L; l++) {
    float *b = w + y->layer0 + (size_t)l * y->layer_stride;
    long sl = l + 1; /* the simulator's block number */
    st = draw_into(seed, sl, SP_SIM_STREAM_WQ, d, d, sqk, b + y->wqkv, 3 * d);
    st = st ? st : draw_into(seed, sl, SP_SIM_STREAM_WK, d, d, sqk, b + y->wqkv + d, 3 * d);
    st = st ? st : draw_into(seed, sl, SP_SIM_STREAM_WV, d, d, sv, b + y->wqkv + 2 * d, 3 * d);
    st = st ? st : draw_into(seed, sl, SP_SIM_STREAM_BV, 1, d, svb, b + y->bv, d);
    if (st || !y->mlp)
      continue;
    st = draw_into(seed, sl, SP_SIM_STREAM_W1, d, dff, sqrt(m->var_w_in / (double)d), b + y->w1,
                   dff);
    st = st ? st
            : draw_into(seed, sl, SP_SIM_STREAM_W2, dff, d, sqrt(m->var_w_out / (double)dff),
                        b + y->w2, d);
    st = st ? st : draw_into(seed, sl, SP_SIM_STREAM_B1, 1, dff, sb, b + y->b1, dff);
    st = st ? st : draw_into(seed, sl, SP_SIM_STREAM_B2, 1, d, sb, b + y->b2, d);
  }
  return st;
}

static int threads_of(int threads)
{
  if (threads > 0)
    return threads;
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)(n > 1024 ? 1024 : n) : 1;
}

int sp_train_memory(const sp_model *m, long width, long heads, long vocab, long batch,
                    int threads, double *bytes)
{
  if (!m || !bytes)
    return SP_EINVAL;
  int st = sp_model_validate(m, NULL);
  if (st)
    return st;
  sp_train_layout y;
  if ((st = sp_train_layout_make(m, width, heads, vocab, batch, &y)))
    return st;
  double BT = (double)batch * (double)m->tokens;
  double pack = fmax(fmax(3.0 * (double)width, BT), (double)vocab) *
                (fmax(3.0 * (double)width, (double)vocab) + 64.0);
  *bytes = 4.0 * (4.0 * (double)y.n + sp_train_activation_count(&y, m) + pack) +
           (double)threads_of(threads) * 4.0 * (double)sp_kern_work_floats() + 65536.0;
  return SP_OK;
}

void sp_train_free(sp_train *t)
{
  if (!t)
    return;
  sp_trainf_free(t->net);
  sp_pool_free(t->pool);
  free(t->mom);
  free(t->var);
  free(t);
}

/* The network, or NULL with *status set (sp_train_alloc). */
static sp_train *train_build(const sp_model *m, long width, long heads, long vocab, long batch,
                             int threads, int *status)
{
  int dummy;
  if (!status)
    status = &dummy;
  double bytes;
  if ((*status = sp_train_memory(m, width, heads, vocab, batch, threads, &bytes)))
    return NULL;
  double limit = sp_sim_memory_limit();
  if ((limit > 0.0 && bytes > limit) || bytes > (double)SIZE_MAX / 4) {
    *status = SP_ENOMEM;
    return NULL;
  }
  sp_train *t = calloc(1, sizeof *t);
  if (!t) {
    *status = SP_ENOMEM;
    return NULL;
  }
  t->m = *m;
  sp_train_layout_make(m, width, heads, vocab, batch, &t->lay);
  t->pool = sp_pool_new(threads_of(threads));
  t->mom = calloc(t->lay.n, sizeof *t->mom);
  t->var = calloc(t->lay.n, sizeof *t->var);
  if (!t->pool || !t->mom || !t->var) {
    sp_train_free(t);
    *status = SP_ENOMEM;
    return NULL;
  }
  t->net = sp_trainf_alloc(&t->lay, m, t->pool, status);
  if (!t->net) {
    sp_train_free(t);
    return NULL;
  }
  memset(sp_trainf_params(t->net), 0, t->lay.n * sizeof(float));
  return t;
}

int sp_train_alloc(const sp_model *m, long width, long heads, long vocab, long batch,
                   int threads, sp_train **out)
{
  if (!out)
    return SP_EINVAL;
  int s;
  *out = train_build(m, width, heads, vocab, batch, threads, &s);
  return s;
}

int sp_train_init(sp_train *t, unsigned long seed)
{
  if (!t)
    return SP_EINVAL;
  memset(t->mom, 0, t->lay.n * sizeof *t->mom);
  memset(t->var, 0, t->lay.n * sizeof *t->var);
  t->have_grad = 0;
  return sp_train_draw(&t->lay, &t->m, seed, sp_trainf_params(t->net));
}

size_t sp_train_nparams(const sp_train *t)
{
  return t ? t->lay.n : 0;
}

static int check_batch(const sp_train *t, const int *tokens, const int *targets)
{
  if (!tokens || !targets)
    return SP_EINVAL;
  long n = t->lay.B * t->lay.T, any = 0;
  for (long i = 0; i < n; i++) {
    if (tokens[i] < 0 || tokens[i] >= t->lay.V || targets[i] < -1 || targets[i] >= t->lay.V)
      return SP_EINVAL;
    any |= targets[i] >= 0;
  }
  return any ? SP_OK : SP_EINVAL;
}

int sp_train_loss(sp_train *t, const int *tokens, const int *targets, double *loss)
{
  if (!t || !loss)
    return SP_EINVAL;
  int st = check_batch(t, tokens, targets);
  return st ? st : sp_trainf_forward(t->net, tokens, targets, loss);
}

/* One optimiser update of parameters [lo, hi), with weight decay `wd`
 * (0 for biases). */
typedef struct {
  const sp_optim_options *o;
  double lr, c1, c2;
} update;

static void update_range(sp_train *t, const update *u, size_t lo, size_t hi, double wd)
{
  float *w = sp_trainf_params(t->net), *g = sp_trainf_grads(t->net);
  const sp_optim_options *o = u->o;
  if (o->optim == SP_OPTIM_ADAM) {
    float b1 = (float)o->beta1, b2 = (float)o->beta2;
    for (size_t i = lo; i < hi; i++) {
      t->mom[i] = b1 * t->mom[i] + (1.0f - b1) * g[i];
      t->var[i] = b2 * t->var[i] + (1.0f - b2) * g[i] * g[i];
      double step = ((double)t->mom[i] / u->c1) / (sqrt((double)t->var[i] / u->c2) + o->eps);
      w[i] = (float)((double)w[i] - u->lr * (step + wd * (double)w[i]));
    }
  } else {
    float mu = (float)o->momentum, fwd = (float)wd;
    for (size_t i = lo; i < hi; i++) {
      t->mom[i] = mu * t->mom[i] + g[i] + fwd * w[i];
      w[i] = (float)((double)w[i] - u->lr * (double)t->mom[i]);
    }
  }
}

int sp_train_step(sp_train *t, const sp_optim_options *o, long k, const int *tokens,
                  const int *targets, double *loss)
{
  if (!t || !o || !loss || k < 1)
    return SP_EINVAL;
  int st = sp_optim_options_validate(o, NULL);
  if (st || (st = check_batch(t, tokens, targets)))
    return st;
  if ((st = sp_trainf_forward(t->net, tokens, targets, loss)) ||
      (st = sp_trainf_backward(t->net)))
    return st;
  t->have_grad = 1;
  update u = {o, sp_optim_lr(o, k), 1.0 - pow(o->beta1, (double)k),
              1.0 - pow(o->beta2, (double)k)};
  const sp_train_layout *y = &t->lay;
  double wd = o->weight_decay;
  update_range(t, &u, 0, y->layer0, wd); /* embeddings and output projection */
  for (long l = 0; l < y->L; l++) {
    size_t b = y->layer0 + (size_t)l * y->layer_stride;
    update_range(t, &u, b + y->wqkv, b + y->bv, wd);
    update_range(t, &u, b + y->bv, b + y->w1, 0.0);
    if (!y->mlp)
      continue;
    update_range(t, &u, b + y->w1, b + y->b1, wd);
    update_range(t, &u, b + y->b1, b + y->w2, 0.0);
    update_range(t, &u, b + y->w2, b + y->b2, wd);
    update_range(t, &u, b + y->b2, b + y->layer_stride, 0.0);
  }
  return SP_OK;
}

static double frob(const float *a, long rows, long cols, long ld)
{
  double s = 0.0;
  for (long i = 0; i < rows; i++)
    for (long j = 0; j < cols; j++)
      s += (double)a[(size_t)i * (size_t)ld + (size_t)j] * (double)a[(size_t)i * (size_t)ld + (size_t)j];
  return sqrt(s);
}

int sp_train_grad_norms(const sp_train *t, sp_train_grad_norm *out)
{
  if (!t || !out || !t->have_grad)
    return SP_EINVAL;
  const sp_train_layout *y = &t->lay;
  const float *g = sp_trainf_grads(t->net);
  long d = y->d;
  for (long l = 0; l < y->L; l++) {
    const float *b = g + y->layer0 + (size_t)l * y->layer_stride;
    out[l].wq = frob(b + y->wqkv, d, d, 3 * d);
    out[l].wk = frob(b + y->wqkv + d, d, d, 3 * d);
    out[l].wv = frob(b + y->wqkv + 2 * d, d, d, 3 * d);
    out[l].w1 = y->mlp ? frob(b + y->w1, d, y->dff, y->dff) : 0.0;
    out[l].w2 = y->mlp ? frob(b + y->w2, y->dff, d, d) : 0.0;
  }
  return SP_OK;
}

int sp_train_layer_stats(sp_train *t, double *rho, double *entropy)
{
  if (!t)
    return SP_EINVAL;
  sp_train_layer_stat *s = malloc((size_t)(t->lay.L + 1) * sizeof *s);
  if (!s)
    return SP_ENOMEM;
  sp_trainf_layer_stats(t->net, s);
  for (long l = 0; l <= t->lay.L; l++) {
    if (rho)
      rho[l] = s[l].rho;
    if (entropy)
      entropy[l] = s[l].entropy;
  }
  free(s);
  return SP_OK;
}
