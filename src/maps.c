/* Order-parameter maps of the sub-blocks and of a whole block.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/maps.h"
#include "sigprop/activation.h"
#include "sigprop/gauss.h"
#include "sigprop/rem_finite.h"
#include "sigprop/rem_overlap.h"
#include "sigprop/status.h"
#include "workspace_private.h"

#include <float.h>
#include <math.h>

int sp_maps_attention_stats(const sp_model *m, const sp_workspace *w, double q, double p,
                           unsigned what, sp_attn_stats *st)
{
  if (m->attention == SP_ATTN_UNIFORM) {
    int s = sp_rem_uniform(m->beta, q, p, m->tokens, st);
    if (s || !m->causal)
      return s;
    double lambda = st->lambda, beta_c = st->beta_c;
    s = sp_rem_finite_uniform_causal(m->tokens, st);
    st->lambda = lambda, st->beta_c = beta_c, st->m = 1.0;
    return s;
  }
  if (m->stats == SP_STATS_ASYMPTOTIC)
    return sp_rem_asymptotic(m->beta, q, p, m->tokens, what, st);
  double gap;
  int s = sp_rem_gap(q, p, &gap);
  if (s)
    return s;
  if (!(m->beta >= 0.0) || !isfinite(m->beta))
    return SP_EDOM;
  double lambda = m->beta * sqrt(q * gap);
  const sp_rem_table *t = sp_workspace_rem(w, m);
  s = t ? sp_rem_table_eval(t, lambda, what, st)
        : sp_rem_finite(m->tokens, m->causal, lambda, st, NULL);
  if (s)
    return s;
  if (m->row_overlap == SP_OVERLAP_EXACT && p > 0.0 && gap > 0.0) {
    /* Rows share the key field h_s (a fraction p/q of the energy variance):
     * the table when the workspace holds one, else the quadrature. */
    double c = p / q > 1.0 ? 1.0 : p / q;
    if (m->causal && m->tokens > SP_REM_OVERLAP_CAUSAL_MAX)
      return SP_EUNSUP;
    const sp_overlap_table *ot = sp_workspace_overlap(w, m);
    s = ot         ? sp_overlap_table_eval(ot, lambda, c, &st->overlap)
        : m->causal ? sp_rem_overlap_causal(m->tokens, lambda, c, &st->overlap, NULL)
                    : sp_rem_overlap(m->tokens, lambda, c, &st->overlap, NULL);
    if (s)
      return s;
  }
  /* beta_c = sqrt(2/(q gap)) = sqrt(2) beta / lambda, saving a square root */
  st->beta_c = lambda > 0.0 ? M_SQRT2 * m->beta / lambda : sp_rem_beta_c(q, p);
  return SP_OK;
}

int sp_maps_attention_output(const sp_model *m, double q, double p, const sp_attn_stats *st,
                            double *qs, double *ps)
{
  double gap;
  int s = sp_rem_gap(q, p, &gap);
  if (s)
    return s;
  double sv = m->var_v, svb = sp_model_var_vb(m), t = (double)m->tokens;
  switch (m->attention) {
  case SP_ATTN_SOFTMAX:
    *qs = sv * (p + gap * st->y2) + svb;
    *ps = sv * (p + gap * st->overlap) + svb;
    return SP_OK;
  case SP_ATTN_CENTRED:
    if (m->stats == SP_STATS_FINITE) {
      double d = st->y2 - st->overlap;
      *qs = sv * gap * (1.0 - 1.0 / t) * (d > 0.0 ? d : 0.0);
      *ps = -*qs / (t - 1.0);
    } else {
      *qs = sv * gap * st->y2;
      *ps = 0.0;
    }
    return SP_OK;
  case SP_ATTN_UNIFORM:
    if (m->causal) { /* row t averages its t keys: rows differ */
      *qs = sv * (p + gap * st->y2) + svb;
      *ps = sv * (p + gap * st->overlap) + svb;
    } else {
      *qs = *ps = sv * (p + gap / t) + svb;
    }
    return SP_OK;
  default:
    return SP_EINVAL;
  }
}

int sp_maps_mlp(const sp_model *m, const sp_workspace *w, double q, double p,
               double *qf, double *pf)
{
  if (q == 1.0 && !sp_activation_has_closed_form(m->activation)) {
    const sp_mlp_table *t = sp_workspace_mlp(w, m);
    if (t)
      return sp_mlp_table_eval(t, p, qf, pf);
  }
  double q1 = m->var_w_in * q + m->var_b, p1 = m->var_w_in * p + m->var_b;
  if (sp_activation_has_closed_form(m->activation)) {
    double e2, e12;
    int s = sp_gauss_phi_moments(m->activation, m->erf_scale, q1, p1, &e2, &e12);
    if (s)
      return s;
    *qf = m->var_w_out * e2 + m->var_b;
    *pf = m->var_w_out * e12 + m->var_b;
    return SP_OK;
  }
  /* Through the gap, which keeps q_f - p_f accurate as p -> q: from the
   * tabulated expansion (gap = (1 - x) sum a_n^2 S_n(x), q_1 (1 - x) =
   * var_w_in gap_in) where it covers q_1, else by quadrature. */
  sp_kernel k;
  double gap;
  int s = sp_rem_gap(q, p, &gap);
  if (s)
    return s;
  const sp_hermite_table *ht = sp_workspace_hermite(w, m);
  double x = fmax(-1.0, fmin(1.0, p1 / q1)), e2, g;
  if (ht && sp_hermite_table_kernel(ht, q1, x, &e2, &g) == SP_OK) {
    *qf = m->var_w_out * e2 + m->var_b;
    *pf = *qf - m->var_w_out * (m->var_w_in * gap / q1) * g;
    return SP_OK;
  }
  s = sp_gauss_kernel_d(m->activation, m->erf_scale, q1, m->var_w_in * gap, &k);
  if (s)
    return s;
  *qf = m->var_w_out * k.phi2 + m->var_b;
  *pf = *qf - m->var_w_out * k.gap;
  return SP_OK;
}

