/* sigprop: the table of sigprop attention: one softmax row over T i.i.d.
 * Gaussian energies of std lambda sqrt(log T), exact at finite T
 * (theory.md §4) and as T -> infinity (§3).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_ATTENTION_TABLE_H
#define SIGPROP_ATTENTION_TABLE_H

#include "sigprop/export.h"
#include <stddef.h>

SP_BEGIN_DECLS

/** Columns: tokens, lambda, y2, y3, y2sq, g, entropy, entropy_ratio. */
#define SP_ATTENTION_TABLE_NCOL 8

/** Name of column i (static), or NULL for i >= SP_ATTENTION_TABLE_NCOL. */
const char *sp_attention_table_column(size_t i);

/** Point i of n >= 2 from lmin to lmax, evenly spaced, the last exactly
 * lmax. */
double sp_attention_table_lambda(double lmin, double lmax, long n, long i);

/** One row into v: for tokens >= 2 the exact finite-T statistics
 * (sp_rem_finite, with the causal row average when `causal`), tokens in
 * column 0; for tokens 0 the T -> infinity law (sp_rem_asymptotic at q = 1,
 * p = 0), column 0 NaN, and the entropy in nats NaN below the freezing
 * point lambda = sqrt 2 (it grows like log T), psi(1) - psi(1 - m) above.
 * lambda in [0, SP_REM_TABLE_LAMBDA_MAX].  Errors of sp_rem_finite and
 * sp_rem_asymptotic (SP_EDOM outside the domain); v is then unchanged. */
int sp_attention_table_row(long tokens, int causal, double lambda, double *v);

SP_END_DECLS
#endif
