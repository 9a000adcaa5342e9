/* Causal (decoder) row overlap at finite T over correlated tokens: exact
 * limits, the error paths, and Monte Carlo at T = 16, 64, 256 within 4
 * standard errors.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"
#include "tap.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

/* Monte Carlo estimate of the pair mean of sum_s A_ts A_t's over causal
 * rows, with its standard error: per sample, (sum_s colsum_s^2 - sum_t Y2_t)
 * / (T (T - 1)). */
static void monte_carlo(gsl_rng *r, long T, double lambda, double c, int n, double *mean,
                        double *se)
{
  double sig = lambda * sqrt(log((double)T)), sum = 0.0, sum2 = 0.0;
  double *h = malloc((size_t)T * sizeof *h), *a = malloc((size_t)T * sizeof *a);
  double *col = malloc((size_t)T * sizeof *col);
  for (int k = 0; k < n; k++) {
    double y2 = 0.0, cs = 0.0;
    for (long s = 0; s < T; s++) {
      h[s] = gsl_ran_gaussian(r, 1.0);
      col[s] = 0.0;
    }
    for (long t = 0; t < T; t++) {
      double mx = -INFINITY, z = 0.0;
      for (long s = 0; s <= t; s++) {
        a[s] = sig * (sqrt(c) * h[s] + sqrt(1.0 - c) * gsl_ran_gaussian(r, 1.0));
        mx = fmax(mx, a[s]);
      }
      for (long s = 0; s <= t; s++)
        z += (a[s] = exp(a[s] - mx));
      for (long s = 0; s <= t; s++) {
        a[s] /= z;
        col[s] += a[s];
        y2 += a[s] * a[s];
      }
    }
    for (long s = 0; s < T; s++)
      cs += col[s] * col[s];
    double o = (cs - y2) / ((double)T * (double)(T - 1));
    sum += o;
    sum2 += o * o;
  }
  *mean = sum / n;
  *se = sqrt((sum2 / n - *mean * *mean) / (n - 1));
  free(h);
  free(a);
  free(col);
}

int main(void)
{
  gsl_set_error_handler_off();
  double o, err;
  /* independent rows: the pair mean of 1/max(t, t') = 2 (T - H_T)/(T (T - 1)) */
  sp_attn_stats u;
  sp_rem_finite_uniform_causal(64, &u);
  tap_ok(sp_rem_overlap_causal(64, 0.0, 0.7, &o, &err) == SP_OK && fabs(o - u.overlap) < 1e-15,
         "lambda = 0: 2 (T - H_T)/(T (T - 1)) = %.6f", u.overlap);
  tap_ok(sp_rem_overlap_causal(64, 2.0, 0.0, &o, &err) == SP_OK && fabs(o - u.overlap) < 1e-15,
         "c = 0: the independent causal value");
  double small = NAN;
  int s0 = sp_rem_overlap_causal(64, 1.3, 1e-6, &small, NULL);
  tap_ok(s0 == SP_OK && fabs(small - u.overlap) < 1e-5 * u.overlap,
         "continuous at c = 0 (%.8g against %.8g)", small, u.overlap);
  tap_ok(sp_rem_overlap_causal(1, 1.0, 0.5, &o, NULL) == SP_EDOM, "T = 1 refused");
  tap_ok(sp_rem_overlap_causal(SP_REM_OVERLAP_CAUSAL_MAX + 1, 1.0, 0.5, &o, NULL) == SP_EDOM,
         "T above SP_REM_OVERLAP_CAUSAL_MAX refused");
  tap_ok(sp_rem_overlap_causal(64, -1.0, 0.5, &o, NULL) == SP_EDOM, "negative lambda refused");
  tap_ok(sp_rem_overlap_causal(64, 1.0, 1.25, &o, NULL) == SP_EDOM, "c > 1 refused");
  tap_ok(sp_rem_overlap_causal(64, NAN, 0.5, &o, NULL) == SP_EDOM, "NaN refused");
  tap_ok(sp_rem_overlap_causal(64, 1.0, 0.5, NULL, NULL) == SP_EINVAL, "NULL output");

  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, 4242);
  struct { long T; double lambda, c; int n; } cases[] = {
    {16, 1.1, 0.45, 20000}, {16, 2.9, 0.85, 20000}, {64, 0.7, 0.3, 4000}, {64, 2.1, 0.65, 4000},
    {256, 1.6, 0.2, 400}, {256, 3.1, 0.8, 400}};
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    double mean, se, enc;
    int s = sp_rem_overlap_causal(cases[k].T, cases[k].lambda, cases[k].c, &o, &err);
    sp_rem_overlap(cases[k].T, cases[k].lambda, cases[k].c, &enc, NULL);
    monte_carlo(rng, cases[k].T, cases[k].lambda, cases[k].c, cases[k].n, &mean, &se);
    tap_ok(s == SP_OK && fabs(o - mean) <= 4.0 * se,
           "T = %ld, lambda = %g, c = %g: causal E O = %.5f, Monte Carlo %.5f +- %.5f "
           "(%.1f s.e.; encoder %.5f)",
           cases[k].T, cases[k].lambda, cases[k].c, o, mean, se, fabs(o - mean) / se, enc);
  }
  gsl_rng_free(rng);
  return tap_done();
}
