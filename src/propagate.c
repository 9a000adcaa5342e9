/* Depth iteration and the angle exponent.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/propagate.h"
#include "sigprop/gauss.h"
#include "sigprop/status.h"
#include "propagate_simd.h"
#include "workspace_private.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>

static void no_stats(sp_attn_stats *st)
{
  st->lambda = st->beta_c = st->m = st->y2 = st->y3 = st->y2sq = st->g = NAN;
  st->overlap = st->entropy = st->entropy_ratio = NAN;
  st->frozen = 0;
}

static void summary_start(sp_summary *s)
{
  s->frozen_layers = 0;
  s->first_frozen = 0;
  s->y2_first = NAN;
  s->y2_max = 0.0;
  s->beta_ratio = 0.0;
}

/* Account for block l of model m, whose attention input had statistics st. */
static void summary_add(const sp_model *m, sp_summary *s, long l, const sp_attn_stats *st)
{
  double r = m->attention == SP_ATTN_UNIFORM ? 0.0 : st->lambda / M_SQRT2;
  if (r > s->beta_ratio)
    s->beta_ratio = r;
  if (l == 1)
    s->y2_first = st->y2;
  if (st->y2 > s->y2_max)
    s->y2_max = st->y2;
  if (st->frozen) {
    s->frozen_layers++;
    if (!s->first_frozen)
      s->first_frozen = l;
  }
}

static void summary_end(sp_summary *s, double q, double p)
{
  s->q_final = q;
  s->p_final = p;
  s->rho_final = p / q;
}

int sp_propagate(const sp_model *m, const sp_workspace *w, unsigned what, sp_layer *out,
                 long *done)
{
  if (done)
    *done = 0;
  if (!out)
    return SP_EINVAL;
  int s = sp_workspace_check(w, m);
  if (s)
    return s;
  double q = m->q0, p = m->rho0 * m->q0;
  out[0].layer = 0;
  out[0].q = q;
  out[0].p = p;
  out[0].rho = m->rho0;
  no_stats(&out[0].attn);
  sp_block_trace *t0 = &out[0].trace;
  t0->qa = t0->pa = t0->qs = t0->ps = t0->q_attn_sum = t0->q_stream_sa = NAN;
  t0->qm = t0->pm = t0->q_stream_mlp = t0->q_mlp_sum = NAN;
  for (long l = 1; l <= m->depth; l++) {
    if ((s = sp_maps_block_traced(m, w, &q, &p, what, &out[l].attn, &out[l].trace))) {
      if (done)
        *done = l;
      return s;
    }
    out[l].layer = l;
    out[l].q = q;
    out[l].p = p;
    out[l].rho = p / q;
  }
  if (done)
    *done = m->depth + 1;
  return SP_OK;
}

/* The models of one chunk (k <= SP_SUMMARY_BATCH) whose bit is set in
 * `todo`, advanced in lockstep one block at a time on the scalar path;
 * statuses[] and the summaries' starts are set. */
static void batch_scalar(const sp_model *models, size_t k, const sp_workspace *w,
                         sp_summary *out, int *statuses, uint64_t todo)
{
  double q[SP_SUMMARY_BATCH], p[SP_SUMMARY_BATCH];
  long depth = 0;
  for (size_t j = 0; j < k; j++) {
    q[j] = models[j].q0;
    p[j] = models[j].rho0 * models[j].q0;
    if ((todo >> j & 1) && !statuses[j] && models[j].depth > depth)
      depth = models[j].depth;
  }
  for (long l = 1; l <= depth; l++)
    for (size_t j = 0; j < k; j++) {
      const sp_model *m = &models[j];
      sp_attn_stats st;
      if (!(todo >> j & 1) || statuses[j] || l > m->depth)
        continue;
      if ((statuses[j] = sp_maps_block(m, w, &q[j], &p[j], SP_REM_Y2, &st)))
        continue;
      summary_add(m, &out[j], l, &st);
    }
  for (size_t j = 0; j < k; j++)
    if (todo >> j & 1)
      summary_end(&out[j], q[j], p[j]);
}

