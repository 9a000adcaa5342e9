/* Gradient predictions at initialisation.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/grad.h"
#include "sigprop/gauss.h"
#include "sigprop/status.h"

#include <math.h>
#include <stdlib.h>

double sp_grad_wq(double beta, double var_v, double q, double p, double g)
{
  double gap;
  if (!(beta >= 0.0) || !(var_v >= 0.0) || !(g >= 0.0) || sp_rem_gap(q, p, &gap))
    return NAN;
  return beta * var_v * q * gap * gap * g;
}

double sp_grad_wq_width(double beta, double var_v, double q, double p, double g, double y2,
                        double y2sq, long width)
{
  if (!(y2 >= 0.0 && y2 <= 1.0) || !(y2sq >= 0.0 && y2sq <= y2) || width < 1)
    return NAN;
  double spread = 1.0 - 2.0 * y2 + y2sq; /* E[(1 - Y2)^2] */
  return sp_grad_wq(beta, var_v, q, p, g + (spread > 0.0 ? spread : 0.0) / (double)width);
}

int sp_grad_qk_v_ratio(long tokens, double q, double p, double *ratio)
{
  if (!ratio)
    return SP_EINVAL;
  double t = (double)tokens, gap;
  if (tokens < 2 || !(q > 0.0) || sp_rem_gap(q, p, &gap) || p < -q / (t - 1.0))
    return SP_EDOM;
  double rho = p / q, den = t * (1.0 + (t - 1.0) * rho);
  *ratio = den > 0.0 ? q * q * (1.0 - rho) * (1.0 - rho) * (t - 1.0) / den : INFINITY;
  return SP_OK;
}

/* chi of the attention module alone, for its input (qa, pa). */
static double attention_chi(const sp_model *m, const sp_attn_stats *st, double qa, double pa)
{
  double t = (double)m->tokens, sv = m->var_v;
  if (m->attention == SP_ATTN_UNIFORM)
    return sv / t;
  double gap = qa - pa > 0.0 ? qa - pa : 0.0;
  double score = sv * gap * (2.0 * qa - pa) * m->beta * m->beta * log(t) * st->g;
  double chi = sv * st->y2 + score;
  if (m->attention == SP_ATTN_CENTRED && m->stats == SP_STATS_FINITE)
    chi *= 1.0 - 1.0 / t;
  return chi;
}

int sp_grad_block_chi(const sp_model *m, const sp_attn_stats *st, const sp_block_trace *tr,
                      double *chi)
{
  if (!m || !st || !tr || !chi)
    return SP_EINVAL;
  if (m->attention != SP_ATTN_UNIFORM && !isfinite(st->g))
    return SP_EINVAL; /* the statistics must include SP_REM_MOMENTS */
  double ca = attention_chi(m, st, tr->qa, tr->pa);
  if (m->norm == SP_NORM_PRE)
    ca /= tr->q_stream_sa;
  double as = m->alpha_sa * m->alpha_sa, gs = m->branch_sa * m->branch_sa;
  double x = as + gs * ca;
  if (m->mean_removal > 0.0)
    x *= 1.0 - (2.0 * m->mean_removal - m->mean_removal * m->mean_removal) / (double)m->tokens;
  if (m->norm == SP_NORM_POST)
    x /= tr->q_attn_sum;
  if (m->mlp) {
    double d2, q1 = m->var_w_in * tr->qm + m->var_b;
    int s = sp_gauss_dphi2(m->activation, m->erf_scale, q1, &d2);
    if (s)
      return s;
    double cm = m->var_w_in * m->var_w_out * d2;
    if (m->norm == SP_NORM_PRE)
      cm /= tr->q_stream_mlp;
    x *= m->alpha_mlp * m->alpha_mlp + m->branch_mlp * m->branch_mlp * cm;
    if (m->norm == SP_NORM_POST)
      x /= tr->q_mlp_sum;
  }
  *chi = x;
  return SP_OK;
}

/* The two channels of a tangent's energy, as a 2 x 2 transfer t[from][to]
 * flattened: t[0] common -> common, t[1] common -> rest, t[2] rest ->
 * common, t[3] rest -> rest. */
/* x <- x y (row vectors times matrices: energies flow from -> to) */
static void transfer_mul(double x[4], const double y[4])
{
  double r[4] = {x[0] * y[0] + x[1] * y[2], x[0] * y[1] + x[1] * y[3],
                 x[2] * y[0] + x[3] * y[2], x[2] * y[1] + x[3] * y[3]};
  for (int k = 0; k < 4; k++)
    x[k] = r[k];
}

/* alpha^2 I + gamma^2 f */
static void transfer_residual(double t[4], double alpha, double gamma, const double f[4])
{
  for (int k = 0; k < 4; k++)
    t[k] = gamma * gamma * f[k];
  t[0] += alpha * alpha;
  t[3] += alpha * alpha;
}

