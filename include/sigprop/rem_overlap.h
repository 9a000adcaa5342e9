/* sigprop: the overlap of two attention rows at finite T when the input
 * tokens are correlated (theory.md §13, open question 1).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_REM_OVERLAP_H
#define SIGPROP_REM_OVERLAP_H

#ifdef __cplusplus
extern "C" {
#endif
#if defined(__GNUC__)
#pragma GCC visibility push(default) /* the public API is exported */
#endif

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

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
#ifdef __cplusplus
}
#endif
#endif
