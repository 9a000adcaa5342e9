/* Row overlap of finite-T attention over correlated tokens (theory.md §13
 * open question 1): exact limits, the identical-rows limit against the
 * independent reference table, and Monte Carlo.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"
#include "tap.h"
#include "test_util.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

/* Monte Carlo estimate of E O with its standard error. */
static void monte_carlo(gsl_rng *r, long T, double lambda, double c, int n, double *mean,
                        double *se)
{
  double sig = lambda * sqrt(log((double)T)), sum = 0.0, sum2 = 0.0;
  double *e1 = malloc((size_t)T * sizeof *e1), *e2 = malloc((size_t)T * sizeof *e2);
  for (int k = 0; k < n; k++) {
    double m1 = -INFINITY, m2 = -INFINITY, z1 = 0.0, z2 = 0.0, ov = 0.0;
    for (long i = 0; i < T; i++) {
      double h = gsl_ran_gaussian(r, 1.0);
      e1[i] = sig * (sqrt(c) * h + sqrt(1.0 - c) * gsl_ran_gaussian(r, 1.0));
      e2[i] = sig * (sqrt(c) * h + sqrt(1.0 - c) * gsl_ran_gaussian(r, 1.0));
      m1 = fmax(m1, e1[i]);
      m2 = fmax(m2, e2[i]);
    }
    for (long i = 0; i < T; i++) {
      e1[i] = exp(e1[i] - m1), z1 += e1[i];
      e2[i] = exp(e2[i] - m2), z2 += e2[i];
    }
    for (long i = 0; i < T; i++)
      ov += e1[i] * e2[i];
    ov /= z1 * z2;
    sum += ov;
    sum2 += ov * ov;
  }
  *mean = sum / n;
  *se = sqrt((sum2 / n - *mean * *mean) / (n - 1));
  free(e1);
  free(e2);
}

