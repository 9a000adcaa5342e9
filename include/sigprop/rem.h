/* sigprop: attention as a Random Energy Model (theory.md §3).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_REM_H
#define SIGPROP_REM_H

#include "sigprop/export.h"

SP_BEGIN_DECLS

/** Statistics of one softmax attention row whose input tokens have the
 * simplex geometry (diagonal q, off-diagonal p).  Fields that were not
 * requested (see SP_REM_*) are NaN. */
typedef struct {
  double lambda;   /**< beta sqrt(q (q - p)): per-row energy std / sqrt(log T) */
  double beta_c;   /**< sqrt(2 / (q (q - p))); +infinity when q = p */
  double m;        /**< Parisi parameter min(1, beta_c / beta) (1 when unfrozen) */
  double y2;       /**< E Y^(2) = E sum_s A_ts^2 (inverse participation ratio) */
  double y3;       /**< E Y^(3) */
  double y2sq;     /**< E [(Y^(2))^2] */
  double g;        /**< G = E Y2 - 2 E Y3 + E[(Y2)^2] (theory.md §9) */
  double overlap;  /**< E O = E sum_s A_ts A_t's, two distinct rows */
  double entropy;  /**< E H in nats */
  double entropy_ratio; /**< E H / log T */
  int frozen;      /**< 1 when beta > beta_c (condensed REM phase) */
} sp_attn_stats;

/** What to compute; OR them together.  Y2 (with lambda, beta_c, m, frozen
 * and overlap) is always computed. */
enum {
  SP_REM_Y2 = 0,
  SP_REM_MOMENTS = 1u << 0, /**< y3, y2sq, g */
  SP_REM_ENTROPY = 1u << 1, /**< entropy, entropy_ratio */
  SP_REM_ALL = SP_REM_MOMENTS | SP_REM_ENTROPY
};

/** Critical inverse temperature beta_c(q, p) = sqrt(2 / (q (q - p)))
 * [GG Result 1]; +infinity when q (q - p) <= 0.  Domain q >= 0. */
double sp_rem_beta_c(double q, double p);

/** T -> infinity statistics of a softmax row at scale `beta` over inputs
 * with order parameters (q, p), theory.md §3:
 * m = min(1, beta_c/beta), E Y^(k) = Gamma(k - m) / (Gamma(k) Gamma(1 - m)),
 * E Y2 = 1 - m, E Y3 = (1-m)(2-m)/2, E[Y2^2] = (1-m)(3-2m)/3, G = m(1-m)/3,
 * E H / log T = 1 - (beta/beta_c)^2 below beta_c and 0 above; entropy in nats
 * log(T) (1 - (beta/beta_c)^2) below and min(psi(1) - psi(1 - m), log T) above.
 * The overlap of two rows is 0 in this limit.  `tokens` (>= 2) only converts
 * the entropy ratio to nats.  q - p may be slightly negative from rounding
 * (it is clamped to 0); q < 0, p > q beyond rounding, beta < 0 or a NaN
 * give SP_EDOM.  `what` is a set of SP_REM_* flags. */
int sp_rem_asymptotic(double beta, double q, double p, long tokens, unsigned what,
                      sp_attn_stats *st);

/** Statistics of uniform attention A = 1 1^T / T: Y2 = O = 1/T,
 * Y3 = E[Y2^2] = 1/T^2, H = log T, never frozen; lambda and beta_c are
 * those of (beta, q, p) for reference.  Same domain as sp_rem_asymptotic. */
int sp_rem_uniform(double beta, double q, double p, long tokens, sp_attn_stats *st);

/** Clamp q - p to [0, q] when it is off by rounding only; SP_EDOM if the
 * pair (q, p) is not a Gram geometry (q < 0, NaN, p > q beyond rounding).
 * On success *gap receives max(q - p, 0). */
int sp_rem_gap(double q, double p, double *gap);

SP_END_DECLS
#endif
