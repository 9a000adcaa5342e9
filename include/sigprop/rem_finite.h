/* sigprop: attention statistics at finite sequence length T (theory.md §4):
 * exact Laplace-transform integrals, causal row averages, and tables on a
 * lambda grid for fast interpolation.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_REM_FINITE_H
#define SIGPROP_REM_FINITE_H

#include "sigprop/export.h"
#include "sigprop/rem.h"

SP_BEGIN_DECLS

/** Target of the quadrature's own error estimate: the error of E Y^(1)
 * (= 1), E Y2, E Y3 and E[(Y2)^2] relative to max(value, 1e-10) (values
 * that small, T > 1e6 at lambda < 1, carry absolute errors near 1e-20
 * from the truncation of the integrals), and the absolute error of E H
 * divided by max(1, log T).  Evaluations whose estimate exceeds it are
 * refined (up to SP_REM_FINITE_REFINE times), then fail with SP_ENOCONV. */
#define SP_REM_FINITE_TOL 1e-9
/** Number of step halvings sp_rem_finite() may take after the first try. */
#define SP_REM_FINITE_REFINE 3

/** What sp_rem_finite() reports about its quadrature. */
typedef struct {
  double relerr;    /**< error estimate, in the units of SP_REM_FINITE_TOL */
  double y1;        /**< E Y^(1) by the same rule: 1 up to the error */
  int refinements;  /**< step halvings taken (0 .. SP_REM_FINITE_REFINE) */
} sp_rem_quad;

/** Exact statistics of one softmax row over `tokens` = T >= 2 i.i.d.
 * energies N(0, lambda^2 log T), lambda >= 0 (lambda = beta sqrt(q (q - p))
 * for inputs with order parameters (q, p)), theory.md §4.  With s = lambda
 * sqrt(log T), g(t) = E exp(-t e^{sz}), h_k(t) = E e^{ksz - t e^{sz}} and
 * kappa(t) = E sz e^{sz - t e^{sz}}:
 *   E Y^(k)     = T/Gamma(k) int t^{k-1} h_k g^{T-1} dt
 *   E[(Y2)^2]   = T/6 int t^3 h_4 g^{T-1} dt + T(T-1)/6 int t^3 h_2^2 g^{T-2} dt
 *   E H         = int (e^{-t} - g^T)/t dt - T int kappa g^{T-1} dt.
 * Numerics: t = e^u, so that every inner expectation is the convolution of
 * a fixed function of x = u + sz (e^{kx - e^x}, 1 - exp(-e^x), ...) with
 * the Gaussian; both integrals are trapezoidal sums on the real line,
 * spectrally accurate for these analytic integrands: steps 1/8 in x and u
 * and at most 0.35 in z, on a lattice x = (m + i)/8 once s z-steps reach
 * 1/8 so that the functions of x are computed once per lattice point; the
 * outer step grows like s for large s.  Truncation where the integrands
 * fall below e^-45 of their scale (|z| <= sqrt(2 log T + 80), x above
 * -45 - log T).  The entropy's first integral is summed against a smooth
 * step whose integral is known exactly (Euler's gamma), centred where
 * g^T falls.  The rule is evaluated at steps h and 2h on nested nodes;
 * |I_h - I_2h| (the error of the coarser rule, far above that of the
 * finer) is the error estimate, and h is halved until it meets
 * SP_REM_FINITE_TOL.  About 0.5 ms per evaluation, whatever lambda (above
 * s ~ 200 the Gaussian weights come from a recurrence and the tail sums
 * from Euler-Maclaurin, so memory stays bounded).  The entropy is the
 * difference of two terms of the size of the spread of the largest
 * energies, s / sqrt(2 log T); for s above ~1e4, where the entropy itself
 * is O(1/s), that cancellation costs about 1e-12 s in absolute accuracy,
 * which the error estimate does not see (the tables stop at lambda = 64).
 *
 * `causal` != 0 gives the decoder's row average instead (theory.md §4):
 * row t attends to t keys with the same energy scale s, i.e. it is a REM of
 * size t at lambda_eff(t) = lambda sqrt(log T / log t), and every field is
 * the mean over rows t = 1..T (row 1: Y2 = Y3 = (Y2)^2 = 1, H = 0).  The
 * row sums are done exactly inside the integrals (geometric-series weights
 * (1/T) sum_t t g^{t-1} etc.), so this costs one evaluation.
 *
 * Fills every field of `st` except beta_c (NaN: it depends on (q, p), not
 * on lambda alone): lambda; m = min(1, sqrt(2)/lambda) and frozen =
 * lambda > sqrt(2) (the T -> infinity REM phase, which still decides the
 * class); y2, y3, y2sq; g = y2 - 2 y3 + y2sq; entropy (nats) and
 * entropy_ratio = entropy / log T; overlap = the mean overlap of two
 * distinct rows for independent rows (p = 0): 1/T, or for causal rows
 * 2 (T - H_T) / (T (T - 1)) (H_T the harmonic number), the pair mean of
 * 1/max(t, t').  The overlap for p > 0: sp_rem_overlap(),
 * sp_rem_overlap_causal() (theory.md §14).
 * lambda = 0 returns the uniform values exactly (1/T, 1/T^2, log T; causal:
 * H_T/T, ...).  `info` (may be NULL) receives the error estimate (see
 * SP_REM_FINITE_TOL), E Y^(1) as a check, and the refinements taken.
 * Errors: SP_EDOM for tokens < 2 or > SP_MAX_TOKENS, lambda < 0 or not
 * finite; SP_EINVAL for st == NULL; SP_ENOCONV when the estimate stays
 * above SP_REM_FINITE_TOL; SP_ENOMEM. */
