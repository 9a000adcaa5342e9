/* The finite-T attention statistics tabulated in w = asinh(lambda): a
 * cubic spline per statistic, built once per (T, causal) from the
 * quadrature of rem_finite.c (theory.md §5).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/rem_finite.h"
#include "sigprop/model.h"
#include "sigprop/status.h"
#include "rem_finite_private.h"

#include <math.h>
#include <stdlib.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_interp.h>

/* Tabulated functions: log y2, log y3, log y2sq, log g, log entropy. */
enum { T_Y2, T_Y3, T_Y2SQ, T_G, T_H, NT };

struct sp_rem_table {
  rem_ctx ctx;
  double overlap;
  size_t n;          /* nodes, 2 N + 1 */
  double wmax, lmax; /* grid end in w = asinh(lambda) and lambda */
  double relerr;     /* largest quadrature error estimate */
  double *w;         /* n nodes */
  double *f[NT];     /* n values each */
  gsl_interp *interp[NT];
};

void sp_rem_table_free(sp_rem_table *t)
{
  if (!t)
    return;
  for (int k = 0; k < NT; k++)
    gsl_interp_free(t->interp[k]);
  free(t->w);
  free(t);
}

/* The table, or NULL with *status set (sp_rem_table_alloc). */
static sp_rem_table *table_build(long tokens, int causal, int *status)
{
  if (tokens < 2 || tokens > SP_MAX_TOKENS || (causal != 0 && causal != 1)) {
    *status = SP_EDOM;
    return NULL;
  }
  sp_rem_table *t = calloc(1, sizeof *t);
  if (!t) {
    *status = SP_ENOMEM;
    return NULL;
  }
  sp_rem_ctx_init(&t->ctx, tokens, causal, 1);
  /* Nodes up to w_max plus EDGE steps: the natural end condition of the
   * spline (zero second derivative) perturbs it by a factor (2 - sqrt 3)^k
   * less k nodes from the end, 3e-5 at EDGE = 8. */
  enum { EDGE = 8 };
  long nmax = (long)ceil(asinh(SP_REM_TABLE_LAMBDA_MAX) / SP_REM_TABLE_STEP);
  long half = nmax + EDGE;
  t->n = (size_t)(2 * half + 1);
  t->wmax = (double)nmax * SP_REM_TABLE_STEP;
  t->lmax = sinh(t->wmax);
  t->w = malloc(t->n * (NT + 1) * sizeof *t->w);
  if (!t->w) {
    sp_rem_table_free(t);
    *status = SP_ENOMEM;
    return NULL;
  }
  for (int k = 0; k < NT; k++)
    t->f[k] = t->w + (size_t)(k + 1) * t->n;
  for (long i = 0; i <= half; i++) {
    double w = (double)i * SP_REM_TABLE_STEP;
    sp_attn_stats st;
    sp_rem_quad info;
    int s = sp_rem_ctx_eval(&t->ctx, sinh(w), &st, &info);
    if (s || !(st.y2 > 0.0 && st.y3 > 0.0 && st.y2sq > 0.0 && st.g > 0.0 && st.entropy > 0.0)) {
      sp_rem_table_free(t);
      *status = s ? s : SP_ENOCONV;
      return NULL;
    }
    if (info.relerr > t->relerr)
      t->relerr = info.relerr;
    double v[NT] = {log(st.y2), log(st.y3), log(st.y2sq), log(st.g), log(st.entropy)};
    size_t up = (size_t)(half + i), down = (size_t)(half - i);
    t->w[up] = w;
    t->w[down] = -w;
    for (int k = 0; k < NT; k++)
      t->f[k][up] = t->f[k][down] = v[k];
    if (i == 0)
      t->overlap = st.overlap;
  }
  for (int k = 0; k < NT; k++) {
    /* Only finite values reach the spline (a log of a vanished quantity
     * would make it NaN everywhere). */
    for (size_t i = 0; i < t->n; i++)
      if (!isfinite(t->f[k][i])) {
        sp_rem_table_free(t);
        *status = SP_ENOCONV;
        return NULL;
      }
    t->interp[k] = gsl_interp_alloc(gsl_interp_cspline, t->n);
    if (!t->interp[k]) {
      sp_rem_table_free(t);
      *status = SP_ENOMEM;
      return NULL;
    }
    if (gsl_interp_init(t->interp[k], t->w, t->f[k], t->n) != GSL_SUCCESS) {
      sp_rem_table_free(t);
      *status = SP_ENOMEM;
      return NULL;
    }
  }
  *status = SP_OK;
  return t;
}

