/* The table of sigprop attention.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/attention_table.h"

#include "sigprop/rem.h"
#include "sigprop/rem_finite.h"
#include "sigprop/status.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_sf_psi.h>
#include <math.h>
#include <string.h>

static const char *const columns[SP_ATTENTION_TABLE_NCOL] = {
  "tokens", "lambda", "y2", "y3", "y2sq", "g", "entropy", "entropy_ratio"};

const char *sp_attention_table_column(size_t i)
{
  return i < SP_ATTENTION_TABLE_NCOL ? columns[i] : NULL;
}

double sp_attention_table_lambda(double lmin, double lmax, long n, long i)
{
  return i == n - 1 ? lmax : lmin + (lmax - lmin) * (double)i / (double)(n - 1);
}

/* The T -> infinity law at lambda (theory.md §3, inputs q = 1, p = 0 so that
 * beta = lambda): entropy in nats NaN below the freezing point. */
static int asymptotic(double lambda, sp_attn_stats *st)
{
  int s = sp_rem_asymptotic(lambda, 1.0, 0.0, 2, SP_REM_ALL, st);
  if (s)
    return s;
  st->entropy = NAN;
  if (st->frozen) {
    gsl_sf_result r;
    if (!(st->m < 1.0) || gsl_sf_psi_e(1.0 - st->m, &r) != GSL_SUCCESS)
      return SP_EDOM;
    st->entropy = -M_EULER - r.val;
  }
  return SP_OK;
}

int sp_attention_table_row(long tokens, int causal, double lambda, double *v)
{
  sp_attn_stats st;
  if (!v)
    return SP_EINVAL;
  if (!(lambda >= 0.0 && lambda <= SP_REM_TABLE_LAMBDA_MAX) || (tokens != 0 && tokens < 2))
    return SP_EDOM;
  int s = tokens ? sp_rem_finite(tokens, causal, lambda, &st, NULL) : asymptotic(lambda, &st);
  if (s)
    return s;
  double row[SP_ATTENTION_TABLE_NCOL] = {tokens ? (double)tokens : NAN, lambda, st.y2, st.y3,
                                         st.y2sq, st.g, st.entropy, st.entropy_ratio};
  memcpy(v, row, sizeof row);
  return SP_OK;
}
