/* The simulator's forward pass: input tokens, projections, LayerNorm,
 * residual sums and mean removal, the attention and MLP sub-blocks, and the
 * run over the depth (theory.md §1, §12).  Work is split into tasks whose
 * partition never depends on the number of threads, so results are
 * identical for any thread count.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/sim.h"
#include "sigprop/activation.h"
#include "sigprop/status.h"
#include "rowops.h"
#include "sim_state.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* ---- row-wise helpers ------------------------------------------------ */

typedef struct {
  sp_sim *s;
  void (*row)(void *ctx, long t);
  void *ctx;
} rows_job;

static void rows_task(void *ctx, long task, int tid)
{
  const rows_job *j = ctx;
  long r0, r1;
  (void)tid;
  sp_sim_rows(j->s, task, j->s->mb, &r0, &r1);
  for (long t = r0; t < r1; t++)
    j->row(j->ctx, t);
}

void sp_sim_each_row(sp_sim *s, void (*row)(void *ctx, long t), void *ctx)
{
  rows_job j = {s, row, ctx};
  sp_pool_run(s->pool, s->nblk, rows_task, &j);
}

/* LayerNorm of the token a into b (may alias): centre and scale it over its
 * d features.  Returns 0, or -1 (b zero) when it has zero variance. */
static int layernorm_row(const float *a, float *b, long d)
{
  double sum = 0.0, sq = 0.0;
  for (long i = 0; i < d; i++)
    sum += a[i];
  double mu = sum / (double)d;
  for (long i = 0; i < d; i++) {
    double c = a[i] - mu;
    sq += c * c;
  }
  double var = sq / (double)d;
  if (!(var > 0.0) || !isfinite(var)) {
    for (long i = 0; i < d; i++)
      b[i] = 0.0f;
    return -1;
  }
  double inv = 1.0 / sqrt(var);
  for (long i = 0; i < d; i++)
    b[i] = (float)((a[i] - mu) * inv);
  return 0;
}

/* Token mean of the T x d array a into s->colacc (double). */
void sp_sim_token_mean(sp_sim *s, const float *a, long ld, long cols)
{
  double *m = s->colacc;
  sp_rows_colsum(a, s->T, ld, cols, m);
  for (long j = 0; j < cols; j++)
    m[j] /= (double)s->T;
}

static void proj_task(void *ctx, long task, int tid)
{
  sp_sim_proj *j = ctx;
  sp_sim *s = j->s;
  long r0, r1;
  sp_sim_rows(s, task, SP_SIM_PROJ_ROWS, &r0, &r1);
  long n = j->b->n;
  float *c = j->c + (size_t)r0 * (size_t)j->ldc;
  sp_kern_gemm(r1 - r0, j->a + (size_t)r0 * (size_t)j->lda, j->lda, 0, j->b, 0, n, j->k, c,
               j->ldc, 0, s->work[tid]);
  if (!j->bias && !j->apply_act && !j->mul)
    return;
  for (long t = 0; t < r1 - r0; t++) {
    float *row = c + (size_t)t * (size_t)j->ldc;
    if (j->bias)
      for (long i = j->bias_col; i < n; i++)
        row[i] += j->bias[i - j->bias_col];
    if (j->mul) {
      const float *f = j->mul + (size_t)(r0 + t) * (size_t)j->ldc;
      for (long i = 0; i < n; i++)
        row[i] *= f[i];
    }
    if (!j->apply_act)
      continue;
    if (j->dphi) {
      float *f = j->dphi + (size_t)(r0 + t) * (size_t)j->ldc;
      if (j->act == SP_ACT_RELU)
        for (long i = 0; i < n; i++)
          f[i] = row[i] > 0.0f ? 1.0f : row[i] < 0.0f ? 0.0f : 0.5f;
      else
        for (long i = 0; i < n; i++)
          f[i] = (float)sp_activation_dphi(j->act, j->erf_scale, row[i]);
    }
    switch (j->act) {
    case SP_ACT_RELU:
      for (long i = 0; i < n; i++)
        row[i] = row[i] > 0.0f ? row[i] : 0.0f;
      break;
    case SP_ACT_LINEAR:
      break;
    default:
      for (long i = 0; i < n; i++)
        row[i] = (float)sp_activation_phi(j->act, j->erf_scale, row[i]);
    }
  }
}

void sp_sim_project(sp_sim *s, sp_sim_proj *j)
{
  j->s = s;
  sp_pool_run(s->pool, (s->T + SP_SIM_PROJ_ROWS - 1) / SP_SIM_PROJ_ROWS, proj_task, j);
}