int main(void)
{
  gsl_set_error_handler_off();
  double o, err;
  tap_ok(sp_rem_overlap(512, 0.0, 0.7, &o, &err) == SP_OK && o == 1.0 / 512, "lambda = 0: 1/T");
  tap_ok(sp_rem_overlap(512, 2.0, 0.0, &o, &err) == SP_OK && o == 1.0 / 512,
         "c = 0 (independent rows): 1/T");
  tap_ok(sp_rem_overlap(1, 1.0, 0.5, &o, NULL) == SP_EDOM, "T = 1 refused");
  tap_ok(sp_rem_overlap(64, -1.0, 0.5, &o, NULL) == SP_EDOM, "negative lambda refused");
  tap_ok(sp_rem_overlap(64, 1.0, 1.5, &o, NULL) == SP_EDOM, "c > 1 refused");
  tap_ok(sp_rem_overlap(64, NAN, 0.5, &o, NULL) == SP_EDOM, "NaN refused");
  tap_ok(sp_rem_overlap(64, 1.0, 0.5, NULL, NULL) == SP_EINVAL, "NULL output");

  /* c -> 0 continuously: tiny c is within 1e-6 relative of 1/T plus O(c). */
  double small = NAN;
  int s0 = sp_rem_overlap(64, 1.0, 1e-6, &small, NULL);
  tap_ok(s0 == SP_OK
           && fabs(small - 1.0 / 64) < 1e-5 / 64, "continuous at c = 0 (%.8g)", small);

  /* c = 1: both rows see the same energies, so O = Y2 of one row; compare
   * with the independently computed finite-T table. */
  tap_csv ref = tap_csv_read(tap_data("rem_finite_t.csv"));
  int it = tap_csv_col(&ref, "tokens"), il = tap_csv_col(&ref, "lambda"), iy = tap_csv_col(&ref, "y2");
  for (int r = 0; r < ref.nrow; r++) {
    long T = (long)tap_csv_num(&ref, r, it);
    double lam = tap_csv_num(&ref, r, il), y2 = tap_csv_num(&ref, r, iy);
    int s = sp_rem_overlap(T, lam, 1.0, &o, &err);
    double tol = y2 < 5e-3 ? 1e-5 : 2e-3 * y2;
    tap_ok(s == SP_OK, "c = 1, T = %ld, lambda = %g: status %d", T, lam, s);
    tap_close(o, y2, tol, "c = 1: E O = E Y2 = %g (T = %ld, lambda = %g)", y2, T, lam);
  }
  tap_csv_free(&ref);

  /* Monte Carlo, fixed seed, within 4 standard errors. */
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, 31337);
  struct { long T; double lambda, c; } cases[] = {
    {16, 1.0, 0.5}, {16, 3.0, 0.9}, {64, 0.7, 0.3}, {64, 2.0, 0.6}, {256, 1.5, 0.2}, {256, 3.0, 0.8}};
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    double mean, se;
    int s = sp_rem_overlap(cases[k].T, cases[k].lambda, cases[k].c, &o, &err);
    monte_carlo(rng, cases[k].T, cases[k].lambda, cases[k].c, 4000, &mean, &se);
    tap_ok(s == SP_OK && fabs(o - mean) <= 4.0 * se,
           "T = %ld, lambda = %g, c = %g: E O = %.5f, Monte Carlo %.5f +- %.5f (1/T = %.5f)",
           cases[k].T, cases[k].lambda, cases[k].c, o, mean, se, 1.0 / (double)cases[k].T);
  }
  gsl_rng_free(rng);

  /* The switch in the maps: finite statistics with the exact overlap put
   * sp_rem_overlap's value into the vanilla p_S. */
  sp_model m;
  sp_model_default(&m);
  m.stats = SP_STATS_FINITE;
  m.beta = 3.0;
  m.row_overlap = SP_OVERLAP_EXACT;
  sp_workspace *w;
  int s = tu_workspace(&m, &w);
  sp_attn_stats st;
  double q = 1.0, p = 0.4, qs, ps, want;
  s = s ? s : sp_maps_attention_stats(&m, w, q, p, SP_REM_ALL, &st);
  sp_rem_overlap(m.tokens, 3.0 * sqrt(0.6), 0.4, &want, NULL);
  /* The prepared workspace holds the overlap table: 1e-6 of the quadrature. */
  tap_ok(s == SP_OK && fabs(st.overlap - want) < 1e-6 && st.overlap > 10.0 / 512,
         "exact: overlap %.7f = sp_rem_overlap %.7f (table), far above 1/T", st.overlap, want);
  sp_maps_attention_output(&m, q, p, &st, &qs, &ps);
  tap_close(ps, m.var_v * (p + (q - p) * st.overlap) + sp_model_var_vb(&m), 1e-15,
            "p_S = sv (p + (q - p) E O) + svb");
  m.row_overlap = SP_OVERLAP_INDEPENDENT;
  sp_maps_attention_stats(&m, w, q, p, SP_REM_ALL, &st);
  tap_ok(st.overlap == 1.0 / 512, "independent: overlap 1/T");
  m.row_overlap = SP_OVERLAP_EXACT;
  sp_maps_attention_stats(&m, w, q, 0.0, SP_REM_ALL, &st);
  tap_ok(st.overlap == 1.0 / 512, "exact at p = 0: 1/T");
  m.causal = 1;
  sp_workspace_prepare(w, &m);
  sp_rem_overlap_causal(m.tokens, 3.0 * sqrt(0.6), 0.4, &want, NULL);
  s = sp_maps_attention_stats(&m, w, q, p, SP_REM_ALL, &st);
  /* The prepared workspace holds the causal table: 1e-6 of the quadrature. */
  tap_ok(s == SP_OK && fabs(st.overlap - want) < 1e-6 && st.overlap != want,
         "causal rows: the causal table %.7f, sp_rem_overlap_causal %.7f", st.overlap, want);
  s = sp_maps_attention_stats(&m, NULL, q, p, SP_REM_ALL, &st);
  tap_ok(s == SP_OK && st.overlap == want, "causal rows, no workspace: sp_rem_overlap_causal");
  m.tokens = SP_REM_OVERLAP_CAUSAL_MAX + 1;
  sp_workspace_prepare(w, &m);
  tap_ok(sp_maps_attention_stats(&m, w, q, p, SP_REM_ALL, &st) == SP_EUNSUP,
         "causal rows beyond SP_REM_OVERLAP_CAUSAL_MAX: refused");
  sp_workspace_free(w);
  return tap_done();
}