int sp_rem_finite(long tokens, int causal, double lambda, sp_attn_stats *st,
                  sp_rem_quad *info);

/** Uniform attention under a causal mask (row t averages its t keys):
 * the lambda = 0 values of sp_rem_finite(tokens, 1, 0, ...):
 * Y2 = H_T / T, Y3 = E[(Y2)^2] = (sum_t 1/t^2) / T, H = log(T!) / T,
 * overlap 2 (T - H_T) / (T (T - 1)), never frozen.  lambda, beta_c and m
 * are left NaN.  SP_EDOM for tokens < 2. */
int sp_rem_finite_uniform_causal(long tokens, sp_attn_stats *st);

/** A table of sp_rem_finite() for one (T, causal) on a lambda grid, with
 * cubic-spline interpolation (GSL) in w = asinh(lambda) of the logarithms
 * of y2, y3, y2sq, g and entropy (positive quantities: the logarithm turns
 * their exponential growth in lambda^2 log T into a smooth curve and makes
 * the interpolation error relative).  The grid is uniform in w on
 * [-w_max, w_max] with the even extension f(-w) = f(w) (the statistics are
 * even in lambda), so lambda = 0 is an interior node.
 * Beyond lambda_max = sinh(w_max) the table uses the large-lambda
 * expansion of a finite softmax, f = f_inf + a / lambda + b / lambda^2 with
 * f_inf = 1 for y2, y3, y2sq and 0 for g and entropy, a and b matched to the
 * spline's value and slope at lambda_max: for lambda -> infinity the row is
 * decided by the gaps between its largest energies, s (z_(1) - z_(2)), ...,
 * whose densities at 0 are positive and smooth, so every statistic
 * approaches its one-hot value in powers of 1/s.  Against direct
 * evaluation at 1.25 to 20 lambda_max the deviation f - f_inf is off by
 * less than 1e-3 of itself (T = 2 .. 1e9).
 * Read-only after sp_rem_table_alloc(): any number of threads may call
 * sp_rem_table_eval() at once. */
typedef struct sp_rem_table sp_rem_table;

/** Grid step in w = asinh(lambda) of sp_rem_table_alloc(): 1/32 keeps the
 * spline error of every statistic below 1e-7 (relative) for T up to 1e9
 * (the test checks 1e-6 against direct evaluation off the grid). */
#define SP_REM_TABLE_STEP (1.0 / 32.0)
/** lambda_max of the tables: 16 (beta up to 16 after LayerNorm). */
#define SP_REM_TABLE_LAMBDA_MAX 64.0

/** Build the table for `tokens` (T >= 2) and `causal` (0 or 1): one
 * sp_rem_finite() evaluation per grid node (SP_REM_TABLE_STEP,
 * SP_REM_TABLE_LAMBDA_MAX, 8 more nodes to keep the spline's end condition
 * away from lambda_max): about 165 evaluations, 0.1 to 0.5 s on one core.
 * Returns SP_OK with the table in `*out` (the caller frees it with
 * sp_rem_table_free()), or (with *out NULL) SP_EDOM, SP_ENOMEM, SP_ENOCONV,
 * or SP_EINVAL for a NULL `out`. */
int sp_rem_table_alloc(long tokens, int causal, sp_rem_table **out);

/** Release `t`; NULL is a no-op. */
void sp_rem_table_free(sp_rem_table *t);

/** The (T, causal) the table was built for. */
long sp_rem_table_tokens(const sp_rem_table *t);
int sp_rem_table_causal(const sp_rem_table *t);

/** lambda_max of the grid and the largest quadrature error estimate over its
 * nodes (sp_rem_quad.relerr); either may be NULL. */
void sp_rem_table_info(const sp_rem_table *t, double *lambda_max, double *relerr);

/** Interpolated statistics at `lambda` >= 0, filling `st` as
 * sp_rem_finite() does (beta_c NaN); `what` (SP_REM_* flags) selects the
 * fields beyond y2 (others are NaN).  SP_EDOM for lambda < 0 or NaN,
 * SP_EINVAL for NULL arguments. */
int sp_rem_table_eval(const sp_rem_table *t, double lambda, unsigned what, sp_attn_stats *st);

SP_END_DECLS
#endif
