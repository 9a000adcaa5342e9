/* Attention statistics in the T -> infinity REM limit (theory.md §3).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/rem.h"
#include "sigprop/status.h"

#include <float.h>
#include <math.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_sf_psi.h>

int sp_rem_gap(double q, double p, double *gap)
{
  if (!(q >= 0.0) || !isfinite(q) || !isfinite(p))
    return SP_EDOM;
  double d = q - p;
  if (d < 0.0) {
    /* Rounding in p/q or in sums can push p a few ulps above q. */
    if (-d > 16.0 * DBL_EPSILON * q)
      return SP_EDOM;
    d = 0.0;
  }
  *gap = d;
  return SP_OK;
}

double sp_rem_beta_c(double q, double p)
{
  double x = q * (q - p);
  return x > 0.0 ? sqrt(2.0 / x) : INFINITY;
}

static void fill_nan(sp_attn_stats *st)
{
  st->lambda = st->beta_c = st->m = st->y2 = st->y3 = st->y2sq = st->g = NAN;
  st->overlap = st->entropy = st->entropy_ratio = NAN;
  st->frozen = 0;
}

/* The arguments both laws share: st given, beta >= 0 finite, at least two
 * tokens, and a valid (q, p) pair, whose gap q - p goes to *gap. */
static int check_args(double beta, double q, double p, long tokens, const sp_attn_stats *st,
                      double *gap)
{
  if (!st)
    return SP_EINVAL;
  if (!(beta >= 0.0) || !isfinite(beta) || tokens < 2)
    return SP_EDOM;
  return sp_rem_gap(q, p, gap);
}

int sp_rem_asymptotic(double beta, double q, double p, long tokens, unsigned what,
                      sp_attn_stats *st)
{
  double gap;
  int s = check_args(beta, q, p, tokens, st, &gap);
  if (s)
    return s;
  fill_nan(st);
  double lambda = beta * sqrt(q * gap);
  st->lambda = lambda;
  /* beta_c = sqrt(2/(q gap)) = sqrt(2) beta / lambda, saving a square root */
  st->beta_c = lambda > 0.0 ? M_SQRT2 * beta / lambda : sp_rem_beta_c(q, q - gap);
  st->frozen = lambda > M_SQRT2;
  double m = st->frozen ? M_SQRT2 / lambda : 1.0;
  st->m = m;
  st->y2 = 1.0 - m;
  st->overlap = 0.0;
  if (what & SP_REM_MOMENTS) {
    st->y3 = (1.0 - m) * (2.0 - m) / 2.0;
    st->y2sq = (1.0 - m) * (3.0 - 2.0 * m) / 3.0;
    st->g = m * (1.0 - m) / 3.0;
  }
  if (what & SP_REM_ENTROPY) {
    double logt = log((double)tokens);
    if (!st->frozen) {
      st->entropy_ratio = 1.0 - 0.5 * lambda * lambda;
      st->entropy = logt * st->entropy_ratio;
    } else {
      gsl_sf_result r;
      st->entropy_ratio = 0.0;
      /* psi(1) - psi(1 - m) grows like 1/(1 - m) just above beta_c;
       * log T caps it where the O(1) law no longer applies. */
      /* 1 - m in (0, 1) when frozen; screened all the same, as GSL raises
       * its domain errors through the error handler. */
      if (!(1.0 - m > 0.0) || !isfinite(m) || gsl_sf_psi_e(1.0 - m, &r) != GSL_SUCCESS)
        return SP_EDOM;
      double h = -M_EULER - r.val;
      st->entropy = h < logt ? h : logt;
    }
  }
  return SP_OK;
}

int sp_rem_uniform(double beta, double q, double p, long tokens, sp_attn_stats *st)
{
  double gap;
  int s = check_args(beta, q, p, tokens, st, &gap);
  if (s)
    return s;
  double t = (double)tokens;
  st->lambda = beta * sqrt(q * gap);
  st->beta_c = sp_rem_beta_c(q, q - gap);
  st->frozen = 0;
  st->m = 1.0;
  st->y2 = 1.0 / t;
  st->overlap = 1.0 / t;
  st->y3 = 1.0 / (t * t);
  st->y2sq = 1.0 / (t * t);
  st->g = st->y2 - 2.0 * st->y3 + st->y2sq;
  st->entropy = log(t);
  st->entropy_ratio = 1.0;
  return SP_OK;
}