/* The attention module alone, input (qa, pa). */
static void attention_transfer(const sp_model *m, const sp_attn_stats *st, double qa, double pa,
                               double t[4])
{
  double T = (double)m->tokens, sv = m->var_v;
  if (m->attention == SP_ATTN_UNIFORM) {
    /* the same average for every row: common -> common, the rest -> 0 */
    t[0] = sv;
    t[1] = t[2] = t[3] = 0.0;
    return;
  }
  double gap = qa - pa > 0.0 ? qa - pa : 0.0, s2 = m->beta * m->beta * log(T);
  /* score path: a common perturbation moves the queries only (its key
   * part is the same for every key and cancels in the softmax) */
  double score_c = sv * gap * gap * s2 * st->g, score_d = sv * gap * (2.0 * qa - pa) * s2 * st->g;
  /* value path of the rest: energy sv Y2, of which the output's token
   * mean, sum_s (cbar_s - 1/T)^2 with cbar the column means of A, takes
   * sv (Y2 + (T - 1) O - 1)/T */
  double o = isfinite(st->overlap) && st->overlap > 1.0 / T ? st->overlap : 1.0 / T;
  double leak = sv * (st->y2 + (T - 1.0) * o - 1.0) / T;
  leak = leak > 0.0 ? (leak < sv * st->y2 ? leak : sv * st->y2) : 0.0;
  if (m->attention == SP_ATTN_CENTRED) {
    t[0] = 0.0;
    t[2] = 0.0;
  } else {
    t[0] = sv;
    t[2] = leak;
  }
  t[1] = score_c;
  t[3] = sv * st->y2 - leak + score_d;
}

int sp_grad_block_transfer(const sp_model *m, const sp_attn_stats *st, const sp_block_trace *tr,
                           double t[4])
{
  if (!m || !st || !tr || !t)
    return SP_EINVAL;
  if (m->attention != SP_ATTN_UNIFORM && !isfinite(st->g))
    return SP_EINVAL;
  double f[4], sub[4], T = (double)m->tokens;
  attention_transfer(m, st, tr->qa, tr->pa, f);
  if (m->norm == SP_NORM_PRE)
    for (int k = 0; k < 4; k++)
      f[k] /= tr->q_stream_sa;
  transfer_residual(t, m->alpha_sa, m->branch_sa, f);
  if (m->mean_removal > 0.0) {
    double k = (1.0 - m->mean_removal) * (1.0 - m->mean_removal);
    t[0] *= k; /* only the common part is removed */
    t[2] *= k;
  }
  if (m->norm == SP_NORM_POST)
    for (int k = 0; k < 4; k++)
      t[k] /= tr->q_attn_sum;
  if (m->mlp) {
    double d2, dx, q1 = m->var_w_in * tr->qm + m->var_b, p1 = m->var_w_in * tr->pm + m->var_b;
    int s = sp_gauss_dphi2(m->activation, m->erf_scale, q1, &d2);
    if (!s)
      s = sp_gauss_dphi_pair(m->activation, m->erf_scale, q1, p1, &dx);
    if (s)
      return s;
    /* per-token Jacobians: a common perturbation stays common in the
     * share E[phi'(u) phi'(v)] / E[phi'^2]; the rest leaks 1/T of the
     * token-to-token variation into the mean */
    double k2 = m->var_w_in * m->var_w_out * d2, kx = m->var_w_in * m->var_w_out * dx;
    double g[4] = {kx, k2 - kx, (k2 - kx) / T, k2 - (k2 - kx) / T};
    if (m->norm == SP_NORM_PRE)
      for (int k = 0; k < 4; k++)
        g[k] /= tr->q_stream_mlp;
    transfer_residual(sub, m->alpha_mlp, m->branch_mlp, g);
    if (m->norm == SP_NORM_POST)
      for (int k = 0; k < 4; k++)
        sub[k] /= tr->q_mlp_sum;
    transfer_mul(t, sub);
  }
  return SP_OK;
}

int sp_grad_growth(const sp_model *m, const sp_workspace *w, double *growth)
{
  if (!growth)
    return SP_EINVAL;
  int s = sp_workspace_check(w, m);
  if (s)
    return s;
  double q = m->q0, p = m->rho0 * m->q0, T = (double)m->tokens;
  double v[2] = {1.0 / T, 1.0 - 1.0 / T}; /* an isotropic probe's energy per channel */
  growth[0] = 1.0;
  for (long l = 1; l <= m->depth; l++) {
    sp_attn_stats st;
    sp_block_trace tr;
    double t[4];
    if ((s = sp_maps_block_traced(m, w, &q, &p, SP_REM_MOMENTS, &st, &tr)))
      return s;
    if ((s = sp_grad_block_transfer(m, &st, &tr, t)))
      return s;
    double c = v[0] * t[0] + v[1] * t[2], r = v[0] * t[1] + v[1] * t[3];
    v[0] = c;
    v[1] = r;
    growth[l] = c + r;
  }
  return SP_OK;
}

int sp_grad_exponent(const sp_model *m, const sp_workspace *w, double *lambda_g, double *chi)
{
  if (!lambda_g)
    return SP_EINVAL;
  int s = sp_workspace_check(w, m);
  if (s)
    return s;
  double *growth = malloc(((size_t)m->depth + 1) * sizeof *growth);
  if (!growth)
    return SP_ENOMEM;
  if ((s = sp_grad_growth(m, w, growth))) {
    free(growth);
    return s;
  }
  *lambda_g = log(growth[m->depth]) / (double)m->depth;
  free(growth);
  if (!chi)
    return SP_OK;
  double q = m->q0, p = m->rho0 * m->q0;
  for (long l = 1; l <= m->depth; l++) {
    sp_attn_stats st;
    sp_block_trace tr;
    if ((s = sp_maps_block_traced(m, w, &q, &p, SP_REM_MOMENTS, &st, &tr)))
      return s;
    if ((s = sp_grad_block_chi(m, &st, &tr, &chi[l - 1])))
      return s;
  }
  return SP_OK;
}