int sp_rem_table_alloc(long tokens, int causal, sp_rem_table **out)
{
  if (!out)
    return SP_EINVAL;
  int s;
  *out = table_build(tokens, causal, &s);
  return s;
}

long sp_rem_table_tokens(const sp_rem_table *t)
{
  return t ? t->ctx.T : 0;
}

int sp_rem_table_causal(const sp_rem_table *t)
{
  return t ? t->ctx.causal : 0;
}

void sp_rem_table_info(const sp_rem_table *t, double *lambda_max, double *relerr)
{
  if (lambda_max)
    *lambda_max = t ? t->lmax : NAN;
  if (relerr)
    *relerr = t ? t->relerr : NAN;
}

/* Interpolated value k at w (inside the grid), and optionally its
 * derivative in lambda. */
static int interp(const sp_rem_table *t, int k, double w, double *v, double *dv)
{
  double y, dy = 0.0;
  /* GSL is never asked outside its grid (older versions raise an error
   * through the handler there). */
  if (!(w >= t->w[0] && w <= t->w[t->n - 1]))
    return SP_EDOM;
  if (gsl_interp_eval_e(t->interp[k], t->w, t->f[k], w, NULL, &y) != GSL_SUCCESS)
    return SP_EDOM;
  if (dv && gsl_interp_eval_deriv_e(t->interp[k], t->w, t->f[k], w, NULL, &dy) != GSL_SUCCESS)
    return SP_EDOM;
  *v = exp(y);
  if (dv) /* d/dlambda of exp(y(asinh lambda)) */
    *dv = *v * dy / cosh(w);
  return SP_OK;
}

int sp_rem_table_eval(const sp_rem_table *t, double lambda, unsigned what, sp_attn_stats *st)
{
  if (!t || !st)
    return SP_EINVAL;
  if (!(lambda >= 0.0) || !isfinite(lambda))
    return SP_EDOM;
  sp_rem_set_phase(lambda, st);
  st->y3 = st->y2sq = st->g = st->entropy = st->entropy_ratio = NAN;
  st->overlap = t->overlap;
  if (lambda == 0.0)
    return sp_rem_ctx_uniform(&t->ctx, st);
  double w = asinh(lambda), v[NT];
  int need[NT] = {1, (what & SP_REM_MOMENTS) != 0, (what & SP_REM_MOMENTS) != 0,
                  (what & SP_REM_MOMENTS) != 0, (what & SP_REM_ENTROPY) != 0};
  for (int k = 0; k < NT; k++) {
    if (!need[k])
      continue;
    int s;
    if (w <= t->wmax) {
      s = interp(t, k, w, &v[k], NULL);
    } else {
      /* Beyond the grid: d = f - f_inf = a y + b y^2 in y = 1/lambda (the
       * large-lambda expansion, see the header), matched in value and
       * slope at lambda_max. */
      double f0 = 0.0, df = 0.0, finf = (k == T_G || k == T_H) ? 0.0 : 1.0;
      s = interp(t, k, t->wmax, &f0, &df);
      double y0 = 1.0 / t->lmax, y = 1.0 / lambda;
      double d0 = f0 - finf, dy = -df * t->lmax * t->lmax; /* d(f)/dy */
      double b = (dy * y0 - d0) / (y0 * y0), a = dy - 2.0 * b * y0;
      v[k] = finf + a * y + b * y * y;
    }
    if (s)
      return s;
  }
  st->y2 = v[T_Y2];
  if (what & SP_REM_MOMENTS) {
    st->y3 = v[T_Y3];
    st->y2sq = v[T_Y2SQ];
    st->g = v[T_G];
  }
  if (what & SP_REM_ENTROPY) {
    st->entropy = v[T_H];
    st->entropy_ratio = v[T_H] / t->ctx.logt;
  }
  return SP_OK;
}