void sp_maps_residual(double alpha, double gamma, double qf, double pf, double *q, double *p)
{
  double a2 = alpha * alpha, g2 = gamma * gamma;
  *q = a2 * *q + g2 * qf;
  *p = a2 * *p + g2 * pf;
}

int sp_maps_layernorm(double *q, double *p)
{
  if (!(*q > 0.0))
    return SP_EUNDERFLOW;
  double r = *p / *q;
  *p = r > 1.0 ? 1.0 : r;
  *q = 1.0;
  return SP_OK;
}

void sp_maps_mean_removal(double tau, long tokens, double *q, double *p)
{
  double k = 2.0 * tau - tau * tau;
  double mbar = *p + (*q - *p) / (double)tokens;
  *q -= k * mbar;
  *p -= k * mbar;
}

/* Keep p <= q after every step, so rounding never yields rho > 1. */
static void clamp(double *q, double *p)
{
  if (*p > *q)
    *p = *q;
}

static int check_range(double q)
{
  if (!isfinite(q))
    return SP_EOVERFLOW;
  if (q < DBL_MIN)
    return SP_EUNDERFLOW;
  return SP_OK;
}

/* Attention sub-block (statistics + output) on the input (qa, pa) the
 * attention sees; (qb, pb) is where beta_c is evaluated. */
static int attention(const sp_model *m, const sp_workspace *w, double qa, double pa,
                     double qb, double pb, unsigned what, sp_attn_stats *st,
                     double *qs, double *ps)
{
  int s = sp_maps_attention_stats(m, w, qb, pb, what, st);
  if (s)
    return s;
  return sp_maps_attention_output(m, qa, pa, st, qs, ps);
}

int sp_maps_block(const sp_model *m, const sp_workspace *w, double *q, double *p, unsigned what,
             sp_attn_stats *st_out)
{
  return sp_maps_block_traced(m, w, q, p, what, st_out, NULL);
}

int sp_maps_block_traced(const sp_model *m, const sp_workspace *w, double *q, double *p,
                    unsigned what, sp_attn_stats *st_out, sp_block_trace *tr)
{
  sp_attn_stats local;
  sp_attn_stats *st = st_out ? st_out : &local;
  sp_block_trace tlocal;
  double q0 = *q, p0 = *p, qs, ps, qf, pf, qa, pa;
  int s;
  if (!tr)
    tr = &tlocal;
  tr->q_stream_sa = q0;
  tr->qm = tr->pm = tr->q_stream_mlp = tr->q_mlp_sum = NAN;

  /* Attention sub-block: the input it sees, and where beta_c is taken. */
  qa = q0, pa = p0;
  if (m->norm == SP_NORM_PRE && (s = sp_maps_layernorm(&qa, &pa)))
    return s;
  if (m->norm == SP_NORM_PRE && m->beta_c_on == SP_BETAC_STREAM)
    s = attention(m, w, qa, pa, q0, p0, what, st, &qs, &ps);
  else
    s = attention(m, w, qa, pa, qa, pa, what, st, &qs, &ps);
  if (s)
    return s;
  tr->qa = qa, tr->pa = pa, tr->qs = qs, tr->ps = ps;
  sp_maps_residual(m->alpha_sa, m->branch_sa, qs, ps, &q0, &p0);
  if (m->mean_removal > 0.0)
    sp_maps_mean_removal(m->mean_removal, m->tokens, &q0, &p0);
  clamp(&q0, &p0);
  tr->q_attn_sum = q0;
  if (m->norm == SP_NORM_POST) {
    if ((s = sp_maps_layernorm(&q0, &p0)))
      return s;
  } else if ((s = check_range(q0))) {
    return s;
  }

  if (m->mlp) {
    double qn = q0, pn = p0;
    tr->q_stream_mlp = q0;
    if (m->norm == SP_NORM_PRE && (s = sp_maps_layernorm(&qn, &pn)))
      return s;
    tr->qm = qn, tr->pm = pn;
    if ((s = sp_maps_mlp(m, w, qn, pn, &qf, &pf)))
      return s;
    sp_maps_residual(m->alpha_mlp, m->branch_mlp, qf, pf, &q0, &p0);
    clamp(&q0, &p0);
    tr->q_mlp_sum = q0;
    if (m->norm == SP_NORM_POST && (s = sp_maps_layernorm(&q0, &p0)))
      return s;
  }
  if ((s = check_range(q0)))
    return s;
  *q = q0;
  *p = p0;
  return SP_OK;
}
