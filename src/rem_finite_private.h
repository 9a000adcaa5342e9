/* Private to rem_finite.c and rem_table.c: the per-(T, causal) context of
 * the finite-T quadrature and its evaluation.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_REM_FINITE_PRIVATE_H
#define SIGPROP_REM_FINITE_PRIVATE_H

#include "sigprop/rem_finite.h"

/* Terms of the small-argument series of the causal weights.  The series
 * are used for y = T (-log g) < SERIES_Y, where term k is below
 * y^k / k! < 0.5^20 / 20! ~ 4e-25 at k = 20. */
#define NSER 22

/* What the quadrature needs of T and causality, computed once. */
typedef struct {
  long T;
  int causal;
  double t;     /* T as a double */
  double logt;  /* log T */
  double Z;     /* |z| <= Z: T phi(Z) < e^-40 */
  double a[NSER], b[NSER], c[NSER]; /* causal series coefficients */
} rem_ctx;

/* Fill `c` for T tokens (causal 0 or 1); series 1 also computes the causal
 * series coefficients. */
void sp_rem_ctx_init(rem_ctx *c, long T, int causal, int series);

/* sp_rem_finite() at lambda with a prepared context. */
int sp_rem_ctx_eval(const rem_ctx *c, double lambda, sp_attn_stats *st, sp_rem_quad *info);

/* The statistics at lambda = 0 (uniform attention) for context `c`. */
int sp_rem_ctx_uniform(const rem_ctx *c, sp_attn_stats *st);

/* The phase fields of `st` at lambda: lambda, beta_c (NaN), frozen, m. */
void sp_rem_set_phase(double lambda, sp_attn_stats *st);

#endif
