/* The interpolation error of a row-overlap table (encoder or causal)
 * against the direct quadrature, at random points, for the two table
 * tests.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SP_TEST_OVERLAP_SAMPLE_H
#define SP_TEST_OVERLAP_SAMPLE_H

#include "sigprop.h"

#include <gsl/gsl_rng.h>
#include <math.h>

/* The direct evaluation a table is checked against: sp_rem_overlap or
 * sp_rem_overlap_causal. */
typedef int (*overlap_direct)(long tokens, double lambda, double c, double *overlap,
                              double *abserr);

/* Worst |table - direct| over n random points: lambda uniform in asinh on
 * [0, lmax], c uniform, and every third point with c in the layer
 * 1 - c < 4 / s^2 near c = 1 (s = lambda sqrt(log T)).  Failed
 * evaluations are counted in *bad; where[0..1] (may be NULL) receives the
 * worst point's (lambda, c). */
static inline double overlap_worst(const sp_overlap_table *t, overlap_direct direct,
                                   double lmax, gsl_rng *r, int n, int *bad, double *where)
{
  long T = sp_overlap_table_tokens(t);
  double worst = 0.0;
  for (int k = 0; k < n; k++) {
    double lambda = sinh(asinh(lmax) * gsl_rng_uniform(r)), c = gsl_rng_uniform(r);
    double s = lambda * sqrt(log((double)T));
    if (k % 3 == 2 && s > 2.0)
      c = 1.0 - 4.0 * gsl_rng_uniform(r) / (s * s);
    double want, got;
    if (direct(T, lambda, c, &want, NULL) || sp_overlap_table_eval(t, lambda, c, &got)) {
      (*bad)++;
      continue;
    }
    if (fabs(got - want) > worst) {
      worst = fabs(got - want);
      if (where)
        where[0] = lambda, where[1] = c;
    }
  }
  return worst;
}

/* 1 when the table made by `alloc` for T gives the same bits at (lambda,
 * c) whether that panel is built alone (on first use) or with all the
 * others up to lmax (sp_overlap_table_build()). */
static inline int overlap_order_free(int (*alloc)(long, sp_overlap_table **), long T,
                                     double lambda, double c, double lmax)
{
  sp_overlap_table *a = NULL, *b = NULL;
  double oa = 0.0, ob = 1.0;
  int s = alloc(T, &a);
  s = s ? s : alloc(T, &b);
  s = s ? s : sp_overlap_table_eval(a, lambda, c, &oa);
  s = s ? s : sp_overlap_table_build(b, lmax);
  s = s ? s : sp_overlap_table_eval(b, lambda, c, &ob);
  sp_overlap_table_free(a);
  sp_overlap_table_free(b);
  return !s && oa == ob;
}

#endif