/* ---- one block -------------------------------------------------------- */

typedef struct {
  sp_sim *s;
  const sp_model *m;
  int post_ln;  /* LayerNorm after the residual sum */
  double alpha, gamma;
  const double *mean; /* token mean to subtract (times tau), or NULL */
  double tau;
  atomic_int bad;
  float *x;           /* the stream (or a tangent of it) */
  const float *y;     /* the sub-block output (or its tangent) */
} resid_job;

/* x_t <- alpha x_t + gamma y_t. */
static void resid_row(void *ctx, long t)
{
  resid_job *j = ctx;
  long d = j->s->d;
  float a = (float)j->alpha, g = (float)j->gamma;
  float *x = j->x + (size_t)t * (size_t)d;
  const float *y = j->y + (size_t)t * (size_t)d;
  for (long i = 0; i < d; i++)
    x[i] = a * x[i] + g * y[i];
}

/* x_t <- x_t - tau mean (when a mean is given), then its LayerNorm when
 * post_ln. */
static void meanrm_row(void *ctx, long t)
{
  resid_job *j = ctx;
  long d = j->s->d;
  float *x = j->x + (size_t)t * (size_t)d;
  if (j->mean)
    for (long i = 0; i < d; i++)
      x[i] = (float)(x[i] - j->tau * j->mean[i]);
  if (j->post_ln && layernorm_row(x, x, d))
    atomic_store(&j->bad, 1);
}

typedef struct {
  sp_sim *s;
  const float *src;
  float *dst;
  atomic_int bad;
} ln_job;

static void ln_row(void *ctx, long t)
{
  ln_job *j = ctx;
  size_t off = (size_t)t * (size_t)j->s->d;
  if (layernorm_row(j->src + off, j->dst + off, j->s->d))
    atomic_store(&j->bad, 1);
}

int sp_sim_layernorm_all(sp_sim *s, const float *src, float *dst)
{
  ln_job j = {s, src, dst, 0};
  sp_sim_each_row(s, ln_row, &j);
  return atomic_load(&j.bad) ? SP_EUNDERFLOW : SP_OK;
}

/* x <- a x + g y, token-mean removal (tau), LN when post_ln; with `jac`
 * the same linear maps on the tangents, and the LN's Jacobian at x. */
static int residual(sp_sim *s, const sp_model *m, double alpha, double gamma, double tau,
                    int post_ln, int jac)
{
  for (int tn = 0; jac && tn < SP_SIM_NTAN; tn++) {
    resid_job t = {s, m, 0, alpha, gamma, NULL, tau, 0, s->tx[tn], s->ty[tn]};
    sp_sim_each_row(s, resid_row, &t);
    if (tau > 0.0) {
      sp_sim_token_mean(s, s->tx[tn], s->d, s->d);
      t.mean = s->colacc;
      sp_sim_each_row(s, meanrm_row, &t);
    }
  }
  resid_job j = {s, m, post_ln && !jac, alpha, gamma, NULL, tau, 0, s->x, s->y};
  sp_sim_each_row(s, resid_row, &j);
  if (tau > 0.0) {
    sp_sim_token_mean(s, s->x, s->d, s->d);
    j.mean = s->colacc;
  }
  if (j.mean || j.post_ln)
    sp_sim_each_row(s, meanrm_row, &j);
  if (post_ln && jac) {
    for (int tn = 0; tn < SP_SIM_NTAN; tn++)
      sp_sim_layernorm_tangent(s, s->x, s->tx[tn], s->tx[tn]);
    return sp_sim_layernorm_all(s, s->x, s->x);
  }
  return atomic_load(&j.bad) ? SP_EUNDERFLOW : SP_OK;
}

static double sigma_a(const sp_model *m, const sp_sim_options *o)
{
  double tp = o->tokens_scale > 0.0 ? o->tokens_scale : (double)m->tokens;
  return m->beta * sqrt(log(tp));
}

/* Subtract the token mean from every row of the T x d array a. */
static void centre_tokens(sp_sim *s, float *a)
{
  long d = s->d;
  sp_sim_token_mean(s, a, d, d);
  for (long t = 0; t < s->T; t++) {
    float *y = a + (size_t)t * (size_t)d;
    for (long i = 0; i < d; i++)
      y[i] = (float)(y[i] - s->colacc[i]);
  }
}

/* delta = dL/dy = r / T for the random readout r of the query-gradient
 * loss, or its centred version when the output is centred. */
