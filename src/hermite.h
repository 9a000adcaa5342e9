/* Private: the Hermite (Mehler) expansion of the Gaussian kernel of gelu,
 * tanh and silu.  Not installed.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SP_HERMITE_H
#define SP_HERMITE_H

#include "sigprop/model.h"

/* Largest q_1 and number of terms of the expansion. */
#define SP_HERMITE_QMAX 16.0
#define SP_HERMITE_NMAX 4096

/* With f(z) = phi(sqrt(q1) z) and a_n = E[f(z) He_n(z)] / sqrt(n!),
 * Mehler's formula gives E[phi(u) phi(v)] = sum a_n^2 x^n for Var u =
 * Var v = q1 and correlation x. */
typedef struct {
  double q1;
  int n;       /* terms */
  double *a2;  /* a_n^2, n < `n` */
  double e2;   /* sum a_n^2 = E[phi^2] */
  double price;/* sum n a_n^2 = q1 E[phi'^2] */
} sp_hermite;

/* The expansion of phi at variance q1, to 1e-12 of sum n a_n^2 (trapezoidal
 * sums checked at twice the step; the last quarter of the terms checked
 * negligible).  SP_ENOCONV for another activation, q1 outside
 * (0, SP_HERMITE_QMAX] or a failed check (nothing to free then);
 * SP_ENOMEM.  Free with sp_hermite_free(). */
int sp_hermite_compute(sp_activation act, double a, double q1, sp_hermite *h);
void sp_hermite_free(sp_hermite *h);

/* gap / (1 - x) = sum a_n^2 (1 + x + ... + x^(n-1)), x in [-1, 1]: the gap
 * E[phi^2] - E[phi(u) phi(v)] divided by 1 - x without cancellation. */
double sp_hermite_gap_ratio(const sp_hermite *h, double x);

/* sp_hermite_gap_ratio() at the m points x[0..m-1] into out[0..m-1], all
 * at once: with the tails T_j = sum_{n > j} a_n^2 the ratio is the
 * polynomial sum_j T_j x^j, evaluated by Horner's rule for every x
 * together (the inner loop runs over the points and vectorises).
 * SP_ENOMEM (for the tails), else SP_OK. */
int sp_hermite_gap_ratios(const sp_hermite *h, const double *x, double *out, int m);

/* sum n a_n^2 x^(n-1) = q1 E[phi'(u) phi'(v)] at correlation x. */
double sp_hermite_slope(const sp_hermite *h, double x);

#endif
