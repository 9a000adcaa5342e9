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
 * (log u, log v) grid (rows of one key reach the top of the window): the
 * pairs of nodes j <= l carry both rows' weights W_l(Phi) + W_j(Phi) (Phi
 * and K are symmetric), Phi and K by 4 x 4 tiles of node pairs in vector
 * registers, W by Horner's rule 16 nodes at a time, stopped where the
 * remaining terms are below 1e-17 of W (an AVX2 copy of these kernels where
 * the processor has it, giving the same values).  Cost at T = 512: 2 to 20
 * ms for lambda <= 3, 35 to 200 ms at 5 to 8.  lambda = 0 or c = 0 give the independent
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
 * Gaussian whose covariance is linear in c) and even in w.  The w range is
 * cut into four panels (lambda up to 1.515, 3.04, 5.04 and 8), each
 * interpolated by a tensor Chebyshev-Lobatto interpolant in (w over the
 * panel, even about 0 for the first; x on [0, 1]) with 9 to 65 nodes each
 * way: node values by the quadrature of sp_rem_overlap() with its steps
 * doubled (within 5e-8 of it); the node counts double along each axis until
 * the last two Chebyshev coefficients of every line of nodes sum to at most
 * SP_OVERLAP_TABLE_EST (they decay geometrically, so this estimates the
 * interpolant's error).  A panel's interpolant is resampled once on its rows
 * of a uniform grid of 257 x 257 points in (w, x), read by local bicubic
 * (4 x 4 point) interpolation within the panel.  Stated error: at most 1e-6
 * absolute in E O, checked against sp_rem_overlap() at 200 random points for
 * T = 512 and 30 at T = 16 and 4096 (tests/test_overlap_table.c).
 *
 * A panel is built on first use, by the first thread that evaluates in it
 * (the others wait for it), or by sp_overlap_table_build(): a sweep pays
 * only for the lambda range it reaches (the quadratures cost more the larger
 * lambda is).  The values do not depend on the order or the threads that
 * built them.  lambda = 0 or c = 0 give 1/T exactly; beyond lambda_max the
 * table calls sp_rem_overlap() (exact, 1 to 300 ms).  Any number of threads
 * may evaluate one table at once. */
typedef struct sp_overlap_table sp_overlap_table;

/** lambda_max of the tables: 8 (beta up to 8 after a LayerNorm). */
#define SP_OVERLAP_TABLE_LAMBDA_MAX 8.0
/** Target of a panel's error estimate (the sum of the last two Chebyshev
 * coefficients of every line of nodes, along each axis).  The estimate is
 * conservative: with it at 5e-7 the errors measured against the quadrature
 * were below 1.2e-7 (T = 16 .. 4096). */
#define SP_OVERLAP_TABLE_EST 5e-7

/** A table for `tokens` = T (2 .. SP_MAX_TOKENS) with no panel built yet
 * (about 530 kB; the panels are built on first use or by
 * sp_overlap_table_build()).  Returns SP_OK with the table in `*out`, or
 * (with *out NULL) SP_EDOM (T out of range), SP_ENOMEM or SP_EINVAL (NULL
 * `out`).  The caller frees it with sp_overlap_table_free(). */
int sp_overlap_table_alloc(long tokens, sp_overlap_table **out);

/** The causal counterpart of sp_overlap_table_alloc(): a table of
 * sp_rem_overlap_causal() for `tokens` = T (2 .. SP_REM_OVERLAP_CAUSAL_MAX),
 * by the same panels, coordinates, refinement and resampling (node values by
 * the causal quadrature with its steps doubled), the same target
 * SP_OVERLAP_TABLE_EST and stated error (at most 1e-6 absolute in E O,
 * checked against sp_rem_overlap_causal() at 200 random points for T = 64
 * and T = 512 and 30 at T = 4096 for lambda <= 5,
 * tests/test_overlap_table_causal.c).  Its panels cost more than the
 * encoder's (T = 512: about 0.2 s of processor time for lambda <= 1.5, 1.9 s
 * up to 5, 5.6 s for all; T = 4096: 1.4 s, 13 s up to 5).  lambda = 0 or c = 0
 * give the independent causal value 2 (T - H_T) / (T (T - 1)) exactly;
 * beyond lambda_max the table calls sp_rem_overlap_causal().  Every other
 * function of sp_overlap_table applies to it.  Returns as
 * sp_overlap_table_alloc() (SP_EDOM for T outside 2 ..
 * SP_REM_OVERLAP_CAUSAL_MAX). */
int sp_overlap_table_alloc_causal(long tokens, sp_overlap_table **out);

/** Build every panel of `t` that lambda in [0, lambda_max] reaches (lambda_max
 * above SP_OVERLAP_TABLE_LAMBDA_MAX means all of them) and that is not built
 * yet: 150 to 600 quadratures a panel, spread over the processors' threads
 * when sigprop is built with threads (T = 512: about 0.07 s of processor
 * time for lambda <= 1.5, 0.5 s up to 5, 1.2 s for all).  Not needed before evaluating; it moves
 * the cost (and any error) to a moment of the caller's choosing.  Returns
 * SP_OK, SP_EINVAL (NULL t), SP_EDOM (lambda_max < 0 or NaN), or a
 * panel's build status (SP_ENOMEM, SP_ENOCONV), which that panel keeps. */
int sp_overlap_table_build(sp_overlap_table *t, double lambda_max);

/** Release `t`; NULL is a no-op. */
void sp_overlap_table_free(sp_overlap_table *t);

/** T of the table (0 for NULL). */
long sp_overlap_table_tokens(const sp_overlap_table *t);

/** 1 for a table of the causal overlap (sp_overlap_table_alloc_causal()),
 * 0 for the encoder's or NULL. */
int sp_overlap_table_causal(const sp_overlap_table *t);

/** lambda_max, the largest final error estimate of the panels built so far
 * (see SP_OVERLAP_TABLE_EST; 0 when none is) and their number of nodes
 * (w >= 0 times x) of table `t`; NaN and 0 for NULL.  Any output may be
 * NULL. */
void sp_overlap_table_info(const sp_overlap_table *t, double *lambda_max, double *errest,
                           int *nodes);

/** E O at (lambda, c) from table `t` (see sp_overlap_table): interpolated
 * for lambda <= lambda_max (building the panel of lambda first when no
 * thread has), sp_rem_overlap() beyond.  SP_EINVAL for NULL arguments,
 * SP_EDOM for lambda < 0 or not finite or c outside [0, 1], the panel's
 * build status (SP_ENOMEM, SP_ENOCONV), and beyond lambda_max the statuses
 * of sp_rem_overlap(). */
int sp_overlap_table_eval(const sp_overlap_table *t, double lambda, double c, double *overlap);

SP_END_DECLS
#endif