static void readout_delta(sp_sim *s, const sp_model *m)
{
  long d = s->d, T = s->T;
  if (m->attention == SP_ATTN_CENTRED)
    sp_sim_token_mean(s, s->delta, d, d);
  for (long t = 0; t < T; t++) {
    float *r = s->delta + (size_t)t * (size_t)d;
    for (long i = 0; i < d; i++) {
      double v = r[i];
      if (m->attention == SP_ATTN_CENTRED)
        v -= s->colacc[i];
      r[i] = (float)(v / (double)T);
    }
  }
}

/* Draw the attention weights of block `layer` into the packed w (W_Q | W_K
 * | W_V, or W_V alone for uniform attention), b_V, and the readout r. */
static void attention_weights(sp_sim *s, const sp_model *m, const sp_sim_options *o,
                              unsigned long seed, long layer, sp_kpack *w, int grad)
{
  long d = s->d, T = s->T;
  int uniform = m->attention == SP_ATTN_UNIFORM;
  double sa = sigma_a(m, o);
  double sqk = sqrt(sa / (double)d), sv = sqrt(m->var_v / (double)d);
  double svb = sqrt(sp_model_var_vb(m));
  sp_kern_packb_zero(w);
  sp_sim_gen g[5] = {
    {SP_SIM_STREAM_WV, d, d, sv, NULL, 0, w, uniform ? 0 : 2 * d},
    {SP_SIM_STREAM_BV, 1, d, svb, s->bias, d, NULL, 0},
    {SP_SIM_STREAM_WQ, d, d, sqk, NULL, 0, w, 0},
    {SP_SIM_STREAM_WK, d, d, sqk, NULL, 0, w, d},
    {SP_SIM_STREAM_R, T, d, 1.0, s->delta, d, NULL, 0},
  };
  int ng = uniform ? 2 : grad ? 5 : 4;
  sp_sim_generate(s, seed, layer, g, ng);
}

static int attention_block(sp_sim *s, const sp_model *m, const sp_sim_options *o,
                           unsigned long seed, long layer, const float *xa, sp_sim_layer *out)
{
  long d = s->d, T = s->T;
  int uniform = m->attention == SP_ATTN_UNIFORM;
  int grad = o->gradient && !uniform, jac = o->jacobian != 0;
  int pre = m->norm == SP_NORM_PRE;
  sp_kpack w = {s->wp, d, uniform ? d : 3 * d};
  attention_weights(s, m, o, seed, layer, &w, grad);

  sp_sim_proj pj = {s, xa, d, d, &w, uniform ? s->qkv + 2 * d : s->qkv, 3 * d, s->bias,
                    uniform ? 0 : 2 * d, SP_ACT_LINEAR, 0, 1.0, NULL, NULL};
  sp_sim_project(s, &pj);
  /* tangents of the queries, keys and values (no bias) */
  for (int tn = 0; jac && tn < SP_SIM_NTAN; tn++) {
    sp_sim_proj tp = {s, sp_sim_tangent_input(s, pre, tn), d, d, &w,
                      uniform ? s->tqkv[tn] + 2 * d : s->tqkv[tn], 3 * d, NULL, 0,
                      SP_ACT_LINEAR, 0, 1.0, NULL, NULL};
    sp_sim_project(s, &tp);
    if (uniform)
      sp_sim_uniform_attention(s, m->causal, s->tqkv[tn], s->ty[tn]);
  }

  if (uniform) {
    sp_sim_uniform_attention(s, m->causal, s->qkv, s->y);
  } else {
    if (grad)
      readout_delta(s, m);
    sp_sim_attention_heads(s, m->causal, grad, jac);
  }
  sp_sim_attention_stats(s, m, out);

  if (m->attention == SP_ATTN_CENTRED) {
    centre_tokens(s, s->y);
    for (int tn = 0; jac && tn < SP_SIM_NTAN; tn++)
      centre_tokens(s, s->ty[tn]);
  }

  if (!o->gradient) {
    out->grad_wq = NAN;
  } else if (uniform) {
    out->grad_wq = 0.0;
  } else {
    double sum = sp_sim_query_grad_sqnorm(s, xa);
    double tp = o->tokens_scale > 0.0 ? o->tokens_scale : (double)T;
    out->grad_wq = (double)T / ((double)d * (double)d * sqrt(log(tp))) * sum;
  }
  return SP_OK;
}

