/* Gradient predictions at initialisation.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/grad.h"
#include "sigprop/gauss.h"
#include "sigprop/status.h"

#include <math.h>

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

int sp_grad_exponent(const sp_model *m, const sp_workspace *w, double *lambda_g, double *chi)
{
  if (!lambda_g)
    return SP_EINVAL;
  int s = sp_workspace_check(w, m);
  if (s)
    return s;
  double q = m->q0, p = m->rho0 * m->q0, sum = 0.0;
  for (long l = 1; l <= m->depth; l++) {
    sp_attn_stats st;
    sp_block_trace tr;
    double c;
    if ((s = sp_block_traced(m, w, &q, &p, SP_REM_MOMENTS, &st, &tr)))
      return s;
    if ((s = sp_grad_block_chi(m, &st, &tr, &c)))
      return s;
    if (chi)
      chi[l - 1] = c;
    sum += log(c);
  }
  *lambda_g = sum / (double)m->depth;
  return SP_OK;
}
