/* Private: one-dimensional roots by bracketing and Brent's method (GSL's
 * fsolver), with one rule for convergence and GSL kept away from
 * non-finite values.  Not installed.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SP_ROOT_H
#define SP_ROOT_H

/* A function whose root is sought: store f(x) in *fx and return SP_OK, or
 * return an error status (passed on unchanged).  A non-finite *fx with
 * SP_OK is reported by the solvers as SP_EDOM: GSL never sees it (its
 * Brent iteration would raise GSL_EBADFUNC through the error handler,
 * whose default aborts). */
typedef int (*sp_root_fn)(double x, void *arg, double *fx);

/* Iterations of Brent's method before SP_ENOCONV. */
#define SP_ROOT_MAX_ITER 200

/* The root of f in [lo, hi] (lo <= hi, both finite) given flo = f(lo) and
 * fhi = f(hi) (not evaluated again), to the tolerance of GSL's interval
 * test: the bracket [a, b] left by an iteration satisfies
 * |b - a| < xabs + xrel min(|a|, |b|) (xabs, xrel >= 0, not both 0).
 * The one rule: converged when that holds within SP_ROOT_MAX_ITER
 * iterations; *root is then GSL's best estimate.  An end where f is 0 is
 * the root at once.  Returns SP_OK; SP_ENOROOT when flo and fhi have the
 * same sign (*root untouched); SP_ENOCONV when the iterations run out
 * (*root holds the last estimate); SP_EDOM for a non-finite flo, fhi or
 * value of f met on the way, or an invalid interval or tolerance;
 * SP_ENOMEM; else f's own status, first one seen (*root untouched on
 * every error but SP_ENOCONV). */
int sp_root_brent(sp_root_fn f, void *arg, double lo, double hi, double flo, double fhi,
                  double xabs, double xrel, double *root);

/* Bracketing: with f0 = f(lo) finite and not 0, evaluate f at
 * lo + (hi - lo) i / n, i = 1..n, until it is 0 or changes sign.  Returns
 * SP_OK with [*a, *b] the bracket and *fa, *fb the values there (*fb = 0:
 * *b is a root); SP_ENOROOT when f keeps the sign of f0 throughout;
 * SP_EDOM for a non-finite value, n < 1 or a bad interval; f's status. */
int sp_root_scan(sp_root_fn f, void *arg, double lo, double hi, double f0, int n, double *a,
                 double *b, double *fa, double *fb);

#endif
