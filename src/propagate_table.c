/* The per-layer table of sigprop propagate.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/propagate_table.h"

#include "sigprop/status.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const columns[SP_PROPAGATE_TABLE_NCOL] = {
  "layer", "q", "p", "rho", "beta_c", "frozen", "lambda", "m", "y2", "y3", "y2sq", "g",
  "entropy", "entropy_ratio", "grad_wq", "qk_v_ratio", "grad_chi"};

const char *sp_propagate_table_column(size_t i)
{
  return i < SP_PROPAGATE_TABLE_NCOL ? columns[i] : NULL;
}

void sp_propagate_table_row(const sp_model *m, const sp_layer *L, double *v)
{
  const sp_attn_stats *st = &L->attn;
  double row[SP_PROPAGATE_TABLE_NCOL] = {
    (double)L->layer, L->q, L->p, L->rho, st->beta_c, L->layer ? st->frozen : NAN, st->lambda,
    st->m, st->y2, st->y3, st->y2sq, st->g, st->entropy, st->entropy_ratio, NAN, NAN, NAN};
  if (L->layer > 0) {
    const sp_block_trace *tr = &L->trace;
    double ratio, chi;
    row[SP_PROPAGATE_TABLE_NCOL - 3] = sp_grad_wq(m->beta, m->var_v, tr->qa, tr->pa, st->g);
    if (!sp_grad_qk_v_ratio(m->tokens, tr->qa, tr->pa, &ratio))
      row[SP_PROPAGATE_TABLE_NCOL - 2] = ratio;
    if (!sp_grad_block_chi(m, st, tr, &chi))
      row[SP_PROPAGATE_TABLE_NCOL - 1] = chi;
  }
  memcpy(v, row, sizeof row);
}

int sp_propagate_table_fill(const sp_model *m, const sp_workspace *w, double *out, long *done)
{
  if (done)
    *done = 0;
  if (!m || !out)
    return SP_EINVAL;
  if (m->depth < 1 || m->depth > SP_MAX_DEPTH)
    return SP_EDOM;
  size_t rows = (size_t)m->depth + 1;
  sp_layer *traj = malloc(rows * sizeof *traj);
  if (!traj)
    return SP_ENOMEM;
  long n = 0;
  int s = sp_propagate(m, w, SP_REM_ALL, traj, &n);
  for (long l = 0; l < n && l <= m->depth; l++)
    sp_propagate_table_row(m, &traj[l], out + (size_t)l * SP_PROPAGATE_TABLE_NCOL);
  free(traj);
  if (done)
    *done = n;
  return s;
}
