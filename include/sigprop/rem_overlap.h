/* sigprop: the overlap of two attention rows at finite T when the input
 * tokens are correlated (theory.md §13, open question 1).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_REM_OVERLAP_H
#define SIGPROP_REM_OVERLAP_H

#include "sigprop/export.h"

SP_BEGIN_DECLS

/** E O = E sum_s A_ts A_t's for two distinct rows t, t' of a softmax over
 * T keys whose energies are E_ts = sigma (sqrt(c) h_s + sqrt(1 - c) e_ts),
 * sigma = lambda sqrt(log T), with a column field h_s shared by the rows
 * and e_ts independent, all standard normal.  Under the simplex geometry
 * (theory.md §3) the scores of two rows share exactly this structure with
 * lambda = beta sqrt(q (q - p)) and c = p / q.  c = 0 gives 1/T exactly.
 *
 * Derivation [D]: with 1/Z = int_0^inf e^{-uZ} du for each row,
 *   E O = T int int du dv E_h[k_h(u) k_h(v)] (E_h[g_h(u) g_h(v)])^{T-1},
 *   g_h(u) = E_e exp(-u e^{x}),  k_h(u) = E_e e^{x} exp(-u e^{x}),
 *   x = sigma (sqrt(c) h + sqrt(1 - c) e),
 * where, given the shared h_s, the two rows are independent.  Numerics: the
 * e-expectations as functions of the one variable y = log u + sigma sqrt(c) h,
 * tabulated on a uniform grid in y by the trapezoidal rule in sigma
 * sqrt(1 - c) e (a discrete Gaussian convolution); h on the same grid
 * (a_i = sigma sqrt(c) h_i a multiple of the step), so no interpolation is
 * needed; (log u, log v) by the trapezoidal rule on the window where the
 * integrand exceeds 1e-16 of its peak.  All these rules converge
 * exponentially for these smooth, Gaussian-weighted integrands.
 * `*abserr` (may be NULL) estimates the error from the normalisation
 * E Y^(1) = 1 computed with the same grids.  Cost 1 to 30 ms.
 * Domain: T >= 2, lambda >= 0, 0 <= c <= 1.  Returns SP_EDOM, SP_ENOMEM,
 * or SP_ENOCONV when that estimate exceeds 1e-6 relative. */
int sp_rem_overlap(long tokens, double lambda, double c, double *overlap, double *abserr);

/** Largest T of sp_rem_overlap_causal(): its pair weights cost O(T) a
 * node pair. */
#define SP_REM_OVERLAP_CAUSAL_MAX 4096L

/** The causal (decoder) counterpart of sp_rem_overlap(): the mean over row
 * pairs t != t' of E sum_s A_ts A_t's when row t attends to keys 1..t, every
 * row with the energy scale sigma = lambda sqrt(log T) of the full length
 * (theory.md §4, causal rows) and the same shared column field h_s (a
 * fraction c of the energy variance) as the encoder.  Derivation
 * (theory.md §14) [D]: for t < t' the rows share keys 1..t, and row t' alone
 * sees t+1..t', so
 *   E O_tt' = t int int du dv K(u, v) Phi(u, v)^{t-1} g(v)^{t'-t},
 * K = E_h[k_h(u) k_h(v)], Phi = E_h[g_h(u) g_h(v)] as in sp_rem_overlap()
 * and g(v) = E_h g_h(v) the one-row function of the later row's own keys;
 * the pair mean 2/(T (T-1)) sum_{t<t'} is summed inside the integral as the
 * polynomial W(Phi) = sum_t t D_t Phi^{t-1}, D_t = sum_{d=1}^{T-t} g(v)^d.
 * Same quadrature and error estimate as sp_rem_overlap(), over the whole
 * (log u, log v) grid (the integrand is not symmetric, and rows of one key
 * reach the top of the window).  lambda = 0 or c = 0 give the independent
 * value 2 (T - H_T) / (T (T - 1)) exactly.  Domain: 2 <= T <=
 * SP_REM_OVERLAP_CAUSAL_MAX, lambda >= 0, 0 <= c <= 1 (SP_EDOM otherwise);
 * SP_EINVAL for a NULL overlap; SP_ENOMEM; SP_ENOCONV as sp_rem_overlap(). */