static int mlp_block(sp_sim *s, const sp_model *m, const sp_sim_options *o, unsigned long seed,
                     long layer, const float *xm)
{
  int jac = o->jacobian != 0, pre = m->norm == SP_NORM_PRE;
  long d = s->d, dff = s->dff;
  sp_kpack w1 = {s->wp, d, dff};
  sp_kpack w2 = {s->wp + sp_kern_packb_floats(d, dff), dff, d};
  sp_kern_packb_zero(&w1);
  sp_kern_packb_zero(&w2);
  double sb = sqrt(m->var_b);
  sp_sim_gen g[4] = {
    {SP_SIM_STREAM_W1, d, dff, sqrt(m->var_w_in / (double)d), NULL, 0, &w1, 0},
    {SP_SIM_STREAM_W2, dff, d, sqrt(m->var_w_out / (double)dff), NULL, 0, &w2, 0},
    {SP_SIM_STREAM_B1, 1, dff, sb, s->bias + d, dff, NULL, 0},
    {SP_SIM_STREAM_B2, 1, d, sb, s->bias + d + dff, d, NULL, 0},
  };
  sp_sim_generate(s, seed, layer, g, 4);
  sp_sim_proj p1 = {s, xm, d, d, &w1, s->hid, dff, s->bias + d, 0, m->activation, 1, m->erf_scale,
                 jac ? s->dphi : NULL, NULL};
  sp_sim_project(s, &p1);
  sp_sim_proj p2 = {s, s->hid, dff, dff, &w2, s->y, d, s->bias + d + dff, 0, SP_ACT_LINEAR, 0, 1.0,
                 NULL, NULL};
  sp_sim_project(s, &p2);
  /* tangents: (dx W_1) phi'(pre-activation), then W_2 */
  for (int tn = 0; jac && tn < SP_SIM_NTAN; tn++) {
    sp_sim_proj t1 = {s, sp_sim_tangent_input(s, pre, tn), d, d, &w1, s->thid, dff, NULL, 0,
                   SP_ACT_LINEAR, 0, 1.0, NULL, s->dphi};
    sp_sim_project(s, &t1);
    sp_sim_proj t2 = {s, s->thid, dff, dff, &w2, s->ty[tn], d, NULL, 0, SP_ACT_LINEAR, 0, 1.0,
                   NULL, NULL};
    sp_sim_project(s, &t2);
  }
  return SP_OK;
}

static int block(sp_sim *s, const sp_model *m, const sp_sim_options *o, unsigned long seed,
                 long layer, const sp_sim_layer *prev, sp_sim_layer *out)
{
  int st;
  int pre = m->norm == SP_NORM_PRE, post = m->norm == SP_NORM_POST;
  int jac = o->jacobian != 0;
  double probe = jac ? sp_sim_draw_probe(s, seed, layer, s->tx[SP_SIM_TAN_FRESH]) : 0.0;
  const float *xa = s->x;
  if (pre) {
    if ((st = sp_sim_layernorm_all(s, s->x, s->xa)))
      return st;
    xa = s->xa;
  }
  if (o->gradient || jac) {
    if (pre) {
      sp_sim_layer in;
      if ((st = sp_sim_stream_stats(s, s->xa, &in)))
        return st;
      out->qa = in.q;
      out->pa = in.p;
    } else {
      out->qa = prev->q;
      out->pa = prev->p;
    }
  }
  if ((st = attention_block(s, m, o, seed, layer, xa, out)))
    return st;
  if ((st = residual(s, m, m->alpha_sa, m->branch_sa, m->mean_removal, post, jac)))
    return st;
  if (m->mlp) {
    const float *xm = s->x;
    if (pre) {
      if ((st = sp_sim_layernorm_all(s, s->x, s->xa)))
        return st;
      xm = s->xa;
    }
    if ((st = mlp_block(s, m, o, seed, layer, xm)))
      return st;
    if ((st = residual(s, m, m->alpha_mlp, m->branch_mlp, 0.0, post, jac)))
      return st;
  }
  if (jac)
    sp_sim_jacobian_record(s, probe, out);
  return sp_sim_stream_stats(s, s->x, out);
}

