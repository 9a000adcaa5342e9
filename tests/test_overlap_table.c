/* The row-overlap tables over (lambda, c): interpolation error against
 * direct quadrature at random points, exact limits, the workspace cache and
 * the error paths.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"
#include "overlap_sample.h"
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

/* The largest lambda table t covers. */
static double lmax_of(const sp_overlap_table *t)
{
  double lmax;
  sp_overlap_table_info(t, &lmax, NULL, NULL);
  return lmax;
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
    sp_overlap_table_info(t, NULL, NULL, &nodes);
    tap_ok(t && st == SP_OK && nodes == 0, "T = %ld: table allocated, no panel built", tokens[k]);
    if (!t)
      continue;
    /* lazily: one evaluation builds the first panel only */
    double o, want;
    int first;
    st = sp_overlap_table_eval(t, 0.7071068, 0.8414710, &o);
    sp_overlap_table_info(t, NULL, NULL, &first);
    sp_rem_overlap(tokens[k], 0.7071068, 0.8414710, &want, NULL);
    tap_ok(st == SP_OK && first > 0 && fabs(o - want) <= 1e-6,
           "T = %ld: lambda = 0.707 builds the first panel (%d nodes): |d| %.2g", tokens[k],
           first, fabs(o - want));
    st = sp_overlap_table_build(t, 100.0);
    double built = now() - t0;
    sp_overlap_table_info(t, &lmax, &est, &nodes);
    tap_ok(st == SP_OK && lmax == SP_OVERLAP_TABLE_LAMBDA_MAX && nodes > first,
           "T = %ld: every panel built (%d nodes, estimate %.2g, %.2f s)", tokens[k], nodes, est,
           built);
    tap_ok(est > 0.0 && est <= SP_OVERLAP_TABLE_EST, "T = %ld: estimate %.2g <= %.1g", tokens[k],
           est, SP_OVERLAP_TABLE_EST);
    double worst = overlap_worst(t, sp_rem_overlap, lmax_of(t), rng, npoints[k], &bad, NULL);
    tap_ok(bad == 0 && worst <= 1e-6, "T = %ld: worst |table - direct| %.3g <= 1e-6 at %d points",
           tokens[k], worst, npoints[k]);
    tap_ok(sp_overlap_table_eval(t, 0.0, 0.6180339, &o) == SP_OK && o == 1.0 / (double)tokens[k],
           "lambda = 0: 1/T exactly");
    tap_ok(sp_overlap_table_eval(t, 2.7182818, 0.0, &o) == SP_OK && o == 1.0 / (double)tokens[k],
           "c = 0: 1/T exactly");
    sp_rem_overlap(tokens[k], 9.1415926, 0.7320508, &want, NULL);
    tap_ok(sp_overlap_table_eval(t, 9.1415926, 0.7320508, &o) == SP_OK && o == want,
           "beyond lambda_max: the direct quadrature");
    sp_overlap_table_free(t);
  }
  tap_ok(overlap_order_free(sp_overlap_table_alloc, 64, 4.4721359, 0.3819660, 8.0),
         "a panel built alone and with all the others: the same values");
  sp_overlap_table *a = NULL;
  sp_overlap_table_alloc(64, &a);
  tap_ok(sp_overlap_table_build(NULL, 1.0) == SP_EINVAL, "build: NULL table refused");
  tap_ok(sp_overlap_table_build(a, -0.5) == SP_EDOM && sp_overlap_table_build(a, NAN) == SP_EDOM,
         "build: lambda_max < 0 or NaN refused");
  sp_overlap_table_free(a);
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