int sp_rem_overlap_causal(long tokens, double lambda, double c, double *overlap,
                          double *abserr);

/** A table of sp_rem_overlap() for one T over 0 <= lambda <= lambda_max and
 * 0 <= c <= 1, evaluated in about 0.1 microseconds (theory.md §14).
 * Coordinates: w = asinh(2 lambda) and x = asinh(s v) / asinh(s) with
 * s = lambda sqrt(log T), v = sqrt(1 - c): the two rows' energies differ by
 * s v, so E O changes on the scale v ~ 1/s near c = 1 and x resolves that
 * layer whatever s.  E O is analytic in (lambda^2, c) (an expectation over a
 * Gaussian whose covariance is linear in c), even in w, and is interpolated
 * by a tensor Chebyshev-Lobatto interpolant in (w on [-w_max, w_max], x on
 * [0, 1]) with 17 to 65 nodes each way: node values by the quadrature of
 * sp_rem_overlap() with its steps doubled (within 5e-8 of it); the node
 * counts double along each axis until the interpolant through every other
 * node misses the remaining ones by at most SP_OVERLAP_TABLE_EST (the error
 * of the finer interpolant is then far smaller: it converges
 * geometrically).  The interpolant is resampled once on a uniform grid of
 * 257 x 129 points in (w, x), read by local bicubic (4 x 4 point)
 * interpolation.  Stated error: at most 1e-6 absolute in E O, checked
 * against sp_rem_overlap() at 200 random points for T = 16 .. 4096
 * (tests/test_overlap_table.c).  lambda = 0 or c = 0 give 1/T exactly;
 * beyond lambda_max the table calls sp_rem_overlap() (exact, 1 to 300 ms).
 * Read-only after sp_overlap_table_alloc(): any number of threads may
 * evaluate it at once. */
typedef struct sp_overlap_table sp_overlap_table;

/** lambda_max of the tables: 8 (beta up to 8 after a LayerNorm). */
#define SP_OVERLAP_TABLE_LAMBDA_MAX 8.0
/** Target of the build's estimate (the error of the interpolant through
 * every other node, along each axis). */
#define SP_OVERLAP_TABLE_EST 1e-5

/** Build the table for `tokens` = T (2 .. SP_MAX_TOKENS): 150 to 1100
 * quadratures, spread over the processors' threads when sigprop is built
 * with threads (about 0.5 to 2 s of processor time at T = 512).  The
 * result does not depend on the thread count.  Returns SP_OK with the
 * table in `*out`, or (with *out NULL) SP_EDOM (T out of range), SP_ENOMEM,
 * SP_ENOCONV (a node's quadrature) or SP_EINVAL (NULL `out`).  The caller
 * frees it with sp_overlap_table_free(). */
int sp_overlap_table_alloc(long tokens, sp_overlap_table **out);

/** Release `t`; NULL is a no-op. */
void sp_overlap_table_free(sp_overlap_table *t);

/** T of the table (0 for NULL). */
long sp_overlap_table_tokens(const sp_overlap_table *t);

/** lambda_max, the build's final estimate (see SP_OVERLAP_TABLE_EST) and
 * the number of nodes (w >= 0 times x) of table `t`; NaN and 0 for NULL.
 * Any output may be NULL. */
void sp_overlap_table_info(const sp_overlap_table *t, double *lambda_max, double *errest,
                           int *nodes);

/** E O at (lambda, c) from table `t` (see sp_overlap_table): interpolated
 * for lambda <= lambda_max, sp_rem_overlap() beyond.  SP_EINVAL for NULL
 * arguments, SP_EDOM for lambda < 0 or not finite or c outside [0, 1], and
 * beyond lambda_max the statuses of sp_rem_overlap(). */
int sp_overlap_table_eval(const sp_overlap_table *t, double lambda, double c, double *overlap);

SP_END_DECLS
#endif