static void input_tokens(sp_sim *s, const sp_model *m, unsigned long seed)
{
  long d = s->d, T = s->T;
  /* u into y's first row, z into x */
  sp_sim_gen g[2] = {
    {SP_SIM_STREAM_INPUT_U, 1, d, 1.0, s->y, d, NULL, 0},
    {SP_SIM_STREAM_INPUT_Z, T, d, 1.0, s->x, d, NULL, 0},
  };
  sp_sim_generate(s, seed, 0, g, 2);
  double q0 = m->q0, rho = m->rho0;
  if (rho >= 0.0) {
    double a = sqrt(q0 * rho), b = sqrt(q0 * (1.0 - rho));
    for (long t = 0; t < T; t++) {
      float *x = s->x + (size_t)t * (size_t)d;
      for (long i = 0; i < d; i++)
        x[i] = (float)(a * s->y[i] + b * x[i]);
    }
  } else {
    double k = rho / (1.0 - rho), kt = 1.0 + k * (double)T;
    double kappa = 1.0 - sqrt(kt > 0.0 ? kt : 0.0), c = sqrt(q0 / (1.0 + k));
    sp_sim_token_mean(s, s->x, d, d);
    for (long t = 0; t < T; t++) {
      float *x = s->x + (size_t)t * (size_t)d;
      for (long i = 0; i < d; i++)
        x[i] = (float)(c * (x[i] - kappa * s->colacc[i]));
    }
  }
}

static void nan_row(sp_sim_layer *r, long layer)
{
  r->layer = layer;
  r->q = r->p = r->rho = r->cos_mean = r->cos_std = NAN;
  r->y2 = r->y3 = r->entropy = r->max_attention = r->overlap = r->grad_wq = NAN;
  r->y2sq = r->g = r->qa = r->pa = r->grad_chi = r->grad_chi_total = NAN;
}

static int run(sp_sim *s, const sp_model *m, const sp_sim_options *o, unsigned long seed,
               double eps, sp_sim_layer *out, long *done)
{
  long dummy;
  if (!done)
    done = &dummy;
  *done = 0;
  if (!s || !m || !out)
    return SP_EINVAL;
  sp_sim_options def;
  if (!o) {
    sp_sim_options_default(&def);
    o = &def;
  }
  /* The attention statistics (m->stats) are theory's choice: a simulated
   * network has none, so a rho0 < 0 that m->tokens allow is valid here. */
  sp_model valid = *m;
  valid.stats = SP_STATS_FINITE;
  int st = sp_model_validate(&valid, NULL);
  if (st)
    return st;
  if (m->tokens != s->T || (o->gradient && !(s->flags & SP_SIM_GRADIENT)) ||
      (o->jacobian && !(s->flags & SP_SIM_JACOBIAN)))
    return SP_EINVAL;
  if (!(o->tokens_scale == 0.0 || (o->tokens_scale >= 2.0 && isfinite(o->tokens_scale))))
    return SP_EDOM;
  for (long l = 0; l <= m->depth; l++)
    nan_row(&out[l], l);

  input_tokens(s, m, seed);
  if (o->input_ln && (st = sp_sim_layernorm_all(s, s->x, s->x)))
    return st;
  if ((st = sp_sim_stream_stats(s, s->x, &out[0])))
    return st;
  if (o->jacobian) {
    s->chain_norm = sp_sim_draw_probe(s, seed, 0, s->tx[SP_SIM_TAN_CHAIN]);
    s->chain_log = 0.0;
    out[0].grad_chi_total = 1.0;
    if (eps != 0.0) {
      for (size_t i = 0; i < (size_t)s->T * (size_t)s->d; i++)
        s->x[i] = (float)((double)s->x[i] + eps * (double)s->tx[SP_SIM_TAN_CHAIN][i]);
      if ((st = sp_sim_stream_stats(s, s->x, &out[0])))
        return st;
    }
  }
  *done = 1;
  if (o->progress)
    o->progress(o->progress_arg, 0, (size_t)m->depth);
  for (long l = 1; l <= m->depth; l++) {
    if ((st = block(s, m, o, seed, l, &out[l - 1], &out[l]))) {
      nan_row(&out[l], l);
      return st;
    }
    *done = l + 1;
    if (o->progress)
      o->progress(o->progress_arg, (size_t)l, (size_t)m->depth);
  }
  return SP_OK;
}

int sp_sim_run(sp_sim *s, const sp_model *m, const sp_sim_options *o, unsigned long seed,
               sp_sim_layer *out, long *done)
{
  return run(s, m, o, seed, 0.0, out, done);
}

int sp_sim_run_perturbed(sp_sim *s, const sp_model *m, const sp_sim_options *o,
                         unsigned long seed, double eps, sp_sim_layer *out, long *done)
{
  if (!o || !o->jacobian)
    return SP_EINVAL;
  return run(s, m, o, seed, eps, out, done);
}

const float *sp_sim_stream(const sp_sim *s, int tangent)
{
  if (!tangent)
    return s->x;
  return (s->flags & SP_SIM_JACOBIAN) ? s->tx[SP_SIM_TAN_CHAIN] : NULL;
}
