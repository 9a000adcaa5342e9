/* The row-overlap tables over (lambda, c): interpolation error against
 * direct quadrature at random points, exact limits, the workspace cache and
 * the error paths.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"
#include "tap.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <time.h>

static double now(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Worst |table - sp_rem_overlap| over n random points: lambda uniform in
 * asinh on [0, lambda_max], c uniform, and every third point with c in the
 * layer 1 - c < 4 / s^2 near c = 1. */
static double worst_error(const sp_overlap_table *t, gsl_rng *r, int n, int *bad)
{
  long T = sp_overlap_table_tokens(t);
  double lmax, worst = 0.0;
  sp_overlap_table_info(t, &lmax, NULL, NULL);
  for (int k = 0; k < n; k++) {
    double lambda = sinh(asinh(lmax) * gsl_rng_uniform(r)), c = gsl_rng_uniform(r);
    double s = lambda * sqrt(log((double)T));
    if (k % 3 == 2 && s > 2.0)
      c = 1.0 - 4.0 * gsl_rng_uniform(r) / (s * s);
    double want, got;
    if (sp_rem_overlap(T, lambda, c, &want, NULL) || sp_overlap_table_eval(t, lambda, c, &got)) {
      (*bad)++;
      continue;
    }
    if (fabs(got - want) > worst)
      worst = fabs(got - want);
  }
  return worst;
}

int main(void)
{
  gsl_set_error_handler_off();
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, 271828);
  const long tokens[] = {16, 512, 4096};
  const int npoints[] = {30, 200, 30};
  for (int k = 0; k < 3; k++) {
    int st, nodes, bad = 0;
    double t0 = now(), lmax, est;
    sp_overlap_table *t = NULL;
    st = sp_overlap_table_alloc(tokens[k], &t);
    double built = now() - t0;
    sp_overlap_table_info(t, &lmax, &est, &nodes);
    tap_ok(t && st == SP_OK && lmax == SP_OVERLAP_TABLE_LAMBDA_MAX,
           "T = %ld: table built (%d nodes, estimate %.2g, %.2f s)", tokens[k], nodes, est, built);
    if (!t)
      continue;
    tap_ok(est > 0.0 && est < 1e-3, "T = %ld: estimate %.2g of the coarser interpolant",
           tokens[k], est);
    double worst = worst_error(t, rng, npoints[k], &bad);
    tap_ok(bad == 0 && worst <= 1e-6, "T = %ld: worst |table - direct| %.3g <= 1e-6 at %d points",
           tokens[k], worst, npoints[k]);
    double o;
    tap_ok(sp_overlap_table_eval(t, 0.0, 0.6180339, &o) == SP_OK && o == 1.0 / (double)tokens[k],
           "lambda = 0: 1/T exactly");
    tap_ok(sp_overlap_table_eval(t, 2.7182818, 0.0, &o) == SP_OK && o == 1.0 / (double)tokens[k],
           "c = 0: 1/T exactly");
    double want;
    sp_rem_overlap(tokens[k], 9.1415926, 0.7320508, &want, NULL);
    tap_ok(sp_overlap_table_eval(t, 9.1415926, 0.7320508, &o) == SP_OK && o == want,
           "beyond lambda_max: the direct quadrature");
    sp_overlap_table_free(t);
  }
  int st = SP_OK;
  sp_overlap_table *bad = (sp_overlap_table *)&st;
  tap_ok(sp_overlap_table_alloc(1, &bad) == SP_EDOM && !bad, "T = 1 refused, *out NULL");
  tap_ok(sp_overlap_table_alloc(SP_MAX_TOKENS + 1, &bad) == SP_EDOM, "T too large refused");
  tap_ok(sp_overlap_table_alloc(16, NULL) == SP_EINVAL, "no place for the result: SP_EINVAL");
  double o;
  tap_ok(sp_overlap_table_eval(NULL, 1.0, 0.5, &o) == SP_EINVAL, "NULL table");
  sp_overlap_table_free(NULL);
  sp_overlap_table_info(NULL, NULL, NULL, NULL);
  tap_ok(sp_overlap_table_tokens(NULL) == 0, "NULL: tokens 0");
  gsl_rng_free(rng);
  return tap_done();
}
