/* The tables of sigprop mlp.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/meanfield_table.h"

#include "sigprop/meanfield.h"
#include "sigprop/status.h"

#include <math.h>
#include <stdlib.h>
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
  return sp_meanfield_table_grid_threads(m, x_is_w, xs, nx, ys, ny, 0, out, chaotic, undefined,
                                         bad_w, bad_b);
}

/* The rows in grid order from the batch's solutions, up to the first point
 * that failed other than by not converging. */
static int grid_rows(const double *w, const double *b, size_t n, const sp_meanfield *mf,
                     const int *st, double *out, size_t *nchaotic, size_t *nundefined,
                     size_t *bad)
{
  for (size_t k = 0; k < n; k++) {
    sp_meanfield x = mf[k];
    if (st[k] == SP_ENOCONV) {
      x.q_star = x.chi1 = x.c_star = x.xi_c = x.xi_q = NAN;
      (*nundefined)++;
    } else if (st[k]) {
      *bad = k;
      return st[k];
    }
    *nchaotic += x.chi1 > 1.0;
    double row[SP_MEANFIELD_TABLE_NCOL] = {w[k], b[k], x.q_star, x.chi1, x.c_star, x.xi_c,
                                           x.xi_q};
    memcpy(out + k * SP_MEANFIELD_TABLE_NCOL, row, sizeof row);
  }
  return SP_OK;
}

int sp_meanfield_table_grid_threads(const sp_model *m, int x_is_w, const double *xs, size_t nx,
                                    const double *ys, size_t ny, unsigned threads, double *out,
                                    size_t *chaotic, size_t *undefined, double *bad_w,
                                    double *bad_b)
{
  if (!m || !xs || !ys || !out)
    return SP_EINVAL;
  if (threads > SP_MF_MAX_THREADS)
    return SP_EINVAL;
  size_t n = nx * ny, nchaotic = 0, nundefined = 0, bad = 0;
  double *w = calloc(2 * (n ? n : 1), sizeof *w), *b = w ? w + n : NULL;
  sp_meanfield *mf = malloc((n ? n : 1) * sizeof *mf);
  int *st = malloc((n ? n : 1) * sizeof *st), s = SP_ENOMEM;
  if (w && mf && st) {
    for (size_t k = 0; k < n; k++) {
      w[k] = x_is_w ? xs[k % nx] : ys[k / nx];
      b[k] = x_is_w ? ys[k / nx] : xs[k % nx];
    }
    s = sp_meanfield_solve_batch(m->activation, m->erf_scale, n, w, b, threads, mf, st);
    if (!s)
      s = grid_rows(w, b, n, mf, st, out, &nchaotic, &nundefined, &bad);
    if (s && s != SP_ENOMEM && bad < n) {
      if (bad_w)
        *bad_w = w[bad];
      if (bad_b)
        *bad_b = b[bad];
    }
  }
  free(w);
  free(mf);
  free(st);
  if (chaotic)
    *chaotic = nchaotic;
  if (undefined)
    *undefined = nundefined;
  return s;
}
