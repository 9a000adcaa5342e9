/* The causal row-overlap tables over (lambda, c): interpolation error
 * against the direct causal quadrature at 200 random points for T = 64 and
 * T = 512 (30 at T = 4096, lambda <= 5), exact limits, the workspace cache by (T, causal) and the error
 * paths.
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

/* The pair mean of 1/max(t, t') of independent causal rows. */
static double independent(long T)
{
  double h = 0.0;
  for (long t = T; t >= 1; t--)
    h += 1.0 / (double)t;
  return 2.0 * ((double)T - h) / ((double)T * ((double)T - 1.0));
}

static void one_table(long T, gsl_rng *rng)
{
  int st, nodes, first, bad = 0;
  double t0 = now(), lmax, est, o, want, where[2] = {NAN, NAN};
  sp_overlap_table *t = NULL;
  st = sp_overlap_table_alloc_causal(T, &t);
  sp_overlap_table_info(t, NULL, NULL, &nodes);
  tap_ok(t && st == SP_OK && nodes == 0 && sp_overlap_table_causal(t) == 1
           && sp_overlap_table_tokens(t) == T,
         "T = %ld: causal table allocated, no panel built", T);
  if (!t)
    return;
  st = sp_overlap_table_eval(t, 0.8164966, 0.5772157, &o);
  sp_overlap_table_info(t, NULL, NULL, &first);
  sp_rem_overlap_causal(T, 0.8164966, 0.5772157, &want, NULL);
  tap_ok(st == SP_OK && first > 0 && fabs(o - want) <= 1e-6,
         "T = %ld: lambda = 0.816 builds the first panel (%d nodes): |d| %.2g", T, first,
         fabs(o - want));
  st = sp_overlap_table_build(t, 100.0);
  double built = now() - t0;
  sp_overlap_table_info(t, &lmax, &est, &nodes);
  tap_ok(st == SP_OK && lmax == SP_OVERLAP_TABLE_LAMBDA_MAX && nodes > first,
         "T = %ld: every panel built (%d nodes, estimate %.2g, %.2f s)", T, nodes, est, built);
  tap_ok(est > 0.0 && est <= SP_OVERLAP_TABLE_EST, "T = %ld: estimate %.2g <= %.1g", T, est,
         SP_OVERLAP_TABLE_EST);
  double worst = overlap_worst(t, sp_rem_overlap_causal, lmax, rng, 200, &bad, where);
  tap_ok(bad == 0 && worst <= 1e-6,
         "T = %ld: worst |table - direct| in E O %.3g <= 1e-6 at 200 points (lambda %.4f, c %.6f)",
         T, worst, where[0], where[1]);
  tap_ok(sp_overlap_table_eval(t, 0.0, 0.6931472, &o) == SP_OK && o == independent(T),
         "T = %ld, lambda = 0: 2 (T - H_T) / (T (T - 1)) exactly", T);
  tap_ok(sp_overlap_table_eval(t, 3.3166248, 0.0, &o) == SP_OK && o == independent(T),
         "T = %ld, c = 0: the independent causal value exactly", T);
  sp_rem_overlap_causal(T, 8.3066239, 0.4142136, &want, NULL);
  tap_ok(sp_overlap_table_eval(t, 8.3066239, 0.4142136, &o) == SP_OK && o == want,
         "T = %ld, beyond lambda_max: the direct causal quadrature", T);
  sp_overlap_table_free(t);
}

/* T = 4096, the largest: the panels up to lambda = 5 (the default
 * diagram's reach) against the quadrature at 30 random points. */
static void largest_table(gsl_rng *rng)
{
  sp_overlap_table *t = NULL;
  int bad = 0, st = sp_overlap_table_alloc_causal(SP_REM_OVERLAP_CAUSAL_MAX, &t);
  double t0 = now(), where[2] = {NAN, NAN}, est;
  st = st ? st : sp_overlap_table_build(t, 5.0);
  double built = now() - t0;
  double worst = st ? NAN : overlap_worst(t, sp_rem_overlap_causal, 5.0, rng, 30, &bad, where);
  sp_overlap_table_info(t, NULL, &est, NULL);
  tap_ok(!st && bad == 0 && worst <= 1e-6 && est <= SP_OVERLAP_TABLE_EST,
         "T = 4096, lambda <= 5 (%.2f s, estimate %.2g): worst |table - direct| %.3g <= 1e-6 at "
         "30 points (lambda %.4f, c %.6f)", built, est, worst, where[0], where[1]);
  sp_overlap_table_free(t);
}

/* One workspace holds the encoder's and the causal table of one T: each
 * model reads its own (within 1e-6 of its quadrature, not equal to it). */
static void workspace_cache(void)
{
  sp_model enc, dec;
  sp_model_default(&enc);
  enc.stats = SP_STATS_FINITE;
  enc.row_overlap = SP_OVERLAP_EXACT;
  enc.tokens = 96;
  enc.beta = 1.7320508;
  dec = enc;
  dec.causal = 1;
  sp_workspace *w = NULL;
  int s = sp_workspace_alloc(&w);
  s = s ? s : sp_workspace_prepare(w, &enc);
  s = s ? s : sp_workspace_prepare(w, &dec);
  sp_attn_stats a, b;
  double q = 1.0, p = 0.3819660, lambda = dec.beta * sqrt(q * (q - p)), we, wd;
  s = s ? s : sp_maps_attention_stats(&enc, w, q, p, SP_REM_ALL, &a);
  s = s ? s : sp_maps_attention_stats(&dec, w, q, p, SP_REM_ALL, &b);
  sp_rem_overlap(96, lambda, p / q, &we, NULL);
  sp_rem_overlap_causal(96, lambda, p / q, &wd, NULL);
  tap_ok(!s && fabs(a.overlap - we) <= 1e-6 && a.overlap != we && fabs(b.overlap - wd) <= 1e-6
           && b.overlap != wd && fabs(a.overlap - b.overlap) > 1e-3,
         "one workspace, T = 96: encoder %.7f (direct %.7f), causal %.7f (direct %.7f)",
         a.overlap, we, b.overlap, wd);
  sp_workspace_free(w);
}

int main(void)
{
  gsl_set_error_handler_off();
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, 161803);
  one_table(64, rng);
  one_table(512, rng);
  largest_table(rng);
  workspace_cache();
  tap_ok(overlap_order_free(sp_overlap_table_alloc_causal, 48, 3.6055513, 0.7071068, 5.5),
         "a causal panel built alone and with the others: the same");
  int st = SP_OK;
  sp_overlap_table *bad = (sp_overlap_table *)&st;
  tap_ok(sp_overlap_table_alloc_causal(1, &bad) == SP_EDOM && !bad, "T = 1 refused, *out NULL");
  tap_ok(sp_overlap_table_alloc_causal(SP_REM_OVERLAP_CAUSAL_MAX + 1, &bad) == SP_EDOM,
         "T beyond SP_REM_OVERLAP_CAUSAL_MAX refused");
  tap_ok(sp_overlap_table_alloc_causal(16, NULL) == SP_EINVAL, "no place for the result");
  tap_ok(sp_overlap_table_causal(NULL) == 0, "NULL: not causal");
  sp_overlap_table *e = NULL;
  sp_overlap_table_alloc(16, &e);
  tap_ok(e && sp_overlap_table_causal(e) == 0, "an encoder table: not causal");
  sp_overlap_table_free(e);
  gsl_rng_free(rng);
  return tap_done();
}
