/* The tables of sigprop mlp.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/meanfield_table.h"

#include "sigprop/meanfield.h"
#include "sigprop/status.h"

#include <math.h>
#include <string.h>

static const char *const columns[SP_MEANFIELD_TABLE_NCOL] = {
  "var_w", "var_b", "q_star", "chi1", "c_star", "xi_c", "xi_q"};

const char *sp_meanfield_table_column(size_t i)
{
  return i < SP_MEANFIELD_TABLE_NCOL ? columns[i] : NULL;
}

double sp_meanfield_table_axis(double min, double max, long n, int log_spacing, long i)
{
  double t = (double)i / (double)(n - 1);
  if (i == n - 1)
    return max;
  return log_spacing ? exp(log(min) + t * (log(max) - log(min))) : min + t * (max - min);
}

int sp_meanfield_table_point(const sp_model *m, double *v, sp_meanfield *out)
{
  sp_meanfield mf;
  if (!m || !v)
    return SP_EINVAL;
  int s = sp_meanfield_solve(m->activation, m->erf_scale, m->var_w_in, m->var_b, &mf);
  if (s)
    return s;
  if (out)
    *out = mf;
  double row[SP_MEANFIELD_TABLE_NPOINT] = {mf.q_star, mf.chi1, mf.c_star, mf.xi_c, mf.xi_q};
  memcpy(v, row, sizeof row);
  return SP_OK;
}

int sp_meanfield_table_grid(const sp_model *m, int x_is_w, const double *xs, size_t nx,
                            const double *ys, size_t ny, double *out, size_t *chaotic,
                            size_t *undefined, double *bad_w, double *bad_b)
{
  if (!m || !xs || !ys || !out)
    return SP_EINVAL;
  size_t nchaotic = 0, nundefined = 0;
  int s = SP_OK;
  for (size_t j = 0; j < ny && !s; j++)
    for (size_t i = 0; i < nx && !s; i++) {
      double w = x_is_w ? xs[i] : ys[j], b = x_is_w ? ys[j] : xs[i];
      sp_meanfield mf;
      s = sp_meanfield_solve(m->activation, m->erf_scale, w, b, &mf);
      if (s == SP_ENOCONV) {
        mf.q_star = mf.chi1 = mf.c_star = mf.xi_c = mf.xi_q = NAN;
        nundefined++;
        s = SP_OK;
      } else if (s) {
        if (bad_w)
          *bad_w = w;
        if (bad_b)
          *bad_b = b;
        break;
      }
      nchaotic += mf.chi1 > 1.0;
      double row[SP_MEANFIELD_TABLE_NCOL] = {w, b, mf.q_star, mf.chi1, mf.c_star, mf.xi_c,
                                             mf.xi_q};
      memcpy(out + (j * nx + i) * SP_MEANFIELD_TABLE_NCOL, row, sizeof row);
    }
  if (chaotic)
    *chaotic = nchaotic;
  if (undefined)
    *undefined = nundefined;
  return s;
}