int sp_propagate_summary_batch_isa(const sp_model *models, size_t n, const sp_workspace *w,
                                   sp_summary *out, int *statuses, int isa)
{
  if (!models || !out || !statuses)
    return SP_EINVAL;
  if (!sp_propagate_simd_supported(isa))
    return SP_EUNSUP;
  for (size_t base = 0; base < n; base += SP_SUMMARY_BATCH) {
    size_t k = n - base < SP_SUMMARY_BATCH ? n - base : SP_SUMMARY_BATCH;
    for (size_t j = 0; j < k; j++) {
      statuses[base + j] = sp_workspace_check(w, &models[base + j]);
      summary_start(&out[base + j]);
    }
    uint64_t done = isa == SP_SIMD_NONE ? 0
                    : sp_propagate_simd_chunk(models + base, k, statuses + base, out + base, isa);
    uint64_t all = k < 64 ? ((uint64_t)1 << k) - 1 : ~(uint64_t)0;
    if (done != all)
      batch_scalar(models + base, k, w, out + base, statuses + base, all & ~done);
  }
  return SP_OK;
}

int sp_propagate_summary_batch(const sp_model *models, size_t n, const sp_workspace *w,
                               sp_summary *out, int *statuses)
{
  return sp_propagate_summary_batch_isa(models, n, w, out, statuses, sp_propagate_simd_best());
}

/* One trajectory: a batch of one, on the scalar path (the batch gives the
 * same bits on every path). */
int sp_propagate_summary(const sp_model *m, const sp_workspace *w, sp_summary *sum)
{
  int status = SP_EINVAL;
  int s = sp_propagate_summary_batch_isa(m, 1, w, sum, &status, SP_SIMD_NONE);
  return s ? s : status;
}

int sp_propagate_angle_exponent(const sp_model *m, const sp_workspace *w, double *lambda_a)
{
  int s = sp_workspace_check(w, m);
  if (s)
    return s;
  if (!lambda_a)
    return SP_EINVAL;
  if (m->norm != SP_NORM_POST || m->mean_removal > 0.0)
    return SP_EUNSUP;
  double a2 = m->alpha_sa * m->alpha_sa, g2 = m->branch_sa * m->branch_sa;
  double collapsed = m->attention == SP_ATTN_CENTRED ? 0.0 : m->var_v + sp_model_var_vb(m);
  double num = a2, den = a2 + g2 * collapsed;
  if (m->mlp) {
    double am = m->alpha_mlp * m->alpha_mlp, gm = m->branch_mlp * m->branch_mlp;
    double q1 = m->var_w_in + m->var_b, e2, d2;
    const sp_mlp_table *t = sp_workspace_mlp(w, m); /* the moments without quadrature */
    if (t) {
      sp_mlp_table_moments(t, &e2, &d2);
    } else if ((s = sp_gauss_phi_moments(m->activation, m->erf_scale, q1, q1, &e2, NULL))
               || (s = sp_gauss_dphi2(m->activation, m->erf_scale, q1, &d2))) {
      return s;
    }
    num *= am + gm * m->var_w_in * m->var_w_out * d2;
    den *= am + gm * (m->var_w_out * e2 + m->var_b);
  }
  if (!(den > 0.0))
    return SP_EDOM;
  *lambda_a = num > 0.0 ? log(num / den) : -INFINITY;
  return SP_OK;
}

int sp_propagate_angle_exponent_fd(const sp_model *m, const sp_workspace *w, double *lambda_a,
                         double *abserr)
{
  enum { K = 4 };
  double r[K][K];
  int s = sp_workspace_check(w, m);
  if (s)
    return s;
  if (!lambda_a)
    return SP_EINVAL;
  double qin = m->norm == SP_NORM_POST ? 1.0 : m->q0;
  double eps = 1e-4;
  for (int k = 0; k < K; k++, eps /= 4.0) {
    double q = qin, p = qin * (1.0 - eps);
    if ((s = sp_maps_block(m, w, &q, &p, SP_REM_Y2, NULL)))
      return s;
    double gap = 1.0 - p / q;
    if (!(gap > 0.0))
      return SP_EDOM;
    r[k][0] = log(gap / eps);
  }
  /* Halving sqrt(eps) each step: level j removes the eps^{j/2} term. */
  for (int j = 1; j < K; j++) {
    double f = ldexp(1.0, j);
    for (int k = j; k < K; k++)
      r[k][j] = (f * r[k][j - 1] - r[k - 1][j - 1]) / (f - 1.0);
  }
  *lambda_a = r[K - 1][K - 1];
  if (abserr)
    *abserr = fabs(r[K - 1][K - 1] - r[K - 1][K - 2]);
  return SP_OK;
}
